/**
 * The I/O side of signature verification: an OCI image layout directory (`oci-layout`,
 * `index.json`, `blobs/<alg>/<hex>`, as `notation sign --oci-layout` and `oras copy
 * --to-oci-layout` write it) and a notation trust-store directory (`x509/<type>/<name>/<files>`),
 * read into the pure inputs of index.ts.
 *
 * Referrers are the manifests listed in index.json whose `subject` is the image, in index.json's
 * order — what a registry serving the layout through the Referrers API answers, and the order the
 * corpus was verified in. (oras-go's own layout store lists predecessors in Go map order, so
 * `notation verify --oci-layout` has no stable order to copy.)
 */
import { createHash } from 'node:crypto';
import { type Dirent, lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Descriptor } from './verifier.ts';

/** A referrer of the image (a descriptor in the referrers list), as the registry or the layout lists it. */
export interface Referrer {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
}
import type { StoreDirectory, StoreEntry, TrustStoreSnapshot } from './truststore.ts';
import { STORE_TYPES } from './truststore.ts';

/** Bottlerocket's NOTATION_CONFIG: the paths notation prints are under it. */
export const BOTTLEROCKET_NOTATION_CONFIG = '/etc/containerd/image-verifiers/notation';

/** The largest file read from a trust store or a layout (notation's largest signature blob is 32 MiB). */
const MAX_FILE = 64 * 1024 * 1024;

export class LayoutError extends Error {}

const DIGEST = /^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;

function errno(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  const reason: Record<string, string> = {
    EACCES: 'permission denied',
    ENOENT: 'no such file or directory',
    EISDIR: 'is a directory',
    ELOOP: 'too many levels of symbolic links',
  };
  return reason[e.code ?? ''] ?? e.message;
}

/** A trust-store directory (the `truststore` folder: it holds `x509/`). */
export function readTrustStore(dir: string, configDir = BOTTLEROCKET_NOTATION_CONFIG): TrustStoreSnapshot {
  const stores = new Map<string, StoreDirectory>();
  for (const type of STORE_TYPES) {
    const typeDir = join(dir, 'x509', type);
    let names: string[];
    try {
      names = readdirSync(typeDir);
    } catch {
      continue;
    }
    for (const name of names) {
      const storeDir = join(typeDir, name);
      const shown = `${configDir}/truststore/x509/${type}/${name}`;
      let stat: ReturnType<typeof lstatSync>;
      try {
        stat = lstatSync(storeDir);
      } catch (err) {
        stores.set(`${type}/${name}`, { kind: 'inaccessible', error: `lstat ${shown}: ${errno(err)}` });
        continue;
      }
      if (!stat.isDirectory()) {
        stores.set(`${type}/${name}`, { kind: 'not-directory' });
        continue;
      }
      let dirents: Dirent[];
      try {
        dirents = readdirSync(storeDir, { withFileTypes: true });
      } catch (err) {
        stores.set(`${type}/${name}`, { kind: 'inaccessible', error: `open ${shown}: ${errno(err)}` });
        continue;
      }
      const entries: StoreEntry[] = dirents.map((d): StoreEntry => {
        if (d.isDirectory()) return { name: d.name, kind: 'directory' };
        if (d.isSymbolicLink()) return { name: d.name, kind: 'symlink' };
        const path = join(storeDir, d.name);
        try {
          if (!d.isFile() || lstatSync(path).size > MAX_FILE)
            throw Object.assign(new Error('not a regular file'), { code: 'EINVAL' });
          return { name: d.name, kind: 'file', bytes: new Uint8Array(readFileSync(path)) };
        } catch (err) {
          return { name: d.name, kind: 'unreadable', error: `open ${shown}/${d.name}: ${errno(err)}` };
        }
      });
      stores.set(`${type}/${name}`, { kind: 'directory', entries });
    }
  }
  return { configDir, stores };
}

interface IndexEntry {
  mediaType?: string;
  digest?: string;
  size?: number;
}

export interface LayoutImage {
  descriptor: Descriptor | { error: string };
  referrers: Referrer[];
  fetch: (digest: string) => Uint8Array | undefined;
}

function parseJson(bytes: Uint8Array, what: string): unknown {
  try {
    return JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    throw new LayoutError(`${what} is not valid JSON`);
  }
}

/**
 * The image `digest` of an OCI layout and its referrers. Blobs are read when asked for, once,
 * and only when their content matches their digest (a registry would refuse others).
 */
export function readOciLayout(dir: string, digest: string): LayoutImage {
  let indexBytes: Uint8Array;
  try {
    indexBytes = readFileSync(join(dir, 'index.json'));
  } catch (err) {
    throw new LayoutError(`cannot read ${join(dir, 'index.json')}: ${errno(err)}`);
  }
  const index = parseJson(indexBytes, join(dir, 'index.json')) as { manifests?: IndexEntry[] };
  // An OCI image index: an object whose manifests is a list (oras and notation refuse others).
  if (typeof index !== 'object' || index === null || Array.isArray(index) || !Array.isArray(index.manifests))
    throw new LayoutError(`${join(dir, 'index.json')} is not an OCI image index (no manifests list)`);
  const entries = index.manifests;
  const cache = new Map<string, Uint8Array | undefined>();
  /** Blobs whose content is not what their digest says. */
  const mismatched = new Set<string>();
  const fetch = (d: string): Uint8Array | undefined => {
    if (cache.has(d)) return cache.get(d);
    let bytes: Uint8Array | undefined;
    if (DIGEST.test(d)) {
      const [alg, hex] = d.split(':') as [string, string];
      try {
        const path = join(dir, 'blobs', alg, hex);
        if (lstatSync(path).size <= MAX_FILE) {
          const data = new Uint8Array(readFileSync(path));
          if (createHash(alg).update(data).digest('hex') === hex) bytes = data;
          else mismatched.add(d);
        }
      } catch {
        bytes = undefined;
      }
    }
    cache.set(d, bytes);
    return bytes;
  };
  const manifestOf = (d: string) => {
    const bytes = fetch(d);
    if (!bytes) return undefined;
    try {
      return { bytes, json: JSON.parse(Buffer.from(bytes).toString('utf8')) as Record<string, unknown> };
    } catch {
      return { bytes, json: undefined };
    }
  };
  const image = manifestOf(digest);
  const listed = entries.find((e) => e.digest === digest);
  const descriptor: LayoutImage['descriptor'] = image
    ? {
        mediaType:
          (typeof image.json?.['mediaType'] === 'string'
            ? (image.json['mediaType'] as string)
            : listed?.mediaType) ?? '',
        digest,
        size: image.bytes.length,
      }
    : {
        error: mismatched.has(digest)
          ? `${digest}: its blob in the OCI layout ${dir} does not match its digest`
          : `${digest}: not found in the OCI layout ${dir}`,
      };
  const referrers: Referrer[] = [];
  for (const entry of entries) {
    if (typeof entry.digest !== 'string' || entry.digest === digest) continue;
    const m = manifestOf(entry.digest);
    // A manifest the index lists must be there: a signature must not vanish without a word.
    if (!m)
      throw new LayoutError(
        `${join(dir, 'index.json')} lists ${entry.digest}, but its blob ${mismatched.has(entry.digest) ? 'does not match its digest' : 'is missing'}`,
      );
    const subject = m?.json?.['subject'] as { digest?: unknown } | undefined;
    if (!m?.json || subject?.digest !== digest) continue;
    const config = m.json['config'] as { mediaType?: unknown } | undefined;
    const artifactType =
      typeof m.json['artifactType'] === 'string'
        ? (m.json['artifactType'] as string)
        : typeof config?.mediaType === 'string'
          ? config.mediaType
          : undefined;
    const referrer: Referrer = {
      mediaType:
        typeof m.json['mediaType'] === 'string' ? (m.json['mediaType'] as string) : (entry.mediaType ?? ''),
      digest: entry.digest,
      size: m.bytes.length,
    };
    if (artifactType !== undefined) referrer.artifactType = artifactType;
    referrers.push(referrer);
  }
  return { descriptor, referrers, fetch };
}
