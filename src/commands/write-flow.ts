/** The write path shared by set, enable and disable: variant checks, diff, one private transaction. */
import type { ApiClient } from '../api/client.ts';
import { ApiResponseError } from '../api/errors.ts';
import type { OsInfo } from '../api/settings.ts';
import { CivError } from '../errors.ts';
import { describeOs, SUPPORTED_VARIANTS_TEXT, variantModel } from '../policy/variants.ts';
import { loadSettingsApi } from './api-context.ts';

/** Refuses, before anything is written, what the node's settings model cannot hold. */
export function assertVariantAccepts(os: OsInfo, verifiers: string[]): void {
  const model = variantModel(os);
  if (model === 'unsupported')
    throw new CivError(
      'E_UNSUPPORTED_VARIANT',
      `${describeOs(os)} has no image verification settings; they exist on ${SUPPORTED_VARIANTS_TEXT}`,
    );
  if (model === 'legacy') {
    const other = verifiers.filter((v) => v !== 'notation');
    if (other.length > 0)
      throw new CivError(
        'E_LEGACY_MODEL',
        `${describeOs(os)} uses the legacy image-verifier model, which has only the notation verifier (not ${other.join(', ')}); update to Bottlerocket 1.56 or later for digestion and custom verifiers`,
      );
  }
}

/** Turns the API's 400 "unknown field" answers into messages about the variant. */
export function explainWriteError(err: unknown, os: OsInfo | undefined): unknown {
  if (!(err instanceof ApiResponseError) || err.status !== 400 || !/unknown field/.test(err.body)) return err;
  if (/unknown field `image-verifier-plugins`/.test(err.body))
    return new CivError(
      'E_UNSUPPORTED_VARIANT',
      `${os ? describeOs(os) : 'this Bottlerocket variant'} has no image verification settings; they exist on ${SUPPORTED_VARIANTS_TEXT} (the API answered: ${err.body.trim()})`,
    );
  if (os && variantModel(os) === 'legacy')
    return new CivError(
      'E_LEGACY_MODEL',
      `${describeOs(os)} uses the legacy image-verifier model, which has only the notation verifier; update to Bottlerocket 1.56 or later (the API answered: ${err.body.trim()})`,
    );
  return err;
}

/** The server answered, but not usefully: an optional lookup can do without it. */
function isAnswerProblem(err: unknown): boolean {
  return err instanceof ApiResponseError || (err instanceof CivError && err.code === 'E_API_PROTOCOL');
}

/** GET /os, tolerating servers that do not answer it (the write still gets the real verdict). */
export async function tryGetOs(client: ApiClient): Promise<OsInfo | undefined> {
  const api = await loadSettingsApi();
  try {
    return await api.getOs(client);
  } catch (err) {
    if (isAnswerProblem(err)) return undefined;
    throw err;
  }
}

/** PATCH + commit_and_apply in a private transaction, deleting it on failure. */
export async function writeSettings(
  client: ApiClient,
  body: string,
  os: OsInfo | undefined,
): Promise<string[]> {
  const api = await loadSettingsApi();
  try {
    return await api.applyInTransaction(client, body);
  } catch (err) {
    throw explainWriteError(err, os);
  }
}

/** Which services a change restarts, or undefined when the API does not say. */
export async function affectedServices(client: ApiClient, keys: string[]): Promise<string[] | undefined> {
  const api = await loadSettingsApi();
  try {
    const meta = await api.getAffectedServices(client, keys);
    return [...new Set(Object.values(meta).flat().map(String))].sort();
  } catch (err) {
    if (isAnswerProblem(err) || err instanceof TypeError) return undefined;
    throw err;
  }
}
