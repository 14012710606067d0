/**
 * Go's encoding/base64 and encoding/pem decoders, byte for byte. Node's Buffer base64 decoding is
 * lenient (it skips bad characters and missing padding) where Go fails with an error that names
 * the offending offset, and notation prints those errors; PEM files in trust stores are read with
 * Go's pem.Decode rules (text around blocks, headers, broken blocks skipped).
 */

const STD = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

function decodeMap(alphabet: string): Uint8Array {
  const map = new Uint8Array(256).fill(0xff);
  for (let i = 0; i < alphabet.length; i++) map[alphabet.charCodeAt(i)] = i;
  return map;
}

const STD_MAP = decodeMap(STD);
const URL_MAP = decodeMap(URL);

export class Base64Error extends Error {
  constructor(readonly offset: number) {
    super(`illegal base64 data at input byte ${offset}`);
  }
}

/** Go's Encoding.Decode (decodeQuantum loop) for a padded or unpadded alphabet. */
function goDecode(src: Uint8Array, map: Uint8Array, padded: boolean): Uint8Array {
  const out: number[] = [];
  let si = 0;
  while (si < src.length) {
    const dbuf = [0, 0, 0, 0];
    let dlen = 4;
    let trailing: number | undefined;
    let j = 0;
    for (; j < 4; j++) {
      if (si === src.length) {
        if (j === 0) return Uint8Array.from(out);
        if (j === 1 || padded) throw new Base64Error(si - j);
        dlen = j;
        break;
      }
      const ch = src[si]!;
      si++;
      const value = map[ch]!;
      if (value !== 0xff) {
        dbuf[j] = value;
        continue;
      }
      if (ch === 0x0a || ch === 0x0d) {
        j--;
        continue;
      }
      if (!padded || ch !== 0x3d) throw new Base64Error(si - 1);
      // Padding reached.
      if (j === 0 || j === 1) throw new Base64Error(si - 1);
      if (j === 2) {
        while (si < src.length && (src[si] === 0x0a || src[si] === 0x0d)) si++;
        if (si === src.length) throw new Base64Error(src.length);
        if (src[si] !== 0x3d) throw new Base64Error(si - 1);
        si++;
      }
      while (si < src.length && (src[si] === 0x0a || src[si] === 0x0d)) si++;
      if (si < src.length) trailing = si;
      dlen = j;
      break;
    }
    const val = (dbuf[0]! << 18) | (dbuf[1]! << 12) | (dbuf[2]! << 6) | dbuf[3]!;
    const bytes = [(val >> 16) & 0xff, (val >> 8) & 0xff, val & 0xff];
    for (let k = 0; k < dlen - 1; k++) out.push(bytes[k]!);
    if (trailing !== undefined) throw new Base64Error(trailing);
  }
  return Uint8Array.from(out);
}

const latin1 = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'latin1'));

/** base64.StdEncoding.DecodeString (JSON []byte fields, PEM bodies). */
export function stdBase64Decode(s: string | Uint8Array): Uint8Array {
  return goDecode(typeof s === 'string' ? latin1(s) : s, STD_MAP, true);
}

/** base64.RawURLEncoding.DecodeString (JWS segments). */
export function rawUrlBase64Decode(s: string): Uint8Array {
  return goDecode(latin1(s), URL_MAP, false);
}

// --- encoding/pem -------------------------------------------------------------------------------

export interface PemBlock {
  type: string;
  headers: Map<string, string>;
  bytes: Uint8Array;
}

function indexOf(hay: Uint8Array, needle: Uint8Array, from = 0): number {
  outer: for (let i = from; i + needle.length <= hay.length; i++) {
    for (let k = 0; k < needle.length; k++) if (hay[i + k] !== needle[k]) continue outer;
    return i;
  }
  return -1;
}

function hasPrefix(data: Uint8Array, prefix: Uint8Array): boolean {
  if (data.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (data[i] !== prefix[i]) return false;
  return true;
}

function hasSuffix(data: Uint8Array, suffix: Uint8Array): boolean {
  if (data.length < suffix.length) return false;
  const off = data.length - suffix.length;
  for (let i = 0; i < suffix.length; i++) if (data[off + i] !== suffix[i]) return false;
  return true;
}

const enc = (s: string) => new TextEncoder().encode(s);
const PEM_START = enc('\n-----BEGIN ');
const PEM_END = enc('\n-----END ');
const PEM_EOL = enc('-----');

/** getLine: the first \n- or \r\n-delimited line without trailing spaces and tabs, and the rest. */
function getLine(data: Uint8Array): [Uint8Array, Uint8Array] {
  let i = data.indexOf(0x0a);
  let j: number;
  if (i < 0) {
    i = data.length;
    j = i;
  } else {
    j = i + 1;
    if (i > 0 && data[i - 1] === 0x0d) i--;
  }
  let end = i;
  while (end > 0 && (data[end - 1] === 0x20 || data[end - 1] === 0x09)) end--;
  return [data.subarray(0, end), data.subarray(j)];
}

function trimSpace(b: Uint8Array): string {
  return Buffer.from(b).toString('latin1').trim();
}

/** pem.Decode: the next block and the rest, or undefined when no (valid) block remains. */
export function pemDecode(data: Uint8Array): { block: PemBlock; rest: Uint8Array } | undefined {
  let rest = data;
  for (;;) {
    if (hasPrefix(rest, PEM_START.subarray(1))) rest = rest.subarray(PEM_START.length - 1);
    else {
      const at = indexOf(rest, PEM_START);
      if (at < 0) return undefined;
      rest = rest.subarray(at + PEM_START.length);
    }
    let typeLine: Uint8Array;
    [typeLine, rest] = getLine(rest);
    if (!hasSuffix(typeLine, PEM_EOL)) continue;
    typeLine = typeLine.subarray(0, typeLine.length - PEM_EOL.length);
    const headers = new Map<string, string>();
    let truncated = false;
    for (;;) {
      if (rest.length === 0) {
        truncated = true;
        break;
      }
      const [line, next] = getLine(rest);
      const colon = line.indexOf(0x3a);
      if (colon < 0) break;
      headers.set(trimSpace(line.subarray(0, colon)), trimSpace(line.subarray(colon + 1)));
      rest = next;
    }
    if (truncated) return undefined;
    let endIndex: number;
    let endTrailerIndex: number;
    if (headers.size === 0 && hasPrefix(rest, PEM_END.subarray(1))) {
      endIndex = 0;
      endTrailerIndex = PEM_END.length - 1;
    } else {
      endIndex = indexOf(rest, PEM_END);
      endTrailerIndex = endIndex + PEM_END.length;
    }
    if (endIndex < 0) continue;
    let endTrailer = rest.subarray(endTrailerIndex);
    const endTrailerLen = typeLine.length + PEM_EOL.length;
    if (endTrailer.length < endTrailerLen) continue;
    const restOfEndLine = endTrailer.subarray(endTrailerLen);
    endTrailer = endTrailer.subarray(0, endTrailerLen);
    if (!hasPrefix(endTrailer, typeLine) || !hasSuffix(endTrailer, PEM_EOL)) continue;
    if (getLine(restOfEndLine)[0].length !== 0) continue;
    const body = rest.subarray(0, endIndex).filter((b) => b !== 0x20 && b !== 0x09);
    let bytes: Uint8Array;
    try {
      bytes = stdBase64Decode(body);
    } catch {
      continue;
    }
    const [, after] = getLine(rest.subarray(endIndex + PEM_END.length - 1));
    return {
      block: { type: Buffer.from(typeLine).toString('latin1'), headers, bytes },
      rest: after,
    };
  }
}
