/** The allowlist fast path must agree with the exact (serde) path on everything it recognises. */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { scanCanonicalAllowlist } from '../../src/policy/digest-scan.ts';
import { loadDigestionPolicyExactly } from '../../src/policy/image-verifiers.ts';
import { lintPolicy } from '../../src/policy/lint.ts';
import { PositionIndex } from '../../src/policy/positions.ts';
import { CORPUS, propertyRuns } from '../helpers.ts';

/** The scanner on bytes, with the shared parse a PositionIndex provides. */
function scan(bytes: Uint8Array) {
  const positions = new PositionIndex(bytes);
  return scanCanonicalAllowlist(positions.latin1, () => positions.plain);
}

/** What the fast path recognises, and what the serde path alone loads. */
function exact(bytes: Uint8Array) {
  return {
    scanned: scan(bytes)?.digests,
    loaded: loadDigestionPolicyExactly(bytes),
  };
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
    assert.deepEqual(scan(Buffer.from(dup)), { digests: [`sha256:${h}`, `sha256:${h}`], unique: false });
  });
});
