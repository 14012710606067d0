/**
 * What every edit of a digestion allowlist does, in a file or on the node: lint the edited list
 * (errors refused unless --force, an emptied list gated), say what changed, and how close the list
 * is to the EC2 user-data and API request limits; and how an interrupted step is told.
 */
import { InterruptedError } from '../errors.ts';
import { forceGate } from '../inputs/policy.ts';
import type { Io } from '../io.ts';
import { reportText } from '../output/lint-report.ts';
import { say, warn } from '../output/messages.ts';
import { textStyleFor } from '../output/style.ts';
import {
  apiRequestLine,
  overUserDataLimit,
  userDataBudgetLine,
  userDataBudgetOf,
} from '../formats/budget.ts';
import { toLintEntry } from '../lint/entries.ts';
import { encodeBase64 } from '../policy/base64.ts';
import { listedDigests } from '../policy/digest-list.ts';
import { hasErrors, lintPolicy, nodeOutcome } from '../policy/lint.ts';
import { patchBody } from '../policy/settings.ts';

/** How an edit goes: --dry-run changes nothing; --force passes lint errors and an emptied list. */
export interface EditOptions {
  dryRun: boolean;
  force: boolean;
}

/** Lints the edited list (warnings shown, errors refused unless --force) and gates an emptied list. */
export async function admit(
  io: Io,
  label: string,
  before: string[],
  after: Uint8Array,
  force: boolean,
): Promise<void> {
  const lint = lintPolicy({ bytes: after, verifier: 'digestion' });
  const shown = lint.diagnostics.filter((d) => d.severity === 'error' || d.rule !== 'digestion/empty-list');
  if (shown.length > 0)
    io.stderr.write(
      reportText([toLintEntry(label, { ...lint, diagnostics: shown })], await textStyleFor(io, io.stderr)),
    );
  if (hasErrors(lint))
    forceGate(io, force, `the edited allowlist fails lint (${nodeOutcome(lint)})`, 'fix it, or pass --force');
  if (before.length > 0 && listedDigests(after).length === 0)
    forceGate(
      io,
      force,
      'removing the last digest empties the allowlist, which allows every image',
      'pass --force to allow every image',
    );
}

/** How close the list is to the limits that matter: EC2 user data and the API's request size. */
export async function reportBudget(io: Io, bytes: Uint8Array): Promise<void> {
  const { renderUserData } = await import('../formats/userdata.ts');
  const plugins = (b: Uint8Array) => ({ plugins: new Map([['digestion', encodeBase64(b)]]), enabled: true });
  const count = listedDigests(bytes).length;
  const userData = Buffer.byteLength(renderUserData(plugins(bytes)));
  const request = patchBody(plugins(bytes)).length;
  // What one more sha256 digest costs in user data, measured rather than assumed.
  const perDigest = Math.ceil((4 / 3) * (JSON.stringify(`sha256:${'0'.repeat(64)}`).length + 2));
  const over = overUserDataLimit('userdata', 'as user data, the allowlist is', userData);
  const room = Math.floor((userDataBudgetOf('userdata') - userData) / perDigest);
  say(
    io,
    `the allowlist holds ${count} ${count === 1 ? 'digest' : 'digests'}; ${userDataBudgetLine('userdata', userData)}${over === undefined ? `, room for about ${room} more` : ''}; ${apiRequestLine(request)}`,
  );
  if (over !== undefined) warn(io, over);
}

export function what(added: string[], removed: string[]): string {
  const parts = [];
  if (added.length > 0) parts.push(`added ${added.length} ${added.length === 1 ? 'digest' : 'digests'}`);
  if (removed.length > 0)
    parts.push(`removed ${removed.length} ${removed.length === 1 ? 'digest' : 'digests'}`);
  return parts.join(', ');
}

/** Wraps a step: when SIGINT/SIGTERM aborted it, the error says so and what state things are in. */
export async function step<T>(signal: AbortSignal, state: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (signal.aborted) throw interruptedError(signal, state);
    throw err;
  }
}

export function interruptedError(signal: AbortSignal, state: string): InterruptedError {
  const name = String(signal.reason);
  return new InterruptedError(name, `interrupted by ${name} ${state}`);
}

/** Digests that needed no change: each named, or counted when there are many (digests add --from). */
export function unchanged(io: Io, present: string[], absent: string[]): void {
  const many = present.length + absent.length > 20;
  if (many && present.length > 0) say(io, `${present.length} of the digests are already listed`);
  if (many && absent.length > 0) say(io, `${absent.length} of the digests are not listed`);
  if (many) return;
  for (const d of present) say(io, `${d} is already listed`);
  for (const d of absent) say(io, `${d} is not listed`);
}
