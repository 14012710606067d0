/** status: the OS, whether verification is on, and what each stored policy does. */
import { withApi } from '../api/connect.ts';
import { readLive } from '../api/write.ts';
import { statusJson, statusText } from '../output/status.ts';
import { buildStatusReport } from '../policy/status.ts';
import { defineCommand } from '../cli/spec.ts';
import { FORMAT_TEXT_JSON } from './options.ts';

export const statusCommand = defineCommand({
  name: 'status',
  talksTo: ['api'],
  describe: 'Show the OS, whether verification is enabled, and what each policy does',
  positionals: [],
  options: {
    // --output/-o: the spelling before every command took --format.
    format: { ...FORMAT_TEXT_JSON.format, alias: ['f', 'o', 'output'] },
  },
  examples: [
    ['$0 status', 'A summary for people'],
    ['$0 status --format json', 'The same for scripts'],
  ],
  run: async (args, ctx) => {
    const live = await withApi(args, (client) => readLive(client, null));
    const report = buildStatusReport(live.os, live.plugins);
    ctx.io.stdout.write(args.format === 'json' ? statusJson(report) : statusText(report));
  },
});
