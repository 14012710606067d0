/**
 * Lint's report entries: one per linted policy (of a policy file, or of each plugin of a settings
 * document), with the findings placed in the file as the user wrote it. output/lint-report.ts
 * renders them; this room builds them.
 */
import type { Diagnostic, Effect, LintResult, Severity } from '../policy/lint.ts';

export interface LintEntryDiagnostic extends Diagnostic {
  /** Where line and column point: the file itself, or the policy decoded from a user-data value. */
  location: 'file' | 'decoded-policy';
  /** For a finding in a decoded policy: where its encoded value is written in the file. */
  fileLine?: number;
  fileColumn?: number;
}

/** What the node does with a policy, or 'not-deployed': its tool refuses the file, so no node gets it. */
export type LintEffect = Effect | 'not-deployed';

/** The kind of settings document an entry comes from. */
export type DocumentKind = 'user-data' | 'settings' | 'eksctl' | 'karpenter' | 'yaml';

/** One linted policy, as reports show it. */
export interface LintEntry extends Omit<LintResult, 'diagnostics' | 'effect'> {
  file: string;
  /** The plugin a user-data policy belongs to. */
  plugin?: string;
  /** Set for entries of settings documents: user data, settings JSON, eksctl and Karpenter files. */
  document?: DocumentKind;
  /** The nodegroup (eksctl) or EC2NodeClass (Karpenter) the entry belongs to. */
  section?: string;
  effect: LintEffect;
  diagnostics: LintEntryDiagnostic[];
}

/** A policy's lint result as the entry of `file` (of one of its plugins, for a settings document). */
export function toLintEntry(file: string, result: LintResult, plugin?: string): LintEntry {
  return {
    ...result,
    file,
    ...(plugin !== undefined ? { plugin } : {}),
    diagnostics: result.diagnostics.map((d) => ({
      ...d,
      location: plugin !== undefined ? 'decoded-policy' : 'file',
    })),
  };
}

/** A finding about the file itself: its place there, and no JSON pointer into a policy. */
export function fileFinding(
  rule: string,
  severity: Severity,
  message: string,
  at: { line: number; column: number } = { line: 1, column: 1 },
): LintEntryDiagnostic {
  return { rule, severity, message, pointer: '', line: at.line, column: at.column, location: 'file' };
}

/**
 * The entry of a file (or a section of one) in which no policy was linted, with its one finding:
 * it could not be read, its tool refuses it, or it configures no verification. Valid unless the
 * finding is an error.
 */
export function entryWithFinding(
  file: string,
  effect: LintEffect,
  finding: LintEntryDiagnostic,
  about: { document?: DocumentKind; section?: string; upstreamMessage?: string | null } = {},
): LintEntry {
  return {
    file,
    ...(about.document !== undefined ? { document: about.document } : {}),
    ...(about.section !== undefined ? { section: about.section } : {}),
    verifier: 'custom',
    valid: finding.severity !== 'error',
    upstreamMessage: about.upstreamMessage ?? null,
    effect,
    diagnostics: [finding],
  };
}
