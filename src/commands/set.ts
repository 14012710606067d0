/** set: lint a policy, compare it with the live one, and apply it in one private transaction. */
import { withApi } from '../api/connect.ts';
import { affectedServices, applySettings, readLive } from '../api/write.ts';
import { readInput } from '../inputs/files.ts';
import { forceGate, preparePolicy } from '../inputs/policy.ts';
import { loadSchema } from '../inputs/schema.ts';
import { requireVerifierName } from '../inputs/verifier-name.ts';
import { interruptibly } from '../io.ts';
import { committedReport, dryRun, rollbackNotes, say, warn } from '../output/messages.ts';
import { encodeBase64 } from '../policy/base64.ts';
import { bodyWithinLimit, patchBody, trustPolicyOf } from '../policy/settings.ts';
import { enablingBlocksAllPulls, verifierStatus } from '../policy/status.ts';
import { defineCommand } from '../cli/spec.ts';
import { DRY_RUN, FORCE, MINIFY, SCHEMA } from './options.ts';

export const setCommand = defineCommand({
  name: 'set',
  talksTo: ['api'],
  describe: 'Lint a trust policy, then set it on the node in one private transaction',
  positionals: [
    { name: 'verifier', required: true, describe: 'Notation, digestion or a custom verifier name' },
    { name: 'file', describe: 'Policy JSON file, or - for standard input' },
  ],
  options: {
    enable: { type: 'boolean', default: false, describe: 'Also set enabled = true' },
    ...DRY_RUN,
    ...FORCE,
    ...MINIFY,
    ...SCHEMA,
  },
  examples: [
    ['$0 set digestion digests.json --enable', 'Allow only the listed digests'],
    ['$0 set notation policy.json --dry-run', 'Show the PATCH body without sending it'],
  ],
  run: async (args, ctx) => {
    const io = ctx.io;
    requireVerifierName(args.verifier, io);
    const schema = args.schema !== undefined ? await loadSchema(io, args.schema) : undefined;
    const raw = await readInput(io, args.file);
    const prepared = await preparePolicy(io, raw, args.file, args.verifier, {
      minify: args.minify,
      force: args.force,
      schema,
    });
    const base64 = encodeBase64(prepared.bytes);
    const fullBody = bodyWithinLimit({
      plugins: new Map([[args.verifier, base64]]),
      ...(args.enable ? { enabled: true } : {}),
    });
    if (args.dryRun) {
      io.stdout.write(fullBody + '\n');
      dryRun(io);
      return;
    }
    await withApi(args, async (client) => {
      const live = await readLive(client, [args.verifier]);
      if (live.osProblem)
        warn(io, `could not read the OS (${live.osProblem}); the variant check was skipped`);
      const policyChanged = trustPolicyOf(live.plugins, args.verifier) !== base64;
      const enableChanged = args.enable && live.plugins['enabled'] !== true;
      if (!policyChanged && !enableChanged) {
        say(
          io,
          `the ${args.verifier} trust policy is already set to this value${args.enable ? ' and verification is enabled' : ''}; nothing sent`,
        );
        return;
      }
      const after = { ...live.plugins, [args.verifier]: { trustpolicy: base64 } };
      const willBeEnabled = args.enable || live.plugins['enabled'] === true;
      // Replacing an enforced policy by one that allows everything switches verification off for that verifier.
      const before = verifierStatus(args.verifier, live.plugins);
      if (policyChanged && before.effect === 'enforced' && prepared.lint.effect === 'allows-all')
        forceGate(
          io,
          args.force,
          `the live ${args.verifier} policy is enforced and this one allows every image`,
          'pass --force to stop verifying with it',
        );
      const blocking = enableChanged ? enablingBlocksAllPulls(after) : undefined;
      if (blocking) forceGate(io, args.force, blocking, 'fix it first (civctl status), or pass --force');
      const body = patchBody({
        plugins: policyChanged ? new Map([[args.verifier, base64]]) : new Map(),
        ...(enableChanged ? { enabled: true } : {}),
      });
      const restarts = enableChanged
        ? await affectedServices(client, ['settings.image-verifier-plugins.enabled'])
        : undefined;
      const committed = await interruptibly(io, (signal) => applySettings(client, body, live, signal));
      committedReport(io, committed, restarts, willBeEnabled);
      say(io, `on the node this policy is: ${prepared.lint.effect}`);
      rollbackNotes(io, live.os, enableChanged ? { ...after, enabled: true } : after);
    });
  },
});
