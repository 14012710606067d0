/** The yargs program: global options, the command table and usage errors (exit 2). */
import yargs, { type Argv } from 'yargs';
import type { Context } from './commands/context.ts';
import { decodeCommand } from './commands/decode.ts';
import { encodeCommand } from './commands/encode.ts';
import { lintCommand } from './commands/lint.ts';
import { apiCommands } from './commands/api-commands.ts';
import { simCommand } from './commands/sim.ts';
import { CivError, UsageError } from './errors.ts';
import type { Io } from './io.ts';
import { VERSION } from './version.ts';

export function buildCli(argv: string[], io: Io): Argv {
  const ctx: Context = { io };
  return yargs(argv)
    .scriptName('civctl')
    .locale('en')
    .version(VERSION)
    .usage('civctl: manage Bottlerocket image-verifier trust policies safely\n\nUsage: $0 <command> [options]')
    .option('socket-path', {
      alias: 's',
      type: 'string',
      default: '/run/api.sock',
      describe: 'Bottlerocket API socket',
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
    .command(apiCommands.get(ctx))
    .command(apiCommands.set(ctx))
    .command(apiCommands.enable(ctx))
    .command(apiCommands.disable(ctx))
    .command(apiCommands.status(ctx))
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

/** Runs civctl; resolves when done, rejects with a CivError (or a bug) for bin.ts to report. */
export async function runCli(argv: string[], io: Io): Promise<void> {
  let helpOutput = '';
  await buildCli(argv, io).parseAsync(argv, {}, (_err: unknown, _args: unknown, output: string) => {
    helpOutput = output;
  });
  if (helpOutput) io.stdout.write(helpOutput.endsWith('\n') ? helpOutput : helpOutput + '\n');
}
