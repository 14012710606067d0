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

export function decideDigestion(policy: Uint8Array | undefined, digest: string): ModelRun {
  if (policy === undefined)
    return { exitCode: 0, stdout: '', stderr: 'image verification skipped: no trust policy configured\n' };
  const loaded = loadDigestionPolicy(policy);
  if (loaded.kind === 'skip')
    return { exitCode: 0, stdout: '', stderr: 'image verification skipped: no trust policy configured\n' };
  if (loaded.kind === 'reject')
    return { exitCode: 1, stdout: `image verification failed: ${loaded.message}\n`, stderr: '' };
  return loaded.digests.includes(digest)
    ? { exitCode: 0, stdout: '', stderr: 'image verification successful\n' }
    : { exitCode: 1, stdout: 'image verification failed: digest not in allowlist\n', stderr: '' };
}
