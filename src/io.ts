/** The process boundary that commands see, so tests can run them in-process. */

export interface OutStream {
  write(chunk: string | Uint8Array): unknown;
  isTTY?: boolean | undefined;
}

export interface Io {
  stdout: OutStream;
  stderr: OutStream;
  readStdin(): Promise<Uint8Array>;
  env: Record<string, string | undefined>;
  cwd: string;
  /** Resolves when SIGINT/SIGTERM arrive (for long-running commands such as `sim`). */
  waitForSignal?: () => Promise<string>;
}

/** Colour only on a TTY, and never when NO_COLOR is set (https://no-color.org). */
export function useColor(io: Io, stream: OutStream): boolean {
  const noColor = io.env['NO_COLOR'];
  if (noColor !== undefined && noColor !== '') return false;
  if (io.env['FORCE_COLOR'] !== undefined && io.env['FORCE_COLOR'] !== '0') return true;
  return stream.isTTY === true;
}
