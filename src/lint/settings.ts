/**
 * Linting the image-verifier settings of one settings section — a user-data or settings JSON
 * document, an eksctl nodegroup, a Karpenter NodeClass's user data: one entry per plugin (its
 * policy linted, or its own problems), with the section's findings on the first.
 */
import { type Channel, overUserDataLimit } from '../formats/budget.ts';
import type { SettingsFile } from '../formats/read-settings.ts';
import { decodeBase64 } from '../policy/base64.ts';
import type { SchemaValidator } from '../policy/custom.ts';
import { lintPolicy } from '../policy/lint.ts';
import { verifierKind } from '../policy/names.ts';
import type { TrustStoreLookup } from '../policy/notation/advice.ts';
import { fileFinding, type LintEntry, type LintEntryDiagnostic, toLintEntry } from './entries.ts';

export interface LintFileOptions {
  /** --verifier: lint every policy as this verifier. */
  verifier?: string | undefined;
  schema?: SchemaValidator | undefined;
  /** --trust-store: what the directory holds, for notation's trust stores. */
  trustStore?: TrustStoreLookup | undefined;
}

/** userdata/too-large, when user data of `bytes` is over what its channel leaves it (formats/budget.ts). */
export function tooLarge(
  channel: Channel,
  subject: string,
  bytes: number,
  at?: { line: number; column: number },
): LintEntryDiagnostic | undefined {
  const message = overUserDataLimit(channel, subject, bytes);
  return message === undefined ? undefined : fileFinding('userdata/too-large', 'warning', message, at);
}

/** A settings file's own findings, placed in the file. */
export const fileDiagnostics = (parsed: Pick<SettingsFile, 'diagnostics'>, plugin?: string) =>
  parsed.diagnostics
    .filter((d) => d.plugin === plugin)
    .map((d): LintEntryDiagnostic => ({ ...d, location: 'file' }));

/**
 * One entry per plugin of a settings section (its policy linted, or its own problems), the
 * section's general findings on the first; `prefix` names where the section sits in the file.
 */
export function sectionEntries(
  file: string,
  parsed: Pick<SettingsFile, 'plugins' | 'diagnostics'>,
  general: LintEntryDiagnostic[],
  options: LintFileOptions,
  prefix = '',
): LintEntry[] {
  const entries: LintEntry[] = [];
  const names = new Set<string>([
    ...parsed.plugins.map((p) => p.name),
    ...parsed.diagnostics.flatMap((d) => (d.plugin !== undefined ? [d.plugin] : [])),
  ]);
  for (const name of names) {
    const kind = verifierKind(options.verifier ?? name);
    const plugin = parsed.plugins.find((p) => p.name === name);
    const ownProblems = fileDiagnostics(parsed, name);
    let entry: LintEntry;
    if (
      plugin?.trustpolicy !== undefined &&
      plugin.base64Valid &&
      ownProblems.every((d) => d.severity !== 'error')
    ) {
      const result = lintPolicy({
        bytes: decodeBase64(plugin.trustpolicy),
        verifier: kind,
        schema: options.schema,
        trustStore: options.trustStore,
      });
      entry = toLintEntry(file, result, prefix + name);
      // Each finding also carries where the encoded value is in the file, for file:line:col reports.
      if (plugin.valueAt)
        for (const d of entry.diagnostics) {
          d.fileLine = plugin.valueAt.line;
          d.fileColumn = plugin.valueAt.column;
        }
    } else {
      const first = ownProblems.find((d) => d.severity === 'error');
      const empty = plugin !== undefined && plugin.trustpolicy === undefined && ownProblems.length === 0;
      entry = {
        file,
        plugin: prefix + name,
        verifier: kind,
        valid: empty,
        upstreamMessage: empty ? null : (first?.message ?? null),
        effect: empty ? 'allows-all' : 'rejects-all',
        diagnostics: [],
      };
    }
    entry.diagnostics = ownProblems.concat(entry.diagnostics);
    entries.push(entry);
  }
  if (entries.length === 0) {
    // No plugin: the entry stands for the settings themselves, which verify nothing.
    const firstError = general.find((d) => d.severity === 'error');
    entries.push({
      file,
      verifier: 'custom',
      valid: firstError === undefined,
      upstreamMessage: firstError?.message ?? null,
      effect: 'allows-all',
      diagnostics: general,
    });
  } else entries[0]!.diagnostics = general.concat(entries[0]!.diagnostics);
  return entries;
}
