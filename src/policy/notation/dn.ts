/**
 * x509.subject parsing as notation-go v1.3.2 does it: its own checks around go-ldap v3's
 * ParseDN (the RFC 4514 parser with decodeString). Messages are reproduced exactly.
 */
import { goQuote } from './goquote.ts';

interface Attribute {
  type: string;
  value: string;
}

class DnError extends Error {}

function stripSpaces(value: string): string {
  let noSpaces = value.replace(/^ +| +$/g, '');
  // An escaped trailing space survives.
  if (noSpaces.length > 0 && noSpaces.endsWith('\\') && value.endsWith(' ')) noSpaces += ' ';
  return noSpaces;
}

function hexVal(ch: string): number {
  const c = ch.charCodeAt(0);
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  return -1;
}

/** Go's `%#U` for a byte, as in hex.InvalidByteError. */
function goHashU(byte: number): string {
  const hex = 'U+' + byte.toString(16).toUpperCase().padStart(4, '0');
  const ch = String.fromCharCode(byte);
  return byte >= 0x20 && byte < 0x7f ? `${hex} '${ch}'` : hex;
}

function decodeString(str: string): string {
  const s = Array.from(stripSpaces(str));
  const bytes: number[] = [];
  const enc = new TextEncoder();
  const pushText = (t: string) => {
    for (const b of enc.encode(t)) bytes.push(b);
  };
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    if (ch !== '\\') {
      pushText(ch);
      continue;
    }
    if (i + 1 >= s.length) throw new DnError(`got corrupted escaped character: '${s.join('')}'`);
    const next = s[i + 1]!;
    if (' "#+,;<=>\\'.includes(next)) {
      pushText(next);
      i++;
      continue;
    }
    if (i + 2 >= s.length)
      throw new DnError('failed to decode escaped character: encoding/hex: invalid byte: ' + next);
    const xx = enc.encode(s[i + 1]! + s[i + 2]!);
    if (xx.length !== 2)
      throw new DnError('failed to decode escaped character: invalid byte: ' + s[i + 1]! + s[i + 2]!);
    const hi = hexVal(String.fromCharCode(xx[0]!));
    if (hi < 0)
      throw new DnError('failed to decode escaped character: encoding/hex: invalid byte: ' + goHashU(xx[0]!));
    const lo = hexVal(String.fromCharCode(xx[1]!));
    if (lo < 0)
      throw new DnError('failed to decode escaped character: encoding/hex: invalid byte: ' + goHashU(xx[1]!));
    bytes.push(hi * 16 + lo);
    i += 2;
  }
  return new TextDecoder().decode(new Uint8Array(bytes));
}

/** go-ldap v3 ParseDN: returns RDNs (each a list of attributes). */
function parseDN(str: string): Attribute[][] {
  const rdns: Attribute[][] = [];
  // strings.TrimSpace: Unicode white space.
  if (str.replace(/^[\s\u0085]+|[\s\u0085]+$/gu, '') === '') return rdns;
  let rdn: Attribute[] = [];
  let attr: Attribute = { type: '', value: '' };
  let escaping = false;
  let startPos = 0;
  const append = (end: boolean) => {
    rdn.push(attr);
    attr = { type: '', value: '' };
    if (end) {
      rdns.push(rdn);
      rdn = [];
    }
  };
  for (let i = 0; i < str.length; i++) {
    const ch = str[i]!;
    if (escaping) escaping = false;
    else if (ch === '\\') escaping = true;
    else if (ch === '=' && attr.type.length === 0) {
      attr.type = decodeString(str.slice(startPos, i));
      startPos = i + 1;
    } else if (ch === ',' || ch === '+' || ch === ';') {
      if (attr.type.length === 0) throw new DnError('incomplete type, value pair');
      attr.value = decodeString(str.slice(startPos, i));
      startPos = i + 1;
      append(ch === ',' || ch === ';');
    }
  }
  if (attr.type.length === 0) throw new DnError('DN ended with incomplete type, value pair');
  attr.value = decodeString(str.slice(startPos));
  append(true);
  return rdns;
}

export type ParsedDN = Map<string, string>;

/** notation-go internal/pkix ParseDistinguishedName. Throws Error with notation's message. */
export function parseDistinguishedName(name: string): ParsedDN {
  if (name.includes('=#')) {
    throw new Error(
      `unsupported distinguished name (DN) ${goQuote(name)}: notation does not support x509.subject identities containing "=#"`,
    );
  }
  let rdns: Attribute[][];
  try {
    rdns = parseDN(name);
  } catch (err) {
    if (!(err instanceof DnError)) throw err;
    throw new Error(
      `parsing distinguished name (DN) ${goQuote(name)} failed with err: ${err.message}. A valid DN must contain 'C', 'ST' or 'S', and 'O' RDN attributes at a minimum, and follow RFC 4514 standard`,
    );
  }
  const attrs: ParsedDN = new Map();
  for (const rdn of rdns) {
    if (rdn.length > 1) {
      throw new Error(
        `distinguished name (DN) ${goQuote(name)} has multi-valued RDN attributes, remove multi-valued RDN attributes as they are not supported`,
      );
    }
    for (const a of rdn) {
      const type = a.type === 'S' ? 'ST' : a.type;
      if (!attrs.get(type)) attrs.set(type, a.value);
      else
        throw new Error(
          `distinguished name (DN) ${goQuote(name)} has duplicate RDN attribute for ${goQuote(type)}, DN can only have unique RDN attributes`,
        );
    }
  }
  for (const field of ['C', 'ST', 'O']) {
    if (!attrs.get(field)) {
      throw new Error(
        `distinguished name (DN) ${goQuote(name)} has no mandatory RDN attribute for ${goQuote(field)}, it must contain 'C', 'ST' or 'S', and 'O' RDN attributes at a minimum`,
      );
    }
  }
  return attrs;
}

/** notation-go pkix.IsSubsetDN: every attribute of a is present, equal, in b. */
export function isSubsetDN(a: ParsedDN, b: ParsedDN): boolean {
  for (const [k, v] of a) if (b.get(k) !== v) return false;
  return true;
}
