import { toggleCommand } from './toggle.ts';

export const disableCommand = toggleCommand(false);
