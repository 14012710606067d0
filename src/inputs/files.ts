/** Reading policy files and stdin, with every failure turned into one clear CivError. */
import {
  accessSync,
  closeSync,
  constants,
  fchmodSync,
  fchownSync,
  fstatSync,
  fsyncSync,
  lstatSync,
  openSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  renameSync,
  type Stats,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { CivError, UsageError } from '../errors.ts';
import type { Io } from '../io.ts';

/** Far above the API's 2 MiB body limit, low enough that nothing pathological is held in memory. */
export const MAX_INPUT_BYTES = 8 * 1024 * 1024;

/** No file, or "-": standard input. */
export function isStdin(path: string | undefined): boolean {
  return path === undefined || path === '-';
}

export function describeSource(path: string | undefined): string {
  return isStdin(path) ? 'standard input' : `'${path}'`;
}

/** How an input is named in reports. */
export function inputLabel(path: string | undefined): string {
  return isStdin(path) ? '<stdin>' : path!;
}

/** How much of an input civctl reads, and why that much. */
export interface InputLimit {
  bytes: number;
  why: string;
}

/** Policies and settings files: far above the API's 2 MiB body limit. */
export const POLICY_INPUT: InputLimit = {
  bytes: MAX_INPUT_BYTES,
  why: "a trust policy must fit in the API's 2 MiB request limit",
};

/**
 * What a cluster runs (audit): a 10,000-pod `kubectl get pods -o json` is tens of megabytes; the
 * limit keeps the text under V8's longest string.
 */
export const WORKLOAD_INPUT: InputLimit = {
  bytes: 256 * 1024 * 1024,
  why: 'split the input, for example one namespace a file',
};

/** The bytes of a file (or standard input); `label` names the file in messages when not `path`. */
export async function readInput(
  io: Io,
  path: string | undefined,
  label = path,
  limit: InputLimit = POLICY_INPUT,
): Promise<Uint8Array> {
  if (path === undefined || isStdin(path)) {
    const bytes = await io.readStdin(path !== undefined, limit.bytes);
    if (bytes.length > limit.bytes)
      throw new CivError(
        'E_INPUT_TOO_LARGE',
        `standard input is larger than ${limit.bytes} bytes; ${limit.why}`,
      );
    return bytes;
  }
  const full = resolve(io.cwd, path);
  const name = label ?? path;
  // Synchronous reads: one file at a time, and fs/promises alone costs milliseconds of start-up.
  let info: Stats;
  try {
    info = statSync(full);
  } catch (err) {
    throw fileError(name, err);
  }
  if (info.isDirectory())
    throw new CivError('E_FILE_IS_DIRECTORY', `'${name}' is a directory; give the path of a policy file`);
  if (info.size > limit.bytes)
    throw new CivError(
      'E_INPUT_TOO_LARGE',
      `'${name}' is ${info.size} bytes, larger than the ${limit.bytes}-byte input limit; ${limit.why}`,
    );
  try {
    return readFileSync(full); // a Buffer is a Uint8Array: no copy
  } catch (err) {
    throw fileError(name, err);
  }
}

function fileError(path: string, err: unknown): CivError {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return new CivError('E_FILE_NOT_FOUND', `'${path}' does not exist; check the path`);
  if (code === 'EISDIR')
    return new CivError('E_FILE_IS_DIRECTORY', `'${path}' is a directory; give the path of a policy file`);
  if (code === 'EACCES' || code === 'EPERM')
    return new CivError(
      'E_FILE_UNREADABLE',
      `cannot read '${path}': permission denied; check the file's permissions`,
    );
  return new CivError('E_FILE_UNREADABLE', `cannot read '${path}': ${(err as Error).message}`);
}

export async function readAllStdin(
  stream: NodeJS.ReadableStream & { isTTY?: boolean },
  explicit = false,
  maxBytes = MAX_INPUT_BYTES,
): Promise<Uint8Array> {
  // Waiting for someone to type a policy is never what was meant, unless they asked with "-".
  if (stream.isTTY && !explicit)
    throw new UsageError('no input: give a file, or pipe a policy into standard input (-)');
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    total += buf.length;
    chunks.push(buf);
    // Stop reading early; the caller reports the size problem.
    if (total > maxBytes) break;
  }
  return new Uint8Array(Buffer.concat(chunks));
}

/** How many symlinks a path may pass through before it is a loop (Linux's MAXSYMLINKS). */
const MAX_SYMLINKS = 40;

/**
 * The file an edit of `path` really changes: the end of its symlink chain, which may not exist
 * yet (a dangling link to a new file). Replacing the link itself would leave its target stale.
 */
export function editTarget(io: Io, path: string): string {
  let current = resolve(io.cwd, path);
  for (let hops = 0; hops <= MAX_SYMLINKS; hops++) {
    let info: Stats | undefined;
    try {
      info = lstatSync(current, { throwIfNoEntry: false });
    } catch (err) {
      throw fileError(path, err);
    }
    if (!info?.isSymbolicLink()) return current;
    // Relative to the link's real folder: the kernel reads `..` after the folder's own links.
    current = resolve(realpathSync(dirname(current)), readlinkSync(current));
  }
  throw new CivError('E_FILE_UNWRITABLE', `'${path}' is a loop of symbolic links; check where it points`);
}

/** A user or group name from /etc/passwd or /etc/group, for messages (the number when unknown). */
function accountName(file: '/etc/passwd' | '/etc/group', id: number): string {
  try {
    const line = readFileSync(file, 'utf8')
      .split('\n')
      .find((l) => l.split(':')[2] === String(id));
    if (line) return line.split(':')[0]!;
  } catch {
    // no account database (a minimal container)
  }
  return String(id);
}

/** S_ISGID, which Node's fs.constants does not export. */
const SET_GROUP_ID = 0o2000;

const octal = (mode: number) => (mode & 0o7777).toString(8).padStart(4, '0');

/**
 * Refuses, before anything is written, an edit that replacing `target` could not carry out
 * faithfully: a missing folder, a read-only file, an owner or group this process cannot give the
 * new file, or other hard links that would keep the old content. `label` names it in messages.
 */
export function checkReplaceable(io: Io, target: string, label: string): void {
  const folder = dirname(target);
  const near = relative(io.cwd, folder);
  const shownFolder = near === '' ? '.' : near.startsWith('..') ? folder : near;
  const folderInfo = statSync(folder, { throwIfNoEntry: false });
  if (!folderInfo)
    throw new CivError('E_FILE_NOT_FOUND', `the folder '${shownFolder}' does not exist; create it first`);
  if (!folderInfo.isDirectory()) throw new CivError('E_FILE_NOT_FOUND', `'${shownFolder}' is not a folder`);
  const info = statSync(target, { throwIfNoEntry: false });
  if (info) {
    if (info.isDirectory())
      throw new CivError('E_FILE_IS_DIRECTORY', `'${label}' is a directory; give the path of a policy file`);
    if ((info.mode & 0o222) === 0)
      throw new CivError(
        'E_FILE_UNWRITABLE',
        `'${label}' is read-only (mode ${octal(info.mode)}); nothing was written: make it writable (chmod u+w) to edit it`,
      );
    if (!accessible(target, constants.W_OK))
      throw new CivError(
        'E_FILE_UNWRITABLE',
        `'${label}' is not writable for this user (mode ${octal(info.mode)}, owner ${accountName('/etc/passwd', info.uid)}); nothing was written: run civctl as a user who may write it`,
      );
    const uid = process.geteuid?.();
    if (uid !== undefined && uid !== 0) {
      const groups = process.getgroups?.() ?? [];
      // The new file's group: the folder's when it is set-group-ID, else this process's.
      const inherited = (folderInfo.mode & SET_GROUP_ID) !== 0 ? folderInfo.gid : process.getegid?.();
      const user = accountName('/etc/passwd', uid);
      const lost =
        info.uid !== uid
          ? `its owner ${accountName('/etc/passwd', info.uid)}`
          : info.gid !== inherited && !groups.includes(info.gid)
            ? `its group ${accountName('/etc/group', info.gid)} (${user} is not a member)`
            : undefined;
      if (lost !== undefined)
        throw new CivError(
          'E_FILE_UNWRITABLE',
          `cannot keep ${lost} on '${label}': civctl writes a new file and renames it over the old one, and as ${user} it cannot give the new file that ${info.uid !== uid ? 'owner' : 'group'}; nothing was written: run civctl as the file's owner or as root`,
        );
    }
    if (info.nlink > 1)
      throw new CivError(
        'E_FILE_UNWRITABLE',
        `'${label}' has ${info.nlink} hard links; replacing it would leave the other names with the old list; nothing was written: edit a file with one name (a symbolic link to it is fine)`,
      );
  }
  if (!accessible(folder, constants.W_OK | constants.X_OK))
    throw new CivError(
      'E_FILE_UNWRITABLE',
      `cannot write in the folder '${shownFolder}' (permission denied); civctl writes a new file there and renames it over '${label}'`,
    );
}

function accessible(path: string, mode: number): boolean {
  try {
    accessSync(path, mode);
    return true;
  } catch {
    return false;
  }
}

/**
 * Replaces `target` atomically: a temporary file in the target's own folder (a rename never
 * crosses file systems), synced, given the old file's owner, group and mode, then renamed over
 * it. A new file gets the usual mode (0666 less the umask). `label` names it in messages.
 */
export function replaceFile(target: string, label: string, bytes: Uint8Array): void {
  const before = statSync(target, { throwIfNoEntry: false });
  const random = Math.floor(Math.random() * 0x100000000).toString(16);
  const tmp = join(dirname(target), `.${basename(target)}.civctl-${process.pid}-${random}.tmp`);
  let step = 'create';
  try {
    const fd = openSync(tmp, 'wx', before ? 0o600 : 0o666);
    try {
      step = 'write';
      writeSync(fd, bytes);
      if (before) {
        const now = fstatSync(fd);
        step = 'keep the owner of';
        // chown first: it may clear set-id bits, which the chmod then restores.
        if (now.uid !== before.uid || now.gid !== before.gid) fchownSync(fd, before.uid, before.gid);
        step = 'keep the mode of';
        fchmodSync(fd, before.mode & 0o7777);
      }
      step = 'write';
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    step = 'replace';
    renameSync(tmp, target);
  } catch (err) {
    try {
      unlinkSync(tmp);
    } catch {
      // never created
    }
    const code = (err as NodeJS.ErrnoException).code;
    throw new CivError(
      'E_FILE_UNWRITABLE',
      `cannot ${step} '${label}' (${code ?? (err as Error).message}); nothing was written`,
    );
  }
}
