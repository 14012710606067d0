/** check's results: one line per image for people (details with --verbose), or JSON for CI. */
import type { ImageDecision, VerifierOutcome } from '../verifiers/containerd.ts';
import { safeJson, terminalSafe } from './escape.ts';
import { signatureListing, verifiedLines } from './signatures.ts';

export interface CheckResult extends ImageDecision {
  /** The image as given (absent for --name/--digest). */
  image?: string;
}

/** An image civctl could not decide (its registry failed), reported beside the decisions. */
export interface CheckFailure {
  image: string;
  name: string;
  failure: string;
}

export type CheckEntry = CheckResult | CheckFailure;

export const isFailure = (entry: CheckEntry): entry is CheckFailure => 'failure' in entry;

/** One entry per image, in argument order; an undecided image has only its names and `error`. */
export function checkJson(entries: CheckEntry[]): string {
  return (
    safeJson(
      {
        results: entries.map((r) =>
          isFailure(r) ? { image: r.image, name: r.name, error: r.failure } : decisionJson(r),
        ),
      },
      2,
    ) + '\n'
  );
}

function decisionJson(r: CheckResult) {
  return {
    image: r.image ?? r.name,
    name: r.name,
    digest: r.digest,
    decision: r.decision,
    ...(r.reason !== undefined ? { reason: r.reason } : {}),
    ...(r.error !== undefined ? { error: r.error } : {}),
    verifiers: r.verifiers.map((v) => ({
      verifier: v.verifier,
      decision: v.decision,
      exitCode: v.exitCode,
      output: v.output,
      ...(v.statement !== undefined ? { statement: v.statement } : {}),
      ...(v.level !== undefined ? { level: v.level } : {}),
      ...(v.actions ? { actions: v.actions } : {}),
      ...(v.trustStores ? { trustStores: v.trustStores } : {}),
      ...(v.trustedIdentities ? { trustedIdentities: v.trustedIdentities } : {}),
      ...(v.verified ? { signatures: v.verified } : v.signatures ? { signatures: v.signatures } : {}),
      ...(v.warnings ? { warnings: v.warnings } : {}),
      ...(v.notChecked?.length ? { notChecked: v.notChecked } : {}),
      ...(v.error !== undefined ? { error: v.error } : {}),
      source: v.source,
    })),
  };
}

/** name@digest, unless the name already names its digest. */
function subject(r: CheckResult): string {
  return r.name.includes('@') ? r.name : `${r.name}@${r.digest}`;
}

export function signatureSummary(r: CheckResult): string {
  const v = r.verifiers.find((x) => x.decision === 'signature-required');
  if (!v) return 'signatures are required';
  const stores = v.trustStores?.length ? v.trustStores.join(', ') : 'none';
  const identities = v.trustedIdentities?.length ? v.trustedIdentities.join(', ') : 'none';
  const found = v.signatures
    ? `; ${v.signatures.length} signature${v.signatures.length === 1 ? '' : 's'} found, ${v.signatures.filter((s) => s.trustedIdentity).length} from a trusted identity (not verified by civctl)`
    : '';
  return `${v.verifier}: statement ${JSON.stringify(v.statement)} (level ${v.level}) requires a signature; trust stores ${stores}; trusted identities ${identities}${found}`;
}

function signatureLines(v: VerifierOutcome): string[] {
  return (v.signatures ?? []).map(
    (s) =>
      `    ${s.envelope} signature ${s.digest}: subject ${s.subject ?? 'unknown'}; issuer ${s.issuer ?? 'unknown'}; ${
        s.trustedIdentity === null
          ? 'trusted identity unknown'
          : s.trustedIdentity
            ? 'matches a trusted identity'
            : 'matches no trusted identity'
      }`,
  );
}

/**
 * Why one verifier let the image through, in words: containerd's reason is each verifier's stdout,
 * which the built-in verifiers leave empty when they allow (`digestion-image-verifier => , …`).
 */
function allowedBecause(v: VerifierOutcome): string {
  const skipped = v.stderr.startsWith('image verification skipped');
  if (v.source === 'binary') return `${v.verifier} exited 0`;
  if (v.verifier === 'digestion-image-verifier')
    return skipped
      ? `${v.verifier} has no trust policy or an empty allowlist, so it allows every image`
      : `${v.verifier} lists the digest`;
  if (v.verified) {
    const good = v.verified.find((s) => s.outcome === 'success');
    return `${v.verifier} verified ${good ? `signature ${good.digest}` : 'a signature'} under statement ${JSON.stringify(v.statement)} (level ${v.level})`;
  }
  if (v.statement !== undefined)
    return `${v.verifier}'s statement ${JSON.stringify(v.statement)} has level ${v.level}: no signature is needed`;
  return `${v.verifier} has no trust policy or an empty one, so it allows every image`;
}

/**
 * Why an allowed image is allowed, in words, when its verifiers ran (for a line on stderr: stdout
 * keeps one line per image, with containerd's text).
 */
export function whyAllowed(r: CheckResult): string | undefined {
  if (r.decision !== 'allowed' || r.verifiers.length === 0) return undefined;
  return `${subject(r)} is allowed because ${r.verifiers.map(allowedBecause).join('; ')}`;
}

/**
 * One line per decided image, with containerd's text; undecided images are left to stderr.
 * `signatures` (--signatures): each signature found, and its outcome when it was verified.
 */
export function checkText(entries: CheckEntry[], verbose: boolean, signatures = false): string {
  const lines: string[] = [];
  for (const r of entries) {
    if (isFailure(r)) continue;
    const text =
      r.decision === 'blocked' ? r.error : r.decision === 'allowed' ? r.reason : signatureSummary(r);
    lines.push(terminalSafe(`${r.decision.toUpperCase()} ${subject(r)} ${text ?? ''}`.trimEnd()));
    if (!verbose) {
      if (signatures)
        for (const v of r.verifiers)
          for (const line of v.verified ? signatureListing(v, false) : signatureLines(v))
            lines.push(terminalSafe(line));
      continue;
    }
    for (const v of r.verifiers) {
      lines.push(
        terminalSafe(
          `  ${v.verifier} (${v.source === 'model' ? 'civctl model' : 'binary'}): ${v.decision}, exit code ${v.exitCode}${v.output ? `, output: ${v.output}` : ''}${v.error ? `, ${v.error}` : ''}`,
        ),
      );
      if (v.statement !== undefined) {
        const actions = v.actions
          ? Object.entries(v.actions)
              .map(([k, a]) => `${k}=${a}`)
              .join(' ')
          : '';
        lines.push(
          terminalSafe(`    statement ${JSON.stringify(v.statement)}, level ${v.level}: ${actions}`),
        );
      }
      for (const line of v.verified ? verifiedLines(v) : signatureLines(v)) lines.push(terminalSafe(line));
      for (const line of v.stderr.split('\n').filter(Boolean))
        lines.push(terminalSafe(`    stderr: ${line}`));
    }
  }
  return lines.length > 0 ? lines.join('\n') + '\n' : '';
}
