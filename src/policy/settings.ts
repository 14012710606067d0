/** The settings documents civctl builds and reads: API bodies, user-data, apiclient output. */

/** actix-web's default JSON body limit on the API server. */
export const API_BODY_LIMIT = 2 * 1024 * 1024;

export interface PluginPolicies {
  /** Plugin name → base64 trust policy. */
  plugins: Map<string, string>;
  enabled?: boolean;
}

/** The `image-verifier-plugins` object, as PATCH /settings wants it (without `settings`). */
export function imageVerifierPluginsObject(p: PluginPolicies): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (p.enabled !== undefined) out['enabled'] = p.enabled;
  for (const [name, trustpolicy] of p.plugins) out[name] = { trustpolicy };
  return out;
}

export function patchBody(p: PluginPolicies): string {
  return JSON.stringify({ 'image-verifier-plugins': imageVerifierPluginsObject(p) });
}

/** A plugin's stored base64 trust policy, when it has one. */
export function trustPolicyOf(plugins: Record<string, unknown>, name: string): string | undefined {
  const value = name === 'enabled' ? undefined : plugins[name];
  if (typeof value !== 'object' || value === null) return undefined;
  const tp = (value as Record<string, unknown>)['trustpolicy'];
  return typeof tp === 'string' ? tp : undefined;
}
