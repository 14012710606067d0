/**
 * The fast path: reads an ordinary invocation with yargs-parser (the parser inside yargs) from
 * the same command specs program.ts gives yargs, so that start-up need not load all of yargs. Anything
 * unusual — help, an unknown option, a bad choice, a wrong number of arguments — returns
 * undefined, and the full yargs program handles it with its own messages.
 */
import parser from 'yargs-parser';
import {
  aliasesOf,
  type CommandSpec,
  camel,
  commandOptions,
  globalOptions,
  type OptionSpec,
} from './spec.ts';
import { globalSpellings, splitCommand } from './command-word.ts';

export interface FastParse {
  spec: CommandSpec;
  args: Record<string, unknown>;
}

export function fastParse(
  argv: string[],
  env: Record<string, string | undefined>,
  commands: readonly CommandSpec[],
): FastParse | undefined {
  // Any global option may come before the command word; the command then takes those that apply.
  const split = splitCommand(argv, globalSpellings(globalOptions(env)));
  const spec = split && commands.find((c) => c.name === split.name);
  if (!split || !spec) return undefined;
  const rest = split.rest;
  if (rest.some((a) => a === '--help' || a === '-h' || a === '--version' || a === '--')) return undefined;
  const options: Record<string, OptionSpec> = commandOptions(spec, env);
  const config: parser.Options = {
    boolean: [],
    string: [],
    number: [],
    alias: {},
    default: {},
    configuration: { 'parse-positional-numbers': false, 'strip-aliased': false, 'strip-dashed': false },
  };
  const known = new Set(['_', '$0']);
  for (const [name, option] of Object.entries(options)) {
    // Numbers are read as text: checkArgs checks them and quotes a bad value as it was typed.
    (config[option.type === 'number' ? 'string' : option.type] as string[]).push(name);
    const aliases = aliasesOf(option);
    if (aliases.length > 0) (config.alias as Record<string, string[]>)[name] = [...aliases];
    for (const key of [name, camel(name), ...aliases, ...aliases.map(camel)]) known.add(key);
  }
  const parsed = parser.detailed(rest, config);
  if (parsed.error) return undefined;
  const values = parsed.argv as Record<string, unknown>;
  for (const key of Object.keys(values)) if (!known.has(key)) return undefined;
  for (const [name, option] of Object.entries(options)) {
    const value = values[name];
    if (Array.isArray(value)) return undefined; // repeated option: let yargs decide
    if (option.choices && value !== undefined && !option.choices.includes(String(value))) return undefined;
  }
  const positionals = (values['_'] as unknown[]).map(String);
  const args: Record<string, unknown> = {};
  for (const p of spec.positionals) {
    if (p.variadic) {
      if (p.required && positionals.length === 0) return undefined;
      args[p.name] = positionals.splice(0);
    } else if (positionals.length > 0) args[p.name] = positionals.shift();
    else if (p.required) return undefined;
  }
  if (positionals.length > 0) return undefined;
  for (const name of Object.keys(options)) {
    if (values[name] === undefined) continue;
    args[name] = values[name];
    args[camel(name)] = values[name];
  }
  return { spec, args };
}
