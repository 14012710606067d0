/**
 * Where the command is in argv: the first argument after the global options that may come before
 * it (`civctl -s PATH get`). The fast path reads argv with it, and so do the bundle's loader and the
 * standalone binary, which need the command before any of the program is compiled (to name code
 * caches and to set V8 flags for HTTP commands): scripts/startup.mjs compiles this file into them,
 * with the spellings of globalOptions in cli/spec.ts. So it imports nothing at run time.
 */
import type { OptionSpec } from './spec.ts';

/** How the global options are spelled on the command line. */
export interface GlobalSpellings {
  /** Options that take a value, as the next argument or after `=` (long forms): `-s`, `--timeout`. */
  withValue: string[];
  /** Options that take none. */
  flags: string[];
}

/**
 * The spellings of a set of option declarations: `--name`, and each alias (`-a` for one letter).
 * (spec.ts's aliasesOf, inlined: this file imports nothing at run time.)
 */
export function globalSpellings(
  options: Record<string, Pick<OptionSpec, 'type' | 'alias'>>,
): GlobalSpellings {
  const spellings: GlobalSpellings = { withValue: [], flags: [] };
  for (const [name, option] of Object.entries(options)) {
    const list = option.type === 'boolean' ? spellings.flags : spellings.withValue;
    list.push(`--${name}`);
    const aliases =
      option.alias === undefined ? [] : typeof option.alias === 'string' ? [option.alias] : option.alias;
    for (const alias of aliases) list.push(alias.length === 1 ? `-${alias}` : `--${alias}`);
  }
  return spellings;
}

/**
 * The command word and the other arguments, skipping the global options before it; undefined when
 * unsure (anything else before the command, or no command), for yargs to decide.
 */
export function splitCommand(
  argv: readonly string[],
  globals: GlobalSpellings,
): { name: string; rest: string[] } | undefined {
  let i = 0;
  while (i < argv.length && argv[i]!.startsWith('-')) {
    const token = argv[i]!;
    if (globals.withValue.includes(token)) i += 2;
    else if (globals.flags.includes(token)) i += 1;
    else if (globals.withValue.some((s) => s.startsWith('--') && token.startsWith(`${s}=`))) i += 1;
    else return undefined;
  }
  if (i >= argv.length) return undefined;
  return { name: argv[i]!, rest: [...argv.slice(0, i), ...argv.slice(i + 1)] };
}
