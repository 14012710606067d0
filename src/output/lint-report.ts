/** Formatters for lint results: text (people), json, github (workflow annotations) and sarif. */
import type * as Sarif from 'sarif';
import { cannotBeSet, type Effect, NOT_SETTABLE_TEXT } from '../policy/lint.ts';
import type { LintEntry } from '../policy/lint-file.ts';
import { RULES } from '../policy/rules.ts';
import { VERSION } from '../version.ts';
import { safeJson, terminalSafe } from './escape.ts';
import type { TextStyle } from './style.ts';

export const LINT_FORMATS = ['text', 'json', 'github', 'sarif'] as const;
export type LintFormat = (typeof LINT_FORMATS)[number];

const EFFECT_TEXT: Record<Effect, string> = {
  enforced: 'enforced: images are verified by this policy',
  'allows-all': 'allows-all: every image is allowed, nothing is verified',
  'rejects-all': 'rejects-all: every image pull fails on the node',
};

export function reportJson(entries: LintEntry[]): string {
  return (
    safeJson({
      results: entries.map((e) => ({
        file: e.file,
        ...(e.plugin !== undefined ? { plugin: e.plugin } : {}),
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
        })),
      })),
    }) + '\n'
  );
}

function entryLabel(e: LintEntry): string {
  return e.plugin !== undefined ? `${e.file}[${e.plugin}]` : e.file;
}

export function reportText(entries: LintEntry[], style: TextStyle): string {
  const lines: string[] = [];
  let errors = 0;
  let warnings = 0;
  for (const e of entries) {
    const label = terminalSafe(entryLabel(e));
    for (const d of e.diagnostics) {
      const where =
        d.location === 'decoded-policy'
          ? `${label} (decoded policy):${d.line}:${d.column}`
          : `${terminalSafe(e.file)}:${d.line}:${d.column}`;
      const sev =
        d.severity === 'error'
          ? style.red('error')
          : d.severity === 'warning'
            ? style.yellow('warning')
            : style.cyan('info');
      if (d.severity === 'error') errors++;
      else if (d.severity === 'warning') warnings++;
      lines.push(`${style.bold(where)}: ${sev}: ${terminalSafe(d.message)} ${style.dim(`[${d.rule}]`)}`);
    }
    const effectColor =
      e.effect === 'enforced' ? style.green : e.effect === 'allows-all' ? style.yellow : style.red;
    const what = e.document === 'user-data' ? 'user-data' : `${e.verifier} policy`;
    lines.push(
      `${label}: ${what}, ${e.valid ? 'valid' : 'invalid'}; ${cannotBeSet(e) ? style.red(NOT_SETTABLE_TEXT) : `on the node: ${effectColor(EFFECT_TEXT[e.effect])}`}`,
    );
  }
  lines.push(
    `${entries.length} ${entries.length === 1 ? 'policy' : 'policies'} checked: ${errors} ${errors === 1 ? 'error' : 'errors'}, ${warnings} ${warnings === 1 ? 'warning' : 'warnings'}`,
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
      const props =
        d.location === 'decoded-policy'
          ? `file=${escapeGithubProperty(e.file)},title=${escapeGithubProperty(d.rule)}`
          : `file=${escapeGithubProperty(e.file)},line=${d.line},col=${d.column},title=${escapeGithubProperty(d.rule)}`;
      const prefix =
        d.location === 'decoded-policy' ? `[${e.plugin}] decoded policy ${d.line}:${d.column}: ` : '';
      lines.push(`::${level} ${props}::${escapeGithubData(terminalSafe(prefix + d.message))}`);
    }
    lines.push(
      `::notice file=${escapeGithubProperty(e.file)},title=effect::${escapeGithubData(terminalSafe(`${entryLabel(e)}: ${cannotBeSet(e) ? NOT_SETTABLE_TEXT : EFFECT_TEXT[e.effect]}`))}`,
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
      const decoded = d.location === 'decoded-policy';
      return {
        ruleId: d.rule,
        ruleIndex: ruleIds.indexOf(d.rule),
        level: d.severity === 'info' ? ('note' as const) : d.severity,
        message: {
          text: decoded
            ? `[${e.plugin}] decoded policy line ${d.line} column ${d.column}: ${d.message}`
            : d.message,
        },
        locations: [
          {
            physicalLocation: {
              artifactLocation: { uri: encodeURI(uri) },
              ...(decoded ? {} : { region: { startLine: d.line, startColumn: d.column } }),
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
