/**
 * Bottlerocket's digestion-image-verifier (bottlerocket-core-kit image-verifiers, src/bin/digestion.rs):
 * no policy, an empty file or an empty list allows every image; a policy it cannot load rejects
 * every image with the load error; otherwise the digest must be listed, exactly. Pure.
 */
import { loadDigestionPolicy } from '../policy/image-verifiers.ts';

export const DIGESTION_VERIFIER = 'digestion-image-verifier';

export interface ModelRun {
  exitCode: number;
  /** What the verifier writes to stdout: containerd's reason, once trimmed. */
  stdout: string;
  stderr: string;
}

type Loaded = ReturnType<typeof loadDigestionPolicy> & { set?: Set<string> };
/**
 * A policy's load, kept per policy buffer: audit decides thousands of images with one policy, and
 * the verifier would load the same bytes the same way each time (the buffers are never changed).
 */
const loads = new WeakMap<Uint8Array, Loaded>();

export function decideDigestion(policy: Uint8Array | undefined, digest: string): ModelRun {
  if (policy === undefined)
    return { exitCode: 0, stdout: '', stderr: 'image verification skipped: no trust policy configured\n' };
  let loaded = loads.get(policy);
  if (!loaded) {
    loaded = loadDigestionPolicy(policy);
    loads.set(policy, loaded);
  }
  if (loaded.kind === 'skip')
    return { exitCode: 0, stdout: '', stderr: 'image verification skipped: no trust policy configured\n' };
  if (loaded.kind === 'reject')
    return { exitCode: 1, stdout: `image verification failed: ${loaded.message}\n`, stderr: '' };
  loaded.set ??= new Set(loaded.digests);
  return loaded.set.has(digest)
    ? { exitCode: 0, stdout: '', stderr: 'image verification successful\n' }
    : { exitCode: 1, stdout: 'image verification failed: digest not in allowlist\n', stderr: '' };
}
