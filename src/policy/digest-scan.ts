/**
 * A fast reader for the common shape of a digest allowlist — `{"version": "1.0", "trustedDigests":
 * ["sha256:<64 hex>", …]}`, keys in either order — built from native operations (JSON.parse of
 * all but the list, one regular expression search) and one loop over the entries, because
 * per-character JavaScript is slow in a process that lives for 30 ms. Whatever it cannot vouch
 * for (escapes, non-ASCII bytes, other keys, a repeated key, another version, an empty list, any
 * non-canonical entry, bad syntax) it leaves to the exact serde path, which gives the same
 * verdict, message and position for everything:
 * test/unit/digest-scan.test.ts checks both agree on every corpus file and on generated lists.
 */
import { isAscii } from 'node:buffer';

/** A list entry's start whose entry is not `"sha256:<64 hex>"` (JSON white space around it). */
const NON_CANONICAL_ENTRY = /[[,](?![ \t\n\r]*"sha256:[0-9a-f]{64}"[ \t\n\r]*[,\]])/g;

/** `"sha256:<64 hex>"`: an entry's length, quotes included. */
const ENTRY_LENGTH = 73;
const HEX_START = 8;
const HEX_LENGTH = 64;

export interface ScannedAllowlist {
  /** How many digests are listed. */
  count: number;
  /** No digest is listed twice. */
  unique: boolean;
  /** The digests, parsed on first use: lint of a clean list needs only the count. */
  readonly digests: string[];
}

/**
 * The digests of a canonical sha256 allowlist, or undefined for anything else. `text` is `bytes`
 * as Latin-1. Only ASCII without a backslash is read (as PositionIndex.plain): no escapes,
 * surrogates or multi-byte characters where JSON.parse and serde_json could differ, so their
 * syntax and white space are the same.
 */
export function scanCanonicalAllowlist(bytes: Uint8Array, text: string): ScannedAllowlist | undefined {
  if (!text.includes('"trustedDigests"') || !isAscii(bytes) || text.includes('\\')) return undefined;
  // The list, from the first "[" to the first "]" after it, must be a valid JSON array of entries
  // that are exactly "sha256:" + 64 lower-case hex: one native search, which allocates nothing,
  // for an entry start (the "[" or a ",") not followed by such a string and then a "," or the "]".
  // Without one before the first "]", the first entry is canonical, and so is each one after a ","
  // that follows a canonical entry, up to the "]" that ends the list (no canonical string holds a
  // "]"). Parsing the 20,000 strings of a large list, and the garbage collections copying them,
  // cost more than everything else lint does with it.
  const open = text.indexOf('[');
  const close = open < 0 ? -1 : text.indexOf(']', open);
  if (close < 0) return undefined;
  NON_CANONICAL_ENTRY.lastIndex = open;
  const found = NON_CANONICAL_ENTRY.exec(text);
  if (found !== null && found.index < close) return undefined;
  // A valid array can stand for any other: the document is valid JSON exactly when it is with the
  // list replaced by "[]", and the rest is parsed as before.
  const rest = text.slice(0, open + 1) + text.slice(close);
  // JSON.parse keeps the last of two equal keys where serde reports "duplicate field"; a repeated
  // key text is the only way to get one (no escapes, and no digest can spell these names). One
  // "[" and one "{": the list holds no array or object.
  for (const key of ['"version"', '"trustedDigests"', '[', '{'])
    if (rest.indexOf(key) !== rest.lastIndexOf(key)) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(rest);
  } catch {
    return undefined; // not JSON: the exact path reports it
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const record = value as Record<string, unknown>;
  if (Object.keys(record).length !== 2 || record['version'] !== '1.0') return undefined;
  // An array, so the one "[" opens it rather than sitting in a string: the list is its value.
  if (!Array.isArray(record['trustedDigests'])) return undefined;
  let digests: string[] | undefined;
  const parseList = () => (digests ??= JSON.parse(text.slice(open, close + 1)) as string[]);
  const { count, unique } = countRepeats(bytes, text, open, close);
  return {
    count,
    unique: unique ?? new Set(parseList()).size === count,
    get digests() {
      return parseList();
    },
  };
}

/**
 * Counts the entries of a list proved canonical and says whether one repeats, without a string
 * per entry: an open-addressing table of entry offsets, hashed from each digest's first hex digits
 * (random in real digests), a match confirmed by comparing the 64 digits in place. A list built to
 * collide (many equal first digits) is given up on: `unique` undefined. Kept small, as the loop
 * runs mostly before V8 has optimised it.
 */
export function countRepeats(
  bytes: Uint8Array,
  text: string,
  open: number,
  close: number,
): { count: number; unique: boolean | undefined } {
  // At most one entry per ENTRY_LENGTH + 1 characters (its quotes and a separator).
  const most = Math.floor((close - open) / (ENTRY_LENGTH + 1)) + 1;
  let bits = 4;
  while (1 << bits < most + (most >> 1)) bits++;
  const slots = new Int32Array(1 << bits); // a digest's offset; 0 is free
  const mask = (1 << bits) - 1;
  let probesLeft = 2 * most + 64; // twice what random digests take at the fullest
  let unique: boolean | undefined = true;
  let count = 0;
  let quote = text.indexOf('"', open);
  while (quote >= 0 && quote < close) {
    count++;
    const at = quote + HEX_START;
    if (unique) {
      const mixed =
        bytes[at]! ^
        (bytes[at + 1]! << 7) ^
        (bytes[at + 2]! << 14) ^
        (bytes[at + 3]! << 21) ^
        (bytes[at + 4]! << 25);
      let slot = Math.imul(mixed, 0x9e3779b1) >>> (32 - bits);
      for (let other = slots[slot]!; other !== 0; other = slots[slot]!) {
        if (bytes[other] === bytes[at] && sameDigest(bytes, other, at)) {
          unique = false;
          break;
        }
        if (--probesLeft < 0) {
          unique = undefined;
          break;
        }
        slot = (slot + 1) & mask;
      }
      slots[slot] = at;
    }
    // The next entry's opening quote: right after the "," in a compact list.
    const after = quote + ENTRY_LENGTH;
    quote = bytes[after] === 0x2c && bytes[after + 1] === 0x22 ? after + 1 : text.indexOf('"', after);
  }
  return { count, unique };
}

function sameDigest(bytes: Uint8Array, a: number, b: number): boolean {
  let i = 0;
  while (i < HEX_LENGTH && bytes[a + i] === bytes[b + i]) i++;
  return i === HEX_LENGTH;
}
