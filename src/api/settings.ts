/** Typed functions for the routes civctl uses. They know HTTP paths, nothing about the CLI. */
import type { OsInfo } from '../policy/variants.ts';
import type { ApiClient } from './client.ts';

export type { OsInfo };

/** The `image-verifier-plugins` object as stored: base64 strings, `enabled` when set. */
export type PluginSettings = Record<string, unknown>;

const PREFIX = 'settings.image-verifier-plugins';

/** A private transaction name, like apiclient's `apiclient-set-<random>`. */
export function newTransactionName(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  // Web Crypto's global: node:crypto itself costs start-up for every API command, and only set needs this.
  const bytes = globalThis.crypto.getRandomValues(new Uint8Array(16));
  return 'civctl-' + Array.from(bytes, (b) => alphabet[b % alphabet.length]).join('');
}

/** GET /?prefix=…: the model in apiclient's wrapped shape, e.g. {"settings":{…}}. */
export function getModel(client: ApiClient, prefix: string): Promise<Record<string, unknown>> {
  return client.getJson(`/?prefix=${encodeURIComponent(prefix)}`);
}

/** GET /settings?prefix=…: the unwrapped Settings object. */
export function getSettings(
  client: ApiClient,
  query: { prefix?: string; keys?: string[] },
): Promise<Record<string, unknown>> {
  const q = query.keys
    ? `keys=${query.keys.map(encodeURIComponent).join(',')}`
    : `prefix=${encodeURIComponent(query.prefix ?? '')}`;
  return client.getJson(`/settings?${q}`);
}

/** The raw `settings.image-verifier-plugins` document, exactly as `apiclient get` reads it. */
export function getImageVerifierModel(client: ApiClient): Promise<Record<string, unknown>> {
  return getModel(client, PREFIX);
}

export function pluginsOf(model: Record<string, unknown>): PluginSettings {
  const settings = model['settings'];
  if (typeof settings !== 'object' || settings === null) return {};
  const plugins = (settings as Record<string, unknown>)['image-verifier-plugins'];
  return typeof plugins === 'object' && plugins !== null ? (plugins as PluginSettings) : {};
}

/** PATCH /settings?tx=… with a Settings object (no `settings` wrapper). */
export async function patchSettings(client: ApiClient, tx: string, body: string): Promise<void> {
  await client.request('PATCH', `/settings?tx=${encodeURIComponent(tx)}`, body);
}

/** POST /tx/commit_and_apply?tx=…: returns the committed key names. */
export async function commitAndApply(client: ApiClient, tx: string): Promise<string[]> {
  const { body } = await client.request('POST', `/tx/commit_and_apply?tx=${encodeURIComponent(tx)}`);
  try {
    const keys: unknown = JSON.parse(body);
    return Array.isArray(keys) ? keys.map(String) : [];
  } catch {
    return [];
  }
}

/** GET /tx?tx=…: the pending settings of a transaction. */
export function getTransaction(client: ApiClient, tx: string): Promise<Record<string, unknown>> {
  return client.getJson(`/tx?tx=${encodeURIComponent(tx)}`);
}

/** DELETE /tx?tx=…: discards a transaction; returns the deleted key names. */
export async function deleteTransaction(client: ApiClient, tx: string): Promise<string[]> {
  const { body } = await client.request('DELETE', `/tx?tx=${encodeURIComponent(tx)}`);
  try {
    const keys: unknown = JSON.parse(body);
    return Array.isArray(keys) ? keys.map(String) : [];
  } catch {
    return [];
  }
}

/** GET /os. */
export function getOs(client: ApiClient): Promise<OsInfo> {
  return client.getJson('/os');
}

/** GET /metadata/affected-services?keys=…: which services a change restarts. */
export function getAffectedServices(client: ApiClient, keys: string[]): Promise<Record<string, string[]>> {
  return client.getJson(`/metadata/affected-services?keys=${keys.map(encodeURIComponent).join(',')}`);
}

/**
 * PATCH in a private transaction, then commit and apply it. On any failure after the PATCH was
 * attempted, the transaction is deleted so nothing is left pending.
 */
export async function applyInTransaction(client: ApiClient, body: string): Promise<string[]> {
  const tx = newTransactionName();
  try {
    await patchSettings(client, tx, body);
    return await commitAndApply(client, tx);
  } catch (err) {
    await deleteTransaction(client, tx).catch(() => undefined);
    throw err;
  }
}
