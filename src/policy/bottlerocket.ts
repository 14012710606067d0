/**
 * The Bottlerocket image-verifier wrappers' own policy loading (Rust, serde_json):
 * the notation wrapper's strict pre-check and the digestion verifier's loader.
 */
import { type SerdeType, serdeFromStr } from './serde.ts';

const STRUCT_NAME = 'TrustPolicy';

const NOTATION_WRAPPER: SerdeType = {
  t: 'struct',
  name: STRUCT_NAME,
  fields: [
    { name: 'version', type: { t: 'string' } },
    { name: 'trustPolicies', type: { t: 'vec', of: { t: 'value' } } },
  ],
};

const DIGESTION: SerdeType = {
  t: 'struct',
  name: STRUCT_NAME,
  fields: [
    { name: 'version', type: { t: 'string' }, defaultValue: '1.0' },
    { name: 'trustedDigests', type: { t: 'vec', of: { t: 'string' } } },
  ],
};

/** Rust's str::trim() white space (Unicode White_Space), checked on the UTF-8 bytes. */
export function isRustWhitespaceOnly(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b === 0x20 || (b >= 0x09 && b <= 0x0d)) continue;
    // Any other ASCII byte is content; non-ASCII may still be Unicode white space.
    if (b < 0x80) return false;
    return /^[\s\u0085]*$/u.test(new TextDecoder().decode(bytes));
  }
  return true;
}

export type WrapperOutcome =
  | { kind: 'skip'; reason: 'empty-file' | 'empty-list' }
  | { kind: 'reject'; message: string }
  | { kind: 'proceed'; statementCount: number };

/** The notation wrapper's pre-check, before `notation verify` runs. */
export function notationWrapperCheck(bytes: Uint8Array): WrapperOutcome {
  if (isRustWhitespaceOnly(bytes)) return { kind: 'skip', reason: 'empty-file' };
  const parsed = serdeFromStr(bytes, NOTATION_WRAPPER);
  if (!parsed.ok) return { kind: 'reject', message: `invalid trust policy JSON: ${parsed.message}` };
  const value = parsed.value as { version: string; trustPolicies: unknown[] };
  if (value.version !== '1.0')
    return { kind: 'reject', message: `unsupported policy version ${value.version}` };
  if (value.trustPolicies.length === 0) return { kind: 'skip', reason: 'empty-list' };
  return { kind: 'proceed', statementCount: value.trustPolicies.length };
}

export type DigestionOutcome =
  | { kind: 'skip'; reason: 'empty-file' | 'empty-list' }
  | { kind: 'reject'; message: string }
  | { kind: 'load'; digests: string[] };

/** The digestion verifier's load: whitespace-only → serde → version → empty list. */
export function loadDigestionPolicy(bytes: Uint8Array): DigestionOutcome {
  if (isRustWhitespaceOnly(bytes)) return { kind: 'skip', reason: 'empty-file' };
  const parsed = serdeFromStr(bytes, DIGESTION);
  if (!parsed.ok) return { kind: 'reject', message: `invalid trust policy JSON: ${parsed.message}` };
  const value = parsed.value as { version: string; trustedDigests: string[] };
  if (value.version !== '1.0')
    return { kind: 'reject', message: `unsupported policy version ${value.version}` };
  if (value.trustedDigests.length === 0) return { kind: 'skip', reason: 'empty-list' };
  return { kind: 'load', digests: value.trustedDigests };
}

/** What the API's ValidBase64Json accepts once decoded: any JSON value, as serde_json reads it. */
export function apiJsonError(bytes: Uint8Array): string | undefined {
  const parsed = serdeFromStr(bytes, { t: 'value' }, { discardValues: true });
  return parsed.ok ? undefined : parsed.message;
}
