import type { CommandModule } from 'yargs';
import { CivError } from '../errors.ts';
import type { Context } from './context.ts';

const notYet = (name: string) => (_ctx: Context): CommandModule => ({
  command: name,
  describe: `${name} (API)`,
  handler: () => {
    throw new CivError('E_API_UNREACHABLE', `${name} is not available in this build`);
  },
});

export const apiCommands = {
  get: notYet('get'),
  set: notYet('set'),
  enable: notYet('enable'),
  disable: notYet('disable'),
  status: notYet('status'),
};
