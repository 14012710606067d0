/** Dispatch: the fast path for ordinary invocations, the full yargs program for everything else. */
import { fastParse } from './fast-parse.ts';
import { STDIN_ARG } from './input.ts';
import type { Io } from './io.ts';
import { VERSION } from './version.ts';

/** Runs civctl; resolves when done, rejects with a CivError (or a bug) for bin.ts to report. */
export async function main(argv: string[], io: Io): Promise<void> {
  // yargs turns a lone "-" into "" (or drops it); everything after "--" is passed through as is.
  const end = argv.indexOf('--');
  const args = argv.map((a, i) => (a === '-' && (end < 0 || i < end) ? STDIN_ARG : a));
  if (args.length === 1 && args[0] === '--version') {
    io.stdout.write(`${VERSION}\n`);
    return;
  }
  const fast = fastParse(args, io.env);
  if (fast) {
    await fast.spec.run(fast.args, { io });
    return;
  }
  const { runCli } = await import('./cli.ts');
  await runCli(args, io);
}
