import { readInput } from '../input.ts';
import { encodeBase64 } from '../policy/base64.ts';
import { patchBody, trustPolicyOf } from '../policy/settings.ts';
import { loadSettingsApi, withApi } from './api-context.ts';
import type { GlobalArgs } from './context.ts';
import { defineCommand } from './spec.ts';
import { requireVerifierName } from './verifier-arg.ts';
import { bodyWithinLimit, preparePolicy } from './prepare.ts';
import { loadSchema } from './schema.ts';
import { affectedServices, assertVariantAccepts, tryGetOs, writeSettings } from './write-flow.ts';

interface SetArgs extends GlobalArgs {
  verifier: string;
  file?: string;
  enable: boolean;
  dryRun: boolean;
  force: boolean;
  minify: boolean;
  schema?: string;
}

export const setCommand = defineCommand<SetArgs>({
  name: 'set',
  describe: 'Lint a trust policy, then set it on the node in one private transaction',
  positionals: [
    { name: 'verifier', required: true, describe: 'notation, digestion or a custom verifier name' },
    { name: 'file', describe: 'policy JSON file, or - for standard input' },
  ],
  options: {
    enable: { type: 'boolean', default: false, describe: 'also set enabled = true' },
    'dry-run': { type: 'boolean', default: false, describe: 'print the request body; send nothing' },
    force: { type: 'boolean', default: false, describe: 'set the policy even when lint finds errors' },
    minify: { type: 'boolean', default: false, describe: 'compact the JSON before encoding' },
    schema: { type: 'string', describe: 'JSON Schema for custom verifiers' },
  },
  examples: [
    ['$0 set digestion digests.json --enable', 'Allow only the listed digests'],
    ['$0 set notation policy.json --dry-run', 'Show the PATCH body without sending it'],
  ],
  run: async (args, ctx) => {
    requireVerifierName(args.verifier);
    const schema = args.schema !== undefined ? await loadSchema(ctx.io, args.schema) : undefined;
    const raw = await readInput(ctx.io, args.file);
    const prepared = await preparePolicy(ctx.io, raw, args.file, args.verifier, {
      minify: args.minify,
      force: args.force,
      schema,
    });
    const base64 = encodeBase64(prepared.bytes);
    const full = { plugins: new Map([[args.verifier, base64]]), ...(args.enable ? { enabled: true } : {}) };
    const fullBody = bodyWithinLimit(full);
    if (args.dryRun) {
      ctx.io.stdout.write(fullBody + '\n');
      ctx.io.stderr.write('civctl: dry run: nothing was sent\n');
      return;
    }
    const api = await loadSettingsApi();
    await withApi(args, async (client) => {
      const os = await tryGetOs(client);
      if (os) assertVariantAccepts(os, [args.verifier]);
      const live = api.pluginsOf(await api.getImageVerifierModel(client));
      const policyChanged = trustPolicyOf(live, args.verifier) !== base64;
      const enableChanged = args.enable && live['enabled'] !== true;
      if (!policyChanged && !enableChanged) {
        ctx.io.stderr.write(
          `civctl: the ${args.verifier} trust policy is already set to this value${args.enable ? ' and verification is enabled' : ''}; nothing sent\n`,
        );
        return;
      }
      const body = patchBody({
        plugins: policyChanged ? new Map([[args.verifier, base64]]) : new Map(),
        ...(enableChanged ? { enabled: true } : {}),
      });
      const restarts = enableChanged
        ? await affectedServices(client, ['settings.image-verifier-plugins.enabled'])
        : undefined;
      const committed = await writeSettings(client, body, os);
      ctx.io.stderr.write(
        `civctl: committed ${committed.length > 0 ? committed.join(', ') : 'the change'}\n`,
      );
      if (restarts && restarts.length > 0)
        ctx.io.stderr.write(`civctl: restarting: ${restarts.join(', ')}\n`);
      if (!args.enable && live['enabled'] !== true)
        ctx.io.stderr.write(
          'civctl: note: image verification is not enabled; run civctl enable to enforce policies\n',
        );
      ctx.io.stderr.write(`civctl: on the node this policy is: ${prepared.lint.effect}\n`);
    });
  },
});
