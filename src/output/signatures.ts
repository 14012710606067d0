/** check's text for verified notation signatures: the reasons the node hides, and each step with --verbose. */
import type { VerifierOutcome } from '../verifiers/containerd.ts';

/** Lines under an image's line: notation's warnings, the hidden reasons, what was not checked. */
export function verifiedLines(v: VerifierOutcome, verbose: boolean): string[] {
  if (!v.verified) return [];
  const lines: string[] = [];
  // Under the image's line; with --verbose, under the verifier's.
  const indent = verbose ? '    ' : '  ';
  for (const w of v.warnings ?? []) lines.push(`${indent}${w}`);
  for (const r of v.reasons ?? []) lines.push(`${indent}hidden reason: ${r}`);
  for (const n of v.notChecked ?? []) lines.push(`${indent}not checked: ${n}`);
  if (!verbose) return lines;
  for (const s of v.verified) {
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
    for (const step of s.steps)
      lines.push(`      ${step.type} (${step.action}): ${step.error !== undefined ? step.error : 'ok'}`);
  }
  return lines;
}
