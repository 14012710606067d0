/**
 * A strict DER element reader with the rules of Go's golang.org/x/crypto/cryptobyte, which
 * crypto/x509 parses with. @peculiar/asn1-schema (asn1js) decodes BER leniently and re-encodes
 * sub-structures, but notation compares raw bytes (a certificate's RawSubject with its issuer's,
 * trust-store certificates byte for byte) and Go refuses what DER forbids, with its own texts: so
 * the framing, the raw slices and Go's accept/refuse decisions come from here, and the typed
 * decoding of extension values from the library.
 */

export const TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTF8String: 0x0c,
  SEQUENCE: 0x30,
  SET: 0x31,
  PrintableString: 0x13,
  T61String: 0x14,
  IA5String: 0x16,
  UTCTime: 0x17,
  GeneralizedTime: 0x18,
  NumericString: 0x12,
  BMPString: 0x1e,
} as const;

export interface Element {
  tag: number;
  /** The whole element: identifier, length and contents. */
  full: Uint8Array;
  contents: Uint8Array;
}

/** A cursor over DER bytes. Every read returns undefined where cryptobyte returns false. */
export class Der {
  private pos = 0;
  constructor(readonly bytes: Uint8Array) {}

  get empty(): boolean {
    return this.pos >= this.bytes.length;
  }
  get rest(): Uint8Array {
    return this.bytes.subarray(this.pos);
  }
  get offset(): number {
    return this.pos;
  }

  /** The tag of the next element, if any. */
  peekTag(): number | undefined {
    return this.empty ? undefined : this.bytes[this.pos];
  }

  /** Reads any element (cryptobyte ReadAnyASN1Element). */
  readAny(): Element | undefined {
    const b = this.bytes;
    const start = this.pos;
    if (b.length - start < 2) return undefined;
    const tag = b[start]!;
    // cryptobyte does not support high-tag-number identifiers.
    if ((tag & 0x1f) === 0x1f) return undefined;
    const lenByte = b[start + 1]!;
    let length: number;
    let headerLen: number;
    if ((lenByte & 0x80) === 0) {
      length = lenByte;
      headerLen = 2;
    } else {
      const lenLen = lenByte & 0x7f;
      // Indefinite lengths (0x80) and lengths over 4 bytes are refused.
      if (lenLen === 0 || lenLen > 4 || b.length - start < 2 + lenLen) return undefined;
      length = 0;
      for (let i = 0; i < lenLen; i++) length = length * 256 + b[start + 2 + i]!;
      // DER: the shortest form, and the long form only for lengths of 128 or more.
      if (length < 128) return undefined;
      if (lenLen > 1 && b[start + 2] === 0) return undefined;
      headerLen = 2 + lenLen;
    }
    if (length > b.length - start - headerLen) return undefined;
    this.pos = start + headerLen + length;
    return {
      tag,
      full: b.subarray(start, this.pos),
      contents: b.subarray(start + headerLen, this.pos),
    };
  }

  /** Reads an element with this tag; leaves the cursor alone otherwise. */
  read(tag: number): Element | undefined {
    if (this.peekTag() !== tag) return undefined;
    const save = this.pos;
    const e = this.readAny();
    if (!e) this.pos = save;
    return e;
  }

  /** Reads an optional element with this tag: undefined contents when absent, false when malformed. */
  readOptional(tag: number): Element | null | false {
    if (this.peekTag() !== tag) return null;
    return this.read(tag) ?? false;
  }

  skipOptional(tag: number): boolean {
    if (this.peekTag() !== tag) return true;
    return this.read(tag) !== undefined;
  }
}

/** An INTEGER's contents as a bigint, with DER's minimal-encoding rule (cryptobyte checkASN1Integer). */
export function derInteger(contents: Uint8Array): bigint | undefined {
  if (contents.length === 0) return undefined;
  if (contents.length > 1) {
    if (contents[0] === 0 && (contents[1]! & 0x80) === 0) return undefined;
    if (contents[0] === 0xff && (contents[1]! & 0x80) === 0x80) return undefined;
  }
  let value = 0n;
  for (const byte of contents) value = (value << 8n) | BigInt(byte);
  if (contents[0]! & 0x80) value -= 1n << BigInt(contents.length * 8);
  return value;
}

/** An OBJECT IDENTIFIER's contents in dotted form (cryptobyte ReadASN1ObjectIdentifier rules). */
export function derOid(contents: Uint8Array): string | undefined {
  if (contents.length === 0) return undefined;
  const arcs: bigint[] = [];
  let value = 0n;
  let started = false;
  for (let i = 0; i < contents.length; i++) {
    const b = contents[i]!;
    // A component must not start with 0x80 (non-minimal).
    if (!started && b === 0x80) return undefined;
    started = true;
    value = (value << 7n) | BigInt(b & 0x7f);
    if ((b & 0x80) === 0) {
      arcs.push(value);
      value = 0n;
      started = false;
    } else if (i === contents.length - 1) return undefined;
  }
  const first = arcs[0]!;
  const parts: bigint[] =
    first < 80n ? [first / 40n, first % 40n, ...arcs.slice(1)] : [2n, first - 80n, ...arcs.slice(1)];
  return parts.join('.');
}

/** A BIT STRING's contents: the bytes, right-aligned as Go's BitString.RightAlign does. */
export function derBitString(contents: Uint8Array): { bytes: Uint8Array; bitLength: number } | undefined {
  if (contents.length === 0) return undefined;
  const padding = contents[0]!;
  const bytes = contents.subarray(1);
  if (padding > 7 || (bytes.length === 0 && padding !== 0)) return undefined;
  // DER: the padding bits are zero.
  if (bytes.length > 0 && (bytes[bytes.length - 1]! & ((1 << padding) - 1)) !== 0) return undefined;
  return { bytes, bitLength: bytes.length * 8 - padding };
}

export function rightAlign(bytes: Uint8Array, bitLength: number): Uint8Array {
  const shift = bytes.length * 8 - bitLength;
  if (shift === 0 || bytes.length === 0) return bytes;
  const out = new Uint8Array(bytes.length);
  out[0] = bytes[0]! >> shift;
  for (let i = 1; i < bytes.length; i++) {
    out[i] = ((bytes[i - 1]! << (8 - shift)) & 0xff) | (bytes[i]! >> shift);
  }
  return out;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** DER length octets. */
export function derLength(n: number): number[] {
  if (n < 128) return [n];
  const out: number[] = [];
  while (n > 0) {
    out.unshift(n & 0xff);
    n = Math.floor(n / 256);
  }
  return [0x80 | out.length, ...out];
}

/** One DER element from a tag and contents. */
export function derElement(tag: number, contents: Uint8Array): Uint8Array {
  const header = [tag, ...derLength(contents.length)];
  const out = new Uint8Array(header.length + contents.length);
  out.set(header);
  out.set(contents, header.length);
  return out;
}

export function concatBytes(parts: Uint8Array[]): Uint8Array {
  const total = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * An ECDSA signature as JWS and COSE carry it (r‖s, each `size` bytes: the algorithm's, not the
 * key's) as the DER SEQUENCE of two INTEGERs Node's crypto verifies.
 */
export function ecdsaRsToDer(sig: Uint8Array, size: number): Uint8Array {
  const int = (b: Uint8Array) => {
    let i = 0;
    while (i < b.length - 1 && b[i] === 0) i++;
    let v = b.subarray(i);
    if (v[0]! & 0x80) v = concatBytes([Uint8Array.of(0), v]);
    return derElement(0x02, v);
  };
  return derElement(0x30, concatBytes([int(sig.subarray(0, size)), int(sig.subarray(size))]));
}
