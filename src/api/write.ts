/**
 * The one write path for every command that changes settings: read the live state (with the
 * variant checks), then PATCH and commit_and_apply in a private transaction that is deleted on
 * any failure or interruption, so nothing is ever left pending.
 */
import { CivError, InterruptedError } from '../errors.ts';
import {
  assertVariantAccepts,
  describeOs,
  SUPPORTED_VARIANTS_TEXT,
  variantModel,
} from '../policy/variants.ts';
import type { ApiClient } from './client.ts';
import { ApiResponseError, ApiTimeoutError } from './errors.ts';
import {
  commitAndApply,
  deleteTransaction,
  getAffectedServices,
  getImageVerifierModel,
  getOs,
  newTransactionName,
  type OsInfo,
  type PluginSettings,
  patchSettings,
  pluginsOf,
} from './settings.ts';

export interface LiveSettings {
  os: OsInfo | undefined;
  /** Why GET /os gave nothing usable (the variant checks were then skipped). */
  osProblem?: string;
  plugins: PluginSettings;
}

/** The server answered, but not usefully: an optional lookup can do without it. */
function isAnswerProblem(err: unknown): boolean {
  return err instanceof ApiResponseError || (err instanceof CivError && err.code === 'E_API_PROTOCOL');
}

/**
 * GET /os and the image-verifier settings. With `verifiers` (the ones about to be written), refuses
 * before anything is written what the variant cannot hold; null only reads.
 */
export async function readLive(
  client: ApiClient,
  verifiers: string[] | null,
  signal?: AbortSignal,
): Promise<LiveSettings> {
  let os: OsInfo | undefined;
  let osProblem: string | undefined;
  try {
    os = await getOs(client, signal);
  } catch (err) {
    if (!isAnswerProblem(err)) throw err;
    osProblem = (err as Error).message;
  }
  if (os && verifiers) assertVariantAccepts(os, verifiers);
  const plugins = pluginsOf(await getImageVerifierModel(client, signal));
  return { os, ...(osProblem !== undefined ? { osProblem } : {}), plugins };
}

/** Which services a change restarts, or undefined when the API does not say. */
export async function affectedServices(client: ApiClient, keys: string[]): Promise<string[] | undefined> {
  try {
    return await getAffectedServices(client, keys);
  } catch (err) {
    if (isAnswerProblem(err)) return undefined;
    throw err;
  }
}

/** How long discarding a transaction may take on the way out, so that an exit is never held up. */
const DISCARD_BUDGET_MS = 3000;

/** DELETE /tx, bounded; resolves to why it failed, or undefined when the transaction is gone. */
async function discard(client: ApiClient, tx: string): Promise<string | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const outOfTime = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`no answer within ${DISCARD_BUDGET_MS / 1000} s`), DISCARD_BUDGET_MS);
  });
  try {
    return await Promise.race([
      deleteTransaction(client, tx).then(
        () => undefined,
        (err: unknown) => (err as Error).message,
      ),
      outOfTime,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * PATCH in a private transaction, then commit and apply it; returns the committed keys. On any
 * failure, or when `signal` aborts (SIGINT/SIGTERM), the transaction is deleted before this throws.
 */
export async function applySettings(
  client: ApiClient,
  body: string,
  live: Pick<LiveSettings, 'os'>,
  signal?: AbortSignal,
): Promise<string[]> {
  const tx = newTransactionName();
  let phase: 'patch' | 'commit' = 'patch';
  try {
    await patchSettings(client, tx, body, signal);
    phase = 'commit';
    return await commitAndApply(client, tx, signal);
  } catch (err) {
    const leftOver = await discard(client, tx);
    const cleanup =
      leftOver === undefined
        ? ''
        : `; transaction ${tx} could not be removed (${leftOver}): remove it with apiclient raw -m DELETE -u '/tx?tx=${tx}'`;
    if (signal?.aborted) {
      const name = String(signal.reason);
      throw new InterruptedError(
        name,
        phase === 'patch'
          ? `interrupted by ${name} before the change was committed; ${leftOver === undefined ? `transaction ${tx} was discarded, nothing changed` : cleanup.slice(2)}`
          : `interrupted by ${name} while committing: the change may or may not have been applied; check the live settings${cleanup}`,
      );
    }
    if (phase === 'commit' && err instanceof ApiTimeoutError)
      throw new ApiTimeoutError(
        err.socketPath,
        `${err.message}; the commit may or may not have been applied, check the live settings before trying again${cleanup}`,
      );
    const explained = explainWriteError(err, live.os);
    if (cleanup && explained instanceof CivError)
      throw new CivError(explained.code, explained.message + cleanup, explained.exitCode);
    throw explained;
  }
}

/** Turns the API's 400 "unknown field" answers into messages about the variant. */
function explainWriteError(err: unknown, os: OsInfo | undefined): unknown {
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
