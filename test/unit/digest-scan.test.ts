/** The allowlist fast path must agree with the exact (serde) path on everything it recognises. */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { countRepeats, scanCanonicalAllowlist } from '../../src/policy/digest-scan.ts';
import { loadDigestionPolicyExactly } from '../../src/policy/image-verifiers.ts';
import { lintPolicy } from '../../src/policy/lint.ts';
import { PositionIndex } from '../../src/policy/positions.ts';
import { CORPUS, propertyRuns } from '../helpers.ts';

/** The scanner on bytes, with the Latin-1 text a PositionIndex provides. */
function scan(bytes: Uint8Array) {
  return scanCanonicalAllowlist(bytes, new PositionIndex(bytes).latin1);
}

/** What the fast path recognises, and what the serde path alone loads. */
function exact(bytes: Uint8Array) {
  return {
    scanned: scan(bytes)?.digests,
    loaded: loadDigestionPolicyExactly(bytes),
  };
}

/** The fast path's count and repeats against JSON.parse and a Set, and lint against the serde path. */
function agrees(text: string) {
  const bytes = Buffer.from(text);
  const scanned = scan(bytes);
  const loaded = loadDigestionPolicyExactly(bytes);
  if (scanned) {
    assert.equal(loaded.kind, 'load', text);
    const digests = (loaded as { digests: string[] }).digests;
    assert.equal(scanned.count, digests.length);
    assert.equal(scanned.unique, new Set(digests).size === digests.length);
    assert.deepEqual(scanned.digests, digests);
  }
  assert.deepEqual(
    lintPolicy({ bytes, verifier: 'digestion' }),
    lintPolicy({ bytes, verifier: 'digestion', digestion: loadDigestionPolicyExactly(bytes) }),
  );
  return scanned;
}

/** A distinct canonical digest per number; `prefix` forces its first hex digits (colliding hashes). */
function digestOf(n: number, prefix = ''): string {
  const hex = createHash('sha256').update(String(n)).digest('hex');
  return `sha256:${prefix}${hex.slice(prefix.length)}`;
}

function allowlist(list: string[], separator = ','): string {
  return `{"version":"1.0","trustedDigests":[${list.map((d) => `"${d}"`).join(separator)}]}`;
}

/** countRepeats on a document's list, as the scanner calls it once the list is proved canonical. */
function repeatsIn(text: string) {
  const bytes = Buffer.from(text);
  const open = text.indexOf('[');
  return countRepeats(bytes, text, open, text.indexOf(']', open));
}

describe('canonical allowlist scanner', () => {
  test('agrees with the serde path on every corpus file it recognises, and recognises the common ones', () => {
    let recognised = 0;
    for (const dir of ['generated', 'shapes']) {
      const base = join(CORPUS, dir);
      for (const name of readdirSync(base).filter((f) => f.endsWith('.json'))) {
        const bytes = readFileSync(join(base, name));
        const { scanned, loaded } = exact(bytes);
        if (!scanned) continue;
        recognised++;
        assert.equal(loaded.kind, 'load', name);
        assert.deepEqual(scanned, (loaded as { digests: string[] }).digests, name);
        assert.deepEqual(
          lintPolicy({ bytes, verifier: 'digestion' }),
          lintPolicy({ bytes, verifier: 'digestion', digestion: loadDigestionPolicyExactly(bytes) }),
          name,
        );
      }
    }
    assert.ok(recognised >= 5, `only ${recognised} recognised`);
  });

  test('property: generated allowlists, canonical or not, give the same verdict, digests and diagnostics', () => {
    const hex = (n: number) => fc.stringMatching(new RegExp(`^[0-9a-f]{${n}}$`));
    const digest = fc.oneof(
      hex(64).map((h) => `sha256:${h}`),
      hex(128).map((h) => `sha512:${h}`),
      hex(64).map((h) => `sha256:${h.toUpperCase()}`),
      fc.constantFrom('sha256:abc', 'md5:0', 'x', ''),
    );
    const ws = fc.constantFrom('', ' ', '\n', '\t', '\r\n  ');
    fc.assert(
      fc.property(
        fc.array(digest, { maxLength: 6 }),
        ws,
        fc.boolean(),
        fc.constantFrom('1.0', '2.0'),
        (list, w, swap, version) => {
          const members = [
            `${w}"version"${w}:${w}"${version}"`,
            `${w}"trustedDigests"${w}:${w}[${list.map((d) => `${w}"${d}"`).join(`${w},`)}${w}]`,
          ];
          const text = `${w}{${(swap ? members.reverse() : members).join(',')}${w}}${w}`;
          const bytes = Buffer.from(text);
          const { scanned, loaded } = exact(bytes);
          if (scanned) assert.deepEqual(scanned, (loaded as { digests?: string[] }).digests);
          // The whole lint result, positions and messages included, is the same either way.
          const fast = lintPolicy({ bytes, verifier: 'digestion' });
          const slow = lintPolicy({
            bytes,
            verifier: 'digestion',
            digestion: loadDigestionPolicyExactly(bytes),
          });
          assert.deepEqual(fast, slow);
        },
      ),
      { numRuns: propertyRuns(300) },
    );
  });

  test('declines what it cannot vouch for, and lint still agrees', () => {
    const h = 'a'.repeat(64);
    const cases = [
      `{"version":"1.0","trustedDigests":["sha256:sha256:${'a'.repeat(57)}"]}`,
      `{"version":"1.0","trustedDigests":["sha256:${h}",1]}`,
      `{"version":"1.0","trustedDigests":["sha256:${h}",["sha256:${h}"]]}`,
      `{"version":"1.0","version":"1.0","trustedDigests":["sha256:${h}"]}`,
      `{"version":"1.0","trustedDigests":["sha256:${h}"],"x":1}`,
      `{"version":"1.0","trustedDigests":["sha256:\\u0061${'a'.repeat(63)}"]}`,
      `{"version":"1.0","trustedDigests":["sha256:${h}"]} x`,
      `{"version":"1.0","trustedDigests":["sha256:${h}",]}`,
      `{"version":"1.0","trustedDigests":["sha256:${h.slice(1)}", "sha256:${h}a"]}`,
    ];
    for (const text of cases) {
      const bytes = Buffer.from(text);
      assert.equal(scan(bytes), undefined, text);
      assert.deepEqual(
        lintPolicy({ bytes, verifier: 'digestion' }),
        lintPolicy({ bytes, verifier: 'digestion', digestion: loadDigestionPolicyExactly(bytes) }),
      );
    }
    const dup = `{"version":"1.0","trustedDigests":["sha256:${h}","sha256:${h}"]}`;
    const scanned = scan(Buffer.from(dup));
    assert.deepEqual(
      { count: scanned?.count, unique: scanned?.unique, digests: scanned?.digests },
      { count: 2, unique: false, digests: [`sha256:${h}`, `sha256:${h}`] },
    );
  });

  test('property: repeats found in place are the ones a Set finds, wherever they are and however spaced', () => {
    // A small pool makes repeats common; shared first digits make the table's hashes collide.
    const pool = [0, 1, 2, 3, 4, 5].flatMap((n) => [digestOf(n), digestOf(n, 'abcdef01')]);
    const ws = fc.constantFrom('', ' ', '\n  ', '\t', '\r\n');
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...pool), { minLength: 1, maxLength: 12 }),
        ws,
        ws,
        fc.boolean(),
        (list, before, after, swap) => {
          const items = list.map((d) => `${before}"${d}"${after}`).join(',');
          const members = ['"version":"1.0"', `"trustedDigests":[${items}]`];
          const scanned = agrees(`{${(swap ? members.reverse() : members).join(',')}}`);
          assert.ok(scanned, 'a canonical list is recognised');
        },
      ),
      { numRuns: propertyRuns(300) },
    );
  });

  test('a large list: unique, or a repeat at its start, middle or end, found without giving up', () => {
    // 21,800 entries fill the table to two thirds, as full as it gets.
    const list = Array.from({ length: 21_800 }, (_, i) => digestOf(i));
    assert.deepEqual(repeatsIn(allowlist(list)), { count: 21_800, unique: true });
    assert.deepEqual(repeatsIn(allowlist(list, ' ,\n ')), { count: 21_800, unique: true });
    for (const [at, copy] of [
      [0, 1],
      [0, 21_799],
      [10_000, 10_001],
      [21_798, 21_799],
    ] as const) {
      const repeated = list.with(copy, list[at]!);
      assert.deepEqual(repeatsIn(allowlist(repeated)), { count: 21_800, unique: false }, `${at}, ${copy}`);
    }
    assert.equal(agrees(allowlist(list.with(21_799, list[0]!)))?.unique, false);
  });

  test('digests built to collide: the table gives up, and the scanner still answers as a Set does', () => {
    const list = Array.from({ length: 3_000 }, (_, i) => digestOf(i, '0123456789ab'));
    assert.equal(repeatsIn(allowlist(list)).unique, undefined);
    assert.equal(agrees(allowlist(list))?.unique, true);
    assert.equal(agrees(allowlist([...list, list[0]!]))?.unique, false);
    assert.equal(agrees(allowlist([list[2_999]!, ...list]))?.unique, false);
    // Equal first digits, a different last one: not a repeat.
    const last = digestOf(1);
    const twin = `${last.slice(0, -1)}${last.endsWith('0') ? '1' : '0'}`;
    assert.deepEqual(repeatsIn(allowlist([last, twin])), { count: 2, unique: true });
  });

  test('the list replaced by [] vouches for the rest of the document exactly as a whole parse', () => {
    const h = digestOf(7);
    const cases = [
      `{"trustedDigests":["${h}"],"version":"1.0"}`,
      `\n {"version" : "1.0" ,\n "trustedDigests" : [\n  "${h}" ,\n  "${h}"\n ]\n}\n`,
      `{"version":"1.0","trustedDigests":["${h}"]`,
      `{"version":"1.0","trustedDigests":["${h}"]]}`,
      `{"version":"1.0","trustedDigests":["${h}"]}]`,
      `{"version":"1.0]","trustedDigests":["${h}"]}`,
      `{"version":"[1.0","trustedDigests":["${h}"]}`,
      `{"version":"1.0","trustedDigests":["${h}"] "x":1}`,
      `{"version":"1.0","trustedDigests":"[\\"${h}\\"]"}`,
      `{"version":"1.0","trustedDigests":{"a":["${h}"]}}`,
      // Valid with the list replaced, as the string "[]": the "[" must be the array's.
      `{"version":"1.0","trustedDigests":"["${h}"]"}`,
      `{"trustedDigests":["${h}"],"version":"1.0","trustedDigests":["${h}"]}`,
      `["1.0",["${h}"]]`,
      `{"version":"1.0","trustedDigests":["${h}","${h.toUpperCase().replace('SHA256', 'sha256')}"]}`,
      `{"version":"1.0","trustedDigests":["${h}" "${h}"]}`,
      `{"version":"1.0","trustedDigests":[,"${h}"]}`,
      `{"version":"1.0","trustedDigests":[]}`,
      `{"version":"1.0","trustedDigests":["${h}"],"trustedDigests2":[]}`,
    ];
    const recognised = cases.map((text) => agrees(text) !== undefined);
    assert.deepEqual(recognised, [true, true, ...cases.slice(2).map(() => false)]);
  });
});
