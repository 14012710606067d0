/**
 * The one reader of settings documents, which check --user-data, decode --userdata, apply and
 * lint share: what a file is (user-data TOML, settings JSON, an eksctl or Karpenter YAML file),
 * decided without parsing it, and the file read with only the parser it needs (smol-toml and the
 * yaml library load lazily). Pure: the bytes come from the caller.
 */
import type { FleetSection, FleetTool } from './settings-yaml.ts';
import type { SettingsFile } from './read-settings.ts';

export type SettingsFormat = 'toml' | 'json' | 'yaml';

/** A `kind:` line of an eksctl ClusterConfig or a Karpenter EC2NodeClass. */
const FLEET_KIND = /^kind:\s*["']?(ClusterConfig|EC2NodeClass)["']?\s*(#.*)?$/m;

/** Which fleet tool a file is for, from its `kind:` lines (readable even when the YAML is not). */
export function fleetToolOf(text: string): FleetTool | undefined {
  const kind = FLEET_KIND.exec(text)?.[1];
  return kind === 'ClusterConfig' ? 'eksctl' : kind === 'EC2NodeClass' ? 'karpenter' : undefined;
}

/** What a settings file is, from its name, else its content. */
export function settingsFileFormat(path: string, bytes: Uint8Array): SettingsFormat {
  if (path.endsWith('.yaml') || path.endsWith('.yml')) return 'yaml';
  if (path.endsWith('.json')) return 'json';
  if (path.endsWith('.toml')) return 'toml';
  const text = new TextDecoder().decode(bytes);
  if (fleetToolOf(text) !== undefined) return 'yaml';
  return text.trimStart().startsWith('{') ? 'json' : 'toml';
}

/** A settings document, read: its image-verifier settings, or each nodegroup's and NodeClass's. */
export type SettingsDocument =
  | { format: 'toml' | 'json'; settings: SettingsFile }
  | { format: 'yaml'; text: string; sections: FleetSection[] };

/**
 * Reads a settings document of a known format. Throws SettingsFileError (read-settings.ts) when
 * it is not one, with where reading stopped; for YAML, yamlRefusal words it.
 */
export async function readSettingsDocument(
  bytes: Uint8Array,
  format: SettingsFormat,
): Promise<SettingsDocument> {
  const { parseSettingsFile, SettingsFileError } = await import('./read-settings.ts');
  if (format !== 'yaml') return { format, settings: parseSettingsFile(bytes, format) };
  const { parseYamlStream } = await import('./yaml-docs.ts');
  const { fleetSections } = await import('./settings-yaml.ts');
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new SettingsFileError('it is not UTF-8 text');
  }
  return { format, text, sections: fleetSections(parseYamlStream(text)) };
}

/** Why a YAML file cannot be read (SettingsFileError's message), as its tool would refuse it. */
export function yamlRefusal(bytes: Uint8Array, problem: string): string {
  const cause = problem.replace(/^it is not valid YAML: /, '');
  switch (fleetToolOf(new TextDecoder().decode(bytes))) {
    case 'eksctl':
      return `not a valid ClusterConfig/YAML: eksctl would reject the file (${cause})`;
    case 'karpenter':
      return `not a valid EC2NodeClass/YAML: kubectl would reject the file (${cause})`;
    default:
      return `not a valid YAML file: ${cause}`;
  }
}
