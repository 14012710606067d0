import type { Argv, CommandModule } from 'yargs';
import { CivError } from '../errors.ts';
import type { Context } from './context.ts';

interface SimArgs {
  socket: string;
  variant: string;
  osVersion: string;
  state?: string;
}

export function simCommand(ctx: Context): CommandModule<object, SimArgs> {
  return {
    command: 'sim',
    describe: 'Run a Bottlerocket API simulator on a Unix socket until SIGINT or SIGTERM',
    builder: (y: Argv) =>
      y
        .option('socket', {
          type: 'string',
          default: '/tmp/civctl-sim.sock',
          describe: 'Unix socket to listen on',
        })
        .option('variant', { type: 'string', default: 'aws-k8s-1.34', describe: 'os.variant_id to simulate' })
        .option('os-version', { type: 'string', default: '1.63.0', describe: 'os.version_id to simulate' })
        .option('state', { type: 'string', describe: 'JSON file that keeps the settings across restarts' })
        .example('$0 sim --socket /tmp/api.sock &', 'Start a simulator')
        .example('$0 -s /tmp/api.sock status', 'Talk to it')
        .example(
          '$0 sim --variant aws-ecs-3 --os-version 1.55.0',
          'The legacy model',
        ) as unknown as Argv<SimArgs>,
    handler: async (args) => {
      const { startSimulator } = await import('../sim/server.ts');
      let sim: Awaited<ReturnType<typeof startSimulator>>;
      try {
        sim = await startSimulator({
          socketPath: args.socket,
          variant: args.variant,
          osVersion: args.osVersion,
          statePath: args.state,
        });
      } catch (err) {
        throw new CivError(
          'E_SIMULATOR',
          `cannot start the simulator on ${args.socket}: ${(err as Error).message}`,
        );
      }
      ctx.io.stderr.write(
        `civctl sim: listening on ${sim.socketPath} as ${args.variant} ${args.osVersion}; use civctl -s ${sim.socketPath} …; stop with Ctrl-C\n`,
      );
      const signal = ctx.io.waitForSignal ? await ctx.io.waitForSignal() : 'none';
      await sim.close();
      ctx.io.stderr.write(`civctl sim: stopped (${signal})\n`);
    },
  };
}
