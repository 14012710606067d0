import type { Io } from '../io.ts';

/** What every command handler gets besides its arguments. */
export interface Context {
  io: Io;
}

/** Global options (see cli.ts). */
export interface GlobalArgs {
  socketPath: string;
  timeout: number;
}
