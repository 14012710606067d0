/** check's text for verified notation signatures: the reasons the node hides, and each step with --verbose. */
import type { VerifierOutcome } from '../verifiers/containerd.ts';

/**
 * --verbose lines under the notation verifier's: notation's warnings, the reasons the node hides,
 * what was not checked, and each signature's steps. (Without --verbose the warnings and reasons
 * are notes on stderr: stdout keeps one line per image.)
 */
export function verifiedLines(v: VerifierOutcome): string[] {
  if (!v.verified) return [];
  const lines: string[] = [];
  for (const w of v.warnings ?? []) lines.push(`    ${w}`);
  for (const r of v.reasons ?? []) lines.push(`    hidden reason: ${r}`);
  for (const n of v.notChecked ?? []) lines.push(`    not checked: ${n}`);
  return [...lines, ...signatureListing(v, true)];
}

/** One line per verified signature — its outcome, and who signed it with --signatures — and each step when asked. */
export function signatureListing(v: VerifierOutcome, steps: boolean): string[] {
  const lines: string[] = [];
  for (const s of v.verified ?? []) {
    const who =
      s.subject !== undefined
        ? `; subject ${s.subject}; issuer ${s.issuer ?? 'unknown'}${
            s.trustedIdentity === true
              ? '; matches a trusted identity'
              : s.trustedIdentity === false
                ? '; matches no trusted identity'
                : ''
          }`
        : '';
    lines.push(`    signature ${s.digest} (${s.mediaType ?? 'unknown envelope'}): ${s.outcome}${who}`);
    if (!steps) continue;
    for (const step of s.steps)
      lines.push(`      ${step.type} (${step.action}): ${step.error !== undefined ? step.error : 'ok'}`);
  }
  return lines;
}
