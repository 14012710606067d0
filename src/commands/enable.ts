import { toggleCommand } from './toggle.ts';

export const enableCommand = toggleCommand(true);
