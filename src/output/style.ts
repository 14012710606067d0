/** The colour decision and text styles: chalk is loaded only when colour will actually be used. */
import type { Io, OutStream } from '../io.ts';

export interface TextStyle {
  red(s: string): string;
  yellow(s: string): string;
  cyan(s: string): string;
  bold(s: string): string;
  dim(s: string): string;
  green(s: string): string;
}

const same = (s: string) => s;
export const plainStyle: TextStyle = {
  red: same,
  yellow: same,
  cyan: same,
  bold: same,
  dim: same,
  green: same,
};

/** Colour only on a TTY, and never when NO_COLOR is set (https://no-color.org). */
export function useColor(io: Io, stream: OutStream): boolean {
  const noColor = io.env['NO_COLOR'];
  if (noColor !== undefined && noColor !== '') return false;
  if (io.env['FORCE_COLOR'] !== undefined && io.env['FORCE_COLOR'] !== '0') return true;
  return stream.isTTY === true;
}

export async function textStyleFor(io: Io, stream: OutStream): Promise<TextStyle> {
  if (!useColor(io, stream)) return plainStyle;
  const { Chalk } = await import('chalk');
  const c = new Chalk({ level: 1 });
  return { red: c.red, yellow: c.yellow, cyan: c.cyan, bold: c.bold, dim: c.dim, green: c.green };
}
