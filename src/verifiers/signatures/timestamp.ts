/**
 * RFC 3161 timestamp countersignatures as notation checks them: tspclient-go (the CLI's pin
 * 4f55b14d9f01 = v1.0.0 code) ParseSignedToken / Info / Validate / Verify with its internal CMS
 * (including its BER-to-DER conversion and its texts), and the authentic-timestamp step of
 * notation-go v1.3.2 (verifyTimestamp) around it.
 *
 * @peculiar/asn1-cms decodes the SignedData; Go compares raw issuer bytes, hashes raw certificates
 * and verifies the signature over the DER of the signed attributes, so those raw slices are read
 * with der.ts, and the certificate path is built as Go's x509.Verify builds it (goverify.ts).
 */
import { createHash } from 'node:crypto';
import { ContentInfo, SignedData } from '@peculiar/asn1-cms';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Der, derInteger, derLength, derOid, type Element, TAG, bytesEqual } from './der.ts';
import { addNanos, after, before, equal, formatRFC3339, type GoTime } from './gotime.ts';
import { goVerify } from './goverify.ts';
import { checkSignature, type GoCertificate, parseCertificates, type SignatureAlgorithm } from './x509.ts';

// --- tspclient-go internal/encoding/asn1/ber: ConvertToDER --------------------------------------------

const syntax = (msg: string) => new Error(`asn1: syntax error: ${msg}`);
const structural = (msg: string) => new Error(`asn1: structure error: ${msg}`);

interface BerNode {
  identifier: Uint8Array;
  content?: Uint8Array;
  members: BerNode[];
  raw: Uint8Array;
}

function decodeMetadata(r: Uint8Array): { identifier: Uint8Array; length: number; rest: Uint8Array } {
  if (r.length < 1) throw syntax('decoding BER identifier octets: identifier octets is empty');
  let offset = 1;
  if ((r[0]! & 0x1f) === 0x1f) {
    while (offset < r.length && (r[offset]! & 0x80) === 0x80) offset++;
    if (offset >= r.length)
      throw syntax('decoding BER identifier octets: high-tag-number form with early EOF');
    offset++;
  }
  if (offset >= r.length)
    throw syntax('decoding BER identifier octets: early EOF due to missing length and content octets');
  const identifier = r.subarray(0, offset);
  const l = r.subarray(offset);
  if (l.length < 1) throw syntax('decoding BER length octets: length octets is empty');
  const b = l[0]!;
  if (b < 0x80) {
    if (b > l.length - 1)
      throw syntax(
        'decoding BER length octets: short form length octets value should be less or equal to the subsequent octets length',
      );
    return { identifier, length: b, rest: l.subarray(1) };
  }
  if (b === 0x80) throw structural('decoding BER length octets: indefinite length not supported');
  const n = b & 0x7f;
  if (n > 4)
    throw structural(`decoding BER length octets: length of encoded data (${n} bytes) cannot exceed 4 bytes`);
  if (1 + n >= l.length) throw syntax('decoding BER length octets: long form length octets with early EOF');
  let length = 0;
  for (let i = 0; i < n; i++) length = length * 256 + l[1 + i]!;
  if (length >= 2 ** 31)
    throw structural(`decoding BER length octets: length ${length} does not fit the memory space of int32`);
  const rest = l.subarray(1 + n);
  if (length > rest.length)
    throw syntax(
      'decoding BER length octets: long form length octets value should be less or equal to the subsequent octets length',
    );
  return { identifier, length, rest };
}

function encodeNode(node: BerNode, out: number[]): void {
  const body: number[] = [];
  if (node.content) body.push(...node.content);
  else for (const m of node.members) encodeNode(m, body);
  out.push(...node.identifier, ...derLength(body.length), ...body);
}

/** ber.ConvertToDER (definite lengths only, re-encoded minimally). */
export function convertToDer(ber: Uint8Array): Uint8Array {
  if (ber.length === 0) throw syntax('BER-encoded ASN.1 data structures is empty');
  const top = decodeMetadata(ber);
  if (top.rest.length !== top.length)
    throw syntax(
      `decoding BER: length octets value ${top.length} does not match with content length ${top.rest.length}`,
    );
  const root: BerNode = { identifier: top.identifier, members: [], raw: top.rest };
  if ((top.identifier[0]! & 0x20) === 0) root.content = top.rest;
  else {
    const stack: BerNode[] = [root];
    while (stack.length > 0) {
      const node = stack[stack.length - 1]!;
      if (node.raw.length === 0) {
        stack.pop();
        continue;
      }
      const meta = decodeMetadata(node.raw);
      const content = meta.rest.subarray(0, meta.length);
      node.raw = meta.rest.subarray(meta.length);
      const child: BerNode = { identifier: meta.identifier, members: [], raw: content };
      node.members.push(child);
      if ((meta.identifier[0]! & 0x20) === 0) child.content = content;
      else stack.push(child);
    }
  }
  const out: number[] = [];
  encodeNode(root, out);
  return Uint8Array.from(out);
}

// --- tspclient-go CMS and token -----------------------------------------------------------------------

const OID_SIGNED_DATA = '1.2.840.113549.1.7.2';
const OID_TSTINFO = '1.2.840.113549.1.9.16.1.4';
const OID_CONTENT_TYPE = '1.2.840.113549.1.9.3';
const OID_MESSAGE_DIGEST = '1.2.840.113549.1.9.4';
const OID_SIGNING_TIME = '1.2.840.113549.1.9.5';
const OID_SIGNING_CERTIFICATE_V2 = '1.2.840.113549.1.9.16.2.47';
const OID_BASELINE_POLICY = '0.4.0.2023.1.1';

const HASH_BY_OID: Record<string, string> = {
  '1.3.14.3.2.26': 'sha1',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
};

/** tspclient oid.ToSignatureAlgorithm(digestAlgorithm, signatureAlgorithm). */
function toSignatureAlgorithm(digest: string, sig: string): SignatureAlgorithm {
  const h = HASH_BY_OID[digest];
  if (sig === '1.2.840.113549.1.1.1') {
    if (h === 'sha1') return 'SHA1-RSA';
    if (h === 'sha256') return 'SHA256-RSA';
    if (h === 'sha384') return 'SHA384-RSA';
    if (h === 'sha512') return 'SHA512-RSA';
    return 'Unknown';
  }
  const direct: Record<string, SignatureAlgorithm> = {
    '1.2.840.113549.1.1.5': 'SHA1-RSA',
    '1.2.840.113549.1.1.11': 'SHA256-RSA',
    '1.2.840.113549.1.1.12': 'SHA384-RSA',
    '1.2.840.113549.1.1.13': 'SHA512-RSA',
    '1.2.840.10045.4.1': 'ECDSA-SHA1',
    '1.2.840.10045.4.3.2': 'ECDSA-SHA256',
    '1.2.840.10045.4.3.3': 'ECDSA-SHA384',
    '1.2.840.10045.4.3.4': 'ECDSA-SHA512',
  };
  return direct[sig] ?? 'Unknown';
}

interface SignerInfoData {
  version: number;
  issuer: Uint8Array;
  serial: bigint;
  digestAlgorithm: string;
  signatureAlgorithm: string;
  signature: Uint8Array;
  /** The signed attributes as one DER SET, as Go re-marshals them; undefined when absent. */
  signedAttrs: Uint8Array | undefined;
  attributes: Map<string, Uint8Array>;
}

export interface SignedToken {
  content: Uint8Array;
  contentType: string;
  certificates: GoCertificate[];
  signerInfos: SignerInfoData[];
}

function buf(b: ArrayBuffer | ArrayBufferView): Uint8Array {
  return b instanceof ArrayBuffer ? new Uint8Array(b) : new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

function bigFromBytes(b: Uint8Array): bigint {
  return derInteger(b) ?? 0n;
}

/** The raw [0] IMPLICIT certificates of a SignedData (Go keeps them as a RawValue). */
function rawCertificates(signedDataDer: Uint8Array): Uint8Array {
  const seq = new Der(signedDataDer).read(TAG.SEQUENCE);
  if (!seq) return new Uint8Array(0);
  const d = new Der(seq.contents);
  d.read(TAG.INTEGER);
  d.read(TAG.SET);
  d.read(TAG.SEQUENCE);
  const certs = d.peekTag() === 0xa0 ? d.readAny() : undefined;
  return certs?.contents ?? new Uint8Array(0);
}

/** Each SignerInfo's [0] IMPLICIT signed attributes, re-tagged as the DER SET Go re-marshals. */
function rawSignedAttributes(signedDataDer: Uint8Array): (Uint8Array | undefined)[] {
  const seq = new Der(signedDataDer).read(TAG.SEQUENCE);
  if (!seq) return [];
  const d = new Der(seq.contents);
  d.read(TAG.INTEGER);
  d.read(TAG.SET);
  d.read(TAG.SEQUENCE);
  if (d.peekTag() === 0xa0) d.readAny();
  if (d.peekTag() === 0xa1) d.readAny();
  const infos = d.read(TAG.SET);
  if (!infos) return [];
  const out: (Uint8Array | undefined)[] = [];
  const list = new Der(infos.contents);
  while (!list.empty) {
    const si = list.read(TAG.SEQUENCE);
    if (!si) break;
    const f = new Der(si.contents);
    f.read(TAG.INTEGER);
    f.readAny();
    f.read(TAG.SEQUENCE);
    const attrs = f.peekTag() === 0xa0 ? f.readAny() : undefined;
    if (!attrs) {
      out.push(undefined);
      continue;
    }
    const set = Uint8Array.from(attrs.full);
    set[0] = TAG.SET;
    out.push(set);
  }
  return out;
}

/** ParseSignedToken. Throws tspclient's text. */
export function parseSignedToken(ber: Uint8Array): SignedToken {
  let der: Uint8Array;
  try {
    der = convertToDer(ber);
  } catch (err) {
    throw new Error(
      `cms: syntax error: invalid signed data: failed to convert from BER to DER: ${(err as Error).message}`,
    );
  }
  let contentInfo: ContentInfo;
  try {
    contentInfo = AsnConvert.parse(der, ContentInfo);
  } catch (err) {
    throw new Error(
      `cms: syntax error: invalid content info: failed to unmarshal DER to ContentInfo: ${(err as Error).message}`,
    );
  }
  if (contentInfo.contentType !== OID_SIGNED_DATA) throw new Error('cms: content type is not signed-data');
  const signedDer = buf(contentInfo.content);
  let signed: SignedData;
  try {
    signed = AsnConvert.parse(signedDer, SignedData);
  } catch (err) {
    throw new Error(`cms: syntax error: invalid signed data: ${(err as Error).message}`);
  }
  let certificates: GoCertificate[];
  try {
    certificates = parseCertificates(rawCertificates(signedDer));
  } catch (err) {
    throw new Error(
      `cms: syntax error: failed to parse X509 certificates from signed data: ${(err as Error).message}`,
    );
  }
  const rawAttrs = rawSignedAttributes(signedDer);
  const signerInfos: SignerInfoData[] = signed.signerInfos.map((si, i) => {
    const attributes = new Map<string, Uint8Array>();
    for (const a of si.signedAttrs ?? [])
      if (a.attrValues[0]) attributes.set(a.attrType, buf(a.attrValues[0]));
    const signedAttrs = si.signedAttrs ? rawAttrs[i] : undefined;
    const ias = si.sid.issuerAndSerialNumber;
    return {
      version: si.version,
      issuer: ias ? buf(AsnConvert.serialize(ias.issuer)) : new Uint8Array(0),
      serial: ias ? bigFromBytes(buf(ias.serialNumber)) : -1n,
      digestAlgorithm: si.digestAlgorithm.algorithm,
      signatureAlgorithm: si.signatureAlgorithm.algorithm,
      signature: buf(si.signature.buffer),
      signedAttrs,
      attributes,
    };
  });
  const contentType = signed.encapContentInfo.eContentType;
  const eContent = signed.encapContentInfo.eContent;
  const content = eContent?.single
    ? buf(eContent.single.buffer)
    : eContent?.any
      ? buf(eContent.any)
      : new Uint8Array(0);
  if (contentType !== OID_TSTINFO)
    throw new Error(`unexpected content type: ${contentType}. Expected to be id-ct-TSTInfo (${OID_TSTINFO})`);
  return { content, contentType, certificates, signerInfos };
}

export interface TstInfo {
  version: bigint;
  policy: string;
  hashAlgorithm: string;
  hashedMessage: Uint8Array;
  genTime: GoTime;
  /** Accuracy in nanoseconds. */
  accuracy: { seconds: number; millis: number; micros: number };
}

function parseGeneralizedTime(e: Element): GoTime {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:\.(\d{1,9}))?Z$/.exec(
    Buffer.from(e.contents).toString('latin1'),
  );
  if (!m) throw new Error('asn1: time did not serialize back to the original value and may be invalid');
  const ms = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
  const nsec = m[7] ? Number(m[7].padEnd(9, '0')) : 0;
  return { sec: Math.floor(ms / 1000), nsec, offset: 0, zone: 'UTC' };
}

/** Info(): the TSTInfo. Throws tspclient's text. */
export function tstInfo(token: SignedToken): TstInfo {
  const fail = (why: string): never => {
    throw new Error(`cannot unmarshal TSTInfo from timestamp token: asn1: structure error: ${why}`);
  };
  const seq = new Der(token.content).read(TAG.SEQUENCE);
  if (!seq) return fail("tags don't match");
  const d = new Der(seq.contents);
  const ver = d.read(TAG.INTEGER);
  const policy = d.read(TAG.OID);
  const imprint = d.read(TAG.SEQUENCE);
  const serial = d.read(TAG.INTEGER);
  const gen = d.read(TAG.GeneralizedTime);
  if (!ver || !policy || !imprint || !serial || !gen) return fail("tags don't match");
  const mi = new Der(imprint.contents);
  const alg = mi.read(TAG.SEQUENCE);
  const hashed = mi.read(TAG.OCTET_STRING);
  const algOid = alg ? new Der(alg.contents).read(TAG.OID) : undefined;
  if (!algOid || !hashed) return fail("tags don't match");
  const accuracy = { seconds: 0, millis: 0, micros: 0 };
  const acc = d.peekTag() === TAG.SEQUENCE ? d.read(TAG.SEQUENCE) : undefined;
  if (acc) {
    const a = new Der(acc.contents);
    const s = a.peekTag() === TAG.INTEGER ? a.read(TAG.INTEGER) : undefined;
    if (s) accuracy.seconds = Number(derInteger(s.contents) ?? 0n);
    const ms = a.peekTag() === 0x80 ? a.read(0x80) : undefined;
    if (ms) accuracy.millis = Number(derInteger(ms.contents) ?? 0n);
    const us = a.peekTag() === 0x81 ? a.read(0x81) : undefined;
    if (us) accuracy.micros = Number(derInteger(us.contents) ?? 0n);
  }
  return {
    version: derInteger(ver.contents) ?? 0n,
    policy: derOid(policy.contents) ?? '',
    hashAlgorithm: derOid(algOid.contents) ?? '',
    hashedMessage: hashed.contents,
    genTime: parseGeneralizedTime(gen),
    accuracy,
  };
}

export interface Timestamp {
  value: GoTime;
  /** Nanoseconds. */
  accuracy: number;
}

/** TSTInfo.Validate(message). Throws tspclient's text. */
export function validateTstInfo(info: TstInfo, message: Uint8Array): Timestamp {
  if (info.version !== 1n)
    throw new Error(`invalid TSTInfo: timestamp token info version must be 1, but got ${info.version}`);
  const hash = HASH_BY_OID[info.hashAlgorithm];
  if (!hash) throw new Error(`invalid TSTInfo: unrecognized hash algorithm: ${info.hashAlgorithm}`);
  const digest = createHash(hash).update(message).digest();
  if (!bytesEqual(new Uint8Array(digest), info.hashedMessage))
    throw new Error('invalid TSTInfo: mismatched message');
  const { seconds, millis, micros } = info.accuracy;
  const accuracy =
    seconds === 0 && millis === 0 && micros === 0 && info.policy === OID_BASELINE_POLICY
      ? 1e9
      : seconds * 1e9 + millis * 1e6 + micros * 1e3;
  return { value: info.genTime, accuracy };
}

export function boundedAfter(t: Timestamp, u: GoTime): boolean {
  const lower = addNanos(t.value, -t.accuracy);
  return after(lower, u) || equal(lower, u);
}

export function boundedBefore(t: Timestamp, u: GoTime): boolean {
  const upper = addNanos(t.value, t.accuracy);
  return before(upper, u) || equal(upper, u);
}

export function formatTimestamp(t: Timestamp): string {
  return `[${formatRFC3339(addNanos(t.value, -t.accuracy))}, ${formatRFC3339(addNanos(t.value, t.accuracy))}]`;
}

/** The SigningCertificateV2 attribute's first ESSCertIDv2. */
function essCertId(value: Uint8Array): {
  hash: string;
  certHash: Uint8Array;
  issuer?: Uint8Array | undefined;
  serial?: bigint | undefined;
} {
  const seq = new Der(value).read(TAG.SEQUENCE);
  const certs = seq ? new Der(seq.contents).read(TAG.SEQUENCE) : undefined;
  if (!certs)
    throw new Error('failed to get SigningCertificateV2 from signed attributes: asn1: structure error');
  const first = new Der(certs.contents).read(TAG.SEQUENCE);
  if (!first) throw new Error('signingCertificateV2 does not contain any certificate');
  const d = new Der(first.contents);
  let hash = 'sha256';
  if (d.peekTag() === TAG.SEQUENCE) {
    const alg = d.read(TAG.SEQUENCE)!;
    const oid = new Der(alg.contents).read(TAG.OID);
    const h = oid ? HASH_BY_OID[derOid(oid.contents) ?? ''] : undefined;
    if (!h) throw new Error('unsupported certificate hash algorithm in SigningCertificateV2 attribute');
    hash = h;
  }
  const certHash = d.read(TAG.OCTET_STRING);
  if (!certHash)
    throw new Error('failed to get SigningCertificateV2 from signed attributes: asn1: structure error');
  const issuerSerial = d.peekTag() === TAG.SEQUENCE ? d.read(TAG.SEQUENCE) : undefined;
  if (!issuerSerial) return { hash, certHash: certHash.contents };
  const is = new Der(issuerSerial.contents);
  const generalNames = is.read(TAG.SEQUENCE);
  const serial = is.read(TAG.INTEGER);
  // GeneralNames: the first name, a [4] directoryName holding the issuer's Name.
  const dn = generalNames ? new Der(generalNames.contents).readAny() : undefined;
  const name = dn && dn.tag === 0xa4 ? new Der(dn.contents).read(TAG.SEQUENCE) : undefined;
  if (!name) throw new Error('issuer name is missing in IssuerSerial');
  return {
    hash,
    certHash: certHash.contents,
    issuer: name.full,
    serial: serial ? derInteger(serial.contents) : undefined,
  };
}

function getCertificate(token: SignedToken, issuer: Uint8Array, serial: bigint): GoCertificate | undefined {
  return token.certificates.find((c) => bytesEqual(c.rawIssuer, issuer) && c.serialNumber === serial);
}

function signingCertificate(token: SignedToken, si: SignerInfoData): GoCertificate {
  const attr = si.attributes.get(OID_SIGNING_CERTIFICATE_V2);
  if (!attr)
    throw new Error('failed to get SigningCertificateV2 from signed attributes: attribute not found');
  const id = essCertId(attr);
  const candidate =
    id.serial !== undefined && id.issuer
      ? getCertificate(token, id.issuer, id.serial)
      : getCertificate(token, si.issuer, si.serial);
  if (!candidate) throw new Error('signing certificate not found in the timestamp token');
  const digest = createHash(id.hash).update(candidate.raw).digest();
  if (!bytesEqual(new Uint8Array(digest), id.certHash))
    throw new Error('signing certificate hash does not match CertHash in signed attribute');
  return candidate;
}

/** ParsedSignedData.verify for one signer: the chain, or tspclient's text. */
function verifySigner(
  token: SignedToken,
  si: SignerInfoData,
  cert: GoCertificate,
  currentTime: GoTime,
  roots: GoCertificate[],
): GoCertificate[] {
  if (si.version !== 1)
    throw new Error(
      `cms verification failure: invalid signer info version: only version 1 is supported; got ${si.version}`,
    );
  const chains = goVerify(cert, {
    currentTime,
    roots,
    intermediates: token.certificates,
    keyUsages: ['TimeStamping'],
  });
  if ('error' in chains) throw new Error(`cms verification failure: ${chains.error}`);
  const algorithm = toSignatureAlgorithm(si.digestAlgorithm, si.signatureAlgorithm);
  if (algorithm === 'Unknown') throw new Error('cms verification failure: unknown signature algorithm');
  const signed = si.signedAttrs ?? token.content;
  const sigErr = checkSignature(algorithm, signed, si.signature, cert.publicKey, true);
  if (sigErr !== undefined) throw new Error(`cms verification failure: ${sigErr}`);
  if (!si.signedAttrs) throw new Error('cms verification failure: missing signed attributes');
  const ct = si.attributes.get(OID_CONTENT_TYPE);
  const ctEl = ct ? new Der(ct).read(TAG.OID) : undefined;
  const contentType = ctEl ? derOid(ctEl.contents) : undefined;
  if (!contentType) throw new Error('cms verification failure: invalid content type: attribute not found');
  if (contentType !== token.contentType)
    throw new Error(
      `cms verification failure: mismatch content type: found "${contentType}" in signer info, and "${token.contentType}" in signed data`,
    );
  const md = si.attributes.get(OID_MESSAGE_DIGEST);
  const mdEl = md ? new Der(md).read(TAG.OCTET_STRING) : undefined;
  if (!mdEl) throw new Error('cms verification failure: invalid message digest: attribute not found');
  const hash = HASH_BY_OID[si.digestAlgorithm];
  if (!hash) throw new Error('cms verification failure: unsupported digest algorithm');
  const actual = createHash(hash).update(token.content).digest();
  if (!bytesEqual(new Uint8Array(actual), mdEl.contents))
    throw new Error('cms verification failure: mismatch message digest');
  const st = si.attributes.get(OID_SIGNING_TIME);
  if (st) {
    const el = new Der(st).readAny();
    let when: GoTime | undefined;
    if (el && (el.tag === TAG.UTCTime || el.tag === TAG.GeneralizedTime)) {
      const text = Buffer.from(el.contents).toString('latin1');
      const full = el.tag === TAG.UTCTime ? (Number(text.slice(0, 2)) < 50 ? '20' : '19') + text : text;
      const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(full);
      if (m) {
        const ms = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
        when = { sec: ms / 1000, nsec: 0, offset: 0, zone: 'UTC' };
      }
    }
    if (!when) throw new Error('cms verification failure: invalid signing time');
    const inside = chains.some((chain) =>
      chain.every((c) => !before(when!, c.notBefore) && !after(when!, c.notAfter)),
    );
    if (!inside)
      throw new Error("cms verification failure: signing time is outside certificate's validity period");
  }
  return chains[0]!;
}

/** SignedToken.Verify: the TSA chain (leaf first), or tspclient's text. */
export function verifySignedToken(
  token: SignedToken,
  currentTime: GoTime,
  roots: GoCertificate[],
): GoCertificate[] {
  if (token.signerInfos.length === 0) throw new Error('failed to verify signed token: signerInfo not found');
  let lastErr = '';
  for (const si of token.signerInfos) {
    let cert: GoCertificate;
    let chain: GoCertificate[];
    try {
      cert = signingCertificate(token, si);
      chain = verifySigner(token, si, cert, currentTime, roots);
    } catch (err) {
      lastErr = `failed to verify signed token: ${(err as Error).message}`;
      continue;
    }
    const eku = cert.extensions.find((e) => e.id === '2.5.29.37');
    if (
      cert.extKeyUsage.length === 1 &&
      cert.extKeyUsage[0] === 'TimeStamping' &&
      cert.unknownExtKeyUsage.length === 0
    ) {
      if (eku?.critical) return chain;
      lastErr =
        'failed to verify signed token: signing certificate extended key usage extension must be set as critical';
    } else
      lastErr =
        'failed to verify signed token: signing certificate must have and only have ExtKeyUsageTimeStamping as extended key usage';
  }
  throw new Error(lastErr);
}
