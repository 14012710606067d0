/** status: the OS, whether verification is on, and what each stored policy does. */
import { withApi } from '../api/connect.ts';
import { readLive } from '../api/write.ts';
import { statusJson, statusText } from '../output/status.ts';
import { buildStatusReport } from '../policy/status.ts';
import { defineCommand, type GlobalArgs } from './spec.ts';

interface StatusArgs extends GlobalArgs {
  output: 'text' | 'json';
}

export const statusCommand = defineCommand<StatusArgs>({
  name: 'status',
  http: true,
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
    const live = await withApi(args, (client) => readLive(client, null));
    const report = buildStatusReport(live.os, live.plugins);
    ctx.io.stdout.write(args.output === 'json' ? statusJson(report) : statusText(report));
  },
});
