import type { CommandModule } from 'yargs';
import { CivError } from '../errors.ts';
import type { Context } from './context.ts';

export function simCommand(_ctx: Context): CommandModule {
  return {
    command: 'sim',
    describe: 'Run a Bottlerocket API simulator on a Unix socket',
    handler: () => {
      throw new CivError('E_SIMULATOR', 'the simulator is not available in this build');
    },
  };
}
