/** The process boundary: argv in, exit code out, errors printed once. */
import { main } from './cli/main.ts';
import { CivError, exitCodeOf, formatError } from './errors.ts';
import { readAllStdin } from './inputs/files.ts';
import type { Io, OutStream } from './io.ts';

const SIGNAL_EXIT: Record<string, number> = { SIGINT: 130, SIGTERM: 143 };

/**
 * Standard output, with its first failure remembered: Node reports a full disk or a closed pipe
 * as an 'error' event (or a throw), which must become exit 1, never a silent success.
 */
let outputError: NodeJS.ErrnoException | undefined;
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  outputError ??= err;
});
const stdout: OutStream = {
  get isTTY() {
    return process.stdout.isTTY;
  },
  write(chunk) {
    if (outputError) return false;
    try {
      return process.stdout.write(chunk);
    } catch (err) {
      outputError ??= err as NodeJS.ErrnoException;
      return false;
    }
  },
};

/** Waits until everything written has reached the file or pipe (or failed to). */
function flushStdout(): Promise<void> {
  if (outputError) return Promise.resolve();
  return new Promise((resolve) =>
    process.stdout.write('', (err) => {
      if (err) outputError ??= err as NodeJS.ErrnoException;
      resolve();
    }),
  );
}

/** Sections that must clean up before exiting when SIGINT or SIGTERM arrives (see Io.interruptible). */
let interruptibleSections = 0;
let interrupts = new AbortController();
function onSignal(name: string): void {
  if (interruptibleSections > 0 && !interrupts.signal.aborted) {
    interrupts.abort(name);
    return;
  }
  // Nothing to clean up (or a second signal while cleaning up): end as the signal would.
  process.exitCode = SIGNAL_EXIT[name] ?? 1;
  process.exit();
}
for (const name of Object.keys(SIGNAL_EXIT)) process.on(name, () => onSignal(name));

const io: Io = {
  stdout,
  stderr: process.stderr,
  readStdin: (explicit) => readAllStdin(process.stdin, explicit),
  env: process.env,
  cwd: process.cwd(),
  waitForSignal: () =>
    new Promise((resolve) => {
      interruptibleSections++;
      interrupts.signal.addEventListener('abort', () => resolve(String(interrupts.signal.reason)), {
        once: true,
      });
    }),
  interruptible: async (fn) => {
    if (interruptibleSections === 0 && interrupts.signal.aborted) interrupts = new AbortController();
    interruptibleSections++;
    try {
      return await fn(interrupts.signal);
    } finally {
      interruptibleSections--;
    }
  },
};

function outputFailure(err: NodeJS.ErrnoException): CivError {
  const reason =
    err.code === 'ENOSPC'
      ? 'no space left on device'
      : err.code === 'EBADF'
        ? 'standard output is closed'
        : err.code === 'EIO'
          ? 'input/output error'
          : err.message;
  return new CivError('E_OUTPUT', `cannot write output: ${reason}`);
}

// No top-level await: the bundle runs this file as a CommonJS program (see scripts/build.mjs).
main(process.argv.slice(2), io)
  .then(
    () => undefined,
    (error: unknown) => error,
  )
  .then(async (error) => {
    await flushStdout();
    // A reader that went away (`civctl lint … | head`) is not worth a message; the status stays
    // the command's own, so a pipeline still sees a failed lint.
    if (outputError && outputError.code !== 'EPIPE' && error === undefined)
      error = outputFailure(outputError);
    if (error === undefined) return;
    const line = formatError(error);
    if (line !== '') process.stderr.write(line + '\n');
    // The stack is for bug reports only.
    if (process.env['CIVCTL_DEBUG'] && error instanceof Error) process.stderr.write(`${error.stack}\n`);
    process.exitCode = exitCodeOf(error);
  });
