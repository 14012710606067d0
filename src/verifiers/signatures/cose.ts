/**
 * COSE envelopes (`application/cose`) as notation-core-go v1.3.0 reads and verifies them
 * (signature/cose/envelope.go) on top of veraison/go-cose v1.3.0 and fxamacker/cbor v2.8.0:
 * COSE_Sign1_Tagged, headers, the algorithm derived from the leaf key, RSA-PSS with the salt
 * length equal to the hash length, ECDSA r‖s, tag-1 times.
 *
 * cbor2 decodes the header maps' values. The framing (what fxamacker calls well-formedness, with
 * its texts for truncated or malformed input), the raw protected-header bytes that Sig_structure
 * needs, and go-cose's header rules are read here, because those are where the Go stack's
 * decisions and messages live.
 */
import { constants, verify as nodeVerify } from 'node:crypto';
import { decode as cborDecode, Tag } from 'cbor2';
import { concatBytes, ecdsaRsToDer } from './der.ts';
import {
  type Attribute,
  type EnvelopeContent,
  SIGNING_SCHEME_X509,
  SIGNING_SCHEME_X509_SIGNING_AUTHORITY,
  keySpecAlgorithm,
} from './envelope.ts';
import type { GoTime } from './gotime.ts';
import { type GoPublicKey, parseCertificate } from './x509.ts';

// --- CBOR framing (fxamacker well-formedness) ------------------------------------------------------

const TYPE_NAMES = [
  'positive integer',
  'negative integer',
  'byte string',
  'UTF-8 text string',
  'array',
  'map',
  'tag',
  'primitives',
];

const EOF = 'unexpected EOF';
const MAX_NESTED = 32;

interface Item {
  start: number;
  end: number;
  major: number;
  /** For strings: where the content starts. */
  contentStart: number;
  /** The argument: a length, a count or a value. */
  arg: number;
  isNull: boolean;
}

class CborError extends Error {}

/** Checks one data item starting at `off`; returns it with its end. Throws fxamacker's text. */
function wellformed(b: Uint8Array, off: number, depth: number, tagsForbidden: boolean): Item {
  if (off >= b.length) throw new CborError(EOF);
  const start = off;
  const ib = b[off++]!;
  const major = ib >> 5;
  const ai = ib & 0x1f;
  if (ai >= 28 && ai <= 30)
    throw new CborError(`cbor: invalid additional information ${ai} for type ${TYPE_NAMES[major]}`);
  if (ai === 31) {
    if (major === 7) throw new CborError('cbor: unexpected "break" code');
    if (major === 0 || major === 1 || major === 6)
      throw new CborError(`cbor: invalid additional information 31 for type ${TYPE_NAMES[major]}`);
    throw new CborError(`cbor: indefinite-length ${TYPE_NAMES[major]} isn't allowed`);
  }
  let arg = ai;
  if (ai >= 24) {
    const n = 1 << (ai - 24);
    if (off + n > b.length) throw new CborError(EOF);
    arg = 0;
    for (let i = 0; i < n; i++) arg = arg * 256 + b[off + i]!;
    off += n;
    if (major === 7 && ai === 24 && arg < 32)
      throw new CborError(`cbor: invalid simple value ${arg} for type primitives`);
  }
  const item: Item = { start, end: off, major, contentStart: off, arg, isNull: ib === 0xf6 };
  switch (major) {
    case 2:
    case 3:
      if (arg > b.length - off) throw new CborError(EOF);
      item.end = off + arg;
      return item;
    case 4:
    case 5: {
      if (depth + 1 > MAX_NESTED) throw new CborError(`cbor: exceeded max nested level ${MAX_NESTED}`);
      const count = major === 4 ? arg : arg * 2;
      let at = off;
      for (let i = 0; i < count; i++) at = wellformed(b, at, depth + 1, tagsForbidden).end;
      item.end = at;
      return item;
    }
    case 6: {
      if (tagsForbidden) throw new CborError("cbor: CBOR tag isn't allowed");
      if (depth + 1 > MAX_NESTED) throw new CborError(`cbor: exceeded max nested level ${MAX_NESTED}`);
      item.end = wellformed(b, off, depth + 1, tagsForbidden).end;
      return item;
    }
  }
  return item;
}

/** Unmarshal's check: one well-formed item and nothing after it. */
function wellformedWhole(b: Uint8Array, tagsForbidden: boolean): Item {
  const item = wellformed(b, 0, 0, tagsForbidden);
  if (item.end < b.length)
    throw new CborError(
      `cbor: ${b.length - item.end} bytes of extraneous data starting at index ${item.end}`,
    );
  return item;
}

const DECODE = {
  ignoreGlobalTags: true,
  preferMap: true,
  rejectDuplicateKeys: true,
  rejectStreaming: true,
} as const;

// --- go-cose -------------------------------------------------------------------------------------

const ALG_NAMES: Record<number, string> = {
  [-37]: 'PS256',
  [-38]: 'PS384',
  [-39]: 'PS512',
  [-257]: 'RS256',
  [-258]: 'RS384',
  [-259]: 'RS512',
  [-7]: 'ES256',
  [-35]: 'ES384',
  [-36]: 'ES512',
  [-8]: 'EdDSA',
  0: 'Reserved',
};

const algName = (a: number) => ALG_NAMES[a] ?? `unknown algorithm value ${a}`;

/** notation's map from COSE algorithm to signature.Algorithm. */
const SIGNATURE_ALGORITHMS: Record<number, number> = {
  [-37]: 1,
  [-38]: 2,
  [-39]: 3,
  [-7]: 4,
  [-35]: 5,
  [-36]: 6,
};
const FROM_KEY_SPEC = [0, -37, -38, -39, -7, -35, -36];

type Header = Map<unknown, unknown>;

interface Sign1 {
  rawProtected: Uint8Array;
  protected: Header;
  unprotected: Header;
  payload: Uint8Array | null;
  signature: Uint8Array;
}

const isInt = (v: unknown): v is number | bigint =>
  (typeof v === 'number' && Number.isInteger(v)) || typeof v === 'bigint';

function validateLabels(map: Header): void {
  for (const key of map.keys()) {
    if (!isInt(key) && typeof key !== 'string')
      throw new CborError('cbor: header label: require int / tstr type');
  }
}

/** ProtectedHeader.Algorithm(). */
function headerAlgorithm(h: Header): number | { error: string } {
  if (!h.has(1)) return { error: 'algorithm not found' };
  const value = h.get(1);
  if (isInt(value)) return Number(value);
  if (typeof value === 'string') return { error: `unknown algorithm value ${JSON.stringify(value)}` };
  return { error: 'invalid algorithm' };
}

/** go-cose ensureCritical for a protected header. */
function criticalLabels(h: Header): unknown[] | undefined {
  if (!h.has(2)) return undefined;
  const value = h.get(2);
  if (!Array.isArray(value)) throw new CborError('invalid crit header');
  if (value.length === 0) throw new CborError('empty crit header');
  for (const label of value) {
    if (!isInt(label) && typeof label !== 'string')
      throw new CborError(`require int / tstr type, got '${typeof label}': ${String(label)}`);
    if (!h.has(label)) throw new CborError(`missing critical header: ${String(label)}`);
  }
  return value;
}

function decodeHeader(raw: Uint8Array, item: Item, isProtected: boolean): Header {
  if (isProtected) {
    if (item.isNull) return new Map();
    if (item.major !== 2)
      throw new CborError(
        `cbor: cannot unmarshal ${TYPE_NAMES[item.major]} into Go value of type cose.byteString`,
      );
    const content = raw.subarray(item.contentStart, item.end);
    if (content.length === 0) return new Map();
    if (content[0]! >> 5 !== 5) throw new CborError('cbor: protected header: require map type');
    wellformedWhole(content, false);
    const map = cborDecode(content, DECODE) as Header;
    validateLabels(map);
    criticalLabels(map);
    return map;
  }
  const bytes = raw.subarray(item.start, item.end);
  if (bytes.length === 0 || bytes[0]! >> 5 !== 5) throw new CborError('cbor: header must be a map');
  const map = cborDecode(bytes, DECODE) as Header;
  validateLabels(map);
  if (map.has(2)) throw new CborError('unprotected header: header parameter: crit: not allowed');
  return map;
}

/** Sign1Message.UnmarshalCBOR. Throws the error text. */
export function parseCose(bytes: Uint8Array): Sign1 {
  if (bytes.length < 2 || bytes[0] !== 0xd2 || bytes[1] !== 0x84)
    throw new Error('cbor: invalid COSE_Sign1_Tagged object');
  const data = bytes.subarray(1);
  try {
    wellformedWhole(data, true);
    const items: Item[] = [];
    let at = 1;
    for (let i = 0; i < 4; i++) {
      const item = wellformed(data, at, 1, true);
      items.push(item);
      at = item.end;
    }
    const byteString = (item: Item): Uint8Array | null => {
      if (item.isNull) return null;
      if (item.major !== 2)
        throw new CborError(
          `cbor: cannot unmarshal ${TYPE_NAMES[item.major]} into Go value of type cose.byteString`,
        );
      return data.subarray(item.contentStart, item.end);
    };
    const payload = byteString(items[2]!);
    const signature = byteString(items[3]!);
    if (!signature || signature.length === 0) throw new CborError('empty signature');
    let prot: Header;
    try {
      prot = decodeHeader(data, items[0]!, true);
    } catch (err) {
      throw new CborError(`cbor: invalid protected header: ${(err as Error).message}`);
    }
    let unprot: Header;
    try {
      unprot = decodeHeader(data, items[1]!, false);
    } catch (err) {
      throw new CborError(`cbor: invalid unprotected header: ${(err as Error).message}`);
    }
    return {
      rawProtected: data.subarray(items[0]!.start, items[0]!.end),
      protected: prot,
      unprotected: unprot,
      payload,
      signature,
    };
  } catch (err) {
    throw new Error((err as Error).message);
  }
}

/** A CBOR head with the shortest argument encoding (fxamacker's canonical head). */
function head(major: number, n: number): Uint8Array {
  const m = major << 5;
  if (n < 24) return Uint8Array.of(m | n);
  if (n < 0x100) return Uint8Array.of(m | 24, n);
  if (n < 0x10000) return Uint8Array.of(m | 25, n >> 8, n & 0xff);
  return Uint8Array.of(m | 26, (n >>> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff);
}

/** Sig_structure: ["Signature1", protected (as received), h'', payload]. */
function toBeSigned(msg: Sign1): Uint8Array {
  const context = new TextEncoder().encode('Signature1');
  const payload = msg.payload!;
  return concatBytes([
    Uint8Array.of(0x84),
    head(3, context.length),
    context,
    msg.rawProtected,
    Uint8Array.of(0x40),
    head(2, payload.length),
    payload,
  ]);
}

const HASH = { 1: 'sha256', 2: 'sha384', 3: 'sha512', 4: 'sha256', 5: 'sha384', 6: 'sha512' } as Record<
  number,
  string
>;

/** Sign1Message.Verify(nil, verifier): the error text, or undefined. */
function verifySign1(msg: Sign1, algorithm: number, key: GoPublicKey): string | undefined {
  const coseAlg = FROM_KEY_SPEC[algorithm]!;
  const candidate = headerAlgorithm(msg.protected);
  if (typeof candidate !== 'number') return candidate.error;
  if (candidate !== coseAlg)
    return `algorithm mismatch: verifier ${algName(coseAlg)}: header ${algName(candidate)}`;
  if (msg.payload === null) return 'missing payload';
  const data = toBeSigned(msg);
  const hash = HASH[algorithm]!;
  if (key.kind === 'rsa') {
    if (msg.signature.length !== Math.ceil(key.bits / 8)) return 'verification error';
    const ok = nodeVerify(
      hash,
      data,
      {
        key: key.key,
        padding: constants.RSA_PKCS1_PSS_PADDING,
        saltLength: constants.RSA_PSS_SALTLEN_DIGEST,
      },
      msg.signature,
    );
    return ok ? undefined : 'verification error';
  }
  if (key.kind === 'ecdsa') {
    const n = Math.ceil(key.bitSize / 8);
    if (msg.signature.length !== 2 * n) return 'verification error';
    let ok = false;
    try {
      ok = nodeVerify(hash, data, { key: key.key, dsaEncoding: 'der' }, ecdsaRsToDer(msg.signature, n));
    } catch {
      ok = false;
    }
    return ok ? undefined : 'verification error';
  }
  return 'verification error';
}

// --- notation-core-go cose envelope ---------------------------------------------------------------

const LABEL_EXPIRY = 'io.cncf.notary.expiry';
const LABEL_SCHEME = 'io.cncf.notary.signingScheme';
const LABEL_SIGNING_TIME = 'io.cncf.notary.signingTime';
const LABEL_AUTHENTIC_SIGNING_TIME = 'io.cncf.notary.authenticSigningTime';
const SYSTEM_HEADERS: unknown[] = [
  1,
  2,
  3,
  LABEL_EXPIRY,
  LABEL_SCHEME,
  LABEL_SIGNING_TIME,
  LABEL_AUTHENTIC_SIGNING_TIME,
];

/**
 * parseTime: a tag-1 (epoch) time, decoded in the host's zone — UTC on Bottlerocket. go-cose hands
 * tags 0 and 1 over as time.Time; any other value is "invalid timeValue type".
 */
function parseTime(h: Header, label: string): GoTime {
  if (!h.has(label) || h.get(label) === null)
    throw new Error(`protected header ${JSON.stringify(label)} is missing`);
  const value = h.get(label);
  if (!(value instanceof Tag) || (value.tag !== 0 && value.tag !== 1))
    throw new Error('invalid timeValue type');
  if (value.tag !== 1) throw new Error('only Tag `1` Datetime CBOR object is supported');
  const contents = value.contents;
  if (typeof contents === 'bigint') return { sec: Number(contents), nsec: 0, offset: 0, zone: 'UTC' };
  if (typeof contents !== 'number') throw new Error('invalid timeValue type');
  const sec = Math.floor(contents);
  return { sec, nsec: Math.round((contents - sec) * 1e9), offset: 0, zone: 'UTC' };
}

function extractContent(msg: Sign1): EnvelopeContent {
  const prot = msg.protected;
  // payload()
  if (!prot.has(3)) throw new Error('missing content type');
  const cty = prot.get(3);
  if (typeof cty !== 'string') throw new Error("content type should be of 'tstr' type");
  // signerInfo(): validateCritHeaders
  const labels = criticalLabels(prot) ?? [];
  const scheme = prot.get(LABEL_SCHEME);
  if (typeof scheme !== 'string') throw new Error('invalid signingScheme');
  const mustBeCritical = new Set<unknown>([LABEL_SCHEME]);
  if (scheme === SIGNING_SCHEME_X509_SIGNING_AUTHORITY) mustBeCritical.add(LABEL_AUTHENTIC_SIGNING_TIME);
  if (prot.has(LABEL_EXPIRY)) mustBeCritical.add(LABEL_EXPIRY);
  for (const label of labels) mustBeCritical.delete(label);
  if (mustBeCritical.size > 0)
    throw new Error(
      `these required headers are not marked as critical: [${[...mustBeCritical].map(String).join(' ')}]`,
    );
  const extendedKeys = [...prot.keys()].filter((k) => !SYSTEM_HEADERS.includes(k));
  const alg = headerAlgorithm(prot);
  if (typeof alg !== 'number') throw new Error(alg.error);
  const signatureAlgorithm = SIGNATURE_ALGORITHMS[alg];
  if (signatureAlgorithm === undefined) throw new Error(`signature algorithm not supported: ${alg}`);
  let timeLabel: string;
  if (scheme === SIGNING_SCHEME_X509) timeLabel = LABEL_SIGNING_TIME;
  else if (scheme === SIGNING_SCHEME_X509_SIGNING_AUTHORITY) timeLabel = LABEL_AUTHENTIC_SIGNING_TIME;
  else throw new Error(`unsupported signingScheme: ${scheme}`);
  let signingTime: GoTime;
  try {
    signingTime = parseTime(prot, timeLabel);
  } catch (err) {
    throw new Error(`invalid signingTime: ${(err as Error).message}`);
  }
  let expiry: GoTime | undefined;
  if (prot.has(LABEL_EXPIRY)) {
    try {
      expiry = parseTime(prot, LABEL_EXPIRY);
    } catch (err) {
      throw new Error(`invalid expiry: ${(err as Error).message}`);
    }
  }
  const extendedAttributes: Attribute[] = extendedKeys.map((key) => ({
    key: key as string | number,
    critical: labels.includes(key),
    value: prot.get(key),
  }));
  // unprotected headers
  const x5chain = msg.unprotected.get(33);
  if (!Array.isArray(x5chain) || x5chain.length === 0) throw new Error('certificate chain is not present');
  const certificateChain = x5chain.map((c) => {
    if (!(c instanceof Uint8Array)) throw new Error('certificate chain is not present');
    return parseCertificate(c);
  });
  const agent = msg.unprotected.get('io.cncf.notary.signingAgent');
  const token = msg.unprotected.get('io.cncf.notary.timestampSignature');
  return {
    payload: { contentType: cty, content: msg.payload ?? new Uint8Array(0) },
    signerInfo: {
      signingScheme: scheme,
      signingTime,
      expiry,
      extendedAttributes,
      signingAgent: typeof agent === 'string' ? agent : '',
      timestampSignature: token instanceof Uint8Array ? token : new Uint8Array(0),
      signature: msg.signature,
      signatureAlgorithm,
      certificateChain,
    },
  };
}

/** envelope.Verify() of the COSE format (before base validation). Throws the error text. */
export function verifyCose(msg: Sign1): EnvelopeContent {
  const x5chain = msg.unprotected.get(33);
  if (!Array.isArray(x5chain) || x5chain.length === 0) throw new Error('certificate chain is not present');
  if (!(x5chain[0] instanceof Uint8Array)) throw new Error('COSE envelope malformed leaf certificate');
  let key: GoPublicKey;
  let algorithm: number | { error: string };
  try {
    const leaf = parseCertificate(x5chain[0]);
    key = leaf.publicKey;
    algorithm = keySpecAlgorithm(leaf);
  } catch {
    throw new Error('malformed leaf certificate');
  }
  if (typeof algorithm !== 'number') throw new Error(algorithm.error);
  const err = verifySign1(msg, algorithm, key);
  if (err !== undefined) throw new Error(`signature is invalid. Error: ${err}`);
  return extractContent(msg);
}
