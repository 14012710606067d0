import { type Io, type OutStream, useColor } from '../io.ts';
import { plainStyle, type TextStyle } from './lint-report.ts';

/** chalk is loaded only when colour will actually be used. */
export async function textStyleFor(io: Io, stream: OutStream): Promise<TextStyle> {
  if (!useColor(io, stream)) return plainStyle;
  const { Chalk } = await import('chalk');
  const c = new Chalk({ level: 1 });
  return { red: c.red, yellow: c.yellow, cyan: c.cyan, bold: c.bold, dim: c.dim, green: c.green };
}
