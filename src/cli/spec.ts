/**
 * The CLI framework: commands are declared as data (positionals, options, examples, what they talk
 * to, a handler), and checkArgs holds the rules both parse paths share. cli/program.ts turns a spec
 * into a yargs command (help, completion, every usage error); cli/fast-path.ts reads the same spec
 * with yargs-parser, so that ordinary invocations need not load all of yargs.
 */
import { UsageError } from '../errors.ts';
import { mark } from '../trace.ts';
import type { Io } from '../io.ts';
import { MAX_TIMER_MS, MAX_TIMER_SECONDS, timerMs } from '../timers.ts';

/** What every command handler gets besides its arguments. */
export interface Context {
  io: Io;
}

/** The global options, as the handlers of API commands receive them (globalOptions, commandOptions). */
export interface GlobalArgs {
  socketPath: string;
  timeout: number;
}

export interface OptionSpec {
  /** 'number' options are read as text and checked in checkArgs, so a bad value is quoted as typed. */
  type: 'string' | 'boolean' | 'number';
  describe: string;
  /** Other spellings (`f` for -f, `output` for an older --output); the first short one names it in messages. */
  alias?: string | readonly string[];
  default?: string | boolean | number;
  choices?: readonly string[];
  /** May be given several times (the handler gets an array); otherwise a repeat is a usage error. */
  array?: boolean;
  /**
   * 'positive': a number above 0 (counts). 'duration': seconds above 0 that a Node timer can hold
   * (at most MAX_TIMER_SECONDS); every option in seconds is one.
   */
  range?: 'positive' | 'duration';
  /** A count: a whole number (checked after the range). */
  whole?: boolean;
  /** What a valid value is, for the usage error (default: "a number" / "a number above 0"). */
  valueName?: string;
}

export interface PositionalSpec {
  name: string;
  describe: string;
  required?: boolean;
  variadic?: boolean;
}

export interface CommandSpec<Args = Record<string, unknown>> {
  name: string;
  describe: string;
  positionals: PositionalSpec[];
  options: Record<string, OptionSpec>;
  examples: [command: string, description: string][];
  /**
   * What the command talks to, which decides the global options it takes: 'api' gives
   * -s/--socket-path and --timeout, 'registry' --timeout. Default: both. A command that talks to
   * either speaks HTTP and loads undici (under Node 20 the loader then sets V8's --liftoff-only:
   * scripts/loader.cjs), and test/e2e/bundle.test.ts checks that exactly these commands load undici.
   */
  talksTo?: readonly ('api' | 'registry')[];
  run(args: Args, ctx: Context): Promise<void>;
}

/** What a command talks to (its talksTo, both by default). */
export const talksToOf = (spec: Pick<CommandSpec, 'talksTo'>): readonly ('api' | 'registry')[] =>
  spec.talksTo ?? ['api', 'registry'];

/**
 * Options that may come before the command word; each command takes those that apply to it
 * (commandOptions). The one declaration yargs, the fast path and the bundle's loader read
 * (cli/command-word.ts).
 */
export function globalOptions(env: Record<string, string | undefined>): Record<string, OptionSpec> {
  return {
    'socket-path': {
      alias: 's',
      type: 'string',
      default: env['CIVCTL_SOCKET_PATH'] || '/run/api.sock',
      describe: 'Bottlerocket API socket (default from CIVCTL_SOCKET_PATH)',
    },
    timeout: {
      type: 'number',
      default: 30,
      range: 'duration',
      describe: 'Seconds to wait for each API or registry request',
    },
  };
}

/** A command's options: the global ones that apply to what it talks to, then its own. */
export function commandOptions(
  spec: CommandSpec,
  env: Record<string, string | undefined>,
): Record<string, OptionSpec> {
  const talksTo = talksToOf(spec);
  const globals = globalOptions(env);
  const applying: Record<string, OptionSpec> = {};
  if (talksTo.includes('api')) applying['socket-path'] = globals['socket-path']!;
  if (talksTo.length > 0)
    applying['timeout'] = {
      ...globals['timeout']!,
      describe: `Seconds to wait for each ${talksTo.map((t) => (t === 'api' ? 'API' : 'registry')).join(' or ')} request`,
    };
  return { ...applying, ...spec.options };
}

/** An option's other spellings, as a list. */
export const aliasesOf = (option: OptionSpec): readonly string[] =>
  option.alias === undefined ? [] : typeof option.alias === 'string' ? [option.alias] : option.alias;

/** The yargs command string: `name <required> [optional] [rest..]`. */
export function commandString(spec: CommandSpec<never>): string {
  const parts = spec.positionals.map((p) => {
    const inner = p.variadic ? `${p.name}..` : p.name;
    return p.required ? `<${inner}>` : `[${inner}]`;
  });
  return [spec.name, ...parts].join(' ');
}

/** `dry-run` → `dryRun`: the name a handler reads an option by. */
type CamelCase<S extends string> = S extends `${infer Head}-${infer Tail}`
  ? `${Head}${Capitalize<CamelCase<Tail>>}`
  : S;

/** One value of an option, as checkArgs gives it: choices narrow a string. */
type ScalarValue<O extends OptionSpec> = O['type'] extends 'boolean'
  ? boolean
  : O['type'] extends 'number'
    ? number
    : O extends { choices: readonly (infer C extends string)[] }
      ? C
      : string;

/** An option's value: a list for an array option; undefined when neither given nor defaulted. */
type OptionValue<O extends OptionSpec> =
  | (O extends { array: true } ? ScalarValue<O>[] : ScalarValue<O>)
  | (O extends { default: string | boolean | number } ? never : undefined);

/** The handler's arguments for a map of options, by their camel-case names. */
export type OptionArgs<Options extends Record<string, OptionSpec>> = {
  -readonly [K in keyof Options & string as CamelCase<K>]: OptionValue<Options[K]>;
};

/** The handler's arguments for the positionals: a list when variadic, undefined when optional. */
export type PositionalArgs<Positionals extends readonly PositionalSpec[]> = {
  -readonly [P in Positionals[number] as CamelCase<P['name']>]: P extends { variadic: true }
    ? string[]
    : P extends { required: true }
      ? string
      : string | undefined;
};

/** The global options a command takes, by what it talks to (commandOptions). */
export type GlobalArgsFor<TalksTo> = TalksTo extends readonly []
  ? unknown
  : TalksTo extends readonly 'registry'[]
    ? Pick<GlobalArgs, 'timeout'>
    : GlobalArgs;

/** What a handler receives: typed from the declaration itself, so no option is named twice. */
export type CommandArgs<
  Options extends Record<string, OptionSpec>,
  Positionals extends readonly PositionalSpec[],
  TalksTo,
> = OptionArgs<Options> & PositionalArgs<Positionals> & GlobalArgsFor<TalksTo> & Given;

/**
 * Declares a command; its handler's arguments are typed from its options and positionals
 * (wrangler's InferredOptionTypes), then erased for lists of specs.
 */
export function defineCommand<
  const Options extends Record<string, OptionSpec>,
  const Positionals extends readonly PositionalSpec[],
  const TalksTo extends readonly ('api' | 'registry')[] | undefined = undefined,
>(
  spec: Omit<CommandSpec, 'options' | 'positionals' | 'talksTo' | 'run'> & {
    options: Options;
    positionals: Positionals;
    talksTo?: TalksTo;
    run(args: CommandArgs<Options, Positionals, TalksTo>, ctx: Context): Promise<void>;
  },
): CommandSpec {
  return spec as unknown as CommandSpec;
}

/**
 * Arguments after `--` are operands even when they look like options. They cross the parsers
 * marked with this prefix (a NUL cannot occur in a real argument) and are unmarked in checkArgs.
 */
export const OPERAND_MARK = '\u0000operand:';

/**
 * A lone "-" (standard input), which yargs turns into "" or drops from arrays: cli/main.ts marks it
 * with this token before parsing, and checkArgs gives handlers "-" again.
 */
export const STDIN_ARG = '\u0000stdin';

const unmark = (v: unknown): unknown =>
  v === STDIN_ARG
    ? '-'
    : typeof v === 'string' && v.startsWith(OPERAND_MARK)
      ? v.slice(OPERAND_MARK.length)
      : v;
const unmarkAll = (v: unknown): unknown => (Array.isArray(v) ? v.map(unmark) : unmark(v));

/** What every handler's arguments carry besides their own: the options given on the command line. */
export interface Given {
  /** The options given (by their declared names), whatever their values: none of them is guessed from a default. */
  given: ReadonlySet<string>;
}

/** What a valid number is, for usage errors. */
const VALUE_NAMES = {
  any: 'a number',
  positive: 'a number above 0',
  duration: 'a number of seconds above 0',
} as const;

/** How an option is named in messages: `-f/--format`, with any long alias (`-f/--format/--output`). */
export function optionLabel(name: string, option: OptionSpec): string {
  const aliases = aliasesOf(option);
  const short = aliases.find((a) => a.length === 1);
  const long = aliases.filter((a) => a.length > 1);
  return [...(short ? [`-${short}`] : []), `--${name}`, ...long.map((a) => `--${a}`)].join('/');
}

/**
 * The rules every parse path shares (the fast path and yargs): operands after `--` and standard
 * input restored, a value option given twice or without its value refused, numbers checked,
 * defaults applied. Returns the arguments the handler gets, under both the dashed and the
 * camel-case names, with `given`: the options that were on the command line.
 */
export function checkArgs(
  spec: CommandSpec,
  args: Record<string, unknown>,
  options: Record<string, OptionSpec>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...args };
  const given = new Set<string>();
  for (const p of spec.positionals) {
    const value = out[p.name];
    if (value !== undefined) out[p.name] = unmarkAll(value);
  }
  for (const [name, option] of Object.entries(options)) {
    let value = unmarkAll(out[name]);
    if (value !== undefined) given.add(name);
    else {
      // Defaults are applied here, not by the parsers: they would hide `--format` given without a value.
      if (option.default === undefined) continue;
      value = option.default;
    }
    const label = optionLabel(name, option);
    if (Array.isArray(value) && !option.array) {
      if (option.type !== 'boolean') throw new UsageError(`${label} was given more than once; give it once`);
      value = value[value.length - 1];
    }
    const values = Array.isArray(value) ? value : [value];
    if (option.type !== 'boolean') {
      for (const v of values)
        if (v === '' || v === undefined || (typeof v === 'number' && Number.isNaN(v)))
          throw new UsageError(`${label} needs a value`);
    }
    if (option.type === 'number') {
      const numbers = values.map((v) => {
        const n = typeof v === 'number' ? v : Number(String(v).trim());
        if (!Number.isFinite(n) || String(v).trim() === '' || (option.range !== undefined && n <= 0))
          throw new UsageError(
            `${label} must be ${option.valueName ?? VALUE_NAMES[option.range ?? 'any']}, not '${String(v)}'`,
          );
        if (option.range === 'duration' && timerMs(n) > MAX_TIMER_MS)
          throw new UsageError(
            `${label} must be at most ${MAX_TIMER_SECONDS} seconds (about 24.8 days, the longest timer Node.js keeps), not '${String(v)}'`,
          );
        if (option.whole && !Number.isInteger(n))
          throw new UsageError(`${label} must be a whole number, not '${String(v)}'`);
        return n;
      });
      value = option.array ? numbers : numbers[0];
    }
    if (option.array && !Array.isArray(value)) value = [value];
    out[name] = value;
    out[camel(name)] = value;
  }
  out['given'] = given;
  return out;
}

export const camel = (name: string) => name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/** Runs a command with parsed arguments, after the checks every parse path shares. */
export function runCommand(spec: CommandSpec, args: Record<string, unknown>, ctx: Context): Promise<void> {
  mark('command');
  return spec.run(checkArgs(spec, args, commandOptions(spec, ctx.io.env)), ctx);
}
