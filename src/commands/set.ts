import type { Argv, CommandModule } from 'yargs';
import { UsageError } from '../errors.ts';
import { readInput } from '../input.ts';
import { encodeBase64 } from '../policy/base64.ts';
import { IDENTIFIER_RULE, isValidVerifierName } from '../policy/names.ts';
import { API_BODY_LIMIT, patchBody } from '../policy/settings.ts';
import { CivError } from '../errors.ts';
import { loadSettingsApi, withApi } from './api-context.ts';
import type { Context, GlobalArgs } from './context.ts';
import { preparePolicy } from './prepare.ts';
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

export function setCommand(ctx: Context): CommandModule<object, SetArgs> {
  return {
    command: 'set <verifier> [file]',
    describe: 'Lint a trust policy, then set it on the node in one private transaction',
    builder: (y: Argv) =>
      y
        .positional('verifier', { type: 'string', describe: 'notation, digestion or a custom verifier name' })
        .positional('file', { type: 'string', describe: 'policy JSON file, or - for standard input' })
        .option('enable', { type: 'boolean', default: false, describe: 'also set enabled = true' })
        .option('dry-run', {
          type: 'boolean',
          default: false,
          describe: 'print the request body; send nothing',
        })
        .option('force', {
          type: 'boolean',
          default: false,
          describe: 'set the policy even when lint finds errors',
        })
        .option('minify', { type: 'boolean', default: false, describe: 'compact the JSON before encoding' })
        .option('schema', { type: 'string', describe: 'JSON Schema for custom verifiers' })
        .example('$0 set digestion digests.json --enable', 'Allow only the listed digests')
        .example(
          '$0 set notation policy.json --dry-run',
          'Show the PATCH body without sending it',
        ) as unknown as Argv<SetArgs>,
    handler: async (args) => {
      if (!isValidVerifierName(args.verifier))
        throw new UsageError(`invalid verifier name '${args.verifier}': ${IDENTIFIER_RULE}`);
      const schema = args.schema !== undefined ? await loadSchema(ctx.io, args.schema) : undefined;
      const raw = await readInput(ctx.io, args.file);
      const prepared = await preparePolicy(ctx.io, raw, args.file, args.verifier, {
        minify: args.minify,
        force: args.force,
        schema,
      });
      const base64 = encodeBase64(prepared.bytes);
      const full = { plugins: new Map([[args.verifier, base64]]), ...(args.enable ? { enabled: true } : {}) };
      const fullBody = patchBody(full);
      if (fullBody.length > API_BODY_LIMIT)
        throw new CivError(
          'E_BODY_TOO_LARGE',
          `the settings request would be ${fullBody.length} bytes, over the API's ${API_BODY_LIMIT}-byte (2 MiB) limit`,
        );
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
        const current = live[args.verifier];
        const currentPolicy =
          typeof current === 'object' && current !== null
            ? (current as Record<string, unknown>)['trustpolicy']
            : undefined;
        const policyChanged = currentPolicy !== base64;
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
  };
}
