import type { Context } from './context.ts';
import { toggleCommand } from './toggle.ts';

export const disableCommand = (ctx: Context) => toggleCommand(ctx, false);
