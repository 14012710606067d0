/** Turning a policy file into bytes the API will accept: shared by encode and set. */
import { CivError, LintFailedError } from '../errors.ts';
import { describeSource, inputLabel } from '../input.ts';
import type { Io } from '../io.ts';
import { apiJsonError } from '../policy/bottlerocket.ts';
import { firstInvalidUtf8, minifyJson } from '../policy/json.ts';
import { hasErrors, type LintResult, lintPolicy, type SchemaValidator } from '../policy/lint.ts';
import { verifierKind } from '../policy/names.ts';
import { API_BODY_LIMIT, type PluginPolicies, patchBody } from '../policy/settings.ts';
import { type ReportEntry, reportText } from '../output/lint-report.ts';
import { textStyleFor } from '../output/style.ts';

/** Refuses what the API's ValidBase64Json would reject, with one clear message. */
export function assertApiAccepts(bytes: Uint8Array, path: string | undefined): void {
  const source = describeSource(path);
  if (bytes.length === 0)
    throw new CivError('E_INPUT_EMPTY', `${source} is empty; a trust policy must be a JSON document`);
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf)
    throw new CivError(
      'E_BOM',
      `${source} starts with a UTF-8 byte-order mark, which the API rejects; save it without a BOM`,
    );
  const bad = firstInvalidUtf8(bytes);
  if (bad >= 0)
    throw new CivError(
      'E_INVALID_UTF8',
      `${source} is not UTF-8 text (invalid byte 0x${bytes[bad]!.toString(16).padStart(2, '0')} at offset ${bad}); a trust policy must be UTF-8 JSON`,
    );
  const error = apiJsonError(bytes);
  if (error === undefined) return;
  if (error.startsWith('recursion limit exceeded'))
    throw new CivError('E_INVALID_JSON', `${source} nests JSON deeper than the API accepts (128 levels)`);
  if (
    /^EOF while parsing a value at line \d+ column \d+$/.test(error) &&
    new TextDecoder().decode(bytes).trim() === ''
  )
    throw new CivError(
      'E_INPUT_EMPTY',
      `${source} contains only white space; a trust policy must be a JSON document`,
    );
  throw new CivError('E_INVALID_JSON', `${source} is not valid JSON, so the API would reject it: ${error}`);
}

export interface PreparedPolicy {
  bytes: Uint8Array;
  lint: LintResult;
}

/** Checks, optionally minifies, and lints one policy; refuses lint errors unless forced. */
export async function preparePolicy(
  io: Io,
  bytes: Uint8Array,
  path: string | undefined,
  verifier: string,
  options: { minify?: boolean; force?: boolean; schema?: SchemaValidator | undefined },
): Promise<PreparedPolicy> {
  assertApiAccepts(bytes, path);
  const finalBytes = options.minify ? minifyJson(bytes) : bytes;
  const lint = lintPolicy({ bytes: finalBytes, verifier: verifierKind(verifier), schema: options.schema });
  if (lint.diagnostics.length > 0) {
    const entry: ReportEntry = {
      ...lint,
      file: inputLabel(path),
      diagnostics: lint.diagnostics.map((d) => ({ ...d, location: 'file' as const })),
    };
    io.stderr.write(reportText([entry], await textStyleFor(io, io.stderr)));
  }
  if (hasErrors(lint)) {
    const what = `${describeSource(path)} fails lint for the ${verifier} verifier (on the node: ${lint.effect})`;
    if (!options.force) throw new LintFailedError(`${what}; fix it, or pass --force to use it anyway`);
    io.stderr.write(`civctl: warning: ${what}; continuing because of --force\n`);
  }
  return { bytes: finalBytes, lint };
}

/** The PATCH body for these settings; refused when it would exceed the API's 2 MiB limit. */
export function bodyWithinLimit(settings: PluginPolicies): string {
  const body = patchBody(settings);
  if (body.length > API_BODY_LIMIT)
    throw new CivError(
      'E_BODY_TOO_LARGE',
      `the settings request would be ${body.length} bytes, over the API's ${API_BODY_LIMIT}-byte (2 MiB) limit; split the policy or use --minify`,
    );
  return body;
}
