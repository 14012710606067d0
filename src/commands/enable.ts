import type { Context } from './context.ts';
import { toggleCommand } from './toggle.ts';

export const enableCommand = (ctx: Context) => toggleCommand(ctx, true);
