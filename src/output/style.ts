import { Chalk } from 'chalk';
import { type Io, type OutStream, useColor } from '../io.ts';
import { plainStyle, type TextStyle } from './lint-report.ts';

export function textStyleFor(io: Io, stream: OutStream): TextStyle {
  if (!useColor(io, stream)) return plainStyle;
  const c = new Chalk({ level: 1 });
  return { red: c.red, yellow: c.yellow, cyan: c.cyan, bold: c.bold, dim: c.dim, green: c.green };
}
