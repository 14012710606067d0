/**
 * An image's notation signatures fetched ahead of verification: the referrers notation lists (OCI
 * referrers API, then the referrers tag schema), each signature manifest and its envelope blob.
 * The signature engine's fetch is synchronous (it is pure), so everything it may read is read
 * here first, bounded as notation bounds it (100 signatures, 4 MiB manifests, 32 MiB blobs).
 */
import { createHash } from 'node:crypto';
import type { RegistryClient } from './client.ts';
import { CivError, InterruptedError } from '../errors.ts';
import type { ImageReference } from './reference.ts';
import { referrers, SIGNATURE_ARTIFACT_TYPE } from './signatures.ts';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const MAX_SIGNATURES = 100;
const MAX_MANIFEST_SIZE = 4 * 1024 * 1024;
const MAX_BLOB_SIZE = 32 * 1024 * 1024;

export interface FetchedReferrer {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
}

export interface FetchedSignatures {
  /** The referrers in the registry's order, or the listing's error. */
  referrers: FetchedReferrer[] | { error: string };
  /** Manifests and blobs by digest. */
  blobs: Map<string, Uint8Array>;
}

function layerOf(body: Uint8Array): { digest: string; size: number } | undefined {
  try {
    const manifest = JSON.parse(Buffer.from(body).toString('utf8')) as {
      layers?: { digest?: unknown; size?: unknown }[];
    };
    const layers = manifest.layers;
    // The engine reports a manifest without exactly one layer; there is nothing more to fetch.
    if (!Array.isArray(layers) || layers.length !== 1) return undefined;
    const layer = layers[0]!;
    if (typeof layer.digest !== 'string') return undefined;
    return { digest: layer.digest, size: typeof layer.size === 'number' ? layer.size : 0 };
  } catch {
    return undefined;
  }
}

/** A failure of one request leaves its digest unfetched (the engine then reports notation's fetch error). */
async function get(
  client: RegistryClient,
  ref: ImageReference,
  kind: 'manifests' | 'blobs',
  digest: string,
): Promise<Uint8Array | undefined> {
  try {
    const path = `/v2/${ref.path}/${kind}/${digest}`;
    const res = await client.request(ref, 'GET', path, kind === 'manifests' ? { accept: OCI_MANIFEST } : {});
    if (res.status !== 200) return undefined;
    // oras-go verifies what it reads against the digest it asked for.
    const [algorithm, hex] = digest.split(':') as [string, string];
    if (!['sha256', 'sha512'].includes(algorithm)) return undefined;
    return createHash(algorithm).update(res.body).digest('hex') === hex ? res.body : undefined;
  } catch (err) {
    if (err instanceof InterruptedError || !(err instanceof CivError)) throw err;
    return undefined;
  }
}

/** The signatures of `ref` (whose digest is set) and everything verification reads of them. */
export async function fetchSignatures(
  client: RegistryClient,
  ref: ImageReference,
): Promise<FetchedSignatures> {
  const blobs = new Map<string, Uint8Array>();
  let listed: Awaited<ReturnType<typeof referrers>>;
  try {
    listed = await referrers(client, ref);
  } catch (err) {
    if (err instanceof InterruptedError || !(err instanceof CivError)) throw err;
    return { referrers: { error: err.message }, blobs };
  }
  const found: FetchedReferrer[] = [];
  for (const d of listed) {
    if (typeof d.digest !== 'string') continue;
    const entry: FetchedReferrer = {
      mediaType: d.mediaType ?? '',
      digest: d.digest,
      size: typeof d.size === 'number' ? d.size : 0,
    };
    if (d.artifactType !== undefined) entry.artifactType = d.artifactType;
    found.push(entry);
  }
  const signatures = found.filter((r) => r.artifactType === SIGNATURE_ARTIFACT_TYPE);
  for (const signature of signatures.slice(0, MAX_SIGNATURES)) {
    if (signature.size > MAX_MANIFEST_SIZE) continue;
    const manifest = await get(client, ref, 'manifests', signature.digest);
    if (!manifest) continue;
    blobs.set(signature.digest, manifest);
    const layer = layerOf(manifest);
    if (!layer || layer.size > MAX_BLOB_SIZE || blobs.has(layer.digest)) continue;
    const blob = await get(client, ref, 'blobs', layer.digest);
    if (blob) blobs.set(layer.digest, blob);
  }
  return { referrers: found, blobs };
}
