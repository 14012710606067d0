/** User-data TOML: a module of its own, so that smol-toml loads only for the commands that write TOML. */
import { stringify as stringifyToml } from 'smol-toml';
import { type PluginPolicies, settingsTree } from '../policy/settings.ts';

/** A user-data TOML document. */
export function renderToml(input: PluginPolicies): string {
  const out = stringifyToml(settingsTree(input));
  return out.endsWith('\n') ? out : out + '\n';
}
