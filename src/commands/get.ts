import { CivError } from '../errors.ts';
import { checkStrictBase64, decodeBase64 } from '../policy/base64.ts';
import { parseJson } from '../policy/json.ts';
import { sortKeysDeep } from '../output/json.ts';
import { loadSettingsApi, withApi } from './api-context.ts';
import type { GlobalArgs } from './context.ts';
import { defineCommand } from './spec.ts';
import { trustPolicyOf } from '../policy/settings.ts';
import { requireVerifierName } from './verifier-arg.ts';

interface GetArgs extends GlobalArgs {
  verifier?: string;
  raw: boolean;
}

/** Replaces each base64 trustpolicy with its decoded JSON value (left as stored if it is not JSON). */
export function decodePlugins(plugins: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(plugins)) {
    const tp = trustPolicyOf(plugins, name);
    if (tp === undefined || checkStrictBase64(tp)) {
      out[name] = value;
      continue;
    }
    const bytes = decodeBase64(tp);
    const parsed = parseJson(bytes, { maxDepth: 10000, allowTrailing: false });
    out[name] = {
      ...(value as object),
      trustpolicy: parsed.ok ? JSON.parse(new TextDecoder().decode(bytes)) : tp,
    };
  }
  return out;
}

export const getCommand = defineCommand<GetArgs>({
  name: 'get',
  describe: 'Show the image-verifier settings, or print one verifier’s policy',
  positionals: [{ name: 'verifier', describe: 'print only this verifier’s decoded policy bytes' }],
  options: {
    raw: {
      type: 'boolean',
      default: false,
      describe: 'print the settings as stored (as apiclient get settings.image-verifier-plugins)',
    },
  },
  examples: [
    ['$0 get', 'All settings, with each policy decoded'],
    ['$0 get digestion > digestion.json', 'Save one policy exactly'],
    ['$0 get --raw', 'The stored base64 form'],
  ],
  run: async (args, ctx) => {
    requireVerifierName(args.verifier);
    const api = await loadSettingsApi();
    const model = await withApi(args, (client) => api.getImageVerifierModel(client));
    const plugins = api.pluginsOf(model);
    if (args.verifier !== undefined) {
      const tp = trustPolicyOf(plugins, args.verifier);
      if (tp === undefined) {
        const configured = Object.keys(plugins).filter((k) => trustPolicyOf(plugins, k) !== undefined);
        throw new CivError(
          'E_NOT_CONFIGURED',
          `no trust policy is configured for '${args.verifier}'${configured.length > 0 ? ` (configured: ${configured.join(', ')})` : ' (none are configured)'}`,
        );
      }
      const problem = checkStrictBase64(tp);
      if (problem)
        throw new CivError(
          'E_INVALID_BASE64',
          `the stored ${args.verifier} trust policy is not valid base64: ${problem.message}`,
        );
      ctx.io.stdout.write(decodeBase64(tp));
      return;
    }
    if (args.raw) {
      ctx.io.stdout.write(JSON.stringify(sortKeysDeep(model), null, 2) + '\n');
      return;
    }
    // Keys are sorted as apiclient prints them; each decoded policy keeps its own key order.
    const sorted = sortKeysDeep(plugins) as Record<string, unknown>;
    const decoded =
      Object.keys(model).length === 0
        ? {}
        : { settings: { 'image-verifier-plugins': decodePlugins(sorted) } };
    ctx.io.stdout.write(JSON.stringify(decoded, null, 2) + '\n');
  },
});
