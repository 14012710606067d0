/**
 * A fast reader for the common shape of a digest allowlist — `{"version": "1.0", "trustedDigests":
 * ["sha256:<64 hex>", …]}`, keys in either order — built from native operations (JSON.parse,
 * one global regular expression replace), because per-character JavaScript is slow in a process that
 * lives for 30 ms. Whatever it cannot vouch for (escapes, non-ASCII bytes, other keys, a repeated
 * key, another version, an empty list, any non-canonical entry, bad syntax) it leaves to the
 * exact serde path, which gives the same verdict, message and position for everything:
 * test/unit/digest-scan.test.ts checks both agree on every corpus file and on generated lists.
 */

/** A canonical entry as a JSON string token, quotes included. */
const CANONICAL_TOKEN = /"sha256:[0-9a-f]{64}"/g;
const CANONICAL_TOKEN_LENGTH = '"sha256:"'.length + 64;

export interface ScannedAllowlist {
  digests: string[];
  /** No digest is listed twice. */
  unique: boolean;
}

/**
 * The digests of a canonical sha256 allowlist, or undefined for anything else. `parsed` is
 * JSON.parse of `text` when the text is ASCII without a backslash (PositionIndex.plain): no
 * escapes, surrogates or multi-byte characters where JSON.parse and serde_json could differ, so
 * their syntax and white space are the same.
 */
export function scanCanonicalAllowlist(
  text: string,
  parsed: () => { value: unknown } | undefined,
): ScannedAllowlist | undefined {
  if (!text.includes('"trustedDigests"')) return undefined;
  const value = parsed()?.value;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  if (keys.length !== 2 || record['version'] !== '1.0') return undefined;
  const list = record['trustedDigests'];
  if (!Array.isArray(list) || list.length === 0) return undefined;
  // JSON.parse keeps the last of two equal keys where serde reports "duplicate field"; a repeated
  // key text is the only way to get one (no escapes, and no digest can spell these names).
  // Brackets once each too: no array or object inside the list, whose strings would be counted below.
  for (const key of ['"version"', '"trustedDigests"', '[', '{'])
    if (text.indexOf(key) !== text.lastIndexOf(key)) return undefined;
  // Every entry a string of exactly "sha256:" + 64 lower-case hex, counted by one native global
  // replace over the text, which materialises no per-digest string (joining the entries and
  // scanning the join cost several times as much: a 1.4 MB rope built and flattened). Without a
  // backslash no string holds a quote, so a match that starts at a quote is one whole string token
  // with that content: a match cannot start at a closing quote (a separator or white space follows
  // it, never "s"). Outside the list the only strings are the two keys and "1.0", and the list
  // holds no array or object (brackets once each), so n matches are its n entries, each canonical.
  const n = list.length;
  const rest = text.replace(CANONICAL_TOKEN, '');
  if (text.length - rest.length !== CANONICAL_TOKEN_LENGTH * n) return undefined;
  return { digests: list as string[], unique: new Set(list).size === n };
}
