/**
 * Commands are declared as data: positionals, options, examples and a handler. cli/program.ts turns a
 * spec into a yargs command (help, completion, every usage error); cli/fast-path.ts reads the same
 * spec with yargs-parser, so that ordinary invocations need not load all of yargs.
 */
import { UsageError } from '../errors.ts';
import { mark } from '../trace.ts';
import type { Io } from '../io.ts';

/** What every command handler gets besides its arguments. */
export interface Context {
  io: Io;
}

/** The global options, as every handler receives them (declared in globalOptions below). */
export interface GlobalArgs {
  socketPath: string;
  timeout: number;
}

export interface OptionSpec {
  /** 'number' options are read as text and checked in checkArgs, so a bad value is quoted as typed. */
  type: 'string' | 'boolean' | 'number';
  describe: string;
  alias?: string;
  default?: string | boolean | number;
  choices?: readonly string[];
  /** May be given several times (the handler gets an array); otherwise a repeat is a usage error. */
  array?: boolean;
  /** 'positive': a number above 0 (seconds, counts). */
  range?: 'positive';
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
   * The command talks HTTP (the API socket or a registry), so it loads undici. The bundle's loader
   * and the standalone binary set V8's --liftoff-only for these commands before anything is
   * compiled (scripts/startup.mjs reads this field at build time); test/e2e/bundle.test.ts checks
   * that exactly these commands load undici.
   */
  http?: true;
  run(args: Args, ctx: Context): Promise<void>;
}

/**
 * Options every command accepts, before or after the command word: the one declaration yargs,
 * the fast path and the bundle's loader read (cli/command-word.ts).
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
      range: 'positive',
      valueName: 'a number of seconds above 0',
      describe: 'Seconds to wait for each API request',
    },
  };
}

/** The yargs command string: `name <required> [optional] [rest..]`. */
export function commandString(spec: CommandSpec<never>): string {
  const parts = spec.positionals.map((p) => {
    const inner = p.variadic ? `${p.name}..` : p.name;
    return p.required ? `<${inner}>` : `[${inner}]`;
  });
  return [spec.name, ...parts].join(' ');
}

/** Erases a spec's argument type, for lists of specs. */
export function defineCommand<Args>(spec: CommandSpec<Args>): CommandSpec {
  return spec as unknown as CommandSpec;
}

/**
 * Arguments after `--` are operands even when they look like options. They cross the parsers
 * marked with this prefix (a NUL cannot occur in a real argument) and are unmarked in checkArgs.
 */
export const OPERAND_MARK = '\u0000operand:';

const unmark = (v: unknown): unknown =>
  typeof v === 'string' && v.startsWith(OPERAND_MARK) ? v.slice(OPERAND_MARK.length) : v;

/** How an option is named in messages: `-f/--format`. */
function optionLabel(name: string, option: OptionSpec): string {
  return option.alias ? `-${option.alias}/--${name}` : `--${name}`;
}

/**
 * The rules every parse path shares (the fast path and yargs): operands after `--` restored, a
 * value option given twice or without its value refused, numbers checked, defaults applied. Returns the arguments
 * the handler gets, under both the dashed and the camel-case names.
 */
export function checkArgs(
  spec: CommandSpec,
  args: Record<string, unknown>,
  options: Record<string, OptionSpec>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...args };
  for (const p of spec.positionals) {
    const value = out[p.name];
    if (value !== undefined) out[p.name] = Array.isArray(value) ? value.map(unmark) : unmark(value);
  }
  for (const [name, option] of Object.entries(options)) {
    let value = out[name];
    if (value === undefined) {
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
        if (!Number.isFinite(n) || String(v).trim() === '' || (option.range === 'positive' && n <= 0))
          throw new UsageError(
            `${label} must be ${option.valueName ?? (option.range === 'positive' ? 'a number above 0' : 'a number')}, not '${String(v)}'`,
          );
        return n;
      });
      value = option.array ? numbers : numbers[0];
    }
    if (option.array && !Array.isArray(value)) value = [value];
    out[name] = value;
    out[camel(name)] = value;
  }
  return out;
}

export const camel = (name: string) => name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/** Runs a command with parsed arguments, after the checks every parse path shares. */
export function runCommand(spec: CommandSpec, args: Record<string, unknown>, ctx: Context): Promise<void> {
  mark('command');
  const options = { ...globalOptions(ctx.io.env), ...spec.options };
  return spec.run(checkArgs(spec, args, options), ctx);
}
