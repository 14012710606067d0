/** Verifier names, detection of a policy's verifier from its content, and variants. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { detectVerifier } from '../../src/policy/lint.ts';
import { isValidVerifierName } from '../../src/policy/names.ts';
import { variantModel } from '../../src/policy/variants.ts';

const enc = (s: string) => new TextEncoder().encode(s);

describe('names, detection and variants', () => {
  test('Identifier rule', () => {
    assert.ok(isValidVerifierName('my-verifier-2'));
    assert.ok(isValidVerifierName('a'.repeat(76)));
    for (const bad of ['', 'a'.repeat(77), 'my_verifier', 'a.b', 'a/b', 'enabled', 'nä'])
      assert.equal(isValidVerifierName(bad), false, bad);
  });
  test('verifier from content', () => {
    assert.equal(detectVerifier(enc('{"keys": {"trustedDigests": []}}')).verifier, 'custom');
    assert.equal(detectVerifier(enc('{"trustedDigests": [], "trustPolicies": []}')).verifier, 'notation');
    assert.equal(detectVerifier(enc('{"trustPolicies":[]}')).verifier, 'notation');
    assert.equal(detectVerifier(enc('{"trustedDigests":[]}')).verifier, 'digestion');
    assert.equal(detectVerifier(enc('{"keys":[]}')).verifier, 'custom');
    assert.equal(detectVerifier(enc('not json')).verifier, 'custom');
  });
  test('variant models', () => {
    assert.equal(variantModel({ variant_id: 'aws-k8s-1.34', version_id: '1.63.0' }), 'extensible');
    assert.equal(variantModel({ variant_id: 'aws-k8s-1.33-nvidia', version_id: '1.63.0' }), 'extensible');
    assert.equal(variantModel({ variant_id: 'aws-k8s-1.32', version_id: '1.63.0' }), 'unsupported');
    assert.equal(variantModel({ variant_id: 'aws-ecs-3', version_id: '1.55.0' }), 'legacy');
    assert.equal(variantModel({ variant_id: 'aws-ecs-3', version_id: '1.56.0' }), 'extensible');
    assert.equal(variantModel({ variant_id: 'aws-ecs-4', version_id: '1.60.0' }), 'extensible');
    assert.equal(variantModel({ variant_id: 'aws-dev', version_id: '1.60.0' }), 'unsupported');
  });
});

describe('verifier detection without a parse', () => {
  test('a BOM or a syntax error still shows which verifier it is for', () => {
    assert.equal(detectVerifier(enc('\ufeff{"version":"1.0","trustPolicies":[]}')).verifier, 'notation');
    assert.equal(detectVerifier(enc('{"trustedDigests": ["sha256:a",]}')).verifier, 'digestion');
  });
});
