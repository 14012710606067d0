/**
 * The fast path: reads an ordinary invocation with yargs-parser (the parser inside yargs) from
 * the same command specs program.ts gives yargs, so that start-up need not load all of yargs. Anything
 * unusual — help, an unknown option, a bad choice, a wrong number of arguments — returns
 * undefined, and the full yargs program handles it with its own messages.
 */
import parser from 'yargs-parser';
import { COMMANDS } from '../commands/index.ts';
import { aliasesOf, type CommandSpec, camel, commandOptions, type OptionSpec } from '../commands/spec.ts';

export interface FastParse {
  spec: CommandSpec;
  args: Record<string, unknown>;
}

/** Global options that take a value and may come before the command (`civctl -s PATH get`). */
const GLOBAL_WITH_VALUE = new Set(['-s', '--socket-path', '--timeout']);

/** Finds the command word, skipping global options before it; undefined when unsure. */
function splitCommand(argv: string[]): { name: string; rest: string[] } | undefined {
  let i = 0;
  while (i < argv.length && argv[i]!.startsWith('-')) {
    const token = argv[i]!;
    if (GLOBAL_WITH_VALUE.has(token)) i += 2;
    else if (/^--(socket-path|timeout)=/.test(token)) i += 1;
    else return undefined;
  }
  if (i >= argv.length) return undefined;
  return { name: argv[i]!, rest: [...argv.slice(0, i), ...argv.slice(i + 1)] };
}

export function fastParse(argv: string[], env: Record<string, string | undefined>): FastParse | undefined {
  const split = splitCommand(argv);
  const spec = split && COMMANDS.find((c) => c.name === split.name);
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
