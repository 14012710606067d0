/** The settings documents civctl builds and reads: API bodies, user-data, apiclient output. */
import { CivError } from '../errors.ts';
import { checkStrictBase64, decodeBase64 } from './base64.ts';
import { type JsonNode, parseJson } from './json.ts';
import { GO_MAX_DEPTH } from './positions.ts';

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

/** The length of the PATCH body that sets one policy of `policyBytes` bytes for `name`. */
export function patchBodyLength(policyBytes: number, name: string): number {
  return patchBody({ plugins: new Map([[name, '']]) }).length + 4 * Math.ceil(policyBytes / 3);
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

/** `{settings: {image-verifier-plugins: …}}`: the tree user-data and `apiclient set --json` hold. */
export function settingsTree(p: PluginPolicies): Record<string, unknown> {
  return { settings: { 'image-verifier-plugins': imageVerifierPluginsObject(p) } };
}

/** The PATCH body for these settings; refused when it would exceed the API's 2 MiB limit. */
export function bodyWithinLimit(settings: PluginPolicies): string {
  const body = patchBody(settings);
  if (body.length > API_BODY_LIMIT)
    throw new CivError(
      'E_BODY_TOO_LARGE',
      `the settings request would be ${body.length} bytes, over the API's ${API_BODY_LIMIT}-byte (2 MiB) limit; ${settings.plugins.size > 1 ? 'set the policies one at a time, ' : ''}use --minify, or shorten the policy`,
    );
  return body;
}

/** A stored policy as `get` shows it: its own JSON (spellings, order, duplicates kept), or the stored text. */
export type ShownPolicy = { json: JsonNode } | { stored: string };

/** Every plugin's stored policy, decoded and parsed where it can be. */
export function shownPolicies(plugins: Record<string, unknown>): Map<string, ShownPolicy> {
  const out = new Map<string, ShownPolicy>();
  for (const name of Object.keys(plugins)) {
    const stored = trustPolicyOf(plugins, name);
    if (stored === undefined) continue;
    if (checkStrictBase64(stored)) {
      out.set(name, { stored });
      continue;
    }
    const parsed = parseJson(decodeBase64(stored), { maxDepth: GO_MAX_DEPTH, allowTrailing: false });
    out.set(name, parsed.ok ? { json: parsed.node } : { stored });
  }
  return out;
}
