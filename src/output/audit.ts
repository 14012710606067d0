/**
 * audit's report: JSON for scripts, text for people (blocked and unknown first, by namespace),
 * and a Markdown table for a pull-request comment.
 */
import type { AuditDecision, AuditEntry, Workload } from '../verifiers/audit.ts';

export type { AuditDecision, AuditEntry };
import type { ImageDecision } from '../verifiers/containerd.ts';
import { signatureSummary } from './check.ts';
import { safeJson, terminalSafe } from './escape.ts';

/**
 * check's decision with the reason an audit shows: for signature-required, what is needed; for a
 * blocked pull, the reason notation's CLI does not print (an expired certificate, an untrusted
 * signer…), where the verifiers found one.
 */
export function withReason<D extends ImageDecision>(decided: D): D {
  if (decided.reason !== undefined) return decided;
  if (decided.decision === 'signature-required') return { ...decided, reason: signatureSummary(decided) };
  const hidden = decided.verifiers.flatMap((v) => v.reasons ?? []);
  if (decided.decision === 'blocked' && hidden.length > 0) return { ...decided, reason: hidden.join('; ') };
  return decided;
}

export interface AuditSummary {
  images: number;
  /** (workload, container) pairs read. */
  workloads: number;
  allowed: number;
  blocked: number;
  'signature-required': number;
  unknown: number;
}

export function auditSummary(entries: AuditEntry[], workloads: number): AuditSummary {
  const count = (d: AuditDecision) => entries.filter((e) => e.decision === d).length;
  return {
    images: entries.length,
    workloads,
    allowed: count('allowed'),
    blocked: count('blocked'),
    'signature-required': count('signature-required'),
    unknown: count('unknown'),
  };
}

export function auditJson(entries: AuditEntry[], summary: AuditSummary): string {
  return `${safeJson(
    {
      images: entries.map((e) => ({
        image: e.image,
        name: e.name,
        digest: e.digest ?? null,
        decision: e.decision,
        ...(e.reason !== undefined ? { reason: e.reason } : {}),
        ...(e.error !== undefined ? { error: e.error } : {}),
        workloads: e.workloads.map((w) => ({
          namespace: w.namespace,
          kind: w.kind,
          name: w.name,
          container: w.container,
          ...(w.owner ? { owner: w.owner } : {}),
        })),
      })),
      summary,
    },
    2,
  )}\n`;
}

export function summaryLine(s: AuditSummary): string {
  const containers = `${s.workloads} workload container${s.workloads === 1 ? '' : 's'}`;
  return `${s.images} image${s.images === 1 ? '' : 's'} in ${containers}: ${s.allowed} allowed, ${s.blocked} blocked, ${s['signature-required']} signature-required, ${s.unknown} unknown`;
}

/** name@digest, unless the name already names its digest or none is known. */
function subject(e: AuditEntry): string {
  return e.digest === undefined || e.name.includes('@') ? e.name : `${e.name}@${e.digest}`;
}

function why(e: AuditEntry): string {
  return (e.decision === 'blocked' ? e.error : (e.error ?? e.reason)) ?? '';
}

/** What containerd's text hides for a blocked image (notation prints it only with -v), if known. */
function hiddenReason(e: AuditEntry): string | undefined {
  return e.decision === 'blocked' && e.error !== undefined ? e.reason : undefined;
}

/**
 * The workloads of one namespace, pods folded into their controller (`ReplicaSet/web-7d9c (3
 * pods)`), each with its containers.
 */
function workloadSummary(workloads: Workload[]): string {
  const groups = new Map<string, { pods: Set<string>; containers: Set<string> }>();
  for (const w of workloads) {
    const key = w.owner ? `${w.owner.kind}/${w.owner.name}` : `${w.kind}/${w.name}`;
    let group = groups.get(key);
    if (!group) {
      group = { pods: new Set(), containers: new Set() };
      groups.set(key, group);
    }
    // A pod with two containers of the image is one pod.
    if (w.owner) group.pods.add(w.name);
    group.containers.add(w.container);
  }
  return [...groups]
    .map(([key, g]) => {
      const count = g.pods.size;
      const pods = count > 0 ? ` (${count} pod${count === 1 ? '' : 's'})` : '';
      return `${key}${pods} container ${[...g.containers].join(', ')}`;
    })
    .join('; ');
}

export function auditText(entries: AuditEntry[], summary: AuditSummary): string {
  const lines: string[] = [];
  // The decision and the image on one line, why on the next (containerd's texts are long).
  const push = (e: AuditEntry, indent: string) => {
    lines.push(`${indent}${e.decision.toUpperCase()} ${subject(e)}`);
    const reason = why(e).trim();
    if (reason !== '' && e.decision !== 'allowed') lines.push(`${indent}  ${reason}`);
    const hidden = hiddenReason(e);
    if (hidden !== undefined) lines.push(`${indent}  why: ${hidden}`);
  };
  // Blocked before unknown, within each namespace too.
  const urgent = [
    ...entries.filter((e) => e.decision === 'blocked'),
    ...entries.filter((e) => e.decision === 'unknown'),
  ];
  const byNamespace = new Map<string, { entry: AuditEntry; workloads: Workload[] }[]>();
  const unattached: AuditEntry[] = [];
  for (const entry of urgent) {
    if (entry.workloads.length === 0) unattached.push(entry);
    const namespaces = new Map<string, Workload[]>();
    for (const w of entry.workloads) namespaces.set(w.namespace, [...(namespaces.get(w.namespace) ?? []), w]);
    for (const [namespace, workloads] of namespaces)
      byNamespace.set(namespace, [...(byNamespace.get(namespace) ?? []), { entry, workloads }]);
  }
  for (const namespace of [...byNamespace.keys()].sort()) {
    lines.push(`namespace ${namespace}:`);
    for (const { entry, workloads } of byNamespace.get(namespace)!) {
      push(entry, '  ');
      lines.push(`    used by ${workloadSummary(workloads)}`);
    }
  }
  if (unattached.length > 0 && byNamespace.size > 0) lines.push('not used by a workload read:');
  for (const entry of unattached) push(entry, byNamespace.size > 0 ? '  ' : '');
  for (const decision of ['signature-required', 'allowed'] as const)
    for (const entry of entries.filter((e) => e.decision === decision)) push(entry, '');
  lines.push(summaryLine(summary));
  return `${lines.map(terminalSafe).join('\n')}\n`;
}

/** A Markdown table cell: one line, pipes escaped, HTML kept literal. */
function cell(text: string): string {
  return terminalSafe(text)
    .replace(/\\/g, '\\\\')
    .replace(/\|/g, '\\|')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/`/g, "'");
}

const ORDER: Record<AuditDecision, number> = { blocked: 0, unknown: 1, 'signature-required': 2, allowed: 3 };

export function auditMarkdown(entries: AuditEntry[], summary: AuditSummary): string {
  const icon: Record<AuditDecision, string> = {
    blocked: '❌ blocked',
    unknown: '❔ unknown',
    'signature-required': '🔏 signature-required',
    allowed: '✅ allowed',
  };
  const sorted = [...entries].sort((a, b) => ORDER[a.decision] - ORDER[b.decision]);
  const rows = sorted.map((e) => {
    const workloads = e.workloads.length > 0 ? workloadSummary(e.workloads) : '';
    const namespaces = [...new Set(e.workloads.map((w) => w.namespace))].sort().join(', ');
    const hidden = hiddenReason(e);
    return `| ${icon[e.decision]} | \`${cell(e.name)}\` | ${e.digest ? `\`${cell(e.digest)}\`` : ''} | ${cell(namespaces)} | ${cell(workloads)} | ${e.decision === 'allowed' ? '' : cell(hidden !== undefined ? `${why(e)} — why: ${hidden}` : why(e))} |`;
  });
  const head = [
    '### civctl audit',
    '',
    `**${cell(summaryLine(summary))}**`,
    '',
    '| decision | image | digest | namespaces | workloads | why |',
    '| --- | --- | --- | --- | --- | --- |',
  ];
  // GitHub refuses a comment over 65,536 characters: rows past the budget (allowed ones last) are
  // counted instead of shown.
  let size = head.join('\n').length + 200;
  const shown: string[] = [];
  for (const row of rows) {
    if (size + row.length + 1 > MARKDOWN_BUDGET) break;
    shown.push(row);
    size += row.length + 1;
  }
  const left = rows.length - shown.length;
  const more =
    left > 0
      ? [
          '',
          `_${left} more row${left === 1 ? '' : 's'} left out to fit a pull-request comment: see \`--format json\`._`,
        ]
      : [];
  return [...head, ...shown, ...more, ''].join('\n');
}

/** Characters of a Markdown report: under GitHub's 65,536 for a comment, with room to spare. */
export const MARKDOWN_BUDGET = 60_000;

/** The report in the format asked for. */
export function auditReport(
  format: 'text' | 'json' | 'markdown',
  entries: AuditEntry[],
  summary: AuditSummary,
): string {
  if (format === 'json') return auditJson(entries, summary);
  return format === 'markdown' ? auditMarkdown(entries, summary) : auditText(entries, summary);
}
