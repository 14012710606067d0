/**
 * The `civctl: …` lines on stderr that tell an operator what happened. Every line goes through
 * terminalSafe: names and server texts in them may hold escape sequences.
 */
import type { Io } from '../io.ts';
import type { OsInfo } from '../policy/variants.ts';
import { rollbackLosses } from '../policy/rollback.ts';
import { terminalSafe } from './escape.ts';

function line(io: Io, text: string): void {
  io.stderr.write(`civctl: ${terminalSafe(text)}\n`);
}

/** What was done, or why nothing was. */
export function say(io: Io, text: string): void {
  line(io, text);
}

export function note(io: Io, text: string): void {
  line(io, `note: ${text}`);
}

export function warn(io: Io, text: string): void {
  line(io, `warning: ${text}`);
}

export function dryRun(io: Io): void {
  line(io, 'dry run: nothing was sent');
}

export function restarting(io: Io, services: string[] | undefined): void {
  if (services && services.length > 0) line(io, `restarting: ${services.join(', ')}`);
}

/** After a write: what rolling this node back would delete of the settings as they now are. */
export function rollbackNotes(io: Io, os: OsInfo | undefined, pluginsAfter: Record<string, unknown>): void {
  for (const loss of rollbackLosses(os, pluginsAfter)) note(io, loss.text);
}

/** After a commit: what was committed, what restarts, and whether anything is enforced yet. */
export function committedReport(
  io: Io,
  committed: string[],
  restarts: string[] | undefined,
  enabledAfter: boolean,
): void {
  say(io, `committed ${committed.length > 0 ? committed.join(', ') : 'the change'}`);
  restarting(io, restarts);
  if (!enabledAfter) note(io, 'image verification is not enabled; run civctl enable to enforce policies');
}
