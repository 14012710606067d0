/**
 * Test vectors for signature verification, made with Node's crypto: X.509 certificates (DER built
 * here, signed by Node), notation JWS and COSE envelopes (COSE encoded with cbor2), signature
 * manifests and trust stores. Dates are far from today (2000 … 2099, or long past) so results do
 * not drift with the clock.
 */
import { createHash, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { encode, Tag } from 'cbor2';
import { concatBytes, derElement } from '../src/verifiers/signatures/der.ts';
import type { Referrer, TrustStoreSnapshot } from '../src/verifiers/signatures/index.ts';

const SEQ = 0x30;
const enc = new TextEncoder();

export function oid(dotted: string): Uint8Array {
  const parts = dotted.split('.').map(BigInt);
  const arcs = [parts[0]! * 40n + parts[1]!, ...parts.slice(2)];
  const out: number[] = [];
  for (const arc of arcs) {
    const bytes: number[] = [Number(arc & 0x7fn)];
    let v = arc >> 7n;
    while (v > 0n) {
      bytes.unshift(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    out.push(...bytes);
  }
  return derElement(0x06, Uint8Array.from(out));
}

const seq = (...items: Uint8Array[]) => derElement(SEQ, concatBytes(items));
const set = (...items: Uint8Array[]) => derElement(0x31, concatBytes(items));
const int = (n: bigint): Uint8Array => {
  let hex = n.toString(16);
  if (hex.length % 2) hex = '0' + hex;
  let bytes: Uint8Array = Uint8Array.from(Buffer.from(hex, 'hex'));
  if (bytes[0]! & 0x80) bytes = concatBytes([Uint8Array.of(0), bytes]);
  return derElement(0x02, bytes);
};
const bool = (b: boolean) => derElement(0x01, Uint8Array.of(b ? 0xff : 0));
const octets = (b: Uint8Array) => derElement(0x04, b);
const bits = (b: Uint8Array, unused = 0) => derElement(0x03, concatBytes([Uint8Array.of(unused), b]));

const NAME_OIDS: Record<string, string> = {
  C: '2.5.4.6',
  ST: '2.5.4.8',
  L: '2.5.4.7',
  O: '2.5.4.10',
  OU: '2.5.4.11',
  CN: '2.5.4.3',
};

/** A Name from [type, value] pairs, most general first (C first), one attribute per RDN. */
export function name(attrs: [string, string][]): Uint8Array {
  return seq(
    ...attrs.map(([t, v]) => {
      const printable = /^[A-Za-z0-9 '()+,\-./:=?]*$/.test(v);
      return set(seq(oid(NAME_OIDS[t]!), derElement(printable ? 0x13 : 0x0c, enc.encode(v))));
    }),
  );
}

function time(date: string): Uint8Array {
  const d = new Date(date);
  const pad = (n: number) => String(n).padStart(2, '0');
  const body = `${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}Z`;
  const y = d.getUTCFullYear();
  return y >= 1950 && y < 2050
    ? derElement(0x17, enc.encode(String(y % 100).padStart(2, '0') + body))
    : derElement(0x18, enc.encode(`${y}${body}`));
}

/** KeyUsage bits as Go numbers them (digitalSignature = 1, keyCertSign = 32, cRLSign = 64). */
function keyUsage(mask: number): Uint8Array {
  const bitsArr: number[] = [];
  for (let i = 0; i < 9; i++) if (mask & (1 << i)) bitsArr.push(i);
  const last = Math.max(...bitsArr);
  const len = Math.floor(last / 8) + 1;
  const out = new Uint8Array(len);
  for (const b of bitsArr) out[b >> 3]! |= 0x80 >> (b & 7);
  return bits(out, len * 8 - 1 - last);
}

export type KeySpec = 'rsa2048' | 'rsa3072' | 'rsa4096' | 'rsa1024' | 'p256' | 'p384' | 'p521';

const keyCache = new Map<string, { privateKey: KeyObject; publicKey: KeyObject }>();

/** A key pair (cached per label, so a test file pays for each key once). */
export function key(spec: KeySpec, label = ''): { privateKey: KeyObject; publicKey: KeyObject } {
  const id = `${spec}/${label}`;
  let pair = keyCache.get(id);
  if (!pair) {
    pair = spec.startsWith('rsa')
      ? generateKeyPairSync('rsa', { modulusLength: Number(spec.slice(3)) })
      : generateKeyPairSync('ec', {
          namedCurve: { p256: 'P-256', p384: 'P-384', p521: 'P-521' }[spec as 'p256']!,
        });
    keyCache.set(id, pair);
  }
  return pair;
}

export interface CertOptions {
  subject: [string, string][];
  issuer?: [string, string][];
  key: { publicKey: KeyObject };
  signer: KeyObject;
  notBefore?: string;
  notAfter?: string;
  ca?: boolean;
  pathLen?: number;
  keyUsage?: number;
  keyUsageCritical?: boolean;
  eku?: string[];
  crl?: string;
  serial?: bigint;
}

let serial = 1000n;

/** A certificate, DER. */
export function certificate(o: CertOptions): Uint8Array {
  const signerType = o.signer.asymmetricKeyType;
  const hash =
    signerType === 'ec'
      ? ({ prime256v1: 'sha256', secp384r1: 'sha384', secp521r1: 'sha512' } as Record<string, string>)[
          o.signer.asymmetricKeyDetails!.namedCurve!
        ]!
      : 'sha256';
  const alg =
    signerType === 'ec'
      ? seq(
          oid(
            { sha256: '1.2.840.10045.4.3.2', sha384: '1.2.840.10045.4.3.3', sha512: '1.2.840.10045.4.3.4' }[
              hash
            ]!,
          ),
        )
      : seq(oid('1.2.840.113549.1.1.11'), derElement(0x05, new Uint8Array(0)));
  const exts: Uint8Array[] = [];
  if (o.keyUsage !== undefined)
    exts.push(
      seq(
        oid('2.5.29.15'),
        ...(o.keyUsageCritical === false ? [] : [bool(true)]),
        octets(keyUsage(o.keyUsage)),
      ),
    );
  if (o.ca !== undefined)
    exts.push(
      seq(
        oid('2.5.29.19'),
        bool(true),
        octets(
          seq(...(o.ca ? [bool(true)] : []), ...(o.pathLen !== undefined ? [int(BigInt(o.pathLen))] : [])),
        ),
      ),
    );
  if (o.eku) exts.push(seq(oid('2.5.29.37'), octets(seq(...o.eku.map(oid)))));
  if (o.crl)
    exts.push(
      seq(
        oid('2.5.29.31'),
        octets(seq(seq(derElement(0xa0, derElement(0xa0, derElement(0x86, enc.encode(o.crl))))))),
      ),
    );
  const tbs = seq(
    derElement(0xa0, int(2n)),
    int(o.serial ?? serial++),
    alg,
    name(o.issuer ?? o.subject),
    seq(time(o.notBefore ?? '2000-01-01T00:00:00Z'), time(o.notAfter ?? '2099-12-31T00:00:00Z')),
    name(o.subject),
    new Uint8Array(o.key.publicKey.export({ type: 'spki', format: 'der' })),
    ...(exts.length > 0 ? [derElement(0xa3, seq(...exts))] : []),
  );
  const signature = sign(hash, tbs, o.signer);
  return seq(tbs, alg, bits(new Uint8Array(signature)));
}

export function pem(der: Uint8Array): string {
  const b64 = Buffer.from(der).toString('base64').replace(/.{64}/g, '$&\n');
  return `-----BEGIN CERTIFICATE-----\n${b64}${b64.endsWith('\n') ? '' : '\n'}-----END CERTIFICATE-----\n`;
}

export const KU_LEAF = 1;
export const KU_CA = 32 | 64;
export const EKU_CODE_SIGNING = '1.3.6.1.5.5.7.3.3';

/** A CA chain ending at a self-signed root: [leaf, …intermediates, root] DER, and the leaf key. */
export function chain(
  leafSpec: KeySpec,
  length: number,
  label: string,
  leaf: Partial<CertOptions> = {},
): { certs: Uint8Array[]; leafKey: KeyObject } {
  const rootKey = key('p256', `${label}/root`);
  const rootName: [string, string][] = [
    ['C', 'US'],
    ['ST', 'WA'],
    ['O', 'Civctl Test'],
    ['CN', `${label} Root CA`],
  ];
  const root = certificate({
    subject: rootName,
    key: rootKey,
    signer: rootKey.privateKey,
    ca: true,
    keyUsage: KU_CA,
  });
  const certs = [root];
  let issuerName = rootName;
  let issuerKey = rootKey;
  for (let i = 1; i < length - 1; i++) {
    const k = key('p256', `${label}/int${i}`);
    const n: [string, string][] = [
      ['C', 'US'],
      ['ST', 'WA'],
      ['O', 'Civctl Test'],
      ['CN', `${label} Intermediate ${i}`],
    ];
    certs.unshift(
      certificate({
        subject: n,
        issuer: issuerName,
        key: k,
        signer: issuerKey.privateKey,
        ca: true,
        keyUsage: KU_CA,
      }),
    );
    issuerName = n;
    issuerKey = k;
  }
  const leafKey = key(leafSpec, `${label}/leaf`);
  const leafName: [string, string][] = [
    ['C', 'US'],
    ['ST', 'WA'],
    ['L', 'Seattle'],
    ['O', 'Civctl Test'],
    ['CN', `${label} signer`],
  ];
  if (length === 1) {
    const self = certificate({
      subject: leafName,
      key: leafKey,
      signer: leafKey.privateKey,
      keyUsage: KU_LEAF,
      eku: [EKU_CODE_SIGNING],
      ...leaf,
    });
    return { certs: [self], leafKey: leafKey.privateKey };
  }
  certs.unshift(
    certificate({
      subject: leafName,
      issuer: issuerName,
      key: leafKey,
      signer: issuerKey.privateKey,
      keyUsage: KU_LEAF,
      eku: [EKU_CODE_SIGNING],
      ...leaf,
    }),
  );
  return { certs, leafKey: leafKey.privateKey };
}

export interface Image {
  mediaType: string;
  digest: string;
  size: number;
}

export function sha256(b: Uint8Array): string {
  return 'sha256:' + createHash('sha256').update(b).digest('hex');
}

export interface EnvelopeOptions {
  scheme?: 'notary.x509' | 'notary.x509.signingAuthority';
  signingTime?: string;
  expiry?: string;
  alg?: string;
  target?: Image;
  /** RSA-PSS salt length; the hash length unless set. */
  saltLength?: number;
  extraProtected?: Record<string, unknown>;
  crit?: string[];
  tamperPayload?: boolean;
}

const b64url = (b: Uint8Array | string) => Buffer.from(b).toString('base64url');

function algFor(k: KeyObject): string {
  if (k.asymmetricKeyType === 'rsa')
    return { 2048: 'PS256', 3072: 'PS384', 4096: 'PS512' }[k.asymmetricKeyDetails!.modulusLength!] ?? 'PS256';
  return { prime256v1: 'ES256', secp384r1: 'ES384', secp521r1: 'ES512' }[
    k.asymmetricKeyDetails!.namedCurve!
  ]!;
}

function signWith(alg: string, data: Uint8Array, k: KeyObject, saltLength?: number): Uint8Array {
  const hash = `sha${alg.slice(2)}`;
  if (alg.startsWith('PS'))
    return new Uint8Array(
      sign(hash, data, { key: k, padding: 6, saltLength: saltLength ?? Number(alg.slice(2)) / 8 }),
    );
  return new Uint8Array(sign(hash, data, { key: k, dsaEncoding: 'ieee-p1363' }));
}

const payloadOf = (target: Image) => enc.encode(JSON.stringify({ targetArtifact: target }));

/** A notation JWS envelope (JSON flattened serialization). */
export function jws(
  certs: Uint8Array[],
  leafKey: KeyObject,
  target: Image,
  o: EnvelopeOptions = {},
): Uint8Array {
  const scheme = o.scheme ?? 'notary.x509';
  const timeKey =
    scheme === 'notary.x509' ? 'io.cncf.notary.signingTime' : 'io.cncf.notary.authenticSigningTime';
  const crit = o.crit ?? [
    'io.cncf.notary.signingScheme',
    ...(scheme === 'notary.x509' ? [] : [timeKey]),
    ...(o.expiry ? ['io.cncf.notary.expiry'] : []),
  ];
  const alg = o.alg ?? algFor(leafKey);
  const header = {
    alg,
    crit,
    cty: 'application/vnd.cncf.notary.payload.v1+json',
    'io.cncf.notary.signingScheme': scheme,
    [timeKey]: o.signingTime ?? '2021-01-01T00:00:00Z',
    ...(o.expiry ? { 'io.cncf.notary.expiry': o.expiry } : {}),
    ...o.extraProtected,
  };
  const protectedB64 = b64url(JSON.stringify(header));
  const payload = payloadOf(o.target ?? target);
  const payloadB64 = b64url(payload);
  const signature = signWith(alg, enc.encode(`${protectedB64}.${payloadB64}`), leafKey, o.saltLength);
  const signedPayload = o.tamperPayload
    ? b64url(payloadOf({ ...target, size: target.size + 1 }))
    : payloadB64;
  return enc.encode(
    JSON.stringify({
      payload: signedPayload,
      protected: protectedB64,
      header: {
        x5c: certs.map((c) => Buffer.from(c).toString('base64')),
        'io.cncf.notary.signingAgent': 'civctl-test/1',
      },
      signature: b64url(signature),
    }),
  );
}

const COSE_ALGS: Record<string, number> = {
  PS256: -37,
  PS384: -38,
  PS512: -39,
  ES256: -7,
  ES384: -35,
  ES512: -36,
};

/** A notation COSE_Sign1_Tagged envelope. */
export function cose(
  certs: Uint8Array[],
  leafKey: KeyObject,
  target: Image,
  o: EnvelopeOptions = {},
): Uint8Array {
  const scheme = o.scheme ?? 'notary.x509';
  const timeKey =
    scheme === 'notary.x509' ? 'io.cncf.notary.signingTime' : 'io.cncf.notary.authenticSigningTime';
  const alg = o.alg ?? algFor(leafKey);
  const epoch = (s: string) => Math.floor(new Date(s).getTime() / 1000);
  const crit = o.crit ?? [
    'io.cncf.notary.signingScheme',
    ...(scheme === 'notary.x509' ? [] : [timeKey]),
    ...(o.expiry ? ['io.cncf.notary.expiry'] : []),
  ];
  const prot = new Map<unknown, unknown>([
    [1, COSE_ALGS[alg]],
    [2, crit],
    [3, 'application/vnd.cncf.notary.payload.v1+json'],
    ['io.cncf.notary.signingScheme', scheme],
    [timeKey, new Tag(1, epoch(o.signingTime ?? '2021-01-01T00:00:00Z'))],
  ]);
  if (o.expiry) prot.set('io.cncf.notary.expiry', new Tag(1, epoch(o.expiry)));
  for (const [k, v] of Object.entries(o.extraProtected ?? {})) prot.set(k, v);
  const protectedBytes = encode(prot);
  const payload = payloadOf(o.target ?? target);
  const toBeSigned = encode(['Signature1', protectedBytes, new Uint8Array(0), payload]);
  const signature = signWith(alg, toBeSigned, leafKey, o.saltLength);
  const unprotected = new Map<unknown, unknown>([
    [33, certs],
    ['io.cncf.notary.signingAgent', 'civctl-test/1'],
  ]);
  const sent = o.tamperPayload ? payloadOf({ ...target, size: target.size + 1 }) : payload;
  return encode(new Tag(18, [protectedBytes, unprotected, sent, signature]));
}

/** The registry side of an image signed with these envelopes. */
export function registry(image: Image, envelopes: { mediaType: string; bytes: Uint8Array }[]) {
  const blobs = new Map<string, Uint8Array>();
  const referrers: Referrer[] = [];
  for (const e of envelopes) {
    const layerDigest = sha256(e.bytes);
    blobs.set(layerDigest, e.bytes);
    const manifest = enc.encode(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        artifactType: 'application/vnd.cncf.notary.signature',
        config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: sha256(enc.encode('{}')), size: 2 },
        layers: [{ mediaType: e.mediaType, digest: layerDigest, size: e.bytes.length }],
        subject: image,
      }),
    );
    const digest = sha256(manifest);
    blobs.set(digest, manifest);
    referrers.push({
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      digest,
      size: manifest.length,
      artifactType: 'application/vnd.cncf.notary.signature',
    });
  }
  return { referrers, fetch: (d: string) => blobs.get(d) };
}

/** A trust store with files per `<type>/<name>`. */
export function trustStore(
  stores: Record<string, Record<string, Uint8Array | string | 'dir'>>,
): TrustStoreSnapshot {
  const map: TrustStoreSnapshot['stores'] = new Map();
  for (const [key, files] of Object.entries(stores)) {
    map.set(key, {
      kind: 'directory',
      entries: Object.entries(files).map(([n, content]) =>
        content === 'dir'
          ? { name: n, kind: 'directory' as const }
          : {
              name: n,
              kind: 'file' as const,
              bytes: typeof content === 'string' ? enc.encode(content) : content,
            },
      ),
    });
  }
  return { configDir: '/etc/containerd/image-verifiers/notation', stores: map };
}
