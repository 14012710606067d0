/** status output: text for people, JSON for scripts. */
import type { StatusReport } from '../policy/status.ts';
import { safeJson, terminalSafe } from './escape.ts';

export function statusJson(report: StatusReport): string {
  return safeJson(report, 2) + '\n';
}

export function statusText(report: StatusReport): string {
  const lines: string[] = [];
  const os = report.os;
  lines.push(
    `OS:           ${os ? terminalSafe(os.pretty_name ?? `${os.variant_id ?? '?'} ${os.version_id ?? ''}`) : 'unknown'}`,
  );
  lines.push(`Verification: ${report.enabled ? 'enabled' : 'disabled'}`);
  if (report.verifiers.length === 0) lines.push('Verifiers:    none configured');
  else {
    lines.push('Verifiers:');
    for (const v of report.verifiers) {
      const size =
        v.digests !== undefined
          ? `${v.digests} ${v.digests === 1 ? 'digest' : 'digests'}`
          : v.statements !== undefined
            ? `${v.statements} ${v.statements === 1 ? 'statement' : 'statements'}`
            : `${v.bytes} bytes`;
      lines.push(
        `  ${terminalSafe(v.name).padEnd(12)} ${v.kind.padEnd(9)} ${v.configured ? v.effect.padEnd(11) : 'no policy  '} ${v.configured ? size : ''}`.trimEnd(),
      );
      for (const e of v.errors) lines.push(`    error: ${terminalSafe(e)}`);
      for (const w of v.warnings) lines.push(`    warning: ${terminalSafe(w)}`);
    }
  }
  for (const w of report.warnings) lines.push(`warning: ${terminalSafe(w)}`);
  for (const r of report.rollback) lines.push(`rollback: ${terminalSafe(r.text)}`);
  return lines.join('\n') + '\n';
}
