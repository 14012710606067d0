/**
 * A policy argument: its bytes admitted by the API's acceptance rule (policy/acceptance.ts), then
 * linted, with lint errors refused unless --force. Shared by encode, set and the allowlist edits.
 */
import { CivError, LintFailedError } from '../errors.ts';
import type { Io } from '../io.ts';
import { reportText } from '../output/lint-report.ts';
import { warn } from '../output/messages.ts';
import { textStyleFor } from '../output/style.ts';
import { apiAcceptanceProblem } from '../policy/acceptance.ts';
import { minifyJson } from '../policy/json.ts';
import { hasErrors, type LintResult, lintPolicy, nodeOutcome } from '../policy/lint.ts';
import type { SchemaValidator } from '../policy/custom.ts';
import { toLintEntry } from '../lint/entries.ts';
import { verifierKind } from '../policy/names.ts';
import { describeSource, inputLabel } from './files.ts';

/** Refuses what the API's ValidBase64Json would reject, with one clear message. */
export function assertApiAccepts(bytes: Uint8Array, path: string | undefined): void {
  const problem = apiAcceptanceProblem(bytes);
  if (!problem) return;
  const source = describeSource(path);
  switch (problem.kind) {
    case 'empty':
      throw new CivError('E_INPUT_EMPTY', `${source} is empty; a trust policy must be a JSON document`);
    case 'whitespace':
      throw new CivError(
        'E_INPUT_EMPTY',
        `${source} contains only white space; a trust policy must be a JSON document`,
      );
    case 'bom':
      throw new CivError(
        'E_BOM',
        `${source} starts with a UTF-8 byte-order mark, which the API rejects; save it without a BOM`,
      );
    case 'utf8':
      throw new CivError(
        'E_INVALID_UTF8',
        `${source} is not UTF-8 text (invalid byte 0x${bytes[problem.offset]!.toString(16).padStart(2, '0')} at offset ${problem.offset}); a trust policy must be UTF-8 JSON`,
      );
    case 'depth':
      throw new CivError(
        'E_INVALID_JSON',
        `${source} nests JSON 128 levels deep or more; the API accepts at most 127`,
      );
    case 'json':
      throw new CivError(
        'E_INVALID_JSON',
        `${source} is not valid JSON, so the API would reject it: ${problem.serdeMessage}`,
      );
  }
}

export interface PreparedPolicy {
  bytes: Uint8Array;
  lint: LintResult;
}

/**
 * Checks, lints and optionally minifies one policy; refuses lint errors unless forced. Lint reads
 * the bytes as given, so positions name the user's file even with --minify (whitespace outside
 * strings changes no verdict).
 */
export async function preparePolicy(
  io: Io,
  bytes: Uint8Array,
  path: string | undefined,
  verifier: string,
  options: {
    minify?: boolean;
    force?: boolean;
    schema?: SchemaValidator | undefined;
    /** How the refusal names the policy, when not by its file (a policy inside a settings document). */
    described?: string;
  },
): Promise<PreparedPolicy> {
  assertApiAccepts(bytes, path);
  const lint = lintPolicy({ bytes, verifier: verifierKind(verifier), schema: options.schema });
  if (lint.diagnostics.length > 0)
    io.stderr.write(reportText([toLintEntry(inputLabel(path), lint)], await textStyleFor(io, io.stderr)));
  if (hasErrors(lint))
    forceGate(
      io,
      options.force === true,
      `${options.described ?? describeSource(path)} fails lint for the ${verifier} verifier (${nodeOutcome(lint)})`,
      'fix it, or pass --force to use it anyway',
    );
  return { bytes: options.minify ? minifyJson(bytes) : bytes, lint };
}

/** What --force overrides: refused with the next step, or, when forced, a warning and on. */
export function forceGate(io: Io, force: boolean, what: string, nextStep: string): void {
  if (!force) throw new LintFailedError(`${what}; ${nextStep}`);
  warn(io, `${what}; continuing because of --force`);
}
