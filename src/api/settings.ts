/**
 * Typed functions for the routes civctl uses. They know HTTP paths and check the shape of what
 * the API answers (a malformed answer is E_API_PROTOCOL, never a guess); nothing about the CLI.
 */
import { CivError } from '../errors.ts';
import type { OsInfo } from '../policy/variants.ts';
import type { ApiClient } from './client.ts';

export type { OsInfo };

/** The `image-verifier-plugins` object as stored: base64 strings, `enabled` when set. */
export type PluginSettings = Record<string, unknown>;

const PREFIX = 'settings.image-verifier-plugins';

/** A private transaction name, like apiclient's `apiclient-set-<random>`. */
export function newTransactionName(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  // Web Crypto's global: node:crypto itself costs start-up for every API command.
  const bytes = globalThis.crypto.getRandomValues(new Uint8Array(16));
  return 'civctl-' + Array.from(bytes, (b) => alphabet[b % alphabet.length]).join('');
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function protocolError(what: string): CivError {
  return new CivError('E_API_PROTOCOL', `the API answered ${what}; is this the Bottlerocket API?`);
}

/** The raw `settings.image-verifier-plugins` document, exactly as `apiclient get` reads it. */
export async function getImageVerifierModel(
  client: ApiClient,
  signal?: AbortSignal,
): Promise<Record<string, unknown>> {
  const path = `/?prefix=${encodeURIComponent(PREFIX)}`;
  const model = await client.getJson(path, signal);
  if (!isObject(model)) throw protocolError(`GET ${path} with JSON that is not an object`);
  pluginsOf(model); // checks the shape
  return model;
}

/** The plugins object of a model document; throws E_API_PROTOCOL when its shape is wrong. */
export function pluginsOf(model: Record<string, unknown>): PluginSettings {
  const settings = model['settings'];
  if (settings === undefined) return {};
  if (!isObject(settings)) throw protocolError('a `settings` value that is not an object');
  const plugins = settings['image-verifier-plugins'];
  if (plugins === undefined) return {};
  if (!isObject(plugins)) throw protocolError('an `image-verifier-plugins` value that is not an object');
  for (const [name, value] of Object.entries(plugins)) {
    if (name === 'enabled') {
      if (typeof value !== 'boolean') throw protocolError('an `enabled` value that is not true or false');
      continue;
    }
    if (!isObject(value)) throw protocolError(`a \`${name}\` plugin that is not an object`);
    const tp = value['trustpolicy'];
    if (tp !== undefined && typeof tp !== 'string')
      throw protocolError(`a \`${name}.trustpolicy\` that is not a string`);
  }
  return plugins;
}

/** A JSON list of key names (what commit and DELETE /tx answer); anything else is no keys. */
function keyList(body: string): string[] {
  try {
    const keys: unknown = JSON.parse(body);
    return Array.isArray(keys) ? keys.map(String) : [];
  } catch {
    return [];
  }
}

/** PATCH /settings?tx=… with a Settings object (no `settings` wrapper). */
export async function patchSettings(
  client: ApiClient,
  tx: string,
  body: string,
  signal?: AbortSignal,
): Promise<void> {
  await client.request('PATCH', `/settings?tx=${encodeURIComponent(tx)}`, body, signal);
}

/** POST /tx/commit_and_apply?tx=…: returns the committed key names. */
export async function commitAndApply(client: ApiClient, tx: string, signal?: AbortSignal): Promise<string[]> {
  const { body } = await client.request(
    'POST',
    `/tx/commit_and_apply?tx=${encodeURIComponent(tx)}`,
    undefined,
    signal,
  );
  return keyList(body);
}

/** DELETE /tx?tx=…: discards a transaction; returns the deleted key names. */
export async function deleteTransaction(client: ApiClient, tx: string): Promise<string[]> {
  const { body } = await client.request('DELETE', `/tx?tx=${encodeURIComponent(tx)}`);
  return keyList(body);
}

export async function getOs(client: ApiClient, signal?: AbortSignal): Promise<OsInfo> {
  const os = await client.getJson('/os', signal);
  if (!isObject(os)) throw protocolError('GET /os with JSON that is not an object');
  const info: OsInfo = {};
  for (const key of ['arch', 'build_id', 'pretty_name', 'variant_id', 'version_id'] as const)
    if (typeof os[key] === 'string') info[key] = os[key];
  return info;
}

/** GET /metadata/affected-services?keys=…: which services a change restarts. */
export async function getAffectedServices(client: ApiClient, keys: string[]): Promise<string[]> {
  const meta = await client.getJson(
    `/metadata/affected-services?keys=${keys.map(encodeURIComponent).join(',')}`,
  );
  if (!isObject(meta))
    throw protocolError('GET /metadata/affected-services with something that is not an object');
  const services = Object.values(meta).flatMap((v) => (Array.isArray(v) ? v.map(String) : []));
  return [...new Set(services)].sort();
}
