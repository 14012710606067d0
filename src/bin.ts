/** The process boundary: argv in, exit code out, errors printed once. */
import { closeSync, fstatSync, openSync, writeSync } from 'node:fs';
import { main } from './cli/main.ts';
import { COMMANDS, commandsWithHelp } from './commands/index.ts';
import { CivError, exitCodeOf } from './errors.ts';
import { formatError } from './output/errors.ts';
import { readAllStdin } from './inputs/files.ts';
import type { Io, OutStream } from './io.ts';
import { mark } from './trace.ts';

const SIGNAL_EXIT: Record<string, number> = { SIGINT: 130, SIGTERM: 143 };

/**
 * An output file descriptor written with writeSync: no stream object is created at start-up
 * (process.stdout costs milliseconds), a failure (a full disk, a closed pipe) is known at once and
 * remembered, and nothing is left buffered at exit. A descriptor that is non-blocking (EAGAIN) is
 * waited for by writing to it through a blocking duplicate of itself.
 */
function fdStream(fd: 1 | 2): OutStream & { error?: NodeJS.ErrnoException } {
  let tty: boolean | undefined;
  const stream: OutStream & { error?: NodeJS.ErrnoException } = {
    get isTTY() {
      tty ??= couldBeTerminal(fd) && process.getBuiltinModule('node:tty').isatty(fd);
      return tty;
    },
    write(chunk) {
      if (stream.error) return false;
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      let offset = 0;
      while (offset < bytes.length) {
        try {
          offset += writeSync(fd, bytes, offset, bytes.length - offset);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'EAGAIN') {
            offset += writeBlocking(fd, bytes.subarray(offset));
            continue;
          }
          stream.error = err as NodeJS.ErrnoException;
          return false;
        }
      }
      return true;
    },
  };
  return stream;
}

/**
 * False when the descriptor cannot be a terminal, known without node:tty, which loads node:net and
 * the streams with it (milliseconds of every lint): only a character device can be one, and on
 * Linux never a memory device (major 1: /dev/null, /dev/zero, /dev/full), where scripts and
 * benchmarks send output. Anything else is left to isatty.
 */
function couldBeTerminal(fd: number): boolean {
  try {
    const stat = fstatSync(fd);
    if (!stat.isCharacterDevice()) return false;
    return !(process.platform === 'linux' && stat.rdev >= 256 && stat.rdev < 512);
  } catch {
    return true;
  }
}

/** Writes through /dev/fd/N opened anew: that descriptor is blocking even when fd N is not. */
function writeBlocking(fd: number, bytes: Uint8Array): number {
  const copy = openSync(`/dev/fd/${fd}`, 'w');
  try {
    let offset = 0;
    while (offset < bytes.length) offset += writeSync(copy, bytes, offset, bytes.length - offset);
    return offset;
  } finally {
    closeSync(copy);
  }
}

const stdout = fdStream(1);
const stderr = fdStream(2);

/**
 * Sections that must clean up before exiting when SIGINT or SIGTERM arrives (Io.interruptible):
 * API transactions, and every child process civctl runs (src/process-group.ts kills its process
 * group). The handlers are installed only while such a section runs; otherwise a signal ends the
 * process as it normally would. Once a signal has arrived, every later section starts aborted, so
 * that nothing new is started, and a command that then fails ends with the signal's status.
 */
let interruptibleSections = 0;
// Created with the first section: AbortController itself is a module Node loads on first use.
let interrupts: AbortController | undefined;
function onSignal(name: string): void {
  if (interruptibleSections > 0 && interrupts && !interrupts.signal.aborted) {
    interrupts.abort(name);
    return;
  }
  // A second signal while cleaning up: end as the signal would.
  process.exitCode = SIGNAL_EXIT[name] ?? 1;
  process.exit();
}
const handlers = Object.keys(SIGNAL_EXIT).map((name) => [name, () => onSignal(name)] as const);
function enterSection(): void {
  if (interruptibleSections++ === 0) {
    interrupts ??= new AbortController();
    for (const [name, handler] of handlers) process.on(name, handler);
  }
}
function leaveSection(): void {
  if (--interruptibleSections === 0) for (const [name, handler] of handlers) process.off(name, handler);
}

const io: Io = {
  stdout,
  stderr,
  readStdin: (explicit, maxBytes) => readAllStdin(process.stdin, explicit, maxBytes),
  env: process.env,
  cwd: process.cwd(),
  waitForSignal: () =>
    new Promise((resolve) => {
      enterSection();
      const signal = interrupts!.signal;
      signal.addEventListener('abort', () => resolve(String(signal.reason)), { once: true });
    }),
  interruptible: async (fn) => {
    enterSection();
    try {
      return await fn(interrupts!.signal);
    } finally {
      leaveSection();
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
main(process.argv.slice(2), io, COMMANDS, commandsWithHelp).then(
  () => finish(undefined),
  (error: unknown) => finish(error),
);

function finish(error: unknown): void {
  mark('done');
  // A reader that went away (`civctl lint … | head`) is not worth a message; the status stays
  // the command's own, so a pipeline still sees a failed lint.
  const failed = stdout.error;
  if (failed && failed.code !== 'EPIPE' && error === undefined) error = outputFailure(failed);
  if (error !== undefined) report(error);
  // Ends the process once the command is done, rather than when the event loop empties: everything
  // civctl prints is already written (writeSync), every child and connection is closed before main
  // settles, and the loader's 'exit' handlers (the compile cache) still run. A natural exit also
  // disposes V8's heap, which after a large lint takes milliseconds (2,000 statements: about 10 ms).
  process.exit();
}

/** Prints a failed command's one line and sets its exit status. */
function report(error: unknown): void {
  // A command that failed after a signal interrupted it ends as the signal would have ended it,
  // whatever it said last (a command that reports each image's failure reports the interrupted
  // ones among them). One that stops cleanly on a signal (sim) exits 0.
  const interruptedBy = interrupts?.signal.aborted
    ? SIGNAL_EXIT[String(interrupts.signal.reason)]
    : undefined;
  const line = formatError(error);
  if (line !== '') stderr.write(line + '\n');
  // The stack is for bug reports only.
  if (process.env['CIVCTL_DEBUG'] && error instanceof Error) stderr.write(`${error.stack}\n`);
  process.exitCode = interruptedBy ?? exitCodeOf(error);
}
