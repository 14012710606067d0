/** What a settings file is, decided without parsing it (so no parser loads before it is needed). */

/** A `kind:` line of an eksctl ClusterConfig or a Karpenter EC2NodeClass. */
export const FLEET_KIND = /^kind:\s*["']?(ClusterConfig|EC2NodeClass)["']?\s*(#.*)?$/m;

/** What a settings file is, from its name, else its content. */
export function settingsFileFormat(path: string, bytes: Uint8Array): 'toml' | 'json' | 'yaml' {
  if (path.endsWith('.yaml') || path.endsWith('.yml')) return 'yaml';
  if (path.endsWith('.json')) return 'json';
  if (path.endsWith('.toml')) return 'toml';
  const text = new TextDecoder().decode(bytes);
  if (FLEET_KIND.test(text)) return 'yaml';
  return text.trimStart().startsWith('{') ? 'json' : 'toml';
}
