/** The yargs program: global options, the command table and usage errors (exit 2). */
import yargs, { type Argv } from 'yargs';
import type { Context } from './commands/context.ts';
import { decodeCommand } from './commands/decode.ts';
import { encodeCommand } from './commands/encode.ts';
import { lintCommand } from './commands/lint.ts';
import { disableCommand } from './commands/disable.ts';
import { enableCommand } from './commands/enable.ts';
import { getCommand } from './commands/get.ts';
import { setCommand } from './commands/set.ts';
import { statusCommand } from './commands/status.ts';
import { simCommand } from './commands/sim.ts';
import { CivError, UsageError } from './errors.ts';
import { STDIN_ARG } from './input.ts';
import type { Io } from './io.ts';
import { VERSION } from './version.ts';

export function buildCli(argv: string[], io: Io): Argv {
  const ctx: Context = { io };
  return yargs(argv)
    .scriptName('civctl')
    .locale('en')
    .version(VERSION)
    .usage(
      'civctl: manage Bottlerocket image-verifier trust policies safely\n\nUsage: $0 <command> [options]',
    )
    .option('socket-path', {
      alias: 's',
      type: 'string',
      default: io.env['CIVCTL_SOCKET_PATH'] || '/run/api.sock',
      describe: 'Bottlerocket API socket (default from CIVCTL_SOCKET_PATH)',
      global: true,
    })
    .option('timeout', {
      type: 'number',
      default: 30,
      describe: 'Seconds to wait for each API request',
      global: true,
    })
    .command(encodeCommand(ctx))
    .command(decodeCommand(ctx))
    .command(lintCommand(ctx))
    .command(getCommand(ctx))
    .command(setCommand(ctx))
    .command(enableCommand(ctx))
    .command(disableCommand(ctx))
    .command(statusCommand(ctx))
    .command(simCommand(ctx))
    .completion('completion', 'Print a bash/zsh completion script')
    .demandCommand(1, 'give a command; see civctl --help')
    .recommendCommands()
    .strict()
    .help()
    .alias('help', 'h')
    .wrap(Math.min(110, process.stdout.columns || 100))
    .showHelpOnFail(false)
    .exitProcess(false)
    .fail((message: string | undefined, error: Error | undefined) => {
      if (error instanceof CivError) throw error;
      if (error) throw error;
      throw new UsageError(`${message ?? 'invalid usage'} (see civctl --help)`);
    });
}

/**
 * yargs renders the full help text after starting every command, only so that it could show it
 * if the command later fails. civctl never shows help on failure, and the rendering is the
 * largest single cost of a command's start-up (measured: ~15 ms of ~60 ms), so skip it.
 */
function skipHelpPrerender(cli: Argv): void {
  const internals = (
    cli as unknown as { getInternalMethods?: () => { getUsageInstance(): { cacheHelpMessage?: () => void } } }
  ).getInternalMethods;
  const usage = internals?.call(cli).getUsageInstance();
  if (usage && typeof usage.cacheHelpMessage === 'function') usage.cacheHelpMessage = () => {};
}

/** Runs civctl; resolves when done, rejects with a CivError (or a bug) for bin.ts to report. */
export async function runCli(argv: string[], io: Io): Promise<void> {
  let helpOutput = '';
  // Everything after a bare "--" is passed through untouched.
  const end = argv.indexOf('--');
  const args = argv.map((a, i) => (a === '-' && (end < 0 || i < end) ? STDIN_ARG : a));
  const cli = buildCli(args, io);
  skipHelpPrerender(cli);
  await cli.parseAsync(args, {}, (_err: unknown, _args: unknown, output: string) => {
    helpOutput = output;
  });
  if (helpOutput) io.stdout.write(helpOutput.endsWith('\n') ? helpOutput : helpOutput + '\n');
}
