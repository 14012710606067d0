/** The process boundary that commands see, so tests can run them in-process. */

export interface OutStream {
  write(chunk: string | Uint8Array): unknown;
  isTTY?: boolean | undefined;
}

export interface Io {
  stdout: OutStream;
  stderr: OutStream;
  /** `explicit`: the user named standard input (`-`), so a terminal is read too (until Ctrl-D). */
  readStdin(explicit?: boolean, maxBytes?: number): Promise<Uint8Array>;
  env: Record<string, string | undefined>;
  cwd: string;
  /** Resolves when SIGINT/SIGTERM arrive (for long-running commands such as `sim`). */
  waitForSignal?: () => Promise<string>;
  /**
   * Runs fn with a signal that SIGINT/SIGTERM abort (its reason is the signal's name), so that fn
   * can clean up before the process ends: discard an API transaction, kill a child's process group
   * (every child runs inside one: src/process-group.ts). Outside it, a signal ends the process at once.
   */
  interruptible?: <T>(fn: (signal: AbortSignal) => Promise<T>) => Promise<T>;
  /** Tests only: how registry connections look host names up (never /etc/hosts edits). */
  connectLookup?: import('node:net').LookupFunction;
}

/** Runs fn interruptibly where the process supports it (tests run it with a signal that never fires). */
export function interruptibly<T>(io: Io, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  return io.interruptible ? io.interruptible(fn) : fn(new AbortController().signal);
}
