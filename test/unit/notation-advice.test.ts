/**
 * Notation warnings and Validate() on the shapes their quick forms must treat as the plain ones
 * did: signing-profile ARNs (one regular expression for a split at colons), repeated trust stores
 * and registry scopes, docker.io scopes.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { notationWarnings } from '../../src/policy/notation/advice.ts';
import { loadNotationDocument } from '../../src/policy/notation/decode.ts';
import { validateNotationDocument } from '../../src/policy/notation/validate.ts';

function load(statements: unknown[]) {
  const loaded = loadNotationDocument(
    new TextEncoder().encode(JSON.stringify({ version: '1.0', trustPolicies: statements })),
  );
  assert.ok(loaded.ok);
  return loaded.document;
}

const statement = (fields: Record<string, unknown>) => ({
  name: 'p',
  registryScopes: ['registry.example.com/app'],
  signatureVerification: { level: 'strict' },
  trustStores: ['signingAuthority:aws-signer-ts'],
  trustedIdentities: ['arn:aws:signer:us-west-2:123456789012:/signing-profiles/team'],
  ...fields,
});

const rules = (statements: unknown[]) => notationWarnings(load(statements)).map((w) => w.rule);

/** The AWS Signer plugin's test, as the split at colons it is. */
function signerProfileBySplit(id: string): boolean {
  const parts = id.split(':');
  if (parts.length < 6 || parts[0] !== 'arn' || parts[2] !== 'signer') return false;
  return /^\/signing-profiles\/[^/]+(\/[^/]+)?$/.test(parts.slice(5).join(':'));
}

describe('notation warnings', () => {
  test('signing-profile ARNs: the warning agrees with a split at colons', () => {
    const part = fc.constantFrom('', 'arn', 'aws', 'signer', 'us-west-2', '1', '/signing-profiles', 'x/y');
    const resource = fc.constantFrom(
      '/signing-profiles/team',
      '/signing-profiles/team/v1',
      '/signing-profiles/team/v1/x',
      '/signing-profiles/a:b',
      '/signing-profiles/',
      '/signing-profiles//v',
      'signing-profiles/team',
      '/signing-profiles/team\n',
    );
    const arn = fc.oneof(
      fc
        .tuple(fc.array(part, { minLength: 0, maxLength: 7 }), resource)
        .map(([parts, r]) => `arn:${[...parts, r].join(':')}`),
      fc.tuple(part, part, part, resource).map(([p, r, a, res]) => `arn:${p}:signer:${r}:${a}:${res}`),
    );
    fc.assert(
      fc.property(arn, (id) => {
        const warned = rules([statement({ trustedIdentities: [id] })]).includes('notation/signer-arn');
        assert.equal(warned, !signerProfileBySplit(id), id);
      }),
    );
  });

  test('a trust store listed again is reported at each later place, and judged once', () => {
    const warnings = notationWarnings(
      load([
        statement({
          trustStores: ['signingAuthority:aws-signer-ts', 'ca:x', 'signingAuthority:aws-signer-ts', 'ca:x'],
        }),
      ]),
    );
    assert.deepEqual(
      warnings.map((w) => w.rule),
      ['notation/unshipped-trust-store', 'notation/duplicate-trust-store', 'notation/duplicate-trust-store'],
    );
  });

  test('docker.io scopes that containerd never names', () => {
    assert.deepEqual(
      rules([
        statement({
          registryScopes: [
            'docker.io/redis',
            'docker.io/library/redis',
            'index.docker.io/library/redis',
            'registry.example.com/docker.io',
          ],
        }),
      ]),
      ['notation/unreachable-scope', 'notation/unreachable-scope'],
    );
  });
});

describe('notation Validate(): registry scopes in several statements', () => {
  test('the first repeated scope, in order of first appearance, at its last place', () => {
    const doc = load([
      statement({ name: 'a', registryScopes: ['r.io/x', 'r.io/y'] }),
      statement({ name: 'b', registryScopes: ['r.io/y', 'r.io/z'] }),
      statement({ name: 'c', registryScopes: ['r.io/z', 'r.io/x'] }),
    ]);
    const finding = validateNotationDocument(doc);
    assert.match(
      finding?.message ?? '',
      /registry scope "r\.io\/x" is present in multiple trust policy statements/,
    );
    // The node of the last statement's r.io/x: the second item of c's scopes.
    const last = doc.trustPolicies!.backing[2]!.registryScopes!.nodes[1];
    assert.equal(finding?.node, last);
  });
});
