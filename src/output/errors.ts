/** How an error is shown: one line for stderr, which bin.ts prints (and the tests' in-process runner). */
import { CivError, ReportedError } from '../errors.ts';
import { terminalSafe } from './escape.ts';

/**
 * One line for stderr: never a stack trace for known errors, and names or server texts in the
 * message cannot move the cursor or recolour the terminal. Empty for a ReportedError, whose lines
 * were already written.
 */
export function formatError(error: unknown): string {
  const oneLine = (text: string) => terminalSafe(text.replace(/\s*\n\s*/g, ' '));
  if (error instanceof ReportedError) return '';
  if (error instanceof CivError) return `civctl: ${oneLine(error.message)}`;
  const message = error instanceof Error ? error.message : String(error);
  return `civctl: internal error: ${oneLine(message)} (please report this)`;
}
