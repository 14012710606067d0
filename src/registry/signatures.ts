/**
 * An image's notation signatures, found as the notation CLI finds them (notation-go
 * registry/repository.go with oras-go): the OCI referrers API, and when the registry lacks it the
 * referrers tag schema (`sha256-<hex>`). Each signature's envelope (JWS or COSE) is read for its
 * signing certificate's subject and issuer. Informational: no signature is verified here.
 */
import type { RegistryClient } from './client.ts';
import { RegistryError } from './errors.ts';
import { OCI_INDEX, OCI_MANIFEST } from './oci.ts';
import type { ImageReference } from './reference.ts';
import { parseDistinguishedName } from '../policy/notation/dn.ts';
import { contentTypeOf, errorCodeOf, headerOf, jsonOf } from './response.ts';

export const SIGNATURE_ARTIFACT_TYPE = 'application/vnd.cncf.notary.signature';
/** Pages of a referrers list civctl follows (oras-go has no limit; a loop must end). */
const MAX_REFERRER_PAGES = 1000;
/** notation-go looks at most this many signatures. */
const MAX_SIGNATURES = 100;

export interface SignatureInfo {
  digest: string;
  envelope: 'jws' | 'cose' | 'unknown';
  /** The signing certificate's subject and issuer as Go prints a pkix.Name (most specific first). */
  subject?: string;
  issuer?: string;
  /** The subject's attributes (S normalised to ST), for matching trusted identities. */
  subjectAttributes?: Map<string, string>;
}

export interface ManifestDescriptor {
  mediaType?: string;
  digest?: string;
  size?: number;
  artifactType?: string;
}

/** The referrer descriptors of `ref` (whose digest is set). */
export async function referrers(client: RegistryClient, ref: ImageReference): Promise<ManifestDescriptor[]> {
  const digest = ref.digest!;
  const api = await client.request(
    ref,
    'GET',
    `/v2/${ref.path}/referrers/${digest}?artifactType=${encodeURIComponent(SIGNATURE_ARTIFACT_TYPE)}`,
    { accept: OCI_INDEX },
  );
  if (api.status === 200 && contentTypeOf(api) === OCI_INDEX) {
    // oras-go follows the Link header's next page (`<url>; rel="next"`, resolved against the
    // request's URL) until there is none; a registry may answer one referrer a page.
    const found: ManifestDescriptor[] = [];
    let page = api;
    for (let pages = 1; ; pages++) {
      found.push(...((jsonOf(page) as { manifests?: ManifestDescriptor[] })?.manifests ?? []));
      const link = headerOf(page, 'link');
      if (link === undefined || link === '') return found;
      const end = link.indexOf('>');
      if (!link.startsWith('<') || end < 0)
        throw new RegistryError('protocol', `invalid next link ${JSON.stringify(link)}: missing '<' or '>'`);
      if (pages >= MAX_REFERRER_PAGES)
        throw new RegistryError(
          'protocol',
          `the referrers of ${ref.path}@${digest} run past ${MAX_REFERRER_PAGES} pages`,
        );
      const next = new URL(link.slice(1, end), page.url).toString();
      page = await client.request(ref, 'GET', next, { accept: OCI_INDEX });
      if (page.status !== 200)
        throw new RegistryError(
          'server',
          `GET referrers of ${ref.path}@${digest}: response status code ${page.status}`,
        );
    }
  }
  const fallBack = (api.status === 404 && errorCodeOf(api) !== 'NAME_UNKNOWN') || api.status === 200;
  if (!fallBack)
    throw new RegistryError(
      'server',
      `GET referrers of ${ref.path}@${digest}: response status code ${api.status}`,
    );
  // The referrers tag schema: an index tagged <algorithm>-<hex>, at most 128 characters.
  const tag = digest.replace(':', '-');
  if (tag.length > 128) throw new RegistryError('protocol', `invalid reference: invalid tag "${tag}"`);
  const tagged = await client.request(ref, 'GET', `/v2/${ref.path}/manifests/${tag}`, { accept: OCI_INDEX });
  if (tagged.status === 404) return [];
  if (tagged.status !== 200)
    throw new RegistryError('server', `GET ${ref.path}:${tag}: response status code ${tagged.status}`);
  return (jsonOf(tagged) as { manifests?: ManifestDescriptor[] })?.manifests ?? [];
}

/** A signing certificate's subject and issuer as notation prints them (Go's pkix.Name strings). */
export type CertificateNames = (der: Uint8Array) => { subjectString: string; issuerString: string };

/**
 * The notation signatures of an image, with what their certificates say; `names` reads a
 * certificate (the signature engine's x509.ts, handed down by verifiers/ so that registry/ does
 * not reach up to it).
 */
export async function findSignatures(
  client: RegistryClient,
  ref: ImageReference,
  names: CertificateNames,
): Promise<SignatureInfo[]> {
  const found = (await referrers(client, ref)).filter(
    (d) => d.artifactType === SIGNATURE_ARTIFACT_TYPE && typeof d.digest === 'string',
  );
  const out: SignatureInfo[] = [];
  for (const descriptor of found.slice(0, MAX_SIGNATURES)) {
    const info: SignatureInfo = { digest: descriptor.digest!, envelope: 'unknown' };
    out.push(info);
    const manifest = await client.request(ref, 'GET', `/v2/${ref.path}/manifests/${descriptor.digest}`, {
      accept: OCI_MANIFEST,
    });
    const layer = (jsonOf(manifest) as { layers?: { mediaType?: string; digest?: string }[] } | undefined)
      ?.layers?.[0];
    if (manifest.status !== 200 || !layer?.digest) continue;
    info.envelope =
      layer.mediaType === 'application/jose+json'
        ? 'jws'
        : layer.mediaType === 'application/cose'
          ? 'cose'
          : 'unknown';
    const blob = await client.request(ref, 'GET', `/v2/${ref.path}/blobs/${layer.digest}`);
    if (blob.status !== 200) continue;
    const certificate =
      info.envelope === 'jws'
        ? jwsCertificate(blob.body)
        : info.envelope === 'cose'
          ? coseCertificate(blob.body)
          : undefined;
    if (!certificate) continue;
    // The names as notation sees them: Go's pkix.Name strings (the signature engine's x509.ts;
    // Node's X509Certificate prints OpenSSL's order and escaping), the subject parsed by
    // notation's DN rules for the identity match.
    let cert: ReturnType<CertificateNames>;
    try {
      cert = names(certificate);
    } catch {
      continue; // not a certificate: subject and issuer stay unknown
    }
    info.subject = cert.subjectString;
    info.issuer = cert.issuerString;
    try {
      info.subjectAttributes = parseDistinguishedName(cert.subjectString);
    } catch {
      // a subject notation cannot parse matches no identity: trustedIdentity stays unknown
    }
  }
  return out;
}

/** The signing certificate (DER) of a JWS envelope: the first entry of the header's x5c. */
function jwsCertificate(body: Uint8Array): Buffer | undefined {
  try {
    const envelope = JSON.parse(Buffer.from(body).toString('utf8')) as { header?: { x5c?: string[] } };
    const first = envelope.header?.x5c?.[0];
    return typeof first === 'string' ? Buffer.from(first, 'base64') : undefined;
  } catch {
    return undefined;
  }
}

/** The signing certificate (DER) of a COSE_Sign1 envelope: x5chain (label 33), first entry. */
function coseCertificate(body: Uint8Array): Buffer | undefined {
  try {
    let value = decodeCbor(body);
    if (value instanceof Tagged) value = value.value;
    if (!Array.isArray(value) || !(value[1] instanceof Map)) return undefined;
    const chain = value[1].get(33);
    const first = Array.isArray(chain) ? chain[0] : chain;
    return first instanceof Uint8Array ? Buffer.from(first) : undefined;
  } catch {
    return undefined;
  }
}

class Tagged {
  constructor(
    readonly tag: number,
    readonly value: unknown,
  ) {}
}

/** A small CBOR reader (RFC 8949) for what COSE envelopes hold: integers, strings, arrays, maps, tags. */
function decodeCbor(bytes: Uint8Array): unknown {
  let i = 0;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const take = (n: number): number => {
    const at = i;
    i += n;
    if (i > bytes.length) throw new Error('malformed CBOR');
    return at;
  };
  const length = (info: number): number => {
    if (info < 24) return info;
    if (info === 24) return bytes[take(1)]!;
    if (info === 25) return view.getUint16(take(2));
    if (info === 26) return view.getUint32(take(4));
    if (info === 27) return Number(view.getBigUint64(take(8)));
    throw new Error('indefinite lengths are not read');
  };
  const item = (depth: number): unknown => {
    if (depth > 64 || i >= bytes.length) throw new Error('malformed CBOR');
    const initial = bytes[i++]!;
    const major = initial >> 5;
    const info = initial & 31;
    switch (major) {
      case 0:
        return length(info);
      case 1:
        return -1 - length(info);
      case 2: {
        const n = length(info);
        const at = take(n);
        return bytes.subarray(at, at + n);
      }
      case 3: {
        const n = length(info);
        const at = take(n);
        return Buffer.from(bytes.subarray(at, at + n)).toString('utf8');
      }
      case 4:
        return Array.from({ length: length(info) }, () => item(depth + 1));
      case 5: {
        const map = new Map<unknown, unknown>();
        for (let n = length(info); n > 0; n--) map.set(item(depth + 1), item(depth + 1));
        return map;
      }
      case 6:
        return new Tagged(length(info), item(depth + 1));
      default:
        if (info === 20) return false;
        if (info === 21) return true;
        if (info === 22) return null;
        throw new Error('unsupported CBOR item');
    }
  };
  return item(0);
}
