/** The process boundary: argv in, exit code out, errors printed once. */
import { readAllStdin } from './input.ts';
import { main } from './main.ts';
import { exitCodeOf, formatError } from './errors.ts';
import type { Io } from './io.ts';

const io: Io = {
  stdout: process.stdout,
  stderr: process.stderr,
  readStdin: () => readAllStdin(process.stdin),
  env: process.env,
  cwd: process.cwd(),
  waitForSignal: () =>
    new Promise((resolve) => {
      process.once('SIGINT', () => resolve('SIGINT'));
      process.once('SIGTERM', () => resolve('SIGTERM'));
    }),
};

// A closed pipe (e.g. `civctl decode … | head`) is not an error worth a stack trace.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
});

// No top-level await: the bundle runs this file as a CommonJS program (see scripts/build.mjs).
main(process.argv.slice(2), io).catch((error: unknown) => {
  process.stderr.write(formatError(error) + '\n');
  // The stack is for bug reports only.
  if (process.env['CIVCTL_DEBUG'] && error instanceof Error) process.stderr.write(`${error.stack}\n`);
  process.exitCode = exitCodeOf(error);
});
