/**
 * One rule for which digests containerd can present (policy/digest-rule.ts): lint, digests and
 * check agree on every candidate, and `digests add sha384:…` is no longer an entry the same run's
 * lint says can never match.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { canPresentDigest, digestError, looksLikeDigest } from '../../src/policy/digest-rule.ts';
import { lintPolicy } from '../../src/policy/lint.ts';
import { run, scratch, propertyRuns } from '../helpers.ts';

const hex = (n: number, c = 'a') => c.repeat(n);
/** Every algorithm go-digest v1.0.0 knows, its neighbours, and the mistakes people make. */
const CANDIDATES: [string, boolean][] = [
  [`sha256:${hex(64)}`, true],
  [`sha384:${hex(96)}`, true],
  [`sha512:${hex(128)}`, true],
  [`sha256:${hex(63)}`, false],
  [`sha384:${hex(64)}`, false],
  [`sha512:${hex(96)}`, false],
  [`sha256:${hex(64, 'A')}`, false],
  [`SHA256:${hex(64)}`, false],
  [`sha1:${hex(40)}`, false],
  [`md5:${hex(32)}`, false],
  [`blake3:${hex(64)}`, false],
  [`sha256:${hex(64)} `, false],
  [`sha256:${hex(63)}g`, false],
];

const policy = (digests: string[]) => JSON.stringify({ version: '1.0', trustedDigests: digests });
const neverMatches = (digest: string) =>
  lintPolicy({ bytes: Buffer.from(policy([digest])), verifier: 'digestion' }).diagnostics.some(
    (d) => d.rule === 'digestion/non-canonical',
  );

describe('the digest rule (go-digest v1.0.0, as containerd validates)', () => {
  test('sha256, sha384 and sha512 in lower-case hex of the right length, and nothing else', () => {
    for (const [digest, ok] of CANDIDATES) {
      assert.equal(canPresentDigest(digest), ok, digest);
      assert.equal(digestError(digest) === undefined, ok, digest);
    }
    assert.equal(digestError(`sha384:${hex(95)}`), 'invalid checksum digest length');
    assert.equal(digestError(`sha1:${hex(40)}`), 'unsupported digest algorithm');
    assert.equal(digestError('toString:abc'), 'invalid checksum digest format');
    assert.equal(digestError('__proto__:abc'), 'invalid checksum digest format');
    assert.equal(digestError('constructor:abc'), 'unsupported digest algorithm');
  });

  test('the quick check lint uses and go-digest’s Validate agree on any input', () => {
    const algorithm = fc.constantFrom('sha256', 'sha384', 'sha512', 'SHA256', 'sha1', 'md5', '');
    const hexish = fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEFg '), maxLength: 130 });
    fc.assert(
      fc.property(
        fc.oneof(
          fc.tuple(algorithm, hexish).map(([a, h]) => `${a}:${h}`),
          fc.string(),
        ),
        (input) => {
          assert.equal(canPresentDigest(input), digestError(input) === undefined, input);
        },
      ),
      { numRuns: propertyRuns(2000) },
    );
  });

  test('arguments meant as digests: an algorithm prefix in any case; name:hex is still an image tag', () => {
    assert.equal(looksLikeDigest(`sha384:${hex(96)}`), true);
    assert.equal(looksLikeDigest(`SHA256:${hex(64)}`), true);
    assert.equal(looksLikeDigest(`app:${hex(40)}`), false);
    assert.equal(looksLikeDigest('registry.example/sha256:v1'), false);
    assert.equal(looksLikeDigest('constructor:1'), false);
  });

  test('lint warns "can never match" exactly for what the rule refuses', () => {
    for (const [digest, ok] of CANDIDATES) assert.equal(neverMatches(digest), !ok, digest);
  });
});

describe('lint, digests and check agree', () => {
  test('digests add sha384:…: added, and the same run’s lint says nothing against it', async () => {
    const dir = scratch();
    try {
      const digest = `sha384:${hex(96, '3')}`;
      const r = await run(['digests', 'add', '--file', 'd.json', digest], { cwd: dir.path });
      assert.equal(r.code, 0, r.stderr);
      assert.doesNotMatch(r.stderr, /can never match|warning/);
      assert.deepEqual(JSON.parse(readFileSync(`${dir.path}/d.json`, 'utf8')).trustedDigests, [digest]);
      const lint = await run(['lint', 'd.json'], { cwd: dir.path });
      assert.equal(lint.code, 0);
      assert.match(lint.stdout, /0 errors, 0 warnings/);
    } finally {
      dir.cleanup();
    }
  });

  test('every candidate: digests add accepts it, check --digest accepts it, lint stays quiet — or all refuse', async () => {
    const dir = scratch();
    try {
      const allow = dir.file('allow.json', policy([`sha256:${hex(64, 'f')}`]));
      for (const [digest, ok] of CANDIDATES) {
        if (!looksLikeDigest(digest)) continue;
        const added = await run(['digests', 'add', '--dry-run', '--file', allow, digest]);
        assert.equal(added.code, ok ? 0 : 2, `digests add ${digest}: ${added.stderr}`);
        if (!ok)
          assert.match(added.stderr, /is not a digest containerd can present \(.+\); a digest is sha256/);
        else assert.doesNotMatch(added.stderr, /can never match/);
        const checked = await run([
          'check',
          '--policy',
          `digestion=${allow}`,
          '--name',
          'docker.io/library/redis:7',
          '--digest',
          digest,
        ]);
        // Allowed or blocked is the policy's business; a usage error (2) is the rule's.
        assert.equal(checked.code === 2, !ok, `check --digest ${digest}: ${checked.stderr}`);
      }
    } finally {
      dir.cleanup();
    }
  });
});
