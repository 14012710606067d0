/**
 * apply's input: the image-verifier settings of one or more settings documents (get --raw output,
 * user-data TOML, settings JSON, eksctl and Karpenter files), merged as apiclient apply merges
 * them, every policy linted, and refused before any API call when a document fails.
 */
import { CivError } from '../errors.ts';
import type { Io } from '../io.ts';
import { note, warn } from '../output/messages.ts';
import { decodeBase64 } from '../policy/base64.ts';
import type { SchemaValidator } from '../policy/custom.ts';
import type { Effect } from '../policy/lint.ts';
import { inputLabel, isStdin } from './files.ts';
import { preparePolicy } from './policy.ts';
import { readSettingsFile, type SettingsSelector } from './settings-file.ts';

export interface Wanted {
  enabled: boolean | undefined;
  /** Plugin name → base64 trust policy, later files winning, as apiclient apply merges them. */
  plugins: Map<string, string>;
  effects: Map<string, Effect>;
}

/** Reads, checks and lints every document; refuses (before any API call) what fails. */
export async function readDocuments(
  io: Io,
  files: string[],
  force: boolean,
  select: SettingsSelector,
  schema?: SchemaValidator,
) {
  const wanted: Wanted = { enabled: undefined, plugins: new Map(), effects: new Map() };
  const sources = new Map<string, string>();
  for (const path of files) {
    const doc = await readSettingsFile(io, path, select);
    const label = doc.section !== undefined ? `${inputLabel(path)} (${doc.section})` : inputLabel(path);
    const errors = doc.diagnostics.filter((d) => d.severity === 'error');
    if (errors.length > 0) {
      const first = errors[0]!;
      throw new CivError(
        'E_INVALID_USERDATA',
        `${label}:${first.line}:${first.column}: ${first.message}${errors.length > 1 ? ` (and ${errors.length - 1} more; civctl lint ${isStdin(path) ? '-' : path} lists them)` : ''}`,
      );
    }
    if (doc.plugins.length === 0 && doc.enabled === undefined) {
      warn(io, `${label} holds no settings.image-verifier-plugins; nothing to take from it`);
      continue;
    }
    if (doc.otherSettings.length > 0)
      note(
        io,
        `${label} also holds ${doc.otherSettings.join(', ')}: civctl applies only settings.image-verifier-plugins (use apiclient apply for the rest)`,
      );
    if (doc.enabled !== undefined) wanted.enabled = doc.enabled;
    for (const plugin of doc.plugins) {
      if (plugin.trustpolicy === undefined) continue;
      const { lint } = await preparePolicy(
        io,
        decodeBase64(plugin.trustpolicy),
        `${label} (${plugin.name})`,
        plugin.name,
        {
          force,
          schema,
          described: `${label}: the ${plugin.name} trust policy`,
        },
      );
      if (sources.has(plugin.name) && sources.get(plugin.name) !== label)
        note(io, `${plugin.name}: the policy in ${label} replaces the one in ${sources.get(plugin.name)}`);
      sources.set(plugin.name, label);
      wanted.plugins.set(plugin.name, plugin.trustpolicy);
      wanted.effects.set(plugin.name, lint.effect);
    }
  }
  if (wanted.plugins.size === 0 && wanted.enabled === undefined)
    throw new CivError(
      'E_INVALID_USERDATA',
      `nothing to apply: no settings.image-verifier-plugins in ${files.map(inputLabel).join(', ')}`,
    );
  return wanted;
}
