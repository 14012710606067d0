/** check's results: one line per image for people (details with --verbose), or JSON for CI. */
import type { ImageDecision, VerifierOutcome } from '../verifiers/containerd.ts';
import { safeJson, terminalSafe } from './escape.ts';

export interface CheckResult extends ImageDecision {
  /** The image as given (absent for --name/--digest). */
  image?: string;
}

export function checkJson(results: CheckResult[]): string {
  return (
    safeJson(
      {
        results: results.map((r) => ({
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
            ...(v.signatures ? { signatures: v.signatures } : {}),
            ...(v.error !== undefined ? { error: v.error } : {}),
            source: v.source,
          })),
        })),
      },
      2,
    ) + '\n'
  );
}

/** name@digest, unless the name already names its digest. */
function subject(r: CheckResult): string {
  return r.name.includes('@') ? r.name : `${r.name}@${r.digest}`;
}

function signatureSummary(r: CheckResult): string {
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

export function checkText(results: CheckResult[], verbose: boolean): string {
  const lines: string[] = [];
  for (const r of results) {
    const text =
      r.decision === 'blocked' ? r.error : r.decision === 'allowed' ? r.reason : signatureSummary(r);
    lines.push(terminalSafe(`${r.decision.toUpperCase()} ${subject(r)} ${text ?? ''}`.trimEnd()));
    if (!verbose) continue;
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
      for (const line of signatureLines(v)) lines.push(terminalSafe(line));
      for (const line of v.stderr.split('\n').filter(Boolean))
        lines.push(terminalSafe(`    stderr: ${line}`));
    }
  }
  return lines.join('\n') + '\n';
}
