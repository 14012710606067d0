import { checkStrictBase64, decodeBase64 } from '../policy/base64.ts';
import { lintPolicy } from '../policy/lint.ts';
import { verifierKind } from '../policy/names.ts';
import { describeOs, SUPPORTED_VARIANTS_TEXT, variantModel } from '../policy/variants.ts';
import { type StatusReport, statusJson, statusText } from '../output/status.ts';
import { loadSettingsApi, withApi } from './api-context.ts';
import type { GlobalArgs } from './context.ts';
import { defineCommand } from './spec.ts';
import { trustPolicyOf } from '../policy/settings.ts';
import { tryGetOs } from './write-flow.ts';

interface StatusArgs extends GlobalArgs {
  output: 'text' | 'json';
}

export const statusCommand = defineCommand<StatusArgs>({
  name: 'status',
  describe: 'Show the OS, whether verification is enabled, and what each policy does',
  positionals: [],
  options: {
    output: {
      alias: 'o',
      type: 'string',
      choices: ['text', 'json'],
      default: 'text',
      describe: 'Output format',
    },
  },
  examples: [
    ['$0 status', 'A summary for people'],
    ['$0 status -o json', 'The same for scripts'],
  ],
  run: async (args, ctx) => {
    const api = await loadSettingsApi();
    const report = await withApi(args, async (client): Promise<StatusReport> => {
      const os = await tryGetOs(client);
      const plugins = api.pluginsOf(await api.getImageVerifierModel(client));
      const enabled = plugins['enabled'] === true;
      const verifiers: StatusReport['verifiers'] = [];
      for (const [name, value] of Object.entries(plugins).sort(([a], [b]) => a.localeCompare(b))) {
        if (name === 'enabled' || typeof value !== 'object' || value === null) continue;
        const tp = trustPolicyOf(plugins, name);
        if (typeof tp !== 'string') {
          verifiers.push({
            name,
            kind: verifierKind(name),
            configured: false,
            effect: 'allows-all',
            bytes: 0,
            warnings: [],
            errors: [],
          });
          continue;
        }
        if (checkStrictBase64(tp)) {
          verifiers.push({
            name,
            kind: verifierKind(name),
            configured: true,
            effect: 'rejects-all',
            bytes: tp.length,
            warnings: [],
            errors: ['stored value is not valid base64'],
          });
          continue;
        }
        const bytes = decodeBase64(tp);
        const lint = lintPolicy({ bytes, verifier: verifierKind(name) });
        verifiers.push({
          name,
          kind: lint.verifier,
          configured: true,
          effect: lint.effect,
          bytes: bytes.length,
          ...(lint.size?.digests !== undefined ? { digests: lint.size.digests } : {}),
          ...(lint.size?.statements !== undefined ? { statements: lint.size.statements } : {}),
          warnings: lint.diagnostics.filter((d) => d.severity === 'warning').map((d) => d.message),
          errors: lint.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message),
        });
      }
      const warnings: string[] = [];
      const model = os ? variantModel(os) : 'unknown';
      if (model === 'unsupported')
        warnings.push(
          `${describeOs(os!)} has no image verification settings; they exist on ${SUPPORTED_VARIANTS_TEXT}`,
        );
      if (model === 'legacy')
        warnings.push(`${describeOs(os!)} uses the legacy model: only the notation verifier exists`);
      const configured = verifiers.filter((v) => v.configured);
      if (!enabled && configured.length > 0)
        warnings.push(
          'trust policies are configured but verification is disabled: no image is verified (civctl enable)',
        );
      if (enabled && configured.length === 0)
        warnings.push('verification is enabled but no trust policy is configured: every image is allowed');
      for (const v of configured)
        if (enabled && v.effect === 'rejects-all')
          warnings.push(`the ${v.name} policy rejects every image pull`);
      return {
        os: os ?? null,
        supported:
          model === 'extensible' || model === 'legacy' ? true : model === 'unsupported' ? false : null,
        legacy: model === 'legacy',
        enabled,
        verifiers,
        warnings,
      };
    });
    ctx.io.stdout.write(args.output === 'json' ? statusJson(report) : statusText(report));
  },
});
