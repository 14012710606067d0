/** The yargs program: global options, the command table, help, completion and usage errors (exit 2). */
import yargs, { type Argv, type Options } from 'yargs';
import type { Context } from '../commands/spec.ts';
import { COMMANDS } from '../commands/index.ts';
import {
  type CommandSpec,
  commandString,
  globalOptions,
  type OptionSpec,
  runCommand,
} from '../commands/spec.ts';
import { CivError, UsageError } from '../errors.ts';
import { globalSpellings } from './command-word.ts';
import type { Io } from '../io.ts';
import { VERSION } from '../version.ts';

/** Runs a command once yargs has parsed its arguments (tests substitute their own). */
export type CommandRunner = (spec: CommandSpec, args: Record<string, unknown>, ctx: Context) => Promise<void>;

const runSpec: CommandRunner = runCommand;

/**
 * An option as yargs declares it. Numbers are read as text, and the default is only shown in
 * help: checkArgs checks numbers and applies defaults, so a value option given without its value
 * (which yargs would quietly replace by the default) is a usage error on both parse paths.
 */
function yargsOption(option: OptionSpec): Options {
  const { range: _range, array: _array, valueName: _valueName, default: value, ...rest } = option;
  return {
    ...rest,
    type: option.type === 'number' ? 'string' : option.type,
    ...(value !== undefined ? { defaultDescription: JSON.stringify(value) } : {}),
  } as Options;
}

function toYargsCommand(spec: CommandSpec, ctx: Context, runner: CommandRunner) {
  return {
    command: commandString(spec),
    describe: spec.describe,
    builder: (y: Argv) => {
      for (const p of spec.positionals)
        y.positional(p.name, {
          type: 'string',
          describe: p.describe,
          ...(p.variadic ? { array: true } : {}),
        });
      for (const [name, option] of Object.entries(spec.options)) y.option(name, yargsOption(option));
      for (const [command, description] of spec.examples) y.example(command, description);
      return y;
    },
    handler: (args: Record<string, unknown>) => runner(spec, args, ctx),
  };
}

const NO_COMMAND = 'give a command';
/** yargs' own options besides the declared global ones. */
const YARGS_TOP_LEVEL = ['--help', '-h', '--version'];

export function buildCli(argv: string[], io: Io, runner: CommandRunner = runSpec): Argv {
  const ctx: Context = { io };
  const globals = globalOptions(io.env);
  const spellings = globalSpellings(globals);
  const knownTopLevel = new Set([...spellings.withValue, ...spellings.flags, ...YARGS_TOP_LEVEL]);
  let program = yargs(argv)
    .scriptName('civctl')
    .locale('en')
    .version(VERSION)
    .usage(
      'civctl: manage Bottlerocket image-verifier trust policies safely\n\nUsage: $0 <command> [options]',
    )
    .options(
      Object.fromEntries(Object.entries(globals).map(([k, o]) => [k, { ...yargsOption(o), global: true }])),
    );
  for (const spec of COMMANDS) program = program.command(toYargsCommand(spec, ctx, runner));
  return program
    .completion('completion', 'Print a bash/zsh completion script')
    .demandCommand(1, NO_COMMAND)
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
      if (message === NO_COMMAND) {
        // yargs asks for a command before it checks options: name an unknown option first.
        const unknown = argv.find((a) => a.startsWith('-') && !knownTopLevel.has(a.split('=')[0]!));
        if (unknown)
          throw new UsageError(`Unknown argument: ${unknown.replace(/^-+/, '')} (see civctl --help)`);
      }
      throw new UsageError(`${message ?? 'invalid usage'} (see civctl --help)`);
    });
}

/**
 * yargs renders the full help text after starting every command, only so that it could show it
 * if the command later fails. civctl never shows help on failure, and the rendering is the
 * largest single cost of a command's start-up (measured: ~15 ms of ~60 ms), so skip it. A private
 * yargs method: yargs is pinned exactly, and scripts/UPGRADING.md says what to check on an upgrade.
 */
function skipHelpPrerender(cli: Argv): void {
  const internals = (
    cli as unknown as { getInternalMethods?: () => { getUsageInstance(): { cacheHelpMessage?: () => void } } }
  ).getInternalMethods;
  const usage = internals?.call(cli).getUsageInstance();
  if (usage && typeof usage.cacheHelpMessage === 'function') usage.cacheHelpMessage = () => {};
}

/** Runs civctl through yargs; rejects with a CivError (or a bug) for bin.ts to report. */
export async function runCli(args: string[], io: Io): Promise<void> {
  let helpOutput = '';
  const cli = buildCli(args, io);
  skipHelpPrerender(cli);
  await cli.parseAsync(args, {}, (_err: unknown, _args: unknown, output: string) => {
    helpOutput = output;
  });
  if (helpOutput) io.stdout.write(helpOutput.endsWith('\n') ? helpOutput : helpOutput + '\n');
}
