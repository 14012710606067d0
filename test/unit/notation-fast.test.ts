/** The clean-notation fast path must only ever answer what the exact path answers. */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { lintPolicy } from '../../src/policy/lint.ts';
import { cleanNotationStatements } from '../../src/policy/notation/fast.ts';
import { PositionIndex } from '../../src/policy/positions.ts';
import { CORPUS, propertyRuns } from '../helpers.ts';

function fast(bytes: Uint8Array): number | undefined {
  const positions = new PositionIndex(bytes);
  return cleanNotationStatements(positions.latin1, () => positions.plain);
}

/** The exact path: lint with the shared native parse withheld, so the fast path cannot answer. */
function exact(bytes: Uint8Array) {
  const positions = new PositionIndex(bytes);
  Object.defineProperty(positions, 'plain', { get: () => undefined });
  return lintPolicy({ bytes, verifier: 'notation', positions });
}

describe('clean-notation fast path', () => {
  test('agrees with the exact path on every corpus notation document', () => {
    let clean = 0;
    for (const dir of ['generated', 'shapes']) {
      const base = join(CORPUS, dir);
      for (const name of readdirSync(base).filter((f) => f.endsWith('.json'))) {
        const bytes = readFileSync(join(base, name));
        const statements = fast(bytes);
        if (statements === undefined) continue;
        clean++;
        const r = exact(bytes);
        assert.deepEqual(
          { valid: r.valid, effect: r.effect, diagnostics: r.diagnostics, statements: r.size?.statements },
          { valid: true, effect: 'enforced', diagnostics: [], statements },
          name,
        );
      }
    }
    assert.ok(clean >= 5, `only ${clean} documents took the fast path`);
  });

  test('property: generated near-policies', () => {
    const statement = fc.record(
      {
        name: fc.oneof(fc.constantFrom('a', 'b', 'team'), fc.string({ maxLength: 4 })),
        Name: fc.constant('x'),
        registryScopes: fc.array(fc.constantFrom('*', 'registry.example.com/app', 'r.io/a/b', 'bad scope'), {
          maxLength: 2,
        }),
        signatureVerification: fc.record(
          {
            level: fc.constantFrom('strict', 'audit', 'skip', 'permissive', 'x'),
            override: fc.dictionary(
              fc.constantFrom('expiry', 'revocation', 'integrity', 'x'),
              fc.constantFrom('log', 'skip', 'enforce', 'no'),
            ),
          },
          { requiredKeys: ['level'] },
        ),
        trustStores: fc.array(fc.constantFrom('ca:x', 'signingAuthority:aws-signer-ts', 'tsa:t', 'bad'), {
          maxLength: 2,
        }),
        trustedIdentities: fc.array(
          fc.constantFrom(
            '*',
            'x509.subject: C=US, ST=WA, O=Acme',
            'arn:aws:signer:us-west-2:123456789012:/signing-profiles/p',
          ),
          { maxLength: 2 },
        ),
        extra: fc.jsonValue({ maxDepth: 2 }),
      },
      { requiredKeys: ['name'] },
    );
    // Mostly clean documents (the fast path's business), with one field at a time made odd.
    const clean = fc.record({
      name: fc.stringMatching(/^[a-z]{1,6}$/),
      registryScopes: fc.constantFrom(['r.io/a'], ['r.io/b', 'r.io/c'], ['*']),
      signatureVerification: fc.constantFrom(
        { level: 'strict' },
        { level: 'strict', override: { revocation: 'log' } },
        { level: 'permissive' },
      ),
      trustStores: fc.constant(['signingAuthority:aws-signer-ts']),
      trustedIdentities: fc.constant(['arn:aws:signer:us-west-2:123456789012:/signing-profiles/p']),
    });
    const doc = fc.oneof(
      fc.record({
        version: fc.constant('1.0'),
        trustPolicies: fc.uniqueArray(clean, { minLength: 1, maxLength: 3, selector: (s) => s.name }),
      }),
      fc.record({
        version: fc.constantFrom('1.0', '1', 1),
        trustPolicies: fc.array(fc.oneof(clean, statement), { maxLength: 3 }),
      }),
    );
    let hits = 0;
    fc.assert(
      fc.property(doc, fc.boolean(), (value, duplicate) => {
        let text = JSON.stringify(value, null, 1);
        if (duplicate) text = text.replace('"name"', '"name": "dup", "name"');
        const bytes = Buffer.from(text);
        const statements = fast(bytes);
        if (statements === undefined) return;
        hits++;
        const r = exact(bytes);
        assert.equal(r.valid, true, text);
        assert.equal(r.effect, 'enforced', text);
        assert.deepEqual(r.diagnostics, [], text);
        assert.equal(r.size?.statements, statements);
      }),
      { numRuns: propertyRuns(500) },
    );
    assert.ok(hits >= 5, `the fast path answered only ${hits} generated documents`);
  });
});
