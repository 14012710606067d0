import { CivError } from '../errors.ts';
import { isStdin, readInput, STDIN_ARG } from '../input.ts';
import { checkStrictBase64, decodeBase64 } from '../policy/base64.ts';
import { parseJson, prettyJson } from '../policy/json.ts';
import type { Context } from './context.ts';
import { requireVerifierName } from './verifier-arg.ts';
import { defineCommand } from './spec.ts';
import { readSettingsFile } from './settings-file.ts';

interface DecodeArgs {
  input?: string;
  pretty: boolean;
  userdata?: string;
}

function pretty(bytes: Uint8Array, what: string): string {
  const parsed = parseJson(bytes, { maxDepth: 10000, allowTrailing: false });
  if (!parsed.ok)
    throw new CivError(
      'E_INVALID_JSON',
      `${what} is not valid JSON (${parsed.message}); print it without --pretty`,
    );
  return prettyJson(parsed.node) + '\n';
}

/** Decodes one base64 string exactly as the API would, or explains the first offending position. */
export function strictDecode(value: string, what: string): Uint8Array {
  const problem = checkStrictBase64(value);
  if (problem)
    throw new CivError('E_INVALID_BASE64', `${what} is not base64 the API accepts: ${problem.message}`);
  return decodeBase64(value);
}

export const decodeCommand = defineCommand<DecodeArgs>({
  name: 'decode',
  describe: 'Decode a base64 trust policy, or the policies in a user-data or settings file',
  positionals: [
    { name: 'input', describe: 'base64 text, or - for standard input; with --userdata, a verifier name' },
  ],
  options: {
    pretty: { type: 'boolean', default: false, describe: 'Pretty-print the JSON' },
    userdata: { type: 'string', describe: 'Read a user-data TOML or settings JSON file instead' },
  },
  examples: [
    ['$0 decode ewogICJ2ZXJzaW9uIjogIjEuMCIgfQ==', 'Print the decoded policy'],
    ['apiclient get settings.image-verifier-plugins.notation.trustpolicy | $0 decode -', 'Decode from stdin'],
    ['$0 decode --userdata user-data.toml digestion', "One verifier's policy from user-data"],
    ['$0 decode --userdata user-data.toml --pretty', 'All policies as one JSON object'],
  ],
  run: async (args, ctx) => {
    if (args.userdata !== undefined) {
      await decodeUserdata(ctx, args.userdata, args.input, args.pretty);
      return;
    }
    let text: string;
    let what: string;
    if (isStdin(args.input)) {
      const bytes = await readInput(ctx.io, STDIN_ARG);
      // One trailing newline is what `echo` and most tools add; anything else is kept and checked.
      text = new TextDecoder().decode(bytes).replace(/\r?\n$/, '');
      what = 'standard input';
    } else {
      text = args.input ?? '';
      what = 'the argument';
    }
    const bytes = strictDecode(text, what);
    ctx.io.stdout.write(args.pretty ? pretty(bytes, 'the decoded policy') : bytes);
  },
});

async function decodeUserdata(ctx: Context, path: string, verifier: string | undefined, prettyOut: boolean) {
  requireVerifierName(verifier);
  const file = await readSettingsFile(ctx.io, path);
  const decoded = new Map<string, Uint8Array>();
  for (const plugin of file.plugins) {
    if (plugin.trustpolicy === undefined) continue;
    if (verifier !== undefined && plugin.name !== verifier) continue;
    decoded.set(plugin.name, strictDecode(plugin.trustpolicy, `'${path}' ${plugin.name}.trustpolicy`));
  }
  if (verifier !== undefined) {
    const bytes = decoded.get(verifier);
    if (!bytes) {
      const names = file.plugins.filter((p) => p.trustpolicy !== undefined).map((p) => p.name);
      throw new CivError(
        'E_NOT_CONFIGURED',
        `'${path}' has no trust policy for '${verifier}'${names.length > 0 ? ` (it has: ${names.join(', ')})` : ''}`,
      );
    }
    ctx.io.stdout.write(prettyOut ? pretty(bytes, `the ${verifier} policy`) : bytes);
    return;
  }
  if (decoded.size === 0)
    throw new CivError('E_NOT_CONFIGURED', `'${path}' has no image-verifier trust policies`);
  const members: string[] = [];
  for (const [name, bytes] of decoded) {
    const parsed = parseJson(bytes, { maxDepth: 10000, allowTrailing: false });
    if (!parsed.ok)
      throw new CivError(
        'E_INVALID_JSON',
        `the ${name} policy in '${path}' is not valid JSON; decode it alone with: civctl decode --userdata ${path} ${name}`,
      );
    members.push(`  ${JSON.stringify(name)}: ${prettyJson(parsed.node, '  ', 1)}`);
  }
  ctx.io.stdout.write(`{\n${members.join(',\n')}\n}\n`);
}
