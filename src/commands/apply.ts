/**
 * apply: the image-verifier settings of one or more settings documents — what `get --raw` printed,
 * user-data TOML, or settings JSON, as `apiclient apply` takes them — linted, then written in one
 * private transaction with the guarantees of `set`. Restores a node after a rollback.
 */
import { withApi } from '../api/connect.ts';
import { affectedServices, applySettings, readLive } from '../api/write.ts';
import { UsageError } from '../errors.ts';
import { isStdin } from '../inputs/files.ts';
import { forceGate } from '../inputs/policy.ts';
import { loadSchema } from '../inputs/schema.ts';
import { readDocuments } from '../inputs/settings-documents.ts';
import { interruptibly } from '../io.ts';
import { committedReport, dryRun, rollbackNotes, say, warn } from '../output/messages.ts';
import { bodyWithinLimit, trustPolicyOf } from '../policy/settings.ts';
import { enablingBlocksAllPulls, verifierStatus } from '../policy/status.ts';
import { defineCommand } from '../cli/spec.ts';
import { DRY_RUN, FORCE, SCHEMA, SETTINGS_FILE_OPTIONS } from './options.ts';

export const applyCommand = defineCommand({
  name: 'apply',
  talksTo: ['api'],
  describe:
    'Apply the image-verifier settings of settings documents (get --raw output, user-data TOML, settings JSON, eksctl and Karpenter files) in one transaction',
  positionals: [
    {
      name: 'files',
      required: true,
      variadic: true,
      describe: 'Settings documents, applied in order (later ones win); - for standard input',
    },
  ],
  options: {
    ...DRY_RUN,
    ...FORCE,
    ...SCHEMA,
    ...SETTINGS_FILE_OPTIONS,
  },
  examples: [
    ['$0 get --raw > saved.json', 'Save the settings before an OS rollback…'],
    ['$0 apply saved.json', '…and restore them afterwards'],
    ['$0 apply user-data.toml', 'Apply the image-verifier part of user data to a running node'],
    ['$0 apply cluster.yaml --nodegroup ng-1', "A nodegroup's settings from an eksctl ClusterConfig"],
  ],
  run: async (args, ctx) => {
    const io = ctx.io;
    if (args.files.filter(isStdin).length > 1)
      throw new UsageError('only one document can come from standard input');
    const schema = args.schema !== undefined ? await loadSchema(io, args.schema) : undefined;
    const wanted = await readDocuments(
      io,
      args.files,
      args.force,
      { nodegroup: args.nodegroup, nodeclass: args.nodeclass },
      schema,
    );
    const full = bodyWithinLimit({
      plugins: wanted.plugins,
      ...(wanted.enabled !== undefined ? { enabled: wanted.enabled } : {}),
    });
    if (args.dryRun) {
      io.stdout.write(full + '\n');
      dryRun(io);
      return;
    }
    await withApi(args, async (client) => {
      const live = await readLive(client, [...wanted.plugins.keys()]);
      if (live.osProblem)
        warn(io, `could not read the OS (${live.osProblem}); the variant check was skipped`);
      const changed = new Map(
        [...wanted.plugins].filter(([name, b64]) => trustPolicyOf(live.plugins, name) !== b64),
      );
      const enableChanged =
        wanted.enabled !== undefined && (live.plugins['enabled'] === true) !== wanted.enabled;
      if (changed.size === 0 && !enableChanged) {
        say(io, 'the node already holds these settings; nothing sent');
        return;
      }
      const after: Record<string, unknown> = { ...live.plugins };
      for (const [name, b64] of changed) after[name] = { trustpolicy: b64 };
      if (wanted.enabled !== undefined) after['enabled'] = wanted.enabled;
      for (const [name] of changed) {
        if (
          verifierStatus(name, live.plugins).effect === 'enforced' &&
          wanted.effects.get(name) === 'allows-all'
        )
          forceGate(
            io,
            args.force,
            `the live ${name} policy is enforced and the applied one allows every image`,
            'pass --force to stop verifying with it',
          );
      }
      if (after['enabled'] === true) {
        // Only what this write turns on, or the policies it changes, can newly block every pull.
        const scope = enableChanged
          ? after
          : Object.fromEntries([...changed.keys()].map((n) => [n, after[n]]));
        const blocking = enablingBlocksAllPulls(scope);
        if (blocking) forceGate(io, args.force, blocking, 'fix it first, or pass --force');
      }
      const body = bodyWithinLimit({
        plugins: changed,
        ...(enableChanged ? { enabled: wanted.enabled! } : {}),
      });
      const restarts = enableChanged
        ? await affectedServices(client, ['settings.image-verifier-plugins.enabled'])
        : undefined;
      const committed = await interruptibly(io, (signal) => applySettings(client, body, live, signal));
      committedReport(io, committed, restarts, after['enabled'] === true);
      rollbackNotes(io, live.os, after);
    });
  },
});
