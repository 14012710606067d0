/** encode: policies as base64, user-data TOML, settings JSON or an apiclient command, byte-exact. */
import { UsageError } from '../errors.ts';
import type { Io } from '../io.ts';
import { isStdin, readInput, STDIN_ARG } from '../inputs/files.ts';
import { preparePolicy } from '../inputs/policy.ts';
import { loadSchema } from '../inputs/schema.ts';
import { requireVerifierName } from '../inputs/verifier-name.ts';
import { encodeBase64 } from '../policy/base64.ts';
import { bodyWithinLimit } from '../policy/settings.ts';
import { defineCommand } from './spec.ts';

export const ENCODE_FORMATS = ['base64', 'toml', 'json', 'apiclient'] as const;
type EncodeFormat = (typeof ENCODE_FORMATS)[number];

interface EncodeArgs {
  targets: string[];
  format: EncodeFormat;
  minify: boolean;
  enable: boolean;
  force: boolean;
  schema?: string;
}

/** `notation a.json` or `notation=a.json digestion=b.json …` → [verifier, path] pairs. */
export function parseTargets(targets: string[], io?: Io): [string, string | undefined][] {
  if (targets.length === 0)
    throw new UsageError('encode needs a verifier name, e.g. civctl encode notation policy.json');
  let pairs: [string, string | undefined][];
  if (targets[0]!.includes('=')) {
    pairs = targets.map((t) => {
      const eq = t.indexOf('=');
      if (eq < 0) throw new UsageError(`expected VERIFIER=FILE, got '${t}' (do not mix the two forms)`);
      return [t.slice(0, eq), t.slice(eq + 1) || STDIN_ARG];
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

export const encodeCommand = defineCommand<EncodeArgs>({
  name: 'encode',
  describe: 'Encode trust policies as base64, user-data TOML, settings JSON or an apiclient command',
  positionals: [
    {
      name: 'targets',
      required: true,
      variadic: true,
      describe: 'VERIFIER [FILE|-], or several VERIFIER=FILE pairs',
    },
  ],
  options: {
    format: {
      alias: 'f',
      type: 'string',
      choices: ENCODE_FORMATS,
      default: 'base64',
      describe: 'Output format',
    },
    minify: { type: 'boolean', default: false, describe: 'Compact the JSON before encoding' },
    enable: {
      type: 'boolean',
      default: false,
      describe: 'Add enabled = true (toml, json and apiclient formats)',
    },
    force: { type: 'boolean', default: false, describe: 'Encode even when lint finds errors' },
    schema: { type: 'string', describe: 'JSON Schema for custom verifiers' },
  },
  examples: [
    ['$0 encode notation policy.json', 'Print the base64 of policy.json'],
    ['$0 encode digestion digests.json --format toml --enable', 'Print a user-data snippet'],
    ['$0 encode notation=a.json digestion=b.json --format toml', 'Several verifiers in one document'],
    ['cat p.json | $0 encode my-verifier - --format apiclient', 'A ready apiclient command'],
  ],
  run: async (args, ctx) => {
    const pairs = parseTargets(args.targets, ctx.io);
    if (args.format === 'base64' && pairs.length > 1)
      throw new UsageError(
        '--format base64 prints one policy; use --format toml, json or apiclient for several',
      );
    if (args.format === 'base64' && args.enable)
      throw new UsageError('--enable needs --format toml, json or apiclient');
    const schema = args.schema !== undefined ? await loadSchema(ctx.io, args.schema) : undefined;
    const plugins = new Map<string, string>();
    for (const [name, path] of pairs) {
      const raw = await readInput(ctx.io, path);
      const prepared = await preparePolicy(ctx.io, raw, path, name, {
        minify: args.minify,
        force: args.force,
        schema,
      });
      plugins.set(name, encodeBase64(prepared.bytes));
    }
    const render = { plugins, ...(args.enable ? { enabled: true } : {}) };
    bodyWithinLimit(render);
    if (args.format === 'base64') {
      ctx.io.stdout.write(`${plugins.values().next().value}\n`);
      return;
    }
    const { renderSettingsJson, renderApiclient } = await import('../output/settings.ts');
    const renderers = {
      // smol-toml is loaded only for TOML.
      toml: async () => (await import('../output/toml.ts')).renderToml(render),
      json: () => renderSettingsJson(render) + '\n',
      apiclient: () => renderApiclient(render) + '\n',
    } satisfies Record<Exclude<EncodeFormat, 'base64'>, () => string | Promise<string>>;
    const text = await renderers[args.format]();
    ctx.io.stdout.write(text);
  },
});
