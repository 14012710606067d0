/**
 * digests list | add | remove: keep a digestion allowlist by image, in a local file or on the node,
 * without losing concurrent updates (a lock every civctl process on this machine shares, and on
 * the node a re-read after the commit that re-applies what another writer undid).
 */
import { relative, resolve } from 'node:path';
import { withApi } from '../api/connect.ts';
import { getImageVerifierModel, pluginsOf } from '../api/settings.ts';
import { applySettings, readLive } from '../api/write.ts';
import { CivError, InterruptedError, ReportedError, UsageError } from '../errors.ts';
import { checkReplaceable, editTarget, readInput, replaceFile } from '../inputs/files.ts';
import { apiLockPath, fileLockPath, withLock } from '../inputs/lock.ts';
import { forceGate } from '../inputs/policy.ts';
import { type RegistryArgs, registryClient } from '../inputs/registry.ts';
import type { Io } from '../io.ts';
import { reportText } from '../output/lint-report.ts';
import { safeJson, terminalSafe } from '../output/escape.ts';
import { dryRun, note, rollbackNotes, say, warn } from '../output/messages.ts';
import { textStyleFor } from '../output/style.ts';
import { decodeBase64, encodeBase64 } from '../policy/base64.ts';
import { allowlistProblem, EMPTY_ALLOWLIST, editAllowlist, listedDigests } from '../policy/digest-list.ts';
import { hasErrors, lintPolicy, nodeOutcome } from '../policy/lint.ts';
import { toLintEntry } from '../lint/entries.ts';
import { bodyWithinLimit, patchBody, trustPolicyOf } from '../policy/settings.ts';
import {
  apiRequestLine,
  overUserDataLimit,
  userDataBudgetLine,
  userDataBudgetOf,
} from '../formats/budget.ts';
import { digestError, looksLikeDigest, PRESENTABLE_DIGESTS_TEXT } from '../policy/digest-rule.ts';
import { parseImageReference, InvalidReferenceError } from '../registry/reference.ts';
import { defineCommand, type GlobalArgs } from '../cli/spec.ts';
import { DRY_RUN, FORCE, REGISTRY_OPTIONS } from './options.ts';

interface DigestsArgs extends GlobalArgs, RegistryArgs {
  action: string;
  items: string[];
  file?: string;
  format: 'text' | 'json';
  dryRun: boolean;
  force: boolean;
}

const ACTIONS = ['list', 'add', 'remove'] as const;

/** An argument: a digest as given, or an image to resolve (an image@digest needs no registry). */
type Item =
  | { input: string; digest: string }
  | { input: string; image: ReturnType<typeof parseImageReference> };

function parseItems(items: string[]): Item[] {
  return items.map((input) => {
    if (looksLikeDigest(input)) {
      const problem = digestError(input);
      if (problem)
        throw new UsageError(
          `'${input}' is not a digest containerd can present (${problem}); a digest is ${PRESENTABLE_DIGESTS_TEXT}`,
        );
      return { input, digest: input };
    }
    try {
      const image = parseImageReference(input);
      return image.digest !== undefined ? { input, digest: image.digest } : { input, image };
    } catch (err) {
      if (err instanceof InvalidReferenceError)
        throw new UsageError(`'${input}' is neither a digest nor an image reference: ${err.message}`);
      throw err;
    }
  });
}

/** Every item's digest, resolving images as containerd would; one line per image on stderr. */
async function digestsOf(io: Io, args: DigestsArgs, items: Item[]): Promise<string[]> {
  const images = items.filter((i): i is Extract<Item, { image: unknown }> => 'image' in i);
  const resolved = new Map<string, string>();
  if (images.length > 0) {
    const client = await registryClient(io, args);
    const { resolveImage } = await import('../registry/resolve.ts');
    const failures: string[] = [];
    try {
      for (const item of images) {
        try {
          resolved.set(item.input, (await resolveImage(client, item.image)).descriptor.digest);
        } catch (err) {
          // An interruption stops the whole run; other failures are collected and named together.
          if (!(err instanceof CivError) || err instanceof InterruptedError) throw err;
          failures.push(`${item.input}: ${err.message}`);
        }
      }
    } finally {
      await client.close();
    }
    if (failures.length > 0) {
      for (const line of failures) say(io, line);
      const summary = `${failures.length} of ${images.length} ${images.length === 1 ? 'image' : 'images'} could not be resolved; nothing was changed`;
      say(io, summary);
      throw new ReportedError('E_REGISTRY', summary);
    }
  }
  return items.map((item) => {
    const digest = 'digest' in item ? item.digest : resolved.get(item.input)!;
    if ('image' in item) say(io, `${item.input} → ${digest}`);
    return digest;
  });
}

/** Lints the edited list (warnings shown, errors refused unless --force) and gates an emptied list. */
async function admit(
  io: Io,
  label: string,
  before: string[],
  after: Uint8Array,
  force: boolean,
): Promise<void> {
  const lint = lintPolicy({ bytes: after, verifier: 'digestion' });
  const shown = lint.diagnostics.filter((d) => d.severity === 'error' || d.rule !== 'digestion/empty-list');
  if (shown.length > 0)
    io.stderr.write(
      reportText([toLintEntry(label, { ...lint, diagnostics: shown })], await textStyleFor(io, io.stderr)),
    );
  if (hasErrors(lint))
    forceGate(io, force, `the edited allowlist fails lint (${nodeOutcome(lint)})`, 'fix it, or pass --force');
  if (before.length > 0 && listedDigests(after).length === 0)
    forceGate(
      io,
      force,
      'removing the last digest empties the allowlist, which allows every image',
      'pass --force to allow every image',
    );
}

/** How close the list is to the limits that matter: EC2 user data and the API's request size. */
async function reportBudget(io: Io, bytes: Uint8Array): Promise<void> {
  const { renderUserData } = await import('../formats/userdata.ts');
  const plugins = (b: Uint8Array) => ({ plugins: new Map([['digestion', encodeBase64(b)]]), enabled: true });
  const count = listedDigests(bytes).length;
  const userData = Buffer.byteLength(renderUserData(plugins(bytes)));
  const request = patchBody(plugins(bytes)).length;
  // What one more sha256 digest costs in user data, measured rather than assumed.
  const perDigest = Math.ceil((4 / 3) * (JSON.stringify(`sha256:${'0'.repeat(64)}`).length + 2));
  const over = overUserDataLimit('userdata', 'as user data, the allowlist is', userData);
  const room = Math.floor((userDataBudgetOf('userdata') - userData) / perDigest);
  say(
    io,
    `the allowlist holds ${count} ${count === 1 ? 'digest' : 'digests'}; ${userDataBudgetLine('userdata', userData)}${over === undefined ? `, room for about ${room} more` : ''}; ${apiRequestLine(request)}`,
  );
  if (over !== undefined) warn(io, over);
}

function what(added: string[], removed: string[]): string {
  const parts = [];
  if (added.length > 0) parts.push(`added ${added.length} ${added.length === 1 ? 'digest' : 'digests'}`);
  if (removed.length > 0)
    parts.push(`removed ${removed.length} ${removed.length === 1 ? 'digest' : 'digests'}`);
  return parts.join(', ');
}

/** The file as the user named it, and where it really is when a symbolic link leads elsewhere. */
function describeTarget(io: Io, path: string, target: string): string {
  if (target === resolve(io.cwd, path)) return `'${path}'`;
  const rel = relative(io.cwd, target);
  return `'${path}' → '${rel.startsWith('..') ? target : rel}'`;
}

/** Wraps a step: when SIGINT/SIGTERM aborted it, the error says so and what state things are in. */
async function step<T>(signal: AbortSignal, state: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (signal.aborted) throw interruptedError(signal, state);
    throw err;
  }
}

function interruptedError(signal: AbortSignal, state: string): InterruptedError {
  const name = String(signal.reason);
  return new InterruptedError(name, `interrupted by ${name} ${state}`);
}

interface FileToEdit {
  /** As the user named it. */
  path: string;
  /** The end of its symbolic-link chain: the file really changed. */
  target: string;
  /** For messages: the path, and the target when a link leads elsewhere. */
  shown: string;
}

/** Where an edit lands, refused before any registry is asked when it could not be written. */
function fileToEdit(io: Io, args: DigestsArgs, path: string): FileToEdit {
  // A symbolic link is followed to the file it names (the link stays), whose folder holds the
  // lock and the temporary file.
  const target = editTarget(io, path);
  // --dry-run writes nothing, so the file need not be writable.
  if (!args.dryRun) checkReplaceable(io, target, path);
  return { path, target, shown: describeTarget(io, path, target) };
}

async function editFile(
  io: Io,
  args: DigestsArgs,
  { path, target, shown }: FileToEdit,
  add: string[],
  remove: string[],
): Promise<void> {
  const edit = async (signal: AbortSignal) => {
    let current: Uint8Array;
    try {
      current = await readInput(io, target, path);
    } catch (err) {
      if (!(err instanceof CivError && err.code === 'E_FILE_NOT_FOUND') || args.action !== 'add') throw err;
      current = Buffer.from(EMPTY_ALLOWLIST);
    }
    const problem = allowlistProblem(current);
    if (problem)
      throw new CivError('E_INVALID_JSON', `'${path}' cannot be edited as a digest allowlist: ${problem}`);
    const edit = editAllowlist(current, add, remove);
    for (const d of edit.present) say(io, `${d} is already listed`);
    for (const d of edit.absent) say(io, `${d} is not listed`);
    if (edit.added.length === 0 && edit.removed.length === 0) {
      say(io, `${shown} already holds this allowlist; nothing written`);
      return;
    }
    await admit(io, path, listedDigests(current), edit.bytes, args.force);
    if (args.dryRun) {
      io.stdout.write(edit.bytes);
      dryRun(io);
      return;
    }
    if (signal.aborted) throw interruptedError(signal, `before ${shown} was written; nothing changed`);
    replaceFile(target, path, edit.bytes);
    say(io, `${what(edit.added, edit.removed)} in ${shown}`);
    await reportBudget(io, edit.bytes);
  };
  // --dry-run writes nothing, so it needs no lock.
  if (args.dryRun) return edit(new AbortController().signal);
  await withLock(io, fileLockPath(target), `'${path}'`, edit);
}

/** The node's digestion policy bytes (the empty allowlist when none is set). */
function livePolicy(plugins: Record<string, unknown>): Uint8Array {
  const stored = trustPolicyOf(plugins, 'digestion');
  return stored === undefined ? Buffer.from(EMPTY_ALLOWLIST) : decodeBase64(stored);
}

async function editNode(io: Io, args: DigestsArgs, add: string[], remove: string[]): Promise<void> {
  await withApi(args, (client) => {
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
      for (const d of edit.present) say(io, `${d} is already listed`);
      for (const d of edit.absent) say(io, `${d} is not listed`);
      if (edit.added.length === 0 && edit.removed.length === 0) {
        say(io, 'the node already holds this allowlist; nothing sent');
        return;
      }
      await admit(io, 'digestion', listedDigests(current), edit.bytes, args.force);
      const body = bodyWithinLimit({ plugins: new Map([['digestion', encodeBase64(edit.bytes)]]) });
      if (args.dryRun) {
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
    if (args.dryRun) return edit(new AbortController().signal);
    return withLock(
      io,
      apiLockPath(io, args.socketPath),
      `the node's digestion policy (${args.socketPath})`,
      edit,
    );
  });
}

export const digestsCommand = defineCommand<DigestsArgs>({
  name: 'digests',
  describe: 'List, add or remove digestion allowlist entries by image or digest, in a file or on the node',
  positionals: [
    { name: 'action', required: true, describe: 'list, add or remove' },
    { name: 'items', variadic: true, describe: 'images (resolved as containerd does) or digests' },
  ],
  options: {
    file: {
      type: 'string',
      describe:
        'edit this policy file (created when missing; a symbolic link edits the file it names) instead of the node',
    },
    format: {
      type: 'string',
      choices: ['text', 'json'],
      default: 'text',
      describe: 'Output format of digests list',
    },
    ...DRY_RUN,
    ...FORCE,
    ...REGISTRY_OPTIONS,
  },
  examples: [
    ['$0 digests add redis:7.4.8-alpine3.21', 'Allow an image on this node (its index digest)'],
    ['$0 digests add --file digests.json nginx:1.27 sha256:…', 'Keep an allowlist file for user-data'],
    ['$0 digests remove --file digests.json nginx:1.27', 'Stop allowing an image'],
    ['$0 digests list', "The node's allowlist, one digest a line"],
    ['$0 digests list --format json --file digests.json', 'The allowlist as JSON'],
  ],
  run: async (args, ctx) => {
    const io = ctx.io;
    if (!(ACTIONS as readonly string[]).includes(args.action))
      throw new UsageError(
        `unknown action '${args.action}': use digests list, digests add or digests remove`,
      );
    if (args.action === 'list') {
      if (args.items.length > 0) throw new UsageError('digests list takes no images or digests');
      const bytes =
        args.file !== undefined
          ? await readInput(io, args.file)
          : livePolicy((await withApi(args, (client) => readLive(client, null))).plugins);
      const problem = allowlistProblem(bytes);
      if (problem)
        throw new CivError(
          'E_INVALID_JSON',
          `${args.file !== undefined ? `'${args.file}'` : "the node's digestion policy"} is not a digest allowlist: ${problem}`,
        );
      const digests = listedDigests(bytes);
      io.stdout.write(
        args.format === 'json'
          ? `${safeJson({ file: args.file ?? null, digests }, 2)}\n`
          : digests.map((d) => `${terminalSafe(d)}\n`).join(''),
      );
      return;
    }
    if (args.format !== 'text') throw new UsageError('--format applies to digests list only');
    if (args.items.length === 0)
      throw new UsageError(`digests ${args.action} needs at least one image or digest`);
    const items = parseItems(args.items);
    const file = args.file !== undefined ? fileToEdit(io, args, args.file) : undefined;
    const digests = await digestsOf(io, args, items);
    const [add, remove] = args.action === 'add' ? [digests, []] : [[], digests];
    if (file !== undefined) await editFile(io, args, file, add, remove);
    else await editNode(io, args, add, remove);
  },
});
