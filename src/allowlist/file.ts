/**
 * A digestion allowlist file edited in place: a symbolic link followed to the file it names, the
 * edit made under a lock every civctl process on this machine shares, the file replaced whole.
 */
import { relative, resolve } from 'node:path';
import { CivError } from '../errors.ts';
import { checkReplaceable, editTarget, readInput, replaceFile } from '../inputs/files.ts';
import { fileLockPath, withLock } from '../inputs/lock.ts';
import type { Io } from '../io.ts';
import { dryRun, say } from '../output/messages.ts';
import { allowlistProblem, EMPTY_ALLOWLIST, editAllowlist, listedDigests } from '../policy/digest-list.ts';
import { admit, type EditOptions, interruptedError, reportBudget, unchanged, what } from './edit.ts';

export interface FileEditOptions extends EditOptions {
  /** A missing file is created (digests add) rather than refused. */
  createMissing: boolean;
}

/** The file as the user named it, and where it really is when a symbolic link leads elsewhere. */
function describeTarget(io: Io, path: string, target: string): string {
  if (target === resolve(io.cwd, path)) return `'${path}'`;
  const rel = relative(io.cwd, target);
  return `'${path}' → '${rel.startsWith('..') ? target : rel}'`;
}

export interface FileToEdit {
  /** As the user named it. */
  path: string;
  /** The end of its symbolic-link chain: the file really changed. */
  target: string;
  /** For messages: the path, and the target when a link leads elsewhere. */
  shown: string;
}

/** Where an edit lands, refused before any registry is asked when it could not be written. */
export function fileToEdit(io: Io, options: EditOptions, path: string): FileToEdit {
  // A symbolic link is followed to the file it names (the link stays), whose folder holds the
  // lock and the temporary file.
  const target = editTarget(io, path);
  // --dry-run writes nothing, so the file need not be writable.
  if (!options.dryRun) checkReplaceable(io, target, path);
  return { path, target, shown: describeTarget(io, path, target) };
}

export async function editFile(
  io: Io,
  options: FileEditOptions,
  { path, target, shown }: FileToEdit,
  add: string[],
  remove: string[],
): Promise<void> {
  const edit = async (signal: AbortSignal) => {
    let current: Uint8Array;
    try {
      current = await readInput(io, target, path);
    } catch (err) {
      if (!(err instanceof CivError && err.code === 'E_FILE_NOT_FOUND') || !options.createMissing) throw err;
      current = Buffer.from(EMPTY_ALLOWLIST);
    }
    const problem = allowlistProblem(current);
    if (problem)
      throw new CivError('E_INVALID_JSON', `'${path}' cannot be edited as a digest allowlist: ${problem}`);
    const edit = editAllowlist(current, add, remove);
    unchanged(io, edit.present, edit.absent);
    if (edit.added.length === 0 && edit.removed.length === 0) {
      say(io, `${shown} already holds this allowlist; nothing written`);
      return;
    }
    await admit(io, path, listedDigests(current), edit.bytes, options.force);
    if (options.dryRun) {
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
  if (options.dryRun) return edit(new AbortController().signal);
  await withLock(io, fileLockPath(target), `'${path}'`, edit);
}
