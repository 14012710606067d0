/** Dispatch: the fast path for ordinary invocations, the full yargs program for everything else. */
import type { Io } from '../io.ts';
import { VERSION } from '../version.ts';
import { fastParse } from './fast-path.ts';
import { type CommandSpec, OPERAND_MARK, runCommand, STDIN_ARG } from './spec.ts';

/**
 * Prepares argv for the parsers: a lone "-" (which yargs turns into "" or drops) becomes the
 * stdin token, and every argument after the first "--" is marked as an operand, so that neither
 * parser reads `-x.json` there as an option (POSIX's end of options). checkArgs undoes both.
 */
export function markArguments(argv: string[]): string[] {
  const end = argv.indexOf('--');
  const before = (end < 0 ? argv : argv.slice(0, end)).map((a) => (a === '-' ? STDIN_ARG : a));
  if (end < 0) return before;
  const after = argv.slice(end + 1).map((a) => (a === '-' ? STDIN_ARG : OPERAND_MARK + a));
  return [...before, ...after];
}

/**
 * Runs one of `commands` as argv asks; resolves when done, rejects with a CivError (or a bug) for
 * bin.ts to report. The command table comes from the caller (bin.ts gives src/commands' COMMANDS):
 * this folder is the framework the commands are declared with, and imports none of them. The fast
 * path reads no help text (describe, examples); `withHelp` gives the table with them for the full
 * parser (the bundle's COMMANDS has none: src/commands/index.ts commandsWithHelp).
 */
export async function main(
  argv: string[],
  io: Io,
  commands: readonly CommandSpec[],
  withHelp: () => Promise<readonly CommandSpec[]> = async () => commands,
): Promise<void> {
  const args = markArguments(argv);
  if (args.length === 1 && args[0] === '--version') {
    io.stdout.write(`${VERSION}\n`);
    return;
  }
  const fast = fastParse(args, io.env, commands);
  if (fast) {
    await runCommand(fast.spec, fast.args, { io });
    return;
  }
  const [{ runCli }, withTexts] = await Promise.all([import('./program.ts'), withHelp()]);
  await runCli(args, io, withTexts);
}
