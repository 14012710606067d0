/** get: the live settings with each policy decoded, the stored form (--raw), or one policy's bytes. */
import { withApi } from '../api/connect.ts';
import { getImageVerifierModel, pluginsOf } from '../api/settings.ts';
import { CivError, UsageError } from '../errors.ts';
import { requireVerifierName } from '../inputs/verifier-name.ts';
import { safeJson, terminalSafe } from '../output/escape.ts';
import { renderDecodedSettings, sortKeysDeep } from '../output/settings.ts';
import { checkStrictBase64, decodeBase64 } from '../policy/base64.ts';
import { shownPolicies, trustPolicyOf } from '../policy/settings.ts';
import { defineCommand } from '../cli/spec.ts';

export const getCommand = defineCommand({
  name: 'get',
  talksTo: ['api'],
  describe: 'Show the image-verifier settings, or print one verifier’s policy',
  positionals: [{ name: 'verifier', describe: 'Print only this verifier’s decoded policy bytes' }],
  options: {
    raw: {
      type: 'boolean',
      default: false,
      describe: 'Print the settings as stored (as apiclient get settings.image-verifier-plugins)',
    },
  },
  examples: [
    ['$0 get', 'All settings, with each policy decoded'],
    ['$0 get digestion > digestion.json', 'Save one policy exactly'],
    ['$0 get --raw', 'The stored base64 form'],
  ],
  run: async (args, ctx) => {
    requireVerifierName(args.verifier);
    if (args.raw && args.verifier !== undefined)
      throw new UsageError(
        '--raw prints all the stored settings; leave out the verifier, or drop --raw for its policy',
      );
    const model = await withApi(args, (client) => getImageVerifierModel(client));
    const plugins = pluginsOf(model);
    if (args.verifier !== undefined) {
      const stored = trustPolicyOf(plugins, args.verifier);
      if (stored === undefined) {
        const configured = Object.keys(plugins).filter((k) => trustPolicyOf(plugins, k) !== undefined);
        throw new CivError(
          'E_NOT_CONFIGURED',
          `no trust policy is configured for '${args.verifier}'${configured.length > 0 ? ` (configured: ${configured.map(terminalSafe).join(', ')})` : ' (none are configured)'}`,
        );
      }
      const problem = checkStrictBase64(stored);
      if (problem)
        throw new CivError(
          'E_INVALID_BASE64',
          `the stored ${args.verifier} trust policy is not valid base64: ${problem.message}`,
        );
      const bytes = decodeBase64(stored);
      ctx.io.stdout.write(bytes);
      // The exact bytes for pipes; at a terminal, the prompt should not be glued to the JSON.
      if (ctx.io.stdout.isTTY && bytes[bytes.length - 1] !== 0x0a) ctx.io.stdout.write('\n');
      return;
    }
    if (args.raw) {
      ctx.io.stdout.write(safeJson(sortKeysDeep(model), 2) + '\n');
      return;
    }
    // Keys are sorted as apiclient prints them; each decoded policy keeps its own spelling.
    ctx.io.stdout.write(
      Object.keys(model).length === 0 ? '{}\n' : renderDecodedSettings(plugins, shownPolicies(plugins)),
    );
  },
});
