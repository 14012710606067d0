/**
 * The Bottlerocket image-verifier wrappers' own policy loading (Rust, serde_json):
 * the notation wrapper's strict pre-check and the digestion verifier's loader.
 */
import { isUtf8 } from 'node:buffer';
import { scanCanonicalAllowlist } from './digest-scan.ts';
import { type JsonNode, latin1View, type ParseFacts } from './json.ts';
import { type SerdeType, serdeFromStr, VALUE_DEPTH_LIMIT } from './serde.ts';

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

/** std::fs::read_to_string's error for bytes that are not UTF-8, as the verifiers report it. */
const NOT_UTF8 = 'failed to read trust policy: stream did not contain valid UTF-8';

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

/** What a verifier's own parse proved about the document, so lint need not check it again. */
interface ParseEvidence {
  /**
   * True when a strict serde parse of the whole document succeeded with no nesting the API's
   * serde_json::Value would refuse: the API then accepts the policy without a separate check.
   */
  apiAcceptsJson?: boolean;
}

export type WrapperOutcome = ParseEvidence &
  (
    | { kind: 'skip'; reason: 'empty-file' | 'empty-list' }
    | { kind: 'reject'; message: string }
    | { kind: 'proceed'; statementCount: number }
  );

function evidence(parsed: { ok: true; maxDepth: number }): ParseEvidence {
  return { apiAcceptsJson: parsed.maxDepth < VALUE_DEPTH_LIMIT };
}

/** A document already parsed by the generic parser (json.ts), with what that parse saw. */
export interface ParsedDocument {
  root: JsonNode;
  facts: ParseFacts;
}

/** True when serde_json would certainly parse this document as JSON (as the API's Value does). */
function serdeAccepts(doc: ParsedDocument): boolean {
  const f = doc.facts;
  return f.cleanEnd && !f.surrogateEscape && !f.hugeNumber && f.maxDepth < VALUE_DEPTH_LIMIT;
}

/**
 * The wrapper's verdict read off an already parsed document, when serde certainly succeeds:
 * exactly one `version` string and one `trustPolicies` array (or the 2-element array form).
 * Anything else returns undefined, and the serde emulation produces the exact error.
 */
function wrapperFromParsed(doc: ParsedDocument): WrapperOutcome | undefined {
  if (!serdeAccepts(doc)) return undefined;
  let version: JsonNode | undefined;
  let policies: JsonNode | undefined;
  const root = doc.root;
  if (root.kind === 'object') {
    for (const m of root.members) {
      if (m.key === 'version') {
        if (version) return undefined;
        version = m.value;
      } else if (m.key === 'trustPolicies') {
        if (policies) return undefined;
        policies = m.value;
      }
    }
  } else if (root.kind === 'array' && root.items.length === 2) [version, policies] = root.items;
  if (version?.kind !== 'string' || policies?.kind !== 'array') return undefined;
  const seen = { apiAcceptsJson: true };
  if (version.value !== '1.0')
    return { kind: 'reject', message: `unsupported policy version ${version.value}`, ...seen };
  if (policies.items.length === 0) return { kind: 'skip', reason: 'empty-list', ...seen };
  return { kind: 'proceed', statementCount: policies.items.length, ...seen };
}

/**
 * The load both Bottlerocket verifiers share (the image-verifiers crate's policy module): not UTF-8
 * → read error; white space only → no policy; serde → version "1.0" → an empty list is no policy.
 */
function loadPolicyFile(
  bytes: Uint8Array,
  type: SerdeType,
  listField: string,
  options: { discardValues?: boolean } = {},
):
  | (ParseEvidence & { kind: 'skip'; reason: 'empty-file' | 'empty-list' })
  | (ParseEvidence & { kind: 'reject'; message: string })
  | (ParseEvidence & { kind: 'list'; list: unknown[] }) {
  if (!isUtf8(bytes)) return { kind: 'reject', message: NOT_UTF8 };
  if (isRustWhitespaceOnly(bytes)) return { kind: 'skip', reason: 'empty-file' };
  const result = serdeFromStr(bytes, type, options);
  if (!result.ok) return { kind: 'reject', message: `invalid trust policy JSON: ${result.message}` };
  const value = result.value as Record<string, unknown>;
  const list = value[listField] as unknown[];
  const seen = evidence(result);
  if (value['version'] !== '1.0')
    return { kind: 'reject', message: `unsupported policy version ${value['version']}`, ...seen };
  if (list.length === 0) return { kind: 'skip', reason: 'empty-list', ...seen };
  return { kind: 'list', list, ...seen };
}

/** The notation wrapper's pre-check, before `notation verify` runs. */
export function notationWrapperCheck(bytes: Uint8Array, parsed?: ParsedDocument): WrapperOutcome {
  // The parse lint already made can vouch for the strict one (UTF-8 is checked first all the same).
  const known =
    parsed && isUtf8(bytes) && !isRustWhitespaceOnly(bytes) ? wrapperFromParsed(parsed) : undefined;
  if (known) return known;
  // Only the statements' count matters here, so their values are validated, not built.
  const loaded = loadPolicyFile(bytes, NOTATION_WRAPPER, 'trustPolicies', { discardValues: true });
  if (loaded.kind !== 'list') return loaded;
  const { list, ...rest } = loaded;
  return { ...rest, kind: 'proceed', statementCount: list.length };
}

export type DigestionOutcome = ParseEvidence &
  (
    | { kind: 'skip'; reason: 'empty-file' | 'empty-list' }
    | { kind: 'reject'; message: string }
    /**
     * Known already: how many digests (`digests` may be parsed only when read), that every one is
     * a digest containerd can present (policy/digest-rule.ts), that none is listed twice.
     */
    | { kind: 'load'; digests: string[]; count?: number; canonical?: boolean; unique?: boolean }
  );

/** The digestion verifier's load. */
export function loadDigestionPolicy(bytes: Uint8Array): DigestionOutcome {
  // The common shape is read with native searches; anything else takes the exact (serde) path.
  return canonicalAllowlistLoad(bytes, latin1View(bytes)) ?? loadDigestionPolicyExactly(bytes);
}

/** The load of a canonical allowlist (policy/digest-scan.ts), or undefined for anything else. */
export function canonicalAllowlistLoad(bytes: Uint8Array, latin1: string): DigestionOutcome | undefined {
  const scanned = scanCanonicalAllowlist(bytes, latin1);
  if (!scanned) return undefined;
  return {
    kind: 'load',
    // Parsed when first read: lint of a clean list needs only the count.
    get digests() {
      return scanned.digests;
    },
    count: scanned.count,
    canonical: true,
    unique: scanned.unique,
    apiAcceptsJson: true,
  };
}

/** The digestion verifier's load through the serde emulation alone (what the fast path must match). */
export function loadDigestionPolicyExactly(bytes: Uint8Array): DigestionOutcome {
  const loaded = loadPolicyFile(bytes, DIGESTION, 'trustedDigests');
  if (loaded.kind !== 'list') return loaded;
  const { list, ...rest } = loaded;
  return { ...rest, kind: 'load', digests: list as string[] };
}
