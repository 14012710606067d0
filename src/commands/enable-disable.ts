/** enable and disable: the same flow for `enabled`; nothing is sent when it is already so. */
import { withApi } from '../api/connect.ts';
import { affectedServices, applySettings, readLive } from '../api/write.ts';
import { forceGate } from '../inputs/policy.ts';
import { interruptibly } from '../io.ts';
import { dryRun, restarting, rollbackNotes, say, warn } from '../output/messages.ts';
import { trustPolicyOf } from '../policy/settings.ts';
import { enablingBlocksAllPulls } from '../policy/status.ts';
import { type CommandSpec, defineCommand } from '../cli/spec.ts';
import { DRY_RUN, FORCE } from './options.ts';

function toggleCommand(enable: boolean): CommandSpec {
  const name = enable ? 'enable' : 'disable';
  return defineCommand({
    name,
    talksTo: ['api'],
    describe: enable
      ? 'Turn image verification on (containerd restarts)'
      : 'Turn image verification off (containerd restarts)',
    positionals: [],
    options: {
      ...DRY_RUN,
      ...(enable ? FORCE : {}),
    },
    examples: [[`$0 ${name}`, enable ? 'Start verifying image pulls' : 'Stop verifying image pulls']],
    run: async (args, ctx) => {
      const io = ctx.io;
      const body = JSON.stringify({ 'image-verifier-plugins': { enabled: enable } });
      if (args.dryRun) {
        io.stdout.write(body + '\n');
        dryRun(io);
        return;
      }
      await withApi(args, async (client) => {
        const live = await readLive(client, []);
        if (live.osProblem)
          warn(io, `could not read the OS (${live.osProblem}); the variant check was skipped`);
        if ((live.plugins['enabled'] === true) === enable) {
          say(io, `image verification is already ${enable ? 'enabled' : 'disabled'}; nothing sent`);
          return;
        }
        const blocking = enable ? enablingBlocksAllPulls(live.plugins) : undefined;
        if (blocking)
          forceGate(io, args.force === true, blocking, 'fix it first (civctl status), or pass --force');
        const restarts = await affectedServices(client, ['settings.image-verifier-plugins.enabled']);
        const committed = await interruptibly(io, (signal) => applySettings(client, body, live, signal));
        say(
          io,
          `image verification ${enable ? 'enabled' : 'disabled'} (committed ${committed.join(', ') || 'the change'})`,
        );
        restarting(io, restarts);
        const names = Object.keys(live.plugins);
        if (enable && !names.some((n) => trustPolicyOf(live.plugins, n) !== undefined))
          warn(io, 'no trust policy is configured, so nothing is verified yet; add one with civctl set');
        rollbackNotes(io, live.os, { ...live.plugins, enabled: enable });
      });
    },
  });
}

export const enableCommand = toggleCommand(true);
export const disableCommand = toggleCommand(false);
