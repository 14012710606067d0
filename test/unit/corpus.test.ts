/**
 * Every corpus policy: the real validators' verdict, exact message and node effect.
 *
 * `fixtures/corpus/generated` was written for this project with the real validators' verdicts.
 * `fixtures/corpus/shapes` holds civctl's own policies in the shapes found in public repositories
 * (AWS Signer, x509 CA, multi-statement, Helm-chart indentation, CRLF, digest lists); its
 * EXPECTED.tsv records civctl's verdicts as a regression set (`UPDATE_FIXTURES=1` rewrites it).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { notationWrapperCheck } from '../../src/policy/image-verifiers.ts';
import { parseJson } from '../../src/policy/json.ts';
import { lintPolicy } from '../../src/policy/lint.ts';
import { CORPUS, corpusRows } from '../helpers.ts';

type Kind = 'notation' | 'digestion';

describe('generated corpus (742 documents)', () => {
  const dir = join(CORPUS, 'generated');
  const all = corpusRows(dir);
  test('has the expected number of vectors', () => assert.equal(all.length, 742));
  for (const [file, kind, verdict, message, effect] of all) {
    test(file!, () => {
      const result = lintPolicy({ bytes: readFileSync(join(dir, file!)), verifier: kind as Kind });
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

/** What civctl says of one shapes fixture, as one EXPECTED.tsv row. */
function shapeRow(dir: string, file: string): string[] {
  const kind: Kind = file.startsWith('digestion-') ? 'digestion' : 'notation';
  const r = lintPolicy({ bytes: readFileSync(join(dir, file)), verifier: kind });
  const rules = [...new Set(r.diagnostics.map((d) => `${d.severity}:${d.rule}`))].sort().join(',');
  const message = (r.upstreamMessage ?? '').replace(/\t/g, '\\t').replace(/\n/g, '\\n');
  return [file, kind, r.valid ? 'valid' : 'invalid', message, r.effect, rules];
}

describe('shapes corpus (regression set of public-repository shapes)', () => {
  const dir = join(CORPUS, 'shapes');
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort();
  if (process.env['UPDATE_FIXTURES']) {
    const header = ['file', 'kind', 'verdict', 'message', 'effect', 'rules'];
    const rows = [header, ...files.map((f) => shapeRow(dir, f))];
    writeFileSync(join(dir, 'EXPECTED.tsv'), rows.map((r) => r.join('\t')).join('\n') + '\n');
  }
  const expected = corpusRows(dir);
  test('every fixture has a row and every row a fixture', () =>
    assert.deepEqual(expected.map((r) => r[0]).sort(), files));
  for (const row of expected) test(row[0]!, () => assert.deepEqual(shapeRow(dir, row[0]!), row));
  test('covers every verdict and effect', () => {
    const seen = new Set(expected.map((r) => `${r[1]}:${r[2]}:${r[4]}`));
    for (const want of [
      'notation:valid:enforced',
      'notation:invalid:rejects-all',
      'notation:invalid:allows-all',
      'digestion:valid:enforced',
      'digestion:valid:allows-all',
      'digestion:invalid:rejects-all',
    ])
      assert.ok(seen.has(want), want);
  });
});

describe("the wrapper's verdict read off the generic parse agrees with the serde emulation", () => {
  test('on every corpus notation document', () => {
    let compared = 0;
    for (const dir of ['generated', 'shapes']) {
      const base = join(CORPUS, dir);
      for (const [file, kind] of corpusRows(base)) {
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
