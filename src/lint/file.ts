/**
 * Linting one file as the user handed it in: a policy (verifier given or detected), or a settings
 * document (user-data TOML, settings JSON) whose every plugin policy is decoded and linted, with
 * the file's own findings merged in. Pure: the bytes come from the caller.
 */
import type { SchemaValidator } from '../policy/custom.ts';
import { decodeBase64 } from '../policy/base64.ts';
import { FLEET_KIND } from '../formats/file-kinds.ts';
import { type Diagnostic, detectVerifier, type Effect, type LintResult, lintPolicy } from '../policy/lint.ts';
import { verifierKind } from '../policy/names.ts';
import { PositionIndex } from '../policy/positions.ts';
import { mark } from '../trace.ts';
import type { SettingsFile } from '../formats/read-settings.ts';

/** EC2 limits user data to 16 KiB before base64 (fleet tools leave even less). */
export const USER_DATA_LIMIT = 16 * 1024;

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

type InputKind = 'policy' | 'settings' | 'fleet-yaml';

/** A settings document (user-data TOML, or JSON with settings / image-verifier-plugins), or a policy. */
function classify(path: string, bytes: Uint8Array, positions: PositionIndex): InputKind {
  if (path.endsWith('.toml')) return 'settings';
  if (path.endsWith('.yaml') || path.endsWith('.yml')) return 'fleet-yaml';
  // A settings document names its keys; without them (or an escape that could spell them) it is a
  // policy, and no parse is needed to say so.
  if (!/"settings"|"image-verifier-plugins"|\\u/.test(positions.latin1)) return 'policy';
  const root = positions.root;
  if (root) {
    const isSettings =
      root.kind === 'object' &&
      root.members.some((m) => m.key === 'settings' || m.key === 'image-verifier-plugins');
    return isSettings ? 'settings' : 'policy';
  }
  if (path.endsWith('.json')) return 'policy';
  // Not JSON: user-data when it looks like TOML with a [settings…] table.
  const text = new TextDecoder().decode(bytes);
  if (FLEET_KIND.test(text)) return 'fleet-yaml';
  return /^\s*\[\s*settings[.\]]/m.test(text) ? 'settings' : 'policy';
}

export interface LintFileOptions {
  /** --verifier: lint every policy as this verifier. */
  verifier?: string | undefined;
  schema?: SchemaValidator | undefined;
}

/** Lints one file; `label` names it in reports, `path` decides by its suffix what it is. */
export async function lintFile(
  label: string,
  path: string,
  bytes: Uint8Array,
  options: LintFileOptions = {},
): Promise<LintEntry[]> {
  // One parse serves classification, verifier detection and lint.
  mark('lint');
  const positions = new PositionIndex(bytes);
  const kind = classify(path, bytes, positions);
  if (kind === 'settings') return lintSettingsFile(label, path, bytes, options);
  // The yaml library is loaded only for eksctl and Karpenter files.
  if (kind === 'fleet-yaml') return (await import('./fleet-yaml.ts')).lintFleetYaml(label, bytes, options);
  const detected =
    options.verifier !== undefined ? { verifier: verifierKind(options.verifier) } : detectVerifier(positions);
  mark('parsed');
  const entry = toLintEntry(label, lintPolicy({ bytes, ...detected, schema: options.schema, positions }));
  mark('validated');
  return [entry];
}

const fileDiagnostic = (d: Diagnostic): LintEntryDiagnostic => ({ ...d, location: 'file' });

async function lintSettingsFile(
  file: string,
  path: string,
  bytes: Uint8Array,
  options: LintFileOptions,
): Promise<LintEntry[]> {
  // smol-toml is loaded only for settings documents.
  const { parseSettingsFile, SettingsFileError } = await import('../formats/read-settings.ts');
  let parsed: SettingsFile;
  try {
    parsed = parseSettingsFile(bytes, path.endsWith('.toml') ? 'toml' : undefined);
  } catch (err) {
    if (!(err instanceof SettingsFileError)) throw err;
    return [
      {
        file,
        document: path.endsWith('.json') ? 'settings' : 'user-data',
        verifier: 'custom',
        valid: false,
        upstreamMessage: err.message,
        effect: 'rejects-all',
        diagnostics: [
          {
            rule: 'userdata/invalid',
            severity: 'error',
            message: `not a valid user-data file: ${err.message}`,
            pointer: '',
            line: err.line,
            column: err.column,
            location: 'file',
          },
        ],
      },
    ];
  }
  const general = parsed.diagnostics.filter((d) => d.plugin === undefined).map(fileDiagnostic);
  if (parsed.format === 'toml' && bytes.length > USER_DATA_LIMIT)
    general.push(tooLarge(`the file is ${bytes.length} bytes`, USER_DATA_LIMIT));
  const entries = sectionEntries(file, parsed, general, options);
  for (const entry of entries) entry.document = parsed.format === 'toml' ? 'user-data' : 'settings';
  return entries;
}

/** userdata/too-large: over what EC2 (less what the fleet tool adds) leaves for the user data. */
export function tooLarge(what: string, budget: number, line = 1, column = 1): LintEntryDiagnostic {
  return {
    rule: 'userdata/too-large',
    severity: 'warning',
    message: `${what}, over ${budget === USER_DATA_LIMIT ? `EC2's ${USER_DATA_LIMIT}-byte user-data limit` : `the ${budget} bytes EC2's ${USER_DATA_LIMIT}-byte user-data limit leaves it`}: an instance cannot be launched with it; deliver the policies over the API (civctl set) or through SSM`,
    pointer: '',
    line,
    column,
    location: 'file',
  };
}

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
    const ownProblems = parsed.diagnostics.filter((d) => d.plugin === name).map(fileDiagnostic);
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
