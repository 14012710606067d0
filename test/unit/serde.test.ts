/** serde_json emulation: messages and positions, and the Bottlerocket wrappers' loaders. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadDigestionPolicy, notationWrapperCheck } from '../../src/policy/image-verifiers.ts';
import { ryuFormat, serdeFromStr } from '../../src/policy/serde.ts';

const enc = (s: string) => new TextEncoder().encode(s);

describe('serde_json emulation', () => {
  test('ryu float formatting', () => {
    assert.equal(ryuFormat(1.5), '1.5');
    assert.equal(ryuFormat(1), '1.0');
    assert.equal(ryuFormat(1e100), '1e100');
    assert.equal(ryuFormat(1.2345678901234568e20), '1.2345678901234568e20');
    assert.equal(ryuFormat(0.0001), '0.0001');
    assert.equal(ryuFormat(1e-7), '1e-7');
  });
  test('messages and positions', () => {
    const value = { t: 'value' } as const;
    assert.deepEqual(serdeFromStr(enc('{"a":1} x'), value), {
      ok: false,
      message: 'trailing characters at line 1 column 9',
    });
    assert.deepEqual(serdeFromStr(enc('{"a":1,}'), value), {
      ok: false,
      message: 'trailing comma at line 1 column 8',
    });
    assert.deepEqual(serdeFromStr(enc('\ufeff{}'), value), {
      ok: false,
      message: 'expected value at line 1 column 1',
    });
    assert.deepEqual(serdeFromStr(enc('{"a":01}'), value), {
      ok: false,
      message: 'invalid number at line 1 column 7',
    });
    assert.deepEqual(serdeFromStr(enc('['.repeat(200)), value), {
      ok: false,
      message: 'recursion limit exceeded at line 1 column 128',
    });
    assert.deepEqual(serdeFromStr(enc('"a\u0001"'), value), {
      ok: false,
      message: 'control character (\\u0000-\\u001F) found while parsing a string at line 1 column 3',
    });
  });
  test('the digestion loader', () => {
    const load = (s: string) => {
      const { apiAcceptsJson: _, ...outcome } = loadDigestionPolicy(enc(s));
      return outcome;
    };
    assert.deepEqual(load('{"trustedDigests":["sha256:a"]}'), { kind: 'load', digests: ['sha256:a'] });
    assert.deepEqual(load('{"version":"1.0","trustedDigests":[]}'), { kind: 'skip', reason: 'empty-list' });
    assert.deepEqual(load(' \n\t'), { kind: 'skip', reason: 'empty-file' });
    assert.deepEqual(loadDigestionPolicy(new Uint8Array([0x7b, 0xff, 0x7d])), {
      kind: 'reject',
      message: 'failed to read trust policy: stream did not contain valid UTF-8',
    });
    assert.deepEqual(load('{"version":"2.0","trustedDigests":[]}'), {
      kind: 'reject',
      message: 'unsupported policy version 2.0',
    });
    assert.deepEqual(load('{"version":"1.0"}'), {
      kind: 'reject',
      message: 'invalid trust policy JSON: missing field `trustedDigests` at line 1 column 17',
    });
    assert.deepEqual(load('{"version":"1.0",\n"version":"1.0","trustedDigests":[]}'), {
      kind: 'reject',
      message: 'invalid trust policy JSON: duplicate field `version` at line 2 column 9',
    });
    assert.deepEqual(load('["1.0", ["sha256:a"]]'), { kind: 'load', digests: ['sha256:a'] });
    assert.deepEqual(load('{"version":-0,"trustedDigests":[]}'), {
      kind: 'reject',
      message:
        'invalid trust policy JSON: invalid type: floating point `-0.0`, expected a string at line 1 column 13',
    });
    assert.deepEqual(load('{"version":-12,"trustedDigests":[]}'), {
      kind: 'reject',
      message:
        'invalid trust policy JSON: invalid type: integer `-12`, expected a string at line 1 column 14',
    });
    assert.deepEqual(load('{"trustedDigests":[42]}'), {
      kind: 'reject',
      message: 'invalid trust policy JSON: invalid type: integer `42`, expected a string at line 1 column 21',
    });
  });
  test("the notation wrapper's strict pre-check", () => {
    const check = (s: string) => {
      const { apiAcceptsJson: _, ...outcome } = notationWrapperCheck(enc(s));
      return outcome;
    };
    assert.deepEqual(check('{"version":"1.0","trustPolicies":[]}'), { kind: 'skip', reason: 'empty-list' });
    assert.deepEqual(check('{"Version":"1.0","trustPolicies":[{}]}'), {
      kind: 'reject',
      message: 'invalid trust policy JSON: missing field `version` at line 1 column 38',
    });
    assert.deepEqual(check('{"version":"1.0","trustPolicies":[{}]}'), { kind: 'proceed', statementCount: 1 });
    assert.deepEqual(check('{"version":"","trustPolicies":[{}]}'), {
      kind: 'reject',
      message: 'unsupported policy version ',
    });
  });
});
