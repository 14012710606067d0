/**
 * X.509 certificates as Go 1.23's crypto/x509 parses and checks them (notation v1.3.2 is built with
 * Go 1.23): ParseCertificate's framing, refusals and texts, pkix.Name.String() for subjects
 * (notation prints it and parses it back for x509.subject identities), CheckSignature /
 * CheckSignatureFrom with Go's rules and texts, and notation-core-go's ReadCertificateFile.
 *
 * Node's X509Certificate gives neither raw names, key-usage bits, criticality nor Go's DN string,
 * and its checkIssued() is OpenSSL's check, not Go's: the framing is read here (der.ts), extension
 * values are decoded with @peculiar/asn1-x509, and the signature mathematics is Node's crypto.
 */
import { constants, createPublicKey, type KeyObject, verify as nodeVerify } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import {
  AuthorityInfoAccessSyntax,
  AuthorityKeyIdentifier,
  BasicConstraints,
  CRLDistributionPoints,
  ExtendedKeyUsage,
  KeyUsage,
  SubjectKeyIdentifier,
} from '@peculiar/asn1-x509';
import { bytesEqual, Der, derBitString, derInteger, derOid, type Element, rightAlign, TAG } from './der.ts';
import { pemDecode } from './goencoding.ts';
import { type GoTime, daysFromCivil } from './gotime.ts';

export class X509Error extends Error {}

// --- names --------------------------------------------------------------------------------------

export interface Atv {
  type: string;
  value: string;
}

/** pkix.Name: the RDN sequence as parsed (Names) and the well-known fields Go fills from it. */
export interface GoName {
  rdns: Atv[][];
  country: string[];
  province: string[];
  locality: string[];
  streetAddress: string[];
  postalCode: string[];
  organization: string[];
  organizationalUnit: string[];
  commonName: string;
  serialNumber: string;
}

const ATTRIBUTE_TYPE_NAMES: Record<string, string> = {
  '2.5.4.6': 'C',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.3': 'CN',
  '2.5.4.5': 'SERIALNUMBER',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.9': 'STREET',
  '2.5.4.17': 'POSTALCODE',
};

/** The printable characters of x509's parseASN1String (asterisk and ampersand allowed). */
function isPrintableByte(b: number, allowAsteriskAmpersand: boolean): boolean {
  return (
    (b >= 0x61 && b <= 0x7a) ||
    (b >= 0x41 && b <= 0x5a) ||
    (b >= 0x30 && b <= 0x39) ||
    b === 0x27 ||
    b === 0x28 ||
    b === 0x29 ||
    b === 0x2b ||
    b === 0x2c ||
    b === 0x2d ||
    b === 0x2e ||
    b === 0x2f ||
    b === 0x3a ||
    b === 0x3d ||
    b === 0x3f ||
    b === 0x20 ||
    (allowAsteriskAmpersand && (b === 0x2a || b === 0x26))
  );
}

const utf8Fatal = new TextDecoder('utf-8', { fatal: true });

function parseAsn1String(tag: number, value: Uint8Array): string {
  switch (tag) {
    case TAG.T61String:
      return Buffer.from(value).toString('latin1');
    case TAG.PrintableString:
      for (const b of value) if (!isPrintableByte(b, true)) throw new Error('invalid PrintableString');
      return Buffer.from(value).toString('latin1');
    case TAG.UTF8String:
      try {
        return utf8Fatal.decode(value);
      } catch {
        throw new Error('invalid UTF-8 string');
      }
    case TAG.BMPString: {
      if (value.length % 2 !== 0) throw new Error('invalid BMPString');
      let v = value;
      if (v.length >= 2 && v[v.length - 1] === 0 && v[v.length - 2] === 0) v = v.subarray(0, v.length - 2);
      const units: number[] = [];
      for (let i = 0; i < v.length; i += 2) {
        const point = (v[i]! << 8) | v[i + 1]!;
        if (
          point === 0xfffe ||
          point === 0xffff ||
          (point >= 0xfdd0 && point <= 0xfdef) ||
          (point >= 0xd800 && point <= 0xdfff)
        )
          throw new Error('invalid BMPString');
        units.push(point);
      }
      return String.fromCharCode(...units);
    }
    case TAG.IA5String:
      for (const b of value) if (b >= 0x80) throw new Error('invalid IA5String');
      return Buffer.from(value).toString('latin1');
    case TAG.NumericString:
      for (const b of value)
        if (!((b >= 0x30 && b <= 0x39) || b === 0x20)) throw new Error('invalid NumericString');
      return Buffer.from(value).toString('latin1');
  }
  // Go prints a cryptobyte Tag with %v: its number.
  throw new Error(`unsupported string type: ${tag}`);
}

/** x509 parseName plus pkix.Name.FillFromRDNSequence. */
function parseName(raw: Uint8Array): GoName {
  const outer = new Der(raw).read(TAG.SEQUENCE);
  if (!outer) throw new X509Error('x509: invalid RDNSequence');
  const seq = new Der(outer.contents);
  const name: GoName = {
    rdns: [],
    country: [],
    province: [],
    locality: [],
    streetAddress: [],
    postalCode: [],
    organization: [],
    organizationalUnit: [],
    commonName: '',
    serialNumber: '',
  };
  while (!seq.empty) {
    const set = seq.read(TAG.SET);
    if (!set) throw new X509Error('x509: invalid RDNSequence');
    const inner = new Der(set.contents);
    const rdn: Atv[] = [];
    while (!inner.empty) {
      const atav = inner.read(TAG.SEQUENCE);
      if (!atav) throw new X509Error('x509: invalid RDNSequence: invalid attribute');
      const a = new Der(atav.contents);
      const oidEl = a.read(TAG.OID);
      const type = oidEl ? derOid(oidEl.contents) : undefined;
      if (type === undefined) throw new X509Error('x509: invalid RDNSequence: invalid attribute type');
      const valueEl = a.readAny();
      if (!valueEl) throw new X509Error('x509: invalid RDNSequence: invalid attribute value');
      let value: string;
      try {
        value = parseAsn1String(valueEl.tag, valueEl.contents);
      } catch (err) {
        throw new X509Error(`x509: invalid RDNSequence: invalid attribute value: ${(err as Error).message}`);
      }
      rdn.push({ type, value });
    }
    name.rdns.push(rdn);
  }
  for (const rdn of name.rdns) {
    for (const { type, value } of rdn) {
      switch (type) {
        case '2.5.4.3':
          name.commonName = value;
          break;
        case '2.5.4.5':
          name.serialNumber = value;
          break;
        case '2.5.4.6':
          name.country.push(value);
          break;
        case '2.5.4.7':
          name.locality.push(value);
          break;
        case '2.5.4.8':
          name.province.push(value);
          break;
        case '2.5.4.9':
          name.streetAddress.push(value);
          break;
        case '2.5.4.10':
          name.organization.push(value);
          break;
        case '2.5.4.11':
          name.organizationalUnit.push(value);
          break;
        case '2.5.4.17':
          name.postalCode.push(value);
          break;
      }
    }
  }
  return name;
}

const STANDARD = new Set([
  '2.5.4.3',
  '2.5.4.5',
  '2.5.4.6',
  '2.5.4.7',
  '2.5.4.8',
  '2.5.4.9',
  '2.5.4.10',
  '2.5.4.11',
  '2.5.4.17',
]);

/** encoding/asn1's Marshal of a Go string: PrintableString when it can be, else UTF8String. */
function marshalString(value: string): Uint8Array {
  const bytes = new TextEncoder().encode(value);
  const printable = [...value].every(
    (ch) => ch.charCodeAt(0) < 0x80 && isPrintableByte(ch.charCodeAt(0), false),
  );
  const tag = printable ? TAG.PrintableString : TAG.UTF8String;
  const len = bytes.length;
  const header = len < 128 ? [tag, len] : len < 256 ? [tag, 0x81, len] : [tag, 0x82, len >> 8, len & 0xff];
  return Uint8Array.from([...header, ...bytes]);
}

/** pkix.Name.String(): the RDNs in Go's fixed order, most specific first. */
export function goNameString(name: GoName): string {
  const rdns: Atv[][] = [];
  // Attributes Go does not know come first in the sequence, so last in the string (Issue 39924).
  for (const rdn of name.rdns) for (const atv of rdn) if (!STANDARD.has(atv.type)) rdns.push([atv]);
  const append = (values: string[], type: string) => {
    if (values.length > 0) rdns.push(values.map((value) => ({ type, value })));
  };
  append(name.country, '2.5.4.6');
  append(name.province, '2.5.4.8');
  append(name.locality, '2.5.4.7');
  append(name.streetAddress, '2.5.4.9');
  append(name.postalCode, '2.5.4.17');
  append(name.organization, '2.5.4.10');
  append(name.organizationalUnit, '2.5.4.11');
  if (name.commonName !== '') append([name.commonName], '2.5.4.3');
  if (name.serialNumber !== '') append([name.serialNumber], '2.5.4.5');
  let s = '';
  for (let i = 0; i < rdns.length; i++) {
    const rdn = rdns[rdns.length - 1 - i]!;
    if (i > 0) s += ',';
    rdn.forEach((tv, j) => {
      if (j > 0) s += '+';
      const typeName = ATTRIBUTE_TYPE_NAMES[tv.type];
      if (typeName === undefined) {
        s += tv.type + '=#' + Buffer.from(marshalString(tv.value)).toString('hex');
        return;
      }
      const bytes = Buffer.from(tv.value, 'utf8');
      let escaped = '';
      let k = 0;
      for (const c of tv.value) {
        let quote = false;
        switch (c) {
          case ',':
          case '+':
          case '"':
          case '\\':
          case '<':
          case '>':
          case ';':
            quote = true;
            break;
          case ' ':
            quote = k === 0 || k === bytes.length - 1;
            break;
          case '#':
            quote = k === 0;
            break;
        }
        escaped += quote ? '\\' + c : c;
        k += Buffer.byteLength(c, 'utf8');
      }
      s += typeName + '=' + escaped;
    });
  }
  return s;
}

// --- certificates -------------------------------------------------------------------------------

export type PublicKeyAlgorithm = 'Unknown' | 'RSA' | 'DSA' | 'ECDSA' | 'Ed25519';

export type GoPublicKey =
  | { kind: 'rsa'; bits: number; key: KeyObject }
  | { kind: 'ecdsa'; bitSize: number; curve: string; key: KeyObject }
  | { kind: 'ed25519'; key: KeyObject }
  | { kind: 'other' };

export type ExtKeyUsage =
  | 'Any'
  | 'ServerAuth'
  | 'ClientAuth'
  | 'CodeSigning'
  | 'EmailProtection'
  | 'IPSECEndSystem'
  | 'IPSECTunnel'
  | 'IPSECUser'
  | 'TimeStamping'
  | 'OCSPSigning'
  | 'MicrosoftServerGatedCrypto'
  | 'NetscapeServerGatedCrypto'
  | 'MicrosoftCommercialCodeSigning'
  | 'MicrosoftKernelCodeSigning';

const EKU_OIDS: Record<string, ExtKeyUsage> = {
  '2.5.29.37.0': 'Any',
  '1.3.6.1.5.5.7.3.1': 'ServerAuth',
  '1.3.6.1.5.5.7.3.2': 'ClientAuth',
  '1.3.6.1.5.5.7.3.3': 'CodeSigning',
  '1.3.6.1.5.5.7.3.4': 'EmailProtection',
  '1.3.6.1.5.5.7.3.5': 'IPSECEndSystem',
  '1.3.6.1.5.5.7.3.6': 'IPSECTunnel',
  '1.3.6.1.5.5.7.3.7': 'IPSECUser',
  '1.3.6.1.5.5.7.3.8': 'TimeStamping',
  '1.3.6.1.5.5.7.3.9': 'OCSPSigning',
  '1.3.6.1.4.1.311.10.3.3': 'MicrosoftServerGatedCrypto',
  '2.16.840.1.113730.4.1': 'NetscapeServerGatedCrypto',
  '1.3.6.1.4.1.311.2.1.22': 'MicrosoftCommercialCodeSigning',
  '1.3.6.1.4.1.311.61.1.1': 'MicrosoftKernelCodeSigning',
};

/** Go's KeyUsage bits (the same values as the BIT STRING's bit positions). */
export const KU = {
  DigitalSignature: 1,
  ContentCommitment: 2,
  KeyEncipherment: 4,
  DataEncipherment: 8,
  KeyAgreement: 16,
  CertSign: 32,
  CRLSign: 64,
  EncipherOnly: 128,
  DecipherOnly: 256,
} as const;

export interface Extension {
  id: string;
  critical: boolean;
  value: Uint8Array;
}

export interface GoCertificate {
  raw: Uint8Array;
  rawTBS: Uint8Array;
  rawSubject: Uint8Array;
  rawIssuer: Uint8Array;
  rawSPKI: Uint8Array;
  version: number;
  serialNumber: bigint;
  signatureAlgorithm: SignatureAlgorithm;
  signature: Uint8Array;
  subject: GoName;
  issuer: GoName;
  /** pkix.Name.String() of the subject and issuer, as notation prints them. */
  subjectString: string;
  issuerString: string;
  notBefore: GoTime;
  notAfter: GoTime;
  publicKeyAlgorithm: PublicKeyAlgorithm;
  publicKey: GoPublicKey;
  extensions: Extension[];
  keyUsage: number;
  extKeyUsage: ExtKeyUsage[];
  unknownExtKeyUsage: string[];
  basicConstraintsValid: boolean;
  isCA: boolean;
  maxPathLen: number;
  maxPathLenZero: boolean;
  subjectKeyId: Uint8Array;
  authorityKeyId: Uint8Array;
  crlDistributionPoints: string[];
  ocspServer: string[];
  unhandledCriticalExtensions: string[];
}

/** UTCTime / GeneralizedTime as cryptobyte reads them (canonical forms only). */
function parseTime(d: Der): GoTime {
  const tag = d.peekTag();
  if (tag === TAG.UTCTime) {
    const e = d.read(TAG.UTCTime);
    const m =
      e && /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(Buffer.from(e.contents).toString('latin1'));
    if (!m) throw new X509Error('x509: malformed UTCTime');
    const yy = Number(m[1]);
    return civilTime(yy < 50 ? 2000 + yy : 1900 + yy, m.slice(2).map(Number), 0, 'x509: malformed UTCTime');
  }
  if (tag === TAG.GeneralizedTime) {
    const e = d.read(TAG.GeneralizedTime);
    const m =
      e &&
      /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:\.(\d*[1-9]))?Z$/.exec(
        Buffer.from(e.contents).toString('latin1'),
      );
    if (!m) throw new X509Error('x509: malformed GeneralizedTime');
    const nsec = m[7] ? Number(m[7].slice(0, 9).padEnd(9, '0')) : 0;
    return civilTime(Number(m[1]), m.slice(2, 7).map(Number), nsec, 'x509: malformed GeneralizedTime');
  }
  throw new X509Error('x509: unsupported time format');
}

function civilTime(year: number, rest: number[], nsec: number, error: string): GoTime {
  const [month, day, hour, minute, second] = rest as [number, number, number, number, number];
  const dim = [
    31,
    (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28,
    31,
    30,
    31,
    30,
    31,
    31,
    30,
    31,
    30,
    31,
  ];
  if (month < 1 || month > 12 || day < 1 || day > dim[month - 1]! || hour > 23 || minute > 59 || second > 59)
    throw new X509Error(error);
  return {
    sec: daysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second,
    nsec,
    offset: 0,
    zone: 'UTC',
  };
}

// Signature algorithms (Go's signatureAlgorithmDetails).
export type SignatureAlgorithm =
  | 'Unknown'
  | 'MD2-RSA'
  | 'MD5-RSA'
  | 'SHA1-RSA'
  | 'SHA256-RSA'
  | 'SHA384-RSA'
  | 'SHA512-RSA'
  | 'DSA-SHA1'
  | 'DSA-SHA256'
  | 'ECDSA-SHA1'
  | 'ECDSA-SHA256'
  | 'ECDSA-SHA384'
  | 'ECDSA-SHA512'
  | 'SHA256-RSAPSS'
  | 'SHA384-RSAPSS'
  | 'SHA512-RSAPSS'
  | 'Ed25519';

interface AlgorithmDetails {
  pubKey: PublicKeyAlgorithm;
  /** Node's hash name; '' for none (Ed25519, MD2). */
  hash: '' | 'md5' | 'sha1' | 'sha256' | 'sha384' | 'sha512';
  pss?: boolean;
}

const ALGORITHMS: Record<SignatureAlgorithm, AlgorithmDetails> = {
  Unknown: { pubKey: 'Unknown', hash: '' },
  'MD2-RSA': { pubKey: 'RSA', hash: '' },
  'MD5-RSA': { pubKey: 'RSA', hash: 'md5' },
  'SHA1-RSA': { pubKey: 'RSA', hash: 'sha1' },
  'SHA256-RSA': { pubKey: 'RSA', hash: 'sha256' },
  'SHA384-RSA': { pubKey: 'RSA', hash: 'sha384' },
  'SHA512-RSA': { pubKey: 'RSA', hash: 'sha512' },
  'DSA-SHA1': { pubKey: 'DSA', hash: 'sha1' },
  'DSA-SHA256': { pubKey: 'DSA', hash: 'sha256' },
  'ECDSA-SHA1': { pubKey: 'ECDSA', hash: 'sha1' },
  'ECDSA-SHA256': { pubKey: 'ECDSA', hash: 'sha256' },
  'ECDSA-SHA384': { pubKey: 'ECDSA', hash: 'sha384' },
  'ECDSA-SHA512': { pubKey: 'ECDSA', hash: 'sha512' },
  'SHA256-RSAPSS': { pubKey: 'RSA', hash: 'sha256', pss: true },
  'SHA384-RSAPSS': { pubKey: 'RSA', hash: 'sha384', pss: true },
  'SHA512-RSAPSS': { pubKey: 'RSA', hash: 'sha512', pss: true },
  Ed25519: { pubKey: 'Ed25519', hash: '' },
};

const SIG_OIDS: Record<string, SignatureAlgorithm> = {
  '1.2.840.113549.1.1.2': 'MD2-RSA',
  '1.2.840.113549.1.1.4': 'MD5-RSA',
  '1.2.840.113549.1.1.5': 'SHA1-RSA',
  '1.3.14.3.2.29': 'SHA1-RSA',
  '1.2.840.113549.1.1.11': 'SHA256-RSA',
  '1.2.840.113549.1.1.12': 'SHA384-RSA',
  '1.2.840.113549.1.1.13': 'SHA512-RSA',
  '1.2.840.10040.4.3': 'DSA-SHA1',
  '2.16.840.1.101.3.4.3.2': 'DSA-SHA256',
  '1.2.840.10045.4.1': 'ECDSA-SHA1',
  '1.2.840.10045.4.3.2': 'ECDSA-SHA256',
  '1.2.840.10045.4.3.3': 'ECDSA-SHA384',
  '1.2.840.10045.4.3.4': 'ECDSA-SHA512',
  '1.3.101.112': 'Ed25519',
};

const HASH_OIDS: Record<string, 'sha256' | 'sha384' | 'sha512'> = {
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
};

const NULL_DER = Uint8Array.from([0x05, 0x00]);

/** An AlgorithmIdentifier: its OID and the raw parameters (empty when absent). */
export function parseAlgorithmIdentifier(
  contents: Uint8Array,
): { oid: string; params: Uint8Array } | undefined {
  const d = new Der(contents);
  const oidEl = d.read(TAG.OID);
  const oid = oidEl ? derOid(oidEl.contents) : undefined;
  if (oid === undefined) return undefined;
  const params = d.empty ? new Uint8Array(0) : (d.readAny()?.full ?? new Uint8Array(0));
  return { oid, params };
}

/** Go's getSignatureAlgorithmFromAI, including its RSASSA-PSS parameter rules. */
export function signatureAlgorithmFromAI(oid: string, params: Uint8Array): SignatureAlgorithm {
  if (oid !== '1.2.840.113549.1.1.10') return SIG_OIDS[oid] ?? 'Unknown';
  const seq = new Der(params).read(TAG.SEQUENCE);
  if (!seq) return 'Unknown';
  const d = new Der(seq.contents);
  let hash = '1.3.14.3.2.26';
  let hashParams: Uint8Array = new Uint8Array(0);
  let mgf = '1.2.840.113549.1.1.8';
  let mgfHash = '1.3.14.3.2.26';
  let mgfHashParams: Uint8Array = new Uint8Array(0);
  let salt = 20n;
  let trailer = 1n;
  const explicit = (tag: number): Element | undefined => {
    const outer = d.read(tag);
    return outer ? new Der(outer.contents).readAny() : undefined;
  };
  if (d.peekTag() === 0xa0) {
    const e = explicit(0xa0);
    const ai = e?.tag === TAG.SEQUENCE ? parseAlgorithmIdentifier(e.contents) : undefined;
    if (!ai) return 'Unknown';
    hash = ai.oid;
    hashParams = ai.params;
  }
  if (d.peekTag() === 0xa1) {
    const e = explicit(0xa1);
    const ai = e?.tag === TAG.SEQUENCE ? parseAlgorithmIdentifier(e.contents) : undefined;
    if (!ai) return 'Unknown';
    mgf = ai.oid;
    const inner = new Der(ai.params).read(TAG.SEQUENCE);
    const hai = inner ? parseAlgorithmIdentifier(inner.contents) : undefined;
    if (!hai) return 'Unknown';
    mgfHash = hai.oid;
    mgfHashParams = hai.params;
  }
  if (d.peekTag() === 0xa2) {
    const e = explicit(0xa2);
    const v = e?.tag === TAG.INTEGER ? derInteger(e.contents) : undefined;
    if (v === undefined) return 'Unknown';
    salt = v;
  }
  if (d.peekTag() === 0xa3) {
    const e = explicit(0xa3);
    const v = e?.tag === TAG.INTEGER ? derInteger(e.contents) : undefined;
    if (v === undefined) return 'Unknown';
    trailer = v;
  }
  const nullOrEmpty = (p: Uint8Array) => p.length === 0 || bytesEqual(p, NULL_DER);
  if (
    !nullOrEmpty(hashParams) ||
    mgf !== '1.2.840.113549.1.1.8' ||
    mgfHash !== hash ||
    !nullOrEmpty(mgfHashParams) ||
    trailer !== 1n
  )
    return 'Unknown';
  const h = HASH_OIDS[hash];
  if (h === 'sha256' && salt === 32n) return 'SHA256-RSAPSS';
  if (h === 'sha384' && salt === 48n) return 'SHA384-RSAPSS';
  if (h === 'sha512' && salt === 64n) return 'SHA512-RSAPSS';
  return 'Unknown';
}

const CURVES: Record<string, { name: string; bitSize: number }> = {
  '1.3.132.0.33': { name: 'P-224', bitSize: 224 },
  '1.2.840.10045.3.1.7': { name: 'P-256', bitSize: 256 },
  '1.3.132.0.34': { name: 'P-384', bitSize: 384 },
  '1.3.132.0.35': { name: 'P-521', bitSize: 521 },
};

/**
 * Public keys made from SPKI bytes, by those bytes: the same certificates are parsed again for each
 * signature and each trust store they meet (the corpus: 3,127 parses of 78 keys), and making a key
 * object is most of a parse. The same bytes always make the same key, so nothing here goes stale.
 */
const KEY_OBJECTS = new Map<string, KeyObject | undefined>();

function parsePublicKey(
  spki: Uint8Array,
  oid: string,
  params: Uint8Array,
): [PublicKeyAlgorithm, GoPublicKey] {
  const keyObject = () => {
    const der = Buffer.from(spki);
    const id = der.toString('latin1');
    if (KEY_OBJECTS.has(id)) return KEY_OBJECTS.get(id);
    let key: KeyObject | undefined;
    try {
      key = createPublicKey({ key: der, format: 'der', type: 'spki' });
    } catch {
      key = undefined;
    }
    KEY_OBJECTS.set(id, key);
    return key;
  };
  switch (oid) {
    case '1.2.840.113549.1.1.1': {
      if (!bytesEqual(params, NULL_DER)) throw new X509Error('x509: RSA key missing NULL parameters');
      const key = keyObject();
      if (!key) throw new X509Error('x509: invalid RSA public key');
      const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
      return ['RSA', { kind: 'rsa', bits, key }];
    }
    case '1.2.840.10045.2.1': {
      const curveEl = new Der(params).read(TAG.OID);
      const curveOid = curveEl ? derOid(curveEl.contents) : undefined;
      if (curveOid === undefined)
        throw new X509Error('x509: failed to parse ECDSA parameters as named curve');
      const curve = CURVES[curveOid];
      if (!curve) throw new X509Error('x509: unsupported elliptic curve');
      const key = keyObject();
      if (!key) throw new X509Error('x509: failed to unmarshal elliptic curve point');
      return ['ECDSA', { kind: 'ecdsa', bitSize: curve.bitSize, curve: curve.name, key }];
    }
    case '1.3.101.112': {
      if (params.length !== 0) throw new X509Error('x509: Ed25519 key encoded with illegal parameters');
      const key = keyObject();
      if (!key) throw new X509Error('x509: wrong Ed25519 public key size');
      return ['Ed25519', { kind: 'ed25519', key }];
    }
    case '1.2.840.10040.4.1':
      return ['DSA', { kind: 'other' }];
  }
  return ['Unknown', { kind: 'other' }];
}

function processExtensions(cert: GoCertificate): void {
  for (const ext of cert.extensions) {
    let unhandled = false;
    const value = ext.value;
    try {
      switch (ext.id) {
        case '2.5.29.15': {
          const ku = AsnConvert.parse(value, KeyUsage);
          cert.keyUsage = ku.toNumber() & 0x1ff;
          break;
        }
        case '2.5.29.19': {
          const bc = AsnConvert.parse(value, BasicConstraints);
          cert.basicConstraintsValid = true;
          cert.isCA = bc.cA;
          if (bc.pathLenConstraint !== undefined) {
            cert.maxPathLen = bc.pathLenConstraint;
            cert.maxPathLenZero = bc.pathLenConstraint === 0;
          } else cert.maxPathLen = -1;
          break;
        }
        case '2.5.29.37': {
          const eku = AsnConvert.parse(value, ExtendedKeyUsage);
          for (const oid of eku) {
            const known = EKU_OIDS[oid];
            if (known) cert.extKeyUsage.push(known);
            else cert.unknownExtKeyUsage.push(oid);
          }
          break;
        }
        case '2.5.29.31': {
          const dps = AsnConvert.parse(value, CRLDistributionPoints);
          for (const dp of dps) {
            for (const gn of dp.distributionPoint?.fullName ?? []) {
              if (gn.uniformResourceIdentifier !== undefined)
                cert.crlDistributionPoints.push(gn.uniformResourceIdentifier);
            }
          }
          break;
        }
        case '2.5.29.14':
          cert.subjectKeyId = new Uint8Array(AsnConvert.parse(value, SubjectKeyIdentifier).buffer);
          break;
        case '2.5.29.35': {
          const akid = AsnConvert.parse(value, AuthorityKeyIdentifier);
          if (akid.keyIdentifier) cert.authorityKeyId = new Uint8Array(akid.keyIdentifier.buffer);
          break;
        }
        case '1.3.6.1.5.5.7.1.1': {
          const aia = AsnConvert.parse(value, AuthorityInfoAccessSyntax);
          for (const ad of aia) {
            const uri = ad.accessLocation.uniformResourceIdentifier;
            if (uri === undefined) continue;
            if (ad.accessMethod === '1.3.6.1.5.5.7.48.1') cert.ocspServer.push(uri);
          }
          break;
        }
        case '2.5.29.17':
        case '2.5.29.30':
        case '2.5.29.32':
          // Parsed by Go; notation never looks at them, and a critical one is handled.
          break;
        default:
          unhandled = true;
      }
    } catch {
      throw new X509Error(`x509: invalid extension ${ext.id}`);
    }
    if (ext.critical && unhandled) cert.unhandledCriticalExtensions.push(ext.id);
  }
}

/** parseCertificate: one certificate from the front of der. */
function parseOne(der: Uint8Array): GoCertificate {
  const top = new Der(der);
  const certEl = top.read(TAG.SEQUENCE);
  if (!certEl) throw new X509Error('x509: malformed certificate');
  const input = new Der(certEl.contents);
  const tbsEl = input.read(TAG.SEQUENCE);
  if (!tbsEl) throw new X509Error('x509: malformed tbs certificate');
  const tbs = new Der(tbsEl.contents);
  let version = 0;
  const versionEl = tbs.readOptional(0xa0);
  if (versionEl === false) throw new X509Error('x509: malformed version');
  if (versionEl) {
    const inner = new Der(versionEl.contents).read(TAG.INTEGER);
    const v = inner ? derInteger(inner.contents) : undefined;
    if (v === undefined || v < 0n) throw new X509Error('x509: malformed version');
    version = Number(v);
  }
  version++;
  if (version > 3) throw new X509Error('x509: invalid version');
  const serialEl = tbs.read(TAG.INTEGER);
  const serialNumber = serialEl ? derInteger(serialEl.contents) : undefined;
  if (serialNumber === undefined) throw new X509Error('x509: malformed serial number');
  const sigAIEl = tbs.read(TAG.SEQUENCE);
  if (!sigAIEl) throw new X509Error('x509: malformed signature algorithm identifier');
  const outerAIEl = input.read(TAG.SEQUENCE);
  if (!outerAIEl) throw new X509Error('x509: malformed algorithm identifier');
  if (!bytesEqual(outerAIEl.contents, sigAIEl.contents))
    throw new X509Error("x509: inner and outer signature algorithm identifiers don't match");
  const sigAI = parseAlgorithmIdentifier(sigAIEl.contents);
  if (!sigAI) throw new X509Error('x509: malformed OID');
  const issuerEl = tbs.read(TAG.SEQUENCE);
  if (!issuerEl) throw new X509Error('x509: malformed issuer');
  const issuer = parseName(issuerEl.full);
  const validityEl = tbs.read(TAG.SEQUENCE);
  if (!validityEl) throw new X509Error('x509: malformed validity');
  const validity = new Der(validityEl.contents);
  const notBefore = parseTime(validity);
  const notAfter = parseTime(validity);
  const subjectEl = tbs.read(TAG.SEQUENCE);
  if (!subjectEl) throw new X509Error('x509: malformed issuer');
  const subject = parseName(subjectEl.full);
  const spkiEl = tbs.read(TAG.SEQUENCE);
  if (!spkiEl) throw new X509Error('x509: malformed spki');
  const spki = new Der(spkiEl.contents);
  const pkAIEl = spki.read(TAG.SEQUENCE);
  if (!pkAIEl) throw new X509Error('x509: malformed public key algorithm identifier');
  const pkAI = parseAlgorithmIdentifier(pkAIEl.contents);
  if (!pkAI) throw new X509Error('x509: malformed OID');
  const spkEl = spki.read(TAG.BIT_STRING);
  if (!spkEl || !derBitString(spkEl.contents)) throw new X509Error('x509: malformed subjectPublicKey');
  const [publicKeyAlgorithm, publicKey] = parsePublicKey(spkiEl.full, pkAI.oid, pkAI.params);
  const cert: GoCertificate = {
    raw: certEl.full,
    rawTBS: tbsEl.full,
    rawSubject: subjectEl.full,
    rawIssuer: issuerEl.full,
    rawSPKI: spkiEl.full,
    version,
    serialNumber,
    signatureAlgorithm: signatureAlgorithmFromAI(sigAI.oid, sigAI.params),
    signature: new Uint8Array(0),
    subject,
    issuer,
    subjectString: goNameString(subject),
    issuerString: goNameString(issuer),
    notBefore,
    notAfter,
    publicKeyAlgorithm,
    publicKey,
    extensions: [],
    keyUsage: 0,
    extKeyUsage: [],
    unknownExtKeyUsage: [],
    basicConstraintsValid: false,
    isCA: false,
    maxPathLen: 0,
    maxPathLenZero: false,
    subjectKeyId: new Uint8Array(0),
    authorityKeyId: new Uint8Array(0),
    crlDistributionPoints: [],
    ocspServer: [],
    unhandledCriticalExtensions: [],
  };
  if (version > 1) {
    if (!tbs.skipOptional(0x81)) throw new X509Error('x509: malformed issuerUniqueID');
    if (!tbs.skipOptional(0x82)) throw new X509Error('x509: malformed subjectUniqueID');
    if (version === 3) {
      const extsEl = tbs.readOptional(0xa3);
      if (extsEl === false) throw new X509Error('x509: malformed extensions');
      if (extsEl) {
        const seq = new Der(extsEl.contents).read(TAG.SEQUENCE);
        if (!seq) throw new X509Error('x509: malformed extensions');
        const exts = new Der(seq.contents);
        const seen = new Set<string>();
        while (!exts.empty) {
          const extEl = exts.read(TAG.SEQUENCE);
          if (!extEl) throw new X509Error('x509: malformed extension');
          const e = new Der(extEl.contents);
          const idEl = e.read(TAG.OID);
          const id = idEl ? derOid(idEl.contents) : undefined;
          if (id === undefined) throw new X509Error('x509: malformed extension OID field');
          let critical = false;
          if (e.peekTag() === TAG.BOOLEAN) {
            const b = e.read(TAG.BOOLEAN);
            if (b?.contents.length !== 1 || (b.contents[0] !== 0 && b.contents[0] !== 0xff))
              throw new X509Error('x509: malformed extension critical field');
            critical = b.contents[0] === 0xff;
          }
          const valueEl = e.read(TAG.OCTET_STRING);
          if (!valueEl) throw new X509Error('x509: malformed extension value field');
          if (seen.has(id))
            throw new X509Error(`x509: certificate contains duplicate extension with OID "${id}"`);
          seen.add(id);
          cert.extensions.push({ id, critical, value: valueEl.contents });
        }
        processExtensions(cert);
      }
    }
  }
  const sigEl = input.read(TAG.BIT_STRING);
  const sig = sigEl ? derBitString(sigEl.contents) : undefined;
  if (!sig) throw new X509Error('x509: malformed signature');
  cert.signature = rightAlign(sig.bytes, sig.bitLength);
  return cert;
}

/** x509.ParseCertificate: exactly one certificate. */
export function parseCertificate(der: Uint8Array): GoCertificate {
  const cert = parseOne(der);
  if (cert.raw.length !== der.length) throw new X509Error('x509: trailing data');
  return cert;
}

/** x509.ParseCertificates: certificates back to back. */
export function parseCertificates(der: Uint8Array): GoCertificate[] {
  const certs: GoCertificate[] = [];
  let rest = der;
  while (rest.length > 0) {
    const cert = parseOne(rest);
    certs.push(cert);
    rest = rest.subarray(cert.raw.length);
  }
  return certs;
}

/** notation-core-go x509 parseCertificates: every PEM block, or else DER. */
export function readCertificateFile(data: Uint8Array): GoCertificate[] {
  let block = pemDecode(data);
  if (!block) return parseCertificates(data);
  const certs: GoCertificate[] = [];
  while (block) {
    certs.push(parseCertificate(block.block.bytes));
    block = pemDecode(block.rest);
  }
  return certs;
}

// --- signatures ---------------------------------------------------------------------------------

const GO_KEY_TYPE: Record<GoPublicKey['kind'], string> = {
  rsa: '*rsa.PublicKey',
  ecdsa: '*ecdsa.PublicKey',
  ed25519: 'ed25519.PublicKey',
  other: '<nil>',
};

/** Go's ConstraintViolationError. */
export const CONSTRAINT_VIOLATION =
  'x509: invalid signature: parent certificate cannot sign this kind of certificate';
const UNSUPPORTED = 'x509: cannot verify signature: algorithm unimplemented';

function insecure(algo: SignatureAlgorithm): string {
  const override =
    algo === 'SHA1-RSA' || algo === 'ECDSA-SHA1' ? ' (temporarily override with GODEBUG=x509sha1=1)' : '';
  return `x509: cannot verify signature: insecure algorithm ${algo}${override}`;
}

/** RSA signature length as Go requires it: exactly the modulus size in bytes. */
function rsaSizeOk(key: GoPublicKey, signature: Uint8Array): boolean {
  return key.kind === 'rsa' && signature.length === Math.ceil(key.bits / 8);
}

/**
 * crypto/x509 checkSignature: the error text, or undefined when the signature verifies. Node
 * verifies the mathematics; Go's checks around it (hash policy, key type, exact RSA length,
 * PSS salt = hash length) are made here first.
 */
export function checkSignature(
  algo: SignatureAlgorithm,
  signed: Uint8Array,
  signature: Uint8Array,
  key: GoPublicKey,
  allowSHA1: boolean,
): string | undefined {
  if (key.kind === 'other') return checkSignatureOnce(algo, signed, signature, key, allowSHA1);
  // Every input is part of the key, the signed bytes too (a signature copied onto other bytes must
  // not inherit a verdict); the signature's length says where it ends and the signed bytes begin.
  const id = `${algo} ${allowSHA1 ? 'sha1' : '-'} ${signature.length} ${Buffer.from(signature).toString('latin1')}${Buffer.from(signed).toString('latin1')}`;
  const verdicts = SIGNATURE_VERDICTS.get(key.key) ?? new Map<string, string | undefined>();
  SIGNATURE_VERDICTS.set(key.key, verdicts);
  if (verdicts.has(id)) return verdicts.get(id);
  const verdict = checkSignatureOnce(algo, signed, signature, key, allowSHA1);
  verdicts.set(id, verdict);
  return verdict;
}

/**
 * Verdicts of checkSignature, by public key and then every other input: a chain is checked again
 * for each signature, trust store and timestamp that meets it (audit: every image signed by the
 * same certificates), and the same inputs always give the same verdict. Key objects live as long
 * as the process (KEY_OBJECTS), and so do these.
 */
const SIGNATURE_VERDICTS = new WeakMap<KeyObject, Map<string, string | undefined>>();

function checkSignatureOnce(
  algo: SignatureAlgorithm,
  signed: Uint8Array,
  signature: Uint8Array,
  key: GoPublicKey,
  allowSHA1: boolean,
): string | undefined {
  const details = ALGORITHMS[algo];
  if (details.hash === '') {
    if (details.pubKey !== 'Ed25519') return UNSUPPORTED;
  } else if (details.hash === 'md5') return insecure(algo);
  else if (details.hash === 'sha1' && !allowSHA1) return insecure(algo);
  const mismatch = () =>
    `x509: signature algorithm specifies an ${details.pubKey} public key, but have public key of type ${GO_KEY_TYPE[key.kind]}`;
  switch (key.kind) {
    case 'rsa': {
      if (details.pubKey !== 'RSA') return mismatch();
      const ok =
        rsaSizeOk(key, signature) &&
        nodeVerify(
          details.hash,
          signed,
          details.pss
            ? {
                key: key.key,
                padding: constants.RSA_PKCS1_PSS_PADDING,
                saltLength: constants.RSA_PSS_SALTLEN_DIGEST,
              }
            : { key: key.key, padding: constants.RSA_PKCS1_PADDING },
          signature,
        );
      return ok ? undefined : 'crypto/rsa: verification error';
    }
    case 'ecdsa': {
      if (details.pubKey !== 'ECDSA') return mismatch();
      let ok = false;
      try {
        ok = nodeVerify(details.hash, signed, { key: key.key, dsaEncoding: 'der' }, signature);
      } catch {
        ok = false;
      }
      return ok ? undefined : 'x509: ECDSA verification failure';
    }
    case 'ed25519': {
      if (details.pubKey !== 'Ed25519') return mismatch();
      let ok = false;
      try {
        ok = nodeVerify(null, signed, key.key, signature);
      } catch {
        ok = false;
      }
      return ok ? undefined : 'x509: Ed25519 verification failure';
    }
  }
  return UNSUPPORTED;
}

/** Certificate.CheckSignature(c.SignatureAlgorithm, c.RawTBSCertificate, c.Signature): SHA-1 allowed. */
export function checkSelfSignature(cert: GoCertificate): string | undefined {
  return checkSignature(cert.signatureAlgorithm, cert.rawTBS, cert.signature, cert.publicKey, true);
}

/** Certificate.CheckSignatureFrom(parent). */
export function checkSignatureFrom(child: GoCertificate, parent: GoCertificate): string | undefined {
  if (
    (parent.version === 3 && !parent.basicConstraintsValid) ||
    (parent.basicConstraintsValid && !parent.isCA)
  )
    return CONSTRAINT_VIOLATION;
  if (parent.keyUsage !== 0 && (parent.keyUsage & KU.CertSign) === 0) return CONSTRAINT_VIOLATION;
  if (parent.publicKeyAlgorithm === 'Unknown') return UNSUPPORTED;
  return checkSignature(child.signatureAlgorithm, child.rawTBS, child.signature, parent.publicKey, false);
}
