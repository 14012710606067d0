/** Every corpus policy: the real validators' verdict, exact message and node effect. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { notationWrapperCheck } from '../src/policy/bottlerocket.ts';
import { parseJson } from '../src/policy/json.ts';
import { lintPolicy } from '../src/policy/lint.ts';
import { SHARED } from './helpers.ts';

function rows(dir: string): string[][] {
  return readFileSync(join(dir, 'EXPECTED.tsv'), 'utf8')
    .trimEnd()
    .split('\n')
    .slice(1)
    .map((line) => line.split('\t'));
}

describe('generated corpus (742 documents)', () => {
  const dir = join(SHARED, 'corpus', 'generated');
  const all = rows(dir);
  test('has the expected number of vectors', () => assert.equal(all.length, 742));
  for (const [file, kind, verdict, message, effect] of all) {
    test(file!, () => {
      const result = lintPolicy({
        bytes: readFileSync(join(dir, file!)),
        verifier: kind as 'notation' | 'digestion',
      });
      assert.equal(result.valid ? 'valid' : 'invalid', verdict);
      assert.equal(result.upstreamMessage ?? '', message ?? '');
      assert.equal(result.effect, effect);
      assert.equal(
        result.diagnostics.some((d) => d.severity === 'error'),
        verdict === 'invalid' ||
          effect === 'rejects-all' ||
          result.diagnostics.some((d) => d.rule.startsWith('api/')),
      );
    });
  }
});

describe('real-world corpus (67 documents)', () => {
  const dir = join(SHARED, 'corpus', 'real-world');
  const all = rows(dir);
  test('has the expected number of documents', () => assert.equal(all.length, 67));
  for (const [file, kind, verdict, message] of all) {
    test(file!, () => {
      const result = lintPolicy({
        bytes: readFileSync(join(dir, file!)),
        verifier: kind as 'notation' | 'digestion',
      });
      assert.equal(result.valid ? 'valid' : 'invalid', verdict);
      if (kind === 'notation') assert.equal(result.upstreamMessage ?? '', message ?? '');
    });
  }
  test('the Bottlerocket empty example allows every image', () => {
    const r = lintPolicy({
      bytes: readFileSync(join(dir, 'bottlerocket-website--notation-empty-example.json')),
      verifier: 'notation',
    });
    assert.equal(r.effect, 'allows-all');
    assert.ok(r.diagnostics.some((d) => d.rule === 'bottlerocket/empty-policy'));
  });
  test('documented runtime problems are warned about', () => {
    const warned = (file: string, rule: string) =>
      lintPolicy({ bytes: readFileSync(join(dir, file)), verifier: 'notation' }).diagnostics.some(
        (d) => d.rule === rule,
      );
    assert.ok(warned('notation-action-issue139--aws-signer-tp.json', 'notation/signer-arn'));
    assert.ok(
      warned('bottlerocket-core-kit--readme-notation-example.json', 'notation/aws-signer-wildcard-identity'),
    );
    assert.ok(
      warned('bottlerocket-core-kit--readme-notation-example.json', 'notation/unshipped-trust-store'),
    );
    assert.ok(warned('chrispencil-sign-verify-ecr--trustpolicy.json', 'notation/placeholder'));
    assert.ok(warned('notation-e2e--overlapped-trust-store.json', 'notation/duplicate-trust-store'));
  });
  test('digestion entries that can never match are warned about', () => {
    const r = lintPolicy({
      bytes: readFileSync(join(dir, 'bottlerocket-core-kit--digestion-test-valid.json')),
      verifier: 'digestion',
    });
    assert.ok(r.diagnostics.some((d) => d.rule === 'digestion/non-canonical'));
  });
});

describe("the wrapper's verdict read off the generic parse agrees with the serde emulation", () => {
  test('on every corpus notation document', () => {
    let compared = 0;
    for (const dir of ['generated', 'real-world']) {
      const base = join(SHARED, 'corpus', dir);
      for (const [file, kind] of rows(base)) {
        if (kind !== 'notation') continue;
        const bytes = readFileSync(join(base, file!));
        const parsed = parseJson(bytes, { maxDepth: 10000, allowTrailing: true });
        if (!parsed.ok) continue;
        const { apiAcceptsJson: _a, ...viaSerde } = notationWrapperCheck(bytes);
        const { apiAcceptsJson: _b, ...viaParse } = notationWrapperCheck(bytes, {
          root: parsed.node,
          facts: parsed.facts,
        });
        assert.deepEqual(viaParse, viaSerde, file);
        compared++;
      }
    }
    assert.ok(compared > 500);
  });
});
