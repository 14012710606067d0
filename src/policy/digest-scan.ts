/**
 * A fast reader for the common shape of a digest allowlist — `{"version": "1.0", "trustedDigests":
 * ["sha256:<64 hex>", …]}`, keys in either order — built from native operations (JSON.parse,
 * one regular expression search), because per-character JavaScript is slow in a process that
 * lives for 30 ms. Whatever it cannot vouch for (escapes, non-ASCII bytes, other keys, a repeated
 * key, another version, an empty list, any non-canonical entry, bad syntax) it leaves to the
 * exact serde path, which gives the same verdict, message and position for everything:
 * test/unit/digest-scan.test.ts checks both agree on every corpus file and on generated lists.
 */

/** A list entry's start whose entry is not `"sha256:<64 hex>"` (JSON white space around it). */
const NON_CANONICAL_ENTRY = /[[,](?![ \t\n\r]*"sha256:[0-9a-f]{64}"[ \t\n\r]*[,\]])/g;

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
  // Brackets once each too: the list holds no array or object, only scalars.
  for (const key of ['"version"', '"trustedDigests"', '[', '{'])
    if (text.indexOf(key) !== text.lastIndexOf(key)) return undefined;
  // Every entry a string of exactly "sha256:" + 64 lower-case hex: one native search, which
  // allocates nothing, for an entry start (after the "[" or a ",") not followed by such a string and
  // then a "," or the "]". Without one before the first "]", the first entry is canonical, and so
  // is each one after a "," that follows a canonical entry, up to the "]" that ends the list (no
  // canonical string holds a "]"). Joining the entries and scanning the join, or replacing every
  // entry, built a copy of the list as large as the file.
  const open = text.indexOf('[');
  NON_CANONICAL_ENTRY.lastIndex = open;
  const found = NON_CANONICAL_ENTRY.exec(text);
  if (found !== null && found.index < text.indexOf(']', open)) return undefined;
  return { digests: list as string[], unique: new Set(list).size === list.length };
}
