/**
 * Very long tokens (200k-digit numbers, 1 MB strings, 500k-element arrays) in every command that
 * reads a policy: a verdict or one clean line, never an internal error or a wrong reason.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { isOneCleanLine, run, scratch } from '../helpers.ts';

type Verifier = 'notation' | 'digestion' | 'custom';

/** A long token of one kind, as JSON text. */
const longToken = fc.oneof(
  fc.integer({ min: 130_000, max: 200_000 }).map((n) => '9'.repeat(n)),
  fc.integer({ min: 130_000, max: 200_000 }).map((n) => '-' + '1'.repeat(n)),
  fc.integer({ min: 130_000, max: 200_000 }).map((n) => '0.' + '0'.repeat(n) + '1'),
  fc.integer({ min: 130_000, max: 200_000 }).map((n) => '1' + '0'.repeat(n) + 'e-' + n),
  fc.integer({ min: 900_000, max: 1_100_000 }).map((n) => JSON.stringify('s'.repeat(n))),
  fc.integer({ min: 400_000, max: 500_000 }).map((n) => `[${Array(n).fill('1').join(',')}]`),
);

/** A policy of each verifier with the token placed in a field the verifier ignores or reads. */
function policyWith(verifier: Verifier, token: string, placement: 'extra' | 'known'): string {
  if (verifier === 'digestion')
    return placement === 'extra'
      ? `{"version":"1.0","trustedDigests":[],"n":${token}}`
      : `{"version":"1.0","trustedDigests":[${token}]}`;
  if (verifier === 'notation')
    return placement === 'extra'
      ? `{"version":"1.0","n":${token},"trustPolicies":[{"name":"a","registryScopes":["*"],"signatureVerification":{"level":"skip"}}]}`
      : `{"version":${token},"trustPolicies":[]}`;
  return placement === 'extra' ? `{"n":${token}}` : token;
}

const cases = fc.record({
  token: longToken,
  verifier: fc.constantFrom<Verifier>('notation', 'digestion', 'custom'),
  placement: fc.constantFrom<'extra' | 'known'>('extra', 'known'),
});

describe('long tokens (property-based, every command that reads a policy)', () => {
  test('lint, encode, set --dry-run and decode give a verdict or one clean line', async () => {
    const dir = scratch();
    try {
      await fc.assert(
        fc.asyncProperty(cases, async ({ token, verifier, placement }) => {
          const file = dir.file(`p-${verifier}.json`, policyWith(verifier, token, placement));
          const name = verifier === 'custom' ? 'my-verifier' : verifier;
          const lint = await run(['lint', '--verifier', name, file]);
          assert.ok(lint.code === 0 || lint.code === 1, lint.stderr);
          assert.doesNotMatch(lint.stdout + lint.stderr, /internal error|call stack/);
          for (const args of [
            ['encode', name, file, '--force'],
            ['set', name, file, '--force', '--dry-run', '-s', '/nonexistent/api.sock'],
          ]) {
            const r = await run(args);
            assert.doesNotMatch(r.stderr, /internal error|call stack/, args[0]);
            // Only real nesting is reported as nesting.
            assert.doesNotMatch(r.stderr, /nests JSON deeper/, args[0]);
            if (r.code !== 0) assert.ok(isOneCleanLine(r.stderr.split('\n').at(-2) ?? ''), r.stderr);
          }
          const encoded = await run(['encode', 'my-verifier', file, '--force']);
          if (encoded.code === 0) {
            const decoded = await run(['decode', encoded.stdout.trim()]);
            assert.equal(decoded.code, 0);
            assert.equal(decoded.stdout, policyWith(verifier, token, placement));
          }
        }),
        { numRuns: 12, seed: 20261201 },
      );
    } finally {
      dir.cleanup();
    }
  });

  test('a 200k-digit number is "number out of range" where serde_json reads it', async () => {
    const dir = scratch();
    try {
      const digits = '7'.repeat(200_000);
      const file = dir.file('big.json', `{"version":"1.0","trustedDigests":[],"n":${digits}}`);
      const enc = await run(['encode', 'digestion', file]);
      assert.equal(enc.code, 1);
      assert.match(enc.stderr, /number out of range at line 1 column 200041/);
      const lint = await run(['lint', file]);
      assert.equal(lint.code, 1);
      assert.match(lint.stdout, /number out of range at line 1 column 200041/);
      assert.match(lint.stdout, /rejects-all/);
    } finally {
      dir.cleanup();
    }
  });
});
