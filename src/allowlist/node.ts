/**
 * The node's digestion allowlist edited through the API without losing concurrent updates: a lock
 * every civctl process on this machine shares, and a re-read after the commit that re-applies what
 * another writer undid (the API has no compare-and-swap).
 */
import { type ApiTarget, withApi } from '../api/connect.ts';
import { getImageVerifierModel, pluginsOf } from '../api/settings.ts';
import { applySettings, readLive } from '../api/write.ts';
import { CivError } from '../errors.ts';
import { apiLockPath, withLock } from '../inputs/lock.ts';
import type { Io } from '../io.ts';
import { dryRun, note, rollbackNotes, say } from '../output/messages.ts';
import { decodeBase64, encodeBase64 } from '../policy/base64.ts';
import { allowlistProblem, EMPTY_ALLOWLIST, editAllowlist, listedDigests } from '../policy/digest-list.ts';
import { bodyWithinLimit, trustPolicyOf } from '../policy/settings.ts';
import { admit, type EditOptions, interruptedError, reportBudget, unchanged, step, what } from './edit.ts';

export interface NodeEditOptions extends EditOptions, ApiTarget {}

/** The node's digestion policy bytes (the empty allowlist when none is set). */
export function livePolicy(plugins: Record<string, unknown>): Uint8Array {
  const stored = trustPolicyOf(plugins, 'digestion');
  return stored === undefined ? Buffer.from(EMPTY_ALLOWLIST) : decodeBase64(stored);
}

export async function editNode(
  io: Io,
  options: NodeEditOptions,
  add: string[],
  remove: string[],
): Promise<void> {
  await withApi(options, (client) => {
    const edit = async (signal: AbortSignal) => {
      const nothingYet = 'before anything was sent; nothing changed';
      const live = await step(signal, nothingYet, () => readLive(client, ['digestion'], signal));
      const current = livePolicy(live.plugins);
      const problem = allowlistProblem(current);
      if (problem)
        throw new CivError(
          'E_INVALID_JSON',
          `the node's digestion policy cannot be edited as an allowlist: ${problem}; replace it with civctl set`,
        );
      const edit = editAllowlist(current, add, remove);
      unchanged(io, edit.present, edit.absent);
      if (edit.added.length === 0 && edit.removed.length === 0) {
        say(io, 'the node already holds this allowlist; nothing sent');
        return;
      }
      await admit(io, 'digestion', listedDigests(current), edit.bytes, options.force);
      const body = bodyWithinLimit({ plugins: new Map([['digestion', encodeBase64(edit.bytes)]]) });
      if (options.dryRun) {
        io.stdout.write(body + '\n');
        dryRun(io);
        return;
      }
      if (signal.aborted) throw interruptedError(signal, nothingYet);
      await applySettings(client, body, live, signal);
      say(io, `${what(edit.added, edit.removed)} on the node`);
      // The API has no compare-and-swap: read back, and re-apply what another writer undid.
      const readingBack =
        'after the change was committed, before it was read back; check it with civctl digests list';
      let final = edit.bytes;
      for (let round = 0; round < 5; round++) {
        const model = await step(signal, readingBack, () => getImageVerifierModel(client, signal));
        const now = livePolicy(pluginsOf(model));
        const listed = new Set(listedDigests(now));
        const lost = edit.added.filter((d) => !listed.has(d));
        const back = edit.removed.filter((d) => listed.has(d));
        final = now;
        if ((lost.length === 0 && back.length === 0) || allowlistProblem(now)) break;
        note(
          io,
          `another writer changed the allowlist at the same time; re-applying ${lost.length + back.length} of this run's changes`,
        );
        const again = editAllowlist(now, lost, back);
        final = again.bytes;
        const retry = bodyWithinLimit({ plugins: new Map([['digestion', encodeBase64(again.bytes)]]) });
        await applySettings(client, retry, live, signal);
      }
      if (live.plugins['enabled'] !== true)
        note(io, 'image verification is not enabled; run civctl enable to enforce policies');
      await reportBudget(io, final);
      rollbackNotes(io, live.os, { ...live.plugins, digestion: { trustpolicy: encodeBase64(final) } });
    };
    // --dry-run sends nothing, so it needs no lock.
    if (options.dryRun) return edit(new AbortController().signal);
    return withLock(
      io,
      apiLockPath(io, options.socketPath),
      `the node's digestion policy (${options.socketPath})`,
      edit,
    );
  });
}
