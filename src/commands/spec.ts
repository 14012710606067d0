/**
 * Commands are declared as data: positionals, options, examples and a handler. cli.ts turns a
 * spec into a yargs command (help, completion, every usage error); fast-parse.ts reads the same
 * spec with yargs-parser, so that ordinary invocations need not load all of yargs.
 */
import type { Context } from './context.ts';

export interface OptionSpec {
  type: 'string' | 'boolean' | 'number';
  describe: string;
  alias?: string;
  default?: string | boolean | number;
  choices?: readonly string[];
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
  run(args: Args, ctx: Context): Promise<void>;
}

/** Options every command accepts. */
export function globalOptions(env: Record<string, string | undefined>): Record<string, OptionSpec> {
  return {
    'socket-path': {
      alias: 's',
      type: 'string',
      default: env['CIVCTL_SOCKET_PATH'] || '/run/api.sock',
      describe: 'Bottlerocket API socket (default from CIVCTL_SOCKET_PATH)',
    },
    timeout: { type: 'number', default: 30, describe: 'Seconds to wait for each API request' },
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
