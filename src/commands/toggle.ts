/** enable and disable: the same flow for `enabled`; nothing is sent when it is already so. */
import { loadSettingsApi, withApi } from './api-context.ts';
import type { GlobalArgs } from './context.ts';
import { type CommandSpec, defineCommand } from './spec.ts';
import { trustPolicyOf } from '../policy/settings.ts';
import { affectedServices, assertVariantAccepts, tryGetOs, writeSettings } from './write-flow.ts';

interface ToggleArgs extends GlobalArgs {
  dryRun: boolean;
}

export function toggleCommand(enable: boolean): CommandSpec {
  const name = enable ? 'enable' : 'disable';
  return defineCommand<ToggleArgs>({
    name,
    describe: enable
      ? 'Turn image verification on (containerd restarts)'
      : 'Turn image verification off (containerd restarts)',
    positionals: [],
    options: {
      'dry-run': { type: 'boolean', default: false, describe: 'print the request body; send nothing' },
    },
    examples: [[`$0 ${name}`, enable ? 'Start verifying image pulls' : 'Stop verifying image pulls']],
    run: async (args, ctx) => {
      const body = JSON.stringify({ 'image-verifier-plugins': { enabled: enable } });
      if (args.dryRun) {
        ctx.io.stdout.write(body + '\n');
        ctx.io.stderr.write('civctl: dry run: nothing was sent\n');
        return;
      }
      const api = await loadSettingsApi();
      await withApi(args, async (client) => {
        const os = await tryGetOs(client);
        if (os) assertVariantAccepts(os, []);
        const plugins = api.pluginsOf(await api.getImageVerifierModel(client));
        const current = plugins['enabled'] === true;
        if (current === enable) {
          ctx.io.stderr.write(
            `civctl: image verification is already ${enable ? 'enabled' : 'disabled'}; nothing sent\n`,
          );
          return;
        }
        const restarts = await affectedServices(client, ['settings.image-verifier-plugins.enabled']);
        const committed = await writeSettings(client, body, os);
        ctx.io.stderr.write(
          `civctl: image verification ${enable ? 'enabled' : 'disabled'} (committed ${committed.join(', ') || 'the change'})\n`,
        );
        if (restarts && restarts.length > 0)
          ctx.io.stderr.write(`civctl: restarting: ${restarts.join(', ')}\n`);
        if (enable && !Object.keys(plugins).some((name) => trustPolicyOf(plugins, name) !== undefined))
          ctx.io.stderr.write(
            'civctl: warning: no trust policy is configured, so nothing is verified yet; add one with civctl set\n',
          );
      });
    },
  });
}
