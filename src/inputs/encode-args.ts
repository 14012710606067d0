/**
 * encode's arguments: the policies (one verifier and its file, or several VERIFIER=FILE pairs),
 * the options each format takes (formats/index.ts), and the --merge-into file's text.
 */
import { CivError, UsageError } from '../errors.ts';
import { ENCODE_FORMATS, type EncodeFormatName, FORMATS, formatsTaking } from '../formats/index.ts';
import type { Io } from '../io.ts';
import { firstInvalidUtf8 } from '../policy/json.ts';
import { isStdin, readInput } from './files.ts';
import { requireVerifierName } from './verifier-name.ts';

/** `notation a.json` or `notation=a.json digestion=b.json …` → [verifier, path] pairs. */
export function parsePolicyArgs(targets: string[], io?: Io): [string, string | undefined][] {
  if (targets.length === 0)
    throw new UsageError('encode needs a verifier name, e.g. civctl encode notation policy.json');
  let pairs: [string, string | undefined][];
  if (targets[0]!.includes('=')) {
    pairs = targets.map((t) => {
      const eq = t.indexOf('=');
      if (eq < 0) throw new UsageError(`expected VERIFIER=FILE, got '${t}' (do not mix the two forms)`);
      return [t.slice(0, eq), t.slice(eq + 1) || '-'];
    });
  } else {
    if (targets.length > 2)
      throw new UsageError(
        `too many arguments: give one verifier and one file, or several VERIFIER=FILE pairs`,
      );
    pairs = [[targets[0]!, targets[1]]];
  }
  const seen = new Set<string>();
  for (const [name] of pairs) {
    requireVerifierName(name, io);
    if (seen.has(name)) throw new UsageError(`verifier '${name}' is given twice`);
    seen.add(name);
  }
  if (pairs.filter(([, p]) => isStdin(p)).length > 1)
    throw new UsageError('only one policy can come from standard input');
  return pairs;
}

/** What the option checks read of encode's parsed arguments. */
export interface EncodeOptionArgs {
  format: EncodeFormatName;
  /** The options given on the command line (cli/spec.ts Given). */
  given: ReadonlySet<string>;
  enable: boolean;
  disable: boolean;
  base64: boolean;
  mergeInto?: string | undefined;
  nodegroup?: string | undefined;
  targets?: string[] | undefined;
  instanceIds?: string[] | undefined;
}

/** Options that cannot go together, refused before any file is read. */
export function checkEncodeOptions(args: EncodeOptionArgs): void {
  // Options only some formats take are refused elsewhere rather than ignored (FORMATS[f].options).
  for (const option of args.given) {
    // --no-base64 asks for nothing a format could refuse.
    if (option === 'base64' && !args.base64) continue;
    const formats = formatsTaking(option);
    if (formats.length > 0 && !formats.includes(args.format))
      throw new UsageError(`--${option} needs --format ${formats.join(' or ')}`);
  }
  if (args.nodegroup !== undefined && args.mergeInto === undefined)
    throw new UsageError(
      '--nodegroup picks a nodegroup of the --merge-into file; give --merge-into CLUSTER.yaml',
    );
  if (args.targets !== undefined && args.instanceIds !== undefined)
    throw new UsageError('give --targets or --instance-ids, not both (send-command takes one)');
}

/** A format of one policy (base64) takes neither several nor --enable/--disable. */
export function checkPolicyCount(args: EncodeOptionArgs, policies: number): void {
  const settings = FORMATS[args.format].settings;
  if (!settings && policies > 1)
    throw new UsageError(
      `--format ${args.format} prints one policy; use --format toml, json or apiclient for several`,
    );
  if (args.enable && args.disable) throw new UsageError('give --enable or --disable, not both');
  if (!settings && (args.enable || args.disable))
    throw new UsageError(
      `--${args.enable ? 'enable' : 'disable'} needs a settings format (--format ${listed(ENCODE_FORMATS.filter((f) => FORMATS[f].settings))})`,
    );
}

/** `a, b or c`. */
const listed = (names: string[]) => `${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}`;

/** The --merge-into file's text, or a clear error when it is not text. */
export async function readMergeSource(io: Io, path: string): Promise<{ path: string; text: string }> {
  const bytes = await readInput(io, path);
  const bad = firstInvalidUtf8(bytes);
  if (bad >= 0)
    throw new CivError('E_FLEET_FILE', `'${path}' is not UTF-8 text (invalid byte at offset ${bad})`);
  return { path, text: new TextDecoder().decode(bytes) };
}
