/** Formatters for lint results: text (people), json, github (workflow annotations) and sarif. */
import type * as Sarif from 'sarif';
import { cannotBeSet, NOT_SETTABLE_TEXT } from '../policy/lint.ts';
import type { LintEffect, LintEntry, LintEntryDiagnostic } from '../lint/entries.ts';
import { RULES } from '../policy/rules.ts';
import { VERSION } from '../version.ts';
import { safeJson, terminalSafe } from './escape.ts';
import type { TextStyle } from './style.ts';

export const LINT_FORMATS = ['text', 'json', 'github', 'sarif'] as const;
export type LintFormat = (typeof LINT_FORMATS)[number];

const EFFECT_TEXT: Record<Exclude<LintEffect, 'not-deployed'>, string> = {
  enforced: 'enforced: images are verified by this policy',
  'allows-all': 'allows-all: every image is allowed, nothing is verified',
  'rejects-all': 'rejects-all: every image pull fails on the node',
};

/** What an entry that is not one policy stands for. */
function subjectOf(e: LintEntry): string {
  switch (e.document) {
    case 'eksctl':
      return e.section !== undefined
        ? `eksctl ClusterConfig, nodegroup ${e.section}`
        : 'eksctl ClusterConfig';
    case 'karpenter':
      return e.section !== undefined ? `Karpenter EC2NodeClass ${e.section}` : 'Karpenter EC2NodeClass';
    case 'settings':
      return 'settings document';
    case 'yaml':
      return 'YAML file';
    default:
      return 'user-data';
  }
}

/** The effect, said for people: on the node, or why no node gets the settings. */
function effectText(e: LintEntry): string {
  if (e.effect !== 'not-deployed') return EFFECT_TEXT[e.effect];
  if (e.document === 'karpenter' && e.section !== undefined)
    return 'Karpenter would refuse its user data; no node is launched with it';
  if (e.document === 'eksctl') return 'eksctl would reject the file; no node gets these settings';
  if (e.document === 'karpenter') return 'kubectl would reject the file; no node gets these settings';
  return 'neither eksctl nor kubectl would read it; no node gets these settings';
}

/** The report line for an entry: what it is, its verdict, and what the node does. */
function entrySummary(e: LintEntry): string {
  if (e.effect === 'not-deployed') {
    const what =
      e.document === 'eksctl'
        ? 'not a valid ClusterConfig/YAML'
        : e.document === 'karpenter' && e.section === undefined
          ? 'not a valid EC2NodeClass/YAML'
          : e.document === 'karpenter'
            ? `Karpenter EC2NodeClass ${e.section}: spec.userData is not valid TOML`
            : 'not a valid YAML file';
    return `${what}: ${effectText(e)}`;
  }
  const policy = e.plugin !== undefined || e.document === undefined;
  const what = policy ? `${e.verifier} policy` : subjectOf(e);
  const none = !policy && e.valid ? ', no image-verifier policies' : '';
  return `${what}, ${e.valid ? 'valid' : 'invalid'}${none}; `;
}

/** Counts of what was checked: policies, and the settings sections that hold none. */
function checkedCount(entries: LintEntry[]): string {
  const counts = new Map<string, number>();
  for (const e of entries) {
    const noun =
      e.plugin !== undefined || e.document === undefined
        ? 'policy'
        : e.section !== undefined
          ? e.document === 'eksctl'
            ? 'nodegroup'
            : 'EC2NodeClass'
          : 'file';
    counts.set(noun, (counts.get(noun) ?? 0) + 1);
  }
  const plural = (noun: string, n: number) =>
    n === 1 ? noun : noun === 'policy' ? 'policies' : noun === 'EC2NodeClass' ? 'EC2NodeClasses' : `${noun}s`;
  const parts = [...counts].map(([noun, n]) => `${n} ${plural(noun, n)}`);
  if (parts.length === 0) return '0 policies';
  return parts.length === 1 ? parts[0]! : `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1]}`;
}

/** A decoded-policy finding placed in the file: the plugin and the position inside the decoded policy. */
function decodedPrefix(e: LintEntry, d: LintEntryDiagnostic): string {
  return d.location === 'decoded-policy' ? `[${e.plugin}] decoded policy ${d.line}:${d.column}: ` : '';
}

/** Line and column in the file, when the finding has them (a decoded-policy finding: its encoded value's). */
function filePosition(d: LintEntryDiagnostic): { line: number; column: number } | undefined {
  if (d.location === 'file') return { line: d.line, column: d.column };
  return d.fileLine !== undefined && d.fileColumn !== undefined
    ? { line: d.fileLine, column: d.fileColumn }
    : undefined;
}

export function reportJson(entries: LintEntry[]): string {
  return (
    safeJson({
      results: entries.map((e) => ({
        file: e.file,
        ...(e.plugin !== undefined ? { plugin: e.plugin } : {}),
        ...(e.document !== undefined ? { document: e.document } : {}),
        ...(e.section !== undefined ? { section: e.section } : {}),
        verifier: e.verifier,
        valid: e.valid,
        upstreamMessage: e.upstreamMessage,
        effect: e.effect,
        ...(cannotBeSet(e) ? { settable: false } : {}),
        diagnostics: e.diagnostics.map((d) => ({
          rule: d.rule,
          severity: d.severity,
          message: d.message,
          pointer: d.pointer,
          line: d.line,
          column: d.column,
          location: d.location,
          ...(d.fileLine !== undefined ? { fileLine: d.fileLine, fileColumn: d.fileColumn } : {}),
        })),
      })),
    }) + '\n'
  );
}

function entryLabel(e: LintEntry): string {
  const inside = e.plugin ?? e.section;
  return inside !== undefined ? `${e.file}[${inside}]` : e.file;
}

export function reportText(entries: LintEntry[], style: TextStyle): string {
  const lines: string[] = [];
  let errors = 0;
  let warnings = 0;
  for (const e of entries) {
    const label = terminalSafe(entryLabel(e));
    for (const d of e.diagnostics) {
      const at = filePosition(d);
      const where = at
        ? `${terminalSafe(e.file)}:${at.line}:${at.column}`
        : `${label} (decoded policy):${d.line}:${d.column}`;
      const sev =
        d.severity === 'error'
          ? style.red('error')
          : d.severity === 'warning'
            ? style.yellow('warning')
            : style.cyan('info');
      if (d.severity === 'error') errors++;
      else if (d.severity === 'warning') warnings++;
      const prefix = at ? decodedPrefix(e, d) : '';
      lines.push(
        `${style.bold(where)}: ${sev}: ${terminalSafe(prefix + d.message)} ${style.dim(`[${d.rule}]`)}`,
      );
    }
    const effectColor =
      e.effect === 'enforced' ? style.green : e.effect === 'allows-all' ? style.yellow : style.red;
    const summary = entrySummary(e);
    lines.push(
      e.effect === 'not-deployed'
        ? `${label}: ${effectColor(summary)}`
        : `${label}: ${summary}${cannotBeSet(e) ? style.red(NOT_SETTABLE_TEXT) : `on the node: ${effectColor(effectText(e))}`}`,
    );
  }
  lines.push(
    `${checkedCount(entries)} checked: ${errors} ${errors === 1 ? 'error' : 'errors'}, ${warnings} ${warnings === 1 ? 'warning' : 'warnings'}`,
  );
  return lines.join('\n') + '\n';
}

function escapeGithubData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}
function escapeGithubProperty(s: string): string {
  return escapeGithubData(terminalSafe(s)).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

export function reportGithub(entries: LintEntry[]): string {
  const lines: string[] = [];
  for (const e of entries) {
    for (const d of e.diagnostics) {
      const level = d.severity === 'error' ? 'error' : d.severity === 'warning' ? 'warning' : 'notice';
      const at = filePosition(d);
      const props = at
        ? `file=${escapeGithubProperty(e.file)},line=${at.line},col=${at.column},title=${escapeGithubProperty(d.rule)}`
        : `file=${escapeGithubProperty(e.file)},title=${escapeGithubProperty(d.rule)}`;
      const prefix = decodedPrefix(e, d);
      lines.push(`::${level} ${props}::${escapeGithubData(terminalSafe(prefix + d.message))}`);
    }
    lines.push(
      `::notice file=${escapeGithubProperty(e.file)},title=effect::${escapeGithubData(terminalSafe(`${entryLabel(e)}: ${cannotBeSet(e) ? NOT_SETTABLE_TEXT : effectText(e)}`))}`,
    );
  }
  return lines.length > 0 ? lines.join('\n') + '\n' : '';
}

/** SARIF 2.1.0, typed with the SARIF TypeScript definitions so the shape is checked at build time. */
export function reportSarif(entries: LintEntry[]): string {
  const ruleIds = [...new Set(entries.flatMap((e) => e.diagnostics.map((d) => d.rule)))].sort();
  const results: Sarif.Result[] = entries.flatMap((e) =>
    e.diagnostics.map((d): Sarif.Result => {
      const uri = e.file === '<stdin>' ? 'stdin' : e.file;
      const at = filePosition(d);
      return {
        ruleId: d.rule,
        ruleIndex: ruleIds.indexOf(d.rule),
        level: d.severity === 'info' ? ('note' as const) : d.severity,
        message: { text: decodedPrefix(e, d) + d.message },
        locations: [
          {
            physicalLocation: {
              artifactLocation: { uri: encodeURI(uri) },
              ...(at ? { region: { startLine: at.line, startColumn: at.column } } : {}),
            },
            ...(e.plugin !== undefined ? { logicalLocations: [{ name: e.plugin, kind: 'object' }] } : {}),
          },
        ],
        properties: {
          effect: e.effect,
          ...(cannotBeSet(e) ? { settable: false } : {}),
          verifier: e.verifier,
          pointer: d.pointer,
        },
      };
    }),
  );
  const log: Sarif.Log = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'civctl',
            version: VERSION,
            rules: ruleIds.map((id) => ({ id, shortDescription: { text: RULES[id] ?? id } })),
          },
        },
        results,
      },
    ],
  };
  return safeJson(log, 2) + '\n';
}
