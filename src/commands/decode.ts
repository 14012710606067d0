/** decode: the exact policy bytes back from base64, user-data, or `apiclient get` output. */
import { CivError, UsageError } from '../errors.ts';
import { isStdin, readInput } from '../inputs/files.ts';
import { readSettingsFile, type SettingsSelector } from '../inputs/settings-file.ts';
import { requireVerifierName } from '../inputs/verifier-name.ts';
import type { Io } from '../io.ts';
import { escapeJsonText } from '../output/escape.ts';
import { strictDecode } from '../policy/base64.ts';
import { parseJson, prettyJson } from '../policy/json.ts';
import { GO_MAX_DEPTH } from '../policy/positions.ts';
import { type Context, defineCommand } from '../cli/spec.ts';
import { SETTINGS_FILE_OPTIONS } from './options.ts';

function pretty(bytes: Uint8Array, what: string): string {
  const parsed = parseJson(bytes, { maxDepth: GO_MAX_DEPTH, allowTrailing: false });
  if (!parsed.ok)
    throw new CivError(
      'E_INVALID_JSON',
      `${what} is not valid JSON (${parsed.message}); print it without --pretty`,
    );
  return escapeJsonText(prettyJson(parsed.node)) + '\n';
}

/** The exact bytes for pipes and files; at a terminal, a final newline so the prompt starts on its own line. */
function writeExact(io: Io, bytes: Uint8Array): void {
  io.stdout.write(bytes);
  if (io.stdout.isTTY && bytes.length > 0 && bytes[bytes.length - 1] !== 0x0a) io.stdout.write('\n');
}

export const decodeCommand = defineCommand({
  name: 'decode',
  talksTo: [],
  describe: 'Decode a base64 trust policy, or the policies in a user-data or settings file',
  positionals: [
    { name: 'input', describe: 'Base64 text, or - for standard input; with --userdata, a verifier name' },
  ],
  options: {
    pretty: { type: 'boolean', default: false, describe: 'Pretty-print the JSON' },
    userdata: {
      type: 'string',
      describe:
        'Decode the policies of this user-data TOML, settings JSON, eksctl or Karpenter file (- for standard input)',
    },
    ...SETTINGS_FILE_OPTIONS,
  },
  examples: [
    ['$0 decode ewogICJ2ZXJzaW9uIjogIjEuMCIgfQ==', 'Print the decoded policy'],
    ['echo "$B64" | $0 decode -', 'Decode base64 from standard input'],
    [
      'apiclient get settings.image-verifier-plugins | $0 decode --userdata - notation',
      "A node's notation policy, from apiclient's output",
    ],
    ['$0 decode --userdata user-data.toml digestion', "One verifier's policy from user-data"],
    ['$0 decode --userdata user-data.toml --pretty', 'All policies as one JSON object'],
    [
      '$0 decode --userdata cluster.yaml --nodegroup ng-1 notation',
      "A nodegroup's policy from an eksctl file",
    ],
  ],
  run: async (args, ctx) => {
    if (args.userdata !== undefined) {
      await decodeUserdata(ctx, args.userdata, args.input, args.pretty, {
        nodegroup: args.nodegroup,
        nodeclass: args.nodeclass,
      });
      return;
    }
    if (args.nodegroup !== undefined || args.nodeclass !== undefined)
      throw new UsageError(
        `--${args.nodegroup !== undefined ? 'nodegroup' : 'nodeclass'} picks the settings of a --userdata file (an eksctl or Karpenter file)`,
      );
    let text: string;
    let what: string;
    if (isStdin(args.input)) {
      const bytes = await readInput(ctx.io, args.input);
      // One trailing newline is what `echo` and most tools add; anything else is kept and checked.
      text = new TextDecoder().decode(bytes).replace(/\r?\n$/, '');
      what = 'standard input';
    } else {
      text = args.input ?? '';
      what = 'the argument';
    }
    const bytes = strictDecode(text, what);
    if (args.pretty) ctx.io.stdout.write(pretty(bytes, 'the decoded policy'));
    else writeExact(ctx.io, bytes);
  },
});

async function decodeUserdata(
  ctx: Context,
  path: string,
  verifier: string | undefined,
  prettyOut: boolean,
  select: SettingsSelector,
) {
  requireVerifierName(verifier);
  const file = await readSettingsFile(ctx.io, path, select);
  const label = isStdin(path)
    ? `standard input${file.section !== undefined ? ` (${file.section})` : ''}`
    : file.label;
  const decoded = new Map<string, Uint8Array>();
  for (const plugin of file.plugins) {
    if (plugin.trustpolicy === undefined) continue;
    if (verifier !== undefined && plugin.name !== verifier) continue;
    decoded.set(plugin.name, strictDecode(plugin.trustpolicy, `${label} ${plugin.name}.trustpolicy`));
  }
  if (verifier !== undefined) {
    const bytes = decoded.get(verifier);
    if (!bytes) {
      const names = file.plugins.filter((p) => p.trustpolicy !== undefined).map((p) => p.name);
      throw new CivError(
        'E_NOT_CONFIGURED',
        `${label} has no trust policy for '${verifier}'${names.length > 0 ? ` (it has: ${names.join(', ')})` : ''}`,
      );
    }
    if (prettyOut) ctx.io.stdout.write(pretty(bytes, `the ${verifier} policy`));
    else writeExact(ctx.io, bytes);
    return;
  }
  if (decoded.size === 0)
    throw new CivError('E_NOT_CONFIGURED', `${label} has no image-verifier trust policies`);
  const members: string[] = [];
  for (const [name, bytes] of decoded) {
    const parsed = parseJson(bytes, { maxDepth: GO_MAX_DEPTH, allowTrailing: false });
    if (!parsed.ok)
      throw new CivError(
        'E_INVALID_JSON',
        `the ${name} policy in ${label} is not valid JSON; decode it alone with: civctl decode --userdata ${path}${select.nodegroup !== undefined ? ` --nodegroup ${select.nodegroup}` : ''}${select.nodeclass !== undefined ? ` --nodeclass ${select.nodeclass}` : ''} ${name}`,
      );
    members.push(`  ${JSON.stringify(name)}: ${escapeJsonText(prettyJson(parsed.node, '  ', 1))}`);
  }
  ctx.io.stdout.write(`{\n${members.join(',\n')}\n}\n`);
}
