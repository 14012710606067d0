/** encode: policies as base64, user-data TOML, settings JSON or an apiclient command, byte-exact. */
import { CivError, UsageError } from '../errors.ts';
import type { Io } from '../io.ts';
import { isStdin, readInput } from '../inputs/files.ts';
import { preparePolicy } from '../inputs/policy.ts';
import { loadSchema } from '../inputs/schema.ts';
import { requireVerifierName } from '../inputs/verifier-name.ts';
import { encodeBase64 } from '../policy/base64.ts';
import { bodyWithinLimit, type PluginPolicies } from '../policy/settings.ts';
import { note, say, warn } from '../output/messages.ts';
import { firstInvalidUtf8 } from '../policy/json.ts';
import { defineCommand } from '../cli/spec.ts';

export const ENCODE_FORMATS = [
  'base64',
  'toml',
  'json',
  'apiclient',
  'userdata',
  'eksctl',
  'karpenter',
  'ssm',
] as const;
type EncodeFormat = (typeof ENCODE_FORMATS)[number];
/** Formats for fleet channels, rendered by src/fleet (each with its size budget). */
const FLEET_FORMATS = ['userdata', 'eksctl', 'karpenter', 'ssm'] as const;
type FleetFormat = (typeof FLEET_FORMATS)[number];

interface EncodeArgs {
  policies: string[];
  format: EncodeFormat;
  minify: boolean;
  enable: boolean;
  disable: boolean;
  force: boolean;
  schema?: string;
  mergeInto?: string;
  nodegroup?: string;
  name?: string;
  base64: boolean;
  targets?: string[];
  instanceIds?: string[];
}

/** Fleet options that only some formats take: refused elsewhere rather than ignored. */
function checkFleetOptions(args: EncodeArgs): void {
  const only = (given: boolean, option: string, formats: readonly string[]) => {
    if (given && !formats.includes(args.format))
      throw new UsageError(`${option} needs --format ${formats.join(' or ')}`);
  };
  only(args.mergeInto !== undefined, '--merge-into', ['userdata', 'eksctl', 'karpenter']);
  only(args.nodegroup !== undefined, '--nodegroup', ['eksctl']);
  only(args.name !== undefined, '--name', ['karpenter']);
  only(args.base64, '--base64', ['userdata']);
  only(args.targets !== undefined, '--targets', ['ssm']);
  only(args.instanceIds !== undefined, '--instance-ids', ['ssm']);
  if (args.nodegroup !== undefined && args.mergeInto === undefined)
    throw new UsageError(
      '--nodegroup picks a nodegroup of the --merge-into file; give --merge-into CLUSTER.yaml',
    );
  if (args.targets !== undefined && args.instanceIds !== undefined)
    throw new UsageError('give --targets or --instance-ids, not both (send-command takes one)');
}

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

export const encodeCommand = defineCommand<EncodeArgs>({
  name: 'encode',
  talksTo: [],
  describe: 'Encode trust policies as base64, user-data TOML, settings JSON or an apiclient command',
  positionals: [
    {
      name: 'policies',
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
      describe: 'Add enabled = true (every format but base64)',
    },
    disable: {
      type: 'boolean',
      default: false,
      describe: 'Add enabled = false (every format but base64); with --merge-into, turns verification off',
    },
    force: { type: 'boolean', default: false, describe: 'Encode even when lint finds errors' },
    schema: { type: 'string', describe: 'JSON Schema for custom verifiers' },
    'merge-into': {
      type: 'string',
      describe:
        'For userdata, eksctl and karpenter: print this file with these policies merged into its image-verifier settings (the rest kept)',
    },
    nodegroup: { type: 'string', describe: 'For eksctl with --merge-into: only this nodegroup' },
    name: {
      type: 'string',
      alias: 'nodeclass',
      describe: 'For karpenter: the EC2NodeClass name (default bottlerocket), or the one to merge into',
    },
    base64: {
      type: 'boolean',
      default: false,
      describe: 'For userdata: base64, as a launch template’s UserData takes it',
    },
    targets: {
      type: 'string',
      array: true,
      describe: 'For ssm: Key=tag:NAME,Values=V1,V2 (repeatable), as send-command --targets',
    },
    'instance-ids': { type: 'string', array: true, describe: 'For ssm: instance IDs (at most 50)' },
  },
  examples: [
    ['$0 encode notation policy.json', 'Print the base64 of policy.json'],
    ['$0 encode digestion digests.json --format toml --enable', 'Print a user-data snippet'],
    ['$0 encode notation=a.json digestion=b.json --format toml', 'Several verifiers in one document'],
    ['cat p.json | $0 encode my-verifier - --format apiclient', 'A ready apiclient command'],
    ['$0 encode notation p.json --enable --format eksctl --merge-into cluster.yaml', 'An eksctl config'],
    ['$0 encode notation p.json --enable --format ssm --targets Key=tag:env,Values=prod', 'SSM Run Command'],
  ],
  run: async (args, ctx) => {
    checkFleetOptions(args);
    const pairs = parsePolicyArgs(args.policies, ctx.io);
    if (args.format === 'base64' && pairs.length > 1)
      throw new UsageError(
        '--format base64 prints one policy; use --format toml, json or apiclient for several',
      );
    if (args.enable && args.disable) throw new UsageError('give --enable or --disable, not both');
    if (args.format === 'base64' && (args.enable || args.disable))
      throw new UsageError(
        `--${args.enable ? 'enable' : 'disable'} needs a settings format (--format toml, json, apiclient, userdata, eksctl, karpenter or ssm)`,
      );
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
    const enabled = args.enable ? true : args.disable ? false : undefined;
    const render = { plugins, ...(enabled !== undefined ? { enabled } : {}) };
    bodyWithinLimit(render);
    if (args.format === 'base64') {
      ctx.io.stdout.write(`${plugins.values().next().value}\n`);
      return;
    }
    if ((FLEET_FORMATS as readonly string[]).includes(args.format)) {
      const text = await renderFleet(ctx.io, args, args.format as FleetFormat, render);
      ctx.io.stdout.write(text);
      return;
    }
    const { renderSettingsJson, renderApiclient } = await import('../output/settings.ts');
    const renderers = {
      // smol-toml is loaded only for TOML.
      toml: async () => (await import('../formats/userdata.ts')).renderUserData(render),
      json: () => renderSettingsJson(render) + '\n',
      apiclient: () => renderApiclient(render) + '\n',
    } satisfies Record<Exclude<EncodeFormat, 'base64' | FleetFormat>, () => string | Promise<string>>;
    const text = await renderers[args.format as keyof typeof renderers]();
    ctx.io.stdout.write(text);
  },
});

/** The --merge-into file's text, or a clear error when it is not text. */
async function mergeSource(io: Io, path: string): Promise<string> {
  const bytes = await readInput(io, path);
  const bad = firstInvalidUtf8(bytes);
  if (bad >= 0)
    throw new CivError('E_FLEET_FILE', `'${path}' is not UTF-8 text (invalid byte at offset ${bad})`);
  return new TextDecoder().decode(bytes);
}

/** Wraps a merge failure as one line naming the file and the position. */
async function merging<T>(path: string, merge: () => T): Promise<T> {
  const { SettingsFileError } = await import('../formats/read-settings.ts');
  try {
    return merge();
  } catch (err) {
    if (err instanceof SettingsFileError)
      throw new CivError('E_FLEET_FILE', `${path}:${err.line}:${err.column}: ${err.message}`);
    if (err instanceof CivError && err.code === 'E_FLEET_FILE')
      throw new CivError('E_FLEET_FILE', `'${path}' cannot be merged into: ${err.message}`);
    throw err;
  }
}

async function renderFleet(
  io: Io,
  args: EncodeArgs,
  format: FleetFormat,
  p: PluginPolicies,
): Promise<string> {
  const budget = await import('../formats/budget.ts');
  const path = args.mergeInto;
  const source = path !== undefined ? await mergeSource(io, path) : undefined;
  switch (format) {
    case 'userdata': {
      const fleet = await import('../formats/userdata.ts');
      let text = fleet.renderUserData(p);
      if (source !== undefined && path !== undefined) {
        const merged = await merging(path, () => fleet.mergeUserData(source, p));
        if (!merged.preserved) warn(io, relayoutWarning(path));
        tellNotices(io, path, merged.notices);
        text = merged.text;
      }
      say(io, budget.userDataBudget('userdata', Buffer.byteLength(text)));
      return args.base64 ? `${encodeBase64(new TextEncoder().encode(text))}\n` : text;
    }
    case 'eksctl': {
      const fleet = await import('../formats/eksctl.ts');
      if (source === undefined || path === undefined) {
        const { renderUserData } = await import('../formats/userdata.ts');
        say(io, budget.userDataBudget('eksctl', Buffer.byteLength(renderUserData(p))));
        return fleet.renderEksctlFragment(p);
      }
      const merged = await merging(path, () => fleet.mergeEksctl(source, p, args.nodegroup));
      if (!merged.preserved) warn(io, reprintWarning(path));
      for (const [group, toml] of merged.userData) {
        tellNotices(io, `${path} (nodegroup ${group})`, merged.notices.get(group) ?? []);
        say(io, `nodegroup ${group}: ${budget.userDataBudget('eksctl', Buffer.byteLength(toml))}`);
      }
      return merged.text;
    }
    case 'karpenter': {
      const fleet = await import('../formats/karpenter.ts');
      if (source === undefined || path === undefined) {
        const { renderUserData } = await import('../formats/userdata.ts');
        say(io, budget.userDataBudget('karpenter', Buffer.byteLength(renderUserData(p))));
        return fleet.renderKarpenter(p, args.name ?? 'bottlerocket');
      }
      const merged = await merging(path, () => fleet.mergeKarpenter(source, p, args.name));
      if (!merged.preserved) warn(io, reprintWarning(path));
      for (const [nodeClass, userData] of merged.userData) {
        if (!userData.preserved)
          warn(io, relayoutWarning(`${path} (EC2NodeClass ${nodeClass} spec.userData)`));
        tellNotices(io, `${path} (EC2NodeClass ${nodeClass})`, userData.notices);
        say(
          io,
          `EC2NodeClass ${nodeClass}: ${budget.userDataBudget('karpenter', Buffer.byteLength(userData.text))}`,
        );
      }
      return merged.text;
    }
    case 'ssm': {
      const fleet = await import('../formats/ssm.ts');
      const targets = fleet.parseTargets(args.targets ?? []);
      const instanceIds = fleet.checkInstanceIds(args.instanceIds ?? []);
      if (targets.length === 0 && instanceIds.length === 0)
        note(
          io,
          'no --targets or --instance-ids: add Targets or InstanceIds before sending, or pass them to aws ssm send-command',
        );
      const text = fleet.renderSsm(p, { targets, instanceIds });
      say(io, budget.ssmBudget(Buffer.byteLength(text)));
      note(io, 'run it with: aws ssm send-command --cli-input-json file://FILE');
      return text;
    }
  }
}

/** What a merge replaced, turned off or kept, on stderr: warnings for what is lost, notes for the rest. */
function tellNotices(io: Io, where: string, notices: { level: 'warning' | 'note'; message: string }[]): void {
  for (const n of notices) (n.level === 'warning' ? warn : note)(io, `${where}: ${n.message}`);
}

function reprintWarning(where: string): string {
  return `${where} could not be edited in place, so the YAML was printed anew: its values and comments are kept, but flow mappings, quoting and aliases outside the image-verifier settings may be laid out differently`;
}

function relayoutWarning(where: string): string {
  return `${where} defines settings.image-verifier-plugins in a form a text edit cannot replace (dotted keys or an inline table), so the whole document was re-serialised: its comments and layout are lost, its values are kept`;
}
