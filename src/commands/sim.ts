/** sim: a Bottlerocket API simulator on a Unix socket, for demos, docs and tests. */
import { CivError } from '../errors.ts';
import { defineCommand } from '../cli/spec.ts';

const SIM_SOCKET = '/tmp/civctl-sim.sock';

export const simCommand = defineCommand({
  name: 'sim',
  talksTo: [],
  describe: 'Run a Bottlerocket API simulator on a Unix socket until SIGINT or SIGTERM',
  positionals: [],
  options: {
    socket: {
      type: 'string',
      describe: `Unix socket to listen on (default: -s/--socket-path when given, else ${SIM_SOCKET})`,
    },
    // Not for talking to an API: where clients will look, so that the simulator listens there.
    'socket-path': {
      alias: 's',
      type: 'string',
      describe:
        'The socket clients are given with -s; the simulator listens there when --socket is not given',
    },
    variant: { type: 'string', default: 'aws-k8s-1.34', describe: 'The os.variant_id to simulate' },
    'os-version': { type: 'string', default: '1.63.0', describe: 'The os.version_id to simulate' },
    state: { type: 'string', describe: 'JSON file that keeps the settings across restarts' },
  },
  examples: [
    ['$0 sim --socket /tmp/api.sock &', 'Start a simulator'],
    ['$0 -s /tmp/api.sock status', 'Talk to it'],
    ['$0 sim --variant aws-ecs-3 --os-version 1.55.0', 'The legacy model'],
  ],
  run: async (args, ctx) => {
    const { startSimulator } = await import('../sim/server.ts');
    // -s/--socket-path is every command's socket: the simulator listens where clients will look.
    const socket = args.socket ?? args.socketPath ?? SIM_SOCKET;
    let sim: Awaited<ReturnType<typeof startSimulator>>;
    try {
      sim = await startSimulator({
        socketPath: socket,
        variant: args.variant,
        osVersion: args.osVersion,
        statePath: args.state,
      });
    } catch (err) {
      throw new CivError(
        'E_SIMULATOR',
        `cannot start the simulator on ${socket}: ${(err as NodeJS.ErrnoException).code === 'EACCES' ? 'permission denied' : (err as Error).message}`,
      );
    }
    // Stoppable before it says it listens: a SIGTERM sent as soon as the line appears stops it
    // cleanly (socket removed, exit 0) instead of killing it.
    const stopped = ctx.io.waitForSignal ? ctx.io.waitForSignal() : Promise.resolve('none');
    ctx.io.stderr.write(
      `civctl sim: listening on ${sim.socketPath} as ${args.variant} ${args.osVersion}; use civctl -s ${sim.socketPath} …; stop with Ctrl-C\n`,
    );
    const signal = await stopped;
    await sim.close();
    ctx.io.stderr.write(`civctl sim: stopped (${signal})\n`);
  },
});
