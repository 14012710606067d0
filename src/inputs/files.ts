/** Reading policy files and stdin, with every failure turned into one clear CivError. */
import { readFileSync, renameSync, type Stats, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { CivError, UsageError } from '../errors.ts';
import type { Io } from '../io.ts';

/** Far above the API's 2 MiB body limit, low enough that nothing pathological is held in memory. */
export const MAX_INPUT_BYTES = 8 * 1024 * 1024;

/**
 * yargs turns a lone "-" positional into "" (or drops it from arrays), so cli/main.ts swaps it for
 * this token before parsing; a NUL can never be part of a real path.
 */
export const STDIN_ARG = '\u0000stdin';

export function isStdin(path: string | undefined): boolean {
  return path === undefined || path === '-' || path === STDIN_ARG;
}

export function describeSource(path: string | undefined): string {
  return isStdin(path) ? 'standard input' : `'${path}'`;
}

/** How an input is named in reports. */
export function inputLabel(path: string | undefined): string {
  return isStdin(path) ? '<stdin>' : path!;
}

export async function readInput(io: Io, path: string | undefined): Promise<Uint8Array> {
  if (path === undefined || isStdin(path)) {
    const bytes = await io.readStdin(path !== undefined);
    if (bytes.length > MAX_INPUT_BYTES)
      throw new CivError(
        'E_INPUT_TOO_LARGE',
        `standard input is larger than ${MAX_INPUT_BYTES} bytes; a trust policy must fit in the API's 2 MiB request limit`,
      );
    return bytes;
  }
  const full = resolve(io.cwd, path);
  // Synchronous reads: one file at a time, and fs/promises alone costs milliseconds of start-up.
  let info: Stats;
  try {
    info = statSync(full);
  } catch (err) {
    throw fileError(path, err);
  }
  if (info.isDirectory())
    throw new CivError('E_FILE_IS_DIRECTORY', `'${path}' is a directory; give the path of a policy file`);
  if (info.size > MAX_INPUT_BYTES)
    throw new CivError(
      'E_INPUT_TOO_LARGE',
      `'${path}' is ${info.size} bytes, larger than the ${MAX_INPUT_BYTES}-byte input limit; a trust policy must fit in the API's 2 MiB request limit`,
    );
  try {
    return readFileSync(full); // a Buffer is a Uint8Array: no copy
  } catch (err) {
    throw fileError(path, err);
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
    if (total > MAX_INPUT_BYTES) break;
  }
  return new Uint8Array(Buffer.concat(chunks));
}

/** Writes a file atomically (a temporary file beside it, then rename), keeping the old mode. */
export function writeFileAtomic(io: Io, path: string, bytes: Uint8Array): void {
  const full = resolve(io.cwd, path);
  let mode = 0o644;
  try {
    mode = statSync(full).mode & 0o777;
  } catch {
    // a new file
  }
  const tmp = `${full}.civctl-${process.pid}.tmp`;
  try {
    writeFileSync(tmp, bytes, { mode });
    renameSync(tmp, full);
  } catch (err) {
    try {
      unlinkSync(tmp);
    } catch {
      // never written
    }
    const code = (err as NodeJS.ErrnoException).code;
    throw new CivError(
      'E_FILE_UNWRITABLE',
      `cannot write '${path}' (${code ?? (err as Error).message}); check the folder's permissions and free space`,
    );
  }
}
