/**
 * Linting one file as the user handed it in: a policy (verifier given or detected), or a settings
 * document — user-data TOML, settings JSON, an eksctl or Karpenter file (lint/fleet-yaml.ts) —
 * whose every plugin policy is decoded and linted, with the file's own findings merged in. Pure:
 * the bytes come from the caller.
 */
import {
  readSettingsDocument,
  type SettingsFormat,
  settingsFileFormat,
} from '../formats/settings-document.ts';
import { detectVerifier, lintPolicy } from '../policy/lint.ts';
import { verifierKind } from '../policy/names.ts';
import { PositionIndex } from '../policy/positions.ts';
import { expectLongRun, LONG_RUN_BYTES, mark } from '../trace.ts';
import { entryWithFinding, fileFinding, type LintEntry, toLintEntry } from './entries.ts';
import { fileDiagnostics, type LintFileOptions, sectionEntries, tooLarge } from './settings.ts';

export type { LintFileOptions } from './settings.ts';

/**
 * A policy, or a settings document of its format. A settings document names its keys or is named
 * as one (.toml, .yaml); without them (or an escape that could spell them) a file is a policy, and
 * no parse is needed to say so.
 */
function classify(path: string, bytes: Uint8Array, positions: PositionIndex): 'policy' | SettingsFormat {
  const settings = () => settingsFileFormat(path, bytes);
  if (/\.(toml|ya?ml)$/.test(path)) return settings();
  if (!/"settings"|"image-verifier-plugins"|\\u/.test(positions.latin1)) return 'policy';
  const root = positions.root;
  if (root)
    return root.kind === 'object' &&
      root.members.some((m) => m.key === 'settings' || m.key === 'image-verifier-plugins')
      ? settings()
      : 'policy';
  if (path.endsWith('.json')) return 'policy';
  // Not JSON: a fleet file, or user-data when it looks like TOML with a [settings…] table.
  const format = settings();
  return format === 'yaml' || /^\s*\[\s*settings[.\]]/m.test(new TextDecoder().decode(bytes))
    ? format
    : 'policy';
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
  // The yaml library is loaded only for eksctl and Karpenter files.
  if (kind === 'yaml') return (await import('./fleet-yaml.ts')).lintFleetYaml(label, bytes, options);
  if (kind !== 'policy') return lintSettingsFile(label, kind, bytes, options);
  const detected =
    options.verifier !== undefined ? { verifier: verifierKind(options.verifier) } : detectVerifier(positions);
  // A large notation policy runs the same checks thousands of times (a digest list's one tight loop
  // is better optimised: measured both ways, docs/performance.md).
  if (detected.verifier === 'notation' && bytes.length >= LONG_RUN_BYTES) expectLongRun();
  mark('parsed');
  const entry = toLintEntry(
    label,
    lintPolicy({ bytes, ...detected, schema: options.schema, positions, trustStore: options.trustStore }),
  );
  mark('validated');
  return [entry];
}

/** A user-data TOML or settings JSON document. */
async function lintSettingsFile(
  file: string,
  format: 'toml' | 'json',
  bytes: Uint8Array,
  options: LintFileOptions,
): Promise<LintEntry[]> {
  const document = format === 'toml' ? 'user-data' : 'settings';
  // smol-toml is loaded only for settings documents.
  const { SettingsFileError } = await import('../formats/read-settings.ts');
  let read: Awaited<ReturnType<typeof readSettingsDocument>>;
  try {
    read = await readSettingsDocument(bytes, format);
  } catch (err) {
    if (!(err instanceof SettingsFileError)) throw err;
    const finding = fileFinding(
      'userdata/invalid',
      'error',
      `not a valid user-data file: ${err.message}`,
      err,
    );
    return [entryWithFinding(file, 'rejects-all', finding, { document, upstreamMessage: err.message })];
  }
  if (read.format === 'yaml') throw new Error('a TOML or JSON document read as YAML');
  const general = fileDiagnostics(read.settings);
  const large = format === 'toml' ? tooLarge('userdata', 'the file is', bytes.length) : undefined;
  if (large) general.push(large);
  const entries = sectionEntries(file, read.settings, general, options);
  for (const entry of entries) entry.document = document;
  return entries;
}
