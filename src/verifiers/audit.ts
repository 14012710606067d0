/**
 * What a node decides for every distinct image a cluster runs: each image is decided once, by
 * the same decision function as `check` (containerd.ts decideImage), after its digest is known —
 * from the input, or resolved through the registry with at most `jobs` look-ups at a time.
 * Images whose digest cannot be known are `unknown`, with why. Never prints.
 */
import type { Descriptor } from '../registry/oci.ts';
import type { ImageDecision } from './containerd.ts';

/** A workload and one of its containers: where an image is used. */
export interface Workload {
  namespace: string;
  kind: string;
  name: string;
  container: string;
  /** A pod's controller (ownerReferences with controller: true). */
  owner?: { kind: string; name: string };
}

/** One distinct image: the name containerd is given for the pull and the digest it presents. */
export interface AuditImage {
  /** The image as first written. */
  image: string;
  /** CRI's normalised name (`redis:7` → `docker.io/library/redis:7`; a tag beside a digest dropped). */
  name: string;
  /** The digest containerd presents, when the input or the reference gives it. */
  digest?: string;
  /** Why the image cannot be pulled at all (CRI refuses the reference). */
  invalid?: string;
  workloads: Workload[];
}

export type AuditDecision = 'allowed' | 'blocked' | 'signature-required' | 'unknown';

/** One distinct image, decided. */
export interface AuditEntry {
  image: string;
  name: string;
  digest?: string;
  decision: AuditDecision;
  /** containerd's reason for an allowed pull; why a signature is needed; why a digest is unknown. */
  reason?: string;
  /** containerd's text for a blocked pull; the registry's failure for an unknown one. */
  error?: string;
  workloads: Workload[];
}

export interface AuditOptions {
  /** Never contact a registry: images without a digest are unknown. */
  offline: boolean;
  /** Registry look-ups at a time. */
  jobs: number;
  /** The media type of a descriptor civctl did not resolve (a digest from the input). */
  mediaType: string;
  /** The descriptor containerd resolves for a name (the registry); throws with a one-line message. */
  resolve: (name: string) => Promise<Descriptor>;
  /** Why every image is allowed without a look at it (verification is off), if it is. */
  allowsAll?: string;
  /** check's decision for one image. */
  decide: (name: string, descriptor: Descriptor) => Promise<ImageDecision>;
}

/** Runs fn over items with at most `jobs` running at once; results in the items' order. */
export async function mapConcurrently<T, R>(
  items: readonly T[],
  jobs: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(jobs, items.length)) }, worker));
  return results;
}

export async function auditImages(images: AuditImage[], options: AuditOptions): Promise<AuditEntry[]> {
  const base = (image: AuditImage) => ({
    image: image.image,
    name: image.name,
    workloads: image.workloads,
  });
  // Digests first (the network part, concurrently), then decisions in order.
  type Found = { descriptor: Descriptor } | { allowed: string } | { error: string } | { reason: string };
  const descriptors = await mapConcurrently(images, options.jobs, async (image): Promise<Found> => {
    if (image.invalid !== undefined)
      return { error: `'${image.image}' is not an image reference: ${image.invalid}` };
    // Where nothing is verified, containerd asks no verifier: the digest does not matter.
    if (options.allowsAll !== undefined) return { allowed: options.allowsAll };
    if (image.digest !== undefined)
      return { descriptor: { mediaType: options.mediaType, digest: image.digest, size: 0 } };
    if (options.offline)
      return {
        reason:
          'no digest: the input does not say which digest the node pulled, and --offline does not ask the registry',
      };
    try {
      return { descriptor: await options.resolve(image.name) };
    } catch (err) {
      return { error: (err as Error).message };
    }
  });
  // Two uses that differ only in how the digest became known (one pod reported it, another's tag
  // resolved to it) are one pull: fold them before deciding, so each image is decided once.
  const pulls = new Map<string, { image: AuditImage; got: Found }>();
  const unfolded: { image: AuditImage; got: Found }[] = [];
  for (const [i, image] of images.entries()) {
    const got = descriptors[i]!;
    const digest = 'descriptor' in got ? got.descriptor.digest : image.digest;
    if (digest === undefined) {
      unfolded.push({ image, got });
      continue;
    }
    const key = `${image.name}\u0000${digest}`;
    const seen = pulls.get(key);
    // The entry already listed is widened in place: `unfolded` holds the same object.
    if (seen) seen.image = { ...seen.image, workloads: [...seen.image.workloads, ...image.workloads] };
    else {
      const pull = { image, got };
      pulls.set(key, pull);
      unfolded.push(pull);
    }
  }
  const entries: AuditEntry[] = [];
  for (const { image, got } of unfolded) {
    if ('allowed' in got) {
      const digest = image.digest !== undefined ? { digest: image.digest } : {};
      entries.push({ ...base(image), ...digest, decision: 'allowed', reason: got.allowed });
      continue;
    }
    if (!('descriptor' in got)) {
      entries.push({ ...base(image), decision: 'unknown', ...got });
      continue;
    }
    const decided = await options.decide(image.name, got.descriptor);
    entries.push({
      ...base(image),
      digest: got.descriptor.digest,
      decision: decided.decision,
      ...(decided.reason !== undefined ? { reason: decided.reason } : {}),
      ...(decided.error !== undefined ? { error: decided.error } : {}),
    });
  }
  return entries;
}
