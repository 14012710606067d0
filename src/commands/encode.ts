/**
 * encode: policies as base64, user-data TOML, settings JSON, an apiclient command or a fleet file
 * (formats/index.ts holds every format), byte-exact.
 */
import { defineCommand } from '../cli/spec.ts';
import { ENCODE_FORMATS, FORMATS } from '../formats/index.ts';
import { readInput } from '../inputs/files.ts';
import { preparePolicy } from '../inputs/policy.ts';
import {
  checkEncodeOptions,
  checkPolicyCount,
  parsePolicyArgs,
  readMergeSource,
} from '../inputs/encode-args.ts';
import { loadSchema } from '../inputs/schema.ts';
import { note, say, warn } from '../output/messages.ts';
import { encodeBase64 } from '../policy/base64.ts';
import { bodyWithinLimit } from '../policy/settings.ts';
import { FORCE, formatOption, MINIFY, SCHEMA } from './options.ts';

export const encodeCommand = defineCommand({
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
    ...formatOption(ENCODE_FORMATS, 'base64'),
    ...MINIFY,
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
    ...FORCE,
    ...SCHEMA,
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
    const io = ctx.io;
    checkEncodeOptions(args);
    const pairs = parsePolicyArgs(args.policies, io);
    checkPolicyCount(args, pairs.length);
    const schema = args.schema !== undefined ? await loadSchema(io, args.schema) : undefined;
    const plugins = new Map<string, string>();
    for (const [name, path] of pairs) {
      const raw = await readInput(io, path);
      const prepared = await preparePolicy(io, raw, path, name, {
        minify: args.minify,
        force: args.force,
        schema,
      });
      plugins.set(name, encodeBase64(prepared.bytes));
    }
    const enabled = args.enable ? true : args.disable ? false : undefined;
    const policies = { plugins, ...(enabled !== undefined ? { enabled } : {}) };
    bodyWithinLimit(policies);
    const rendered = await FORMATS[args.format].render(policies, {
      ...(args.mergeInto !== undefined ? { mergeInto: await readMergeSource(io, args.mergeInto) } : {}),
      nodegroup: args.nodegroup,
      name: args.name,
      base64: args.base64,
      targets: args.targets,
      instanceIds: args.instanceIds,
    });
    for (const m of rendered.messages)
      (m.level === 'warning' ? warn : m.level === 'note' ? note : say)(io, m.text);
    io.stdout.write(rendered.text);
  },
});
