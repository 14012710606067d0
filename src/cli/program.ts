/** The yargs program: global options, the command table, help, completion and usage errors (exit 2). */
import yargs, { type Argv, type Options } from 'yargs';
import {
  type CommandSpec,
  commandOptions,
  commandString,
  type Context,
  globalOptions,
  type OptionSpec,
  optionLabel,
  runCommand,
} from './spec.ts';
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
    describe: sentence(option.describe),
    type: option.type === 'number' ? 'string' : option.type,
    ...(value !== undefined ? { defaultDescription: JSON.stringify(value) } : {}),
  } as Options;
}

/** Help texts start with a capital letter, as yargs' own (`Show help`) do. */
const sentence = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

/**
 * Where a command's examples go in its help. yargs lays examples out in two columns and wraps
 * a long command in the middle of an image name; civctl puts them in after yargs has rendered
 * the help, one whole command a line, so that each can be copied (renderExamples).
 */
const EXAMPLES_MARK = '@civctl-examples:';

/** Each example as a shell comment and a command on one line, never wrapped. */
export function renderExamples(spec: CommandSpec): string {
  const lines = spec.examples.flatMap(([command, description]) => [
    `  # ${description}`,
    `  ${command.replace(/\$0/g, 'civctl')}`,
  ]);
  return ['Examples:', ...lines].join('\n');
}

function toYargsCommand(spec: CommandSpec, ctx: Context, runner: CommandRunner, onBuild: () => void) {
  return {
    command: commandString(spec),
    describe: spec.describe,
    builder: (y: Argv) => {
      onBuild();
      for (const p of spec.positionals)
        y.positional(p.name, {
          type: 'string',
          describe: sentence(p.describe),
          ...(p.variadic ? { array: true } : {}),
        });
      // The global options that apply to this command only: resolve has no API socket.
      for (const [name, option] of Object.entries(commandOptions(spec, ctx.io.env)))
        y.option(name, yargsOption(option));
      if (spec.examples.length > 0) y.epilogue(`${EXAMPLES_MARK}${spec.name}`);
      return y;
    },
    handler: (args: Record<string, unknown>) => runner(spec, args, ctx),
  };
}

const NO_COMMAND = 'give a command';
/** yargs' own options besides the declared global ones. */
const YARGS_TOP_LEVEL = ['--help', '-h', '--version'];

export function buildCli(
  argv: string[],
  io: Io,
  commands: readonly CommandSpec[],
  runner: CommandRunner = runSpec,
): Argv {
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
    // Listed in `civctl --help`; not yargs-global: each command declares those that apply to it
    // (commandOptions), so `civctl -s X get` works and resolve lists no socket.
    .options(
      Object.fromEntries(Object.entries(globals).map(([k, o]) => [k, { ...yargsOption(o), global: false }])),
    );
  // The command yargs is parsing for (its builder runs before yargs validates), for messages.
  let current: CommandSpec | undefined;
  for (const spec of commands)
    program = program.command(
      toYargsCommand(spec, ctx, runner, () => {
        current = spec;
      }),
    );
  return (
    program
      .completion('completion', 'Print a bash/zsh completion script')
      .demandCommand(1, NO_COMMAND)
      .recommendCommands()
      .strict()
      .help()
      .alias('help', 'h')
      // The terminal's width, up to 110; 100 when not a terminal, so piped help is the same everywhere.
      .wrap(Math.min(110, (io.stdout.isTTY && process.stdout.columns) || 100))
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
        // A choice option given without its value: name it as checkArgs does (with every spelling).
        const empty = /Argument: ([\w-]+), Given: "",/.exec(message ?? '');
        const option = empty && current ? commandOptions(current, io.env)[empty[1]!] : undefined;
        if (empty && option) throw new UsageError(`${optionLabel(empty[1]!, option)} needs a value`);
        throw new UsageError(`${message ?? 'invalid usage'} (see civctl --help)`);
      })
  );
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
export async function runCli(args: string[], io: Io, commands: readonly CommandSpec[]): Promise<void> {
  let helpOutput = '';
  const cli = buildCli(args, io, commands);
  skipHelpPrerender(cli);
  await cli.parseAsync(args, {}, (_err: unknown, _args: unknown, output: string) => {
    helpOutput = output;
  });
  if (!helpOutput) return;
  const text = helpOutput.replace(new RegExp(`${EXAMPLES_MARK}(\\S+)`), (_, name: string) =>
    renderExamples(commands.find((c) => c.name === name)!),
  );
  io.stdout.write(text.endsWith('\n') ? text : text + '\n');
}
