/** notation-go v1.3.2 emulation: decoding, Validate() messages, DN parsing. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseDistinguishedName } from '../../src/policy/notation/dn.ts';
import { loadNotationDocument, MALFORMED } from '../../src/policy/notation/decode.ts';
import { validateNotationDocument } from '../../src/policy/notation/validate.ts';

const enc = (s: string) => new TextEncoder().encode(s);

function notationMessage(json: string): string | undefined {
  const loaded = loadNotationDocument(enc(json));
  if (!loaded.ok) return loaded.message;
  return validateNotationDocument(loaded.document)?.message;
}

const VALID_STATEMENT = {
  name: 'p',
  registryScopes: ['registry.example.com/app'],
  signatureVerification: { level: 'strict' },
  trustStores: ['signingAuthority:aws-signer-ts'],
  trustedIdentities: ['x509.subject: C=US, ST=WA, O=Acme'],
};
const doc = (statements: unknown[], version: unknown = '1.0') =>
  JSON.stringify({ version, trustPolicies: statements });

describe('notation-go v1.3.2 decoding and Validate()', () => {
  test('Go decoding leniency', () => {
    assert.equal(notationMessage(doc([VALID_STATEMENT])), undefined);
    // Case-insensitive keys, including Unicode folding (ſ folds to s), and the later key wins.
    assert.equal(
      notationMessage(JSON.stringify({ VERSION: '1.0', trustPolicies: [VALID_STATEMENT] })),
      undefined,
    );
    assert.equal(
      notationMessage(`{"ver\u017fion":"1.0","trustPolicies":${JSON.stringify([VALID_STATEMENT])}}`),
      undefined,
    );
    assert.equal(
      notationMessage(
        `{"version":"1.0","Version":"9.9","trustPolicies":${JSON.stringify([VALID_STATEMENT])}}`,
      ),
      'trust policy document uses unsupported version "9.9"',
    );
    assert.equal(notationMessage(doc([VALID_STATEMENT]) + ' trailing garbage'), undefined);
    assert.equal(
      notationMessage(doc([{ ...VALID_STATEMENT, name: null }])),
      'trust policy: a trust policy statement is missing a name, every statement requires a name',
    );
    assert.equal(
      notationMessage('null'),
      'trust policy document has empty version, version must be specified',
    );
    assert.equal(notationMessage('{"version":1}'), MALFORMED);
    assert.equal(notationMessage('\ufeff{}'), MALFORMED);
    assert.equal(notationMessage(''), MALFORMED);
  });
  test('a duplicated array key decodes into the existing slice, as Go does', () => {
    const text = `{"version":"1.0","trustPolicies":${JSON.stringify([VALID_STATEMENT])},"trustPolicies":[{"name":"q"}]}`;
    // The second decode merges into the first statement: only the name changes.
    assert.equal(notationMessage(text), undefined);
  });
  test('check order and messages', () => {
    assert.equal(
      notationMessage(doc([], '')),
      'trust policy document has empty version, version must be specified',
    );
    assert.equal(notationMessage(doc([])), 'trust policy document can not have zero trust policy statements');
    assert.equal(
      notationMessage(doc([VALID_STATEMENT, VALID_STATEMENT])),
      'multiple trust policy statements use the same name "p", statement names must be unique',
    );
    assert.equal(
      notationMessage(
        doc([
          { ...VALID_STATEMENT, signatureVerification: { level: 'strict', override: { integrity: 'log' } } },
        ]),
      ),
      'trust policy: trust policy statement "p" has invalid signatureVerification: "integrity" verification can not be overridden in custom signature verification',
    );
    // A scope problem in statement 1 is hidden by a core problem in statement 2.
    assert.equal(
      notationMessage(
        doc([
          { ...VALID_STATEMENT, registryScopes: ['bad'] },
          { ...VALID_STATEMENT, name: 'q', trustStores: ['x'] },
        ]),
      ),
      'trust policy: trust policy statement "q" has malformed trust store value "x". The required format is <TrustStoreType>:<TrustStoreName>',
    );
    assert.equal(
      notationMessage(doc([{ ...VALID_STATEMENT, registryScopes: ['local/myOCILayout'] }])),
      'registry scope "local/myOCILayout" is not valid, make sure it is a fully qualified repository without the scheme, protocol or tag. For example domain.com/my/repository or a local scope like local/myOCILayout',
    );
    assert.equal(
      notationMessage(doc([VALID_STATEMENT, { ...VALID_STATEMENT, name: 'q' }])),
      'registry scope "registry.example.com/app" is present in multiple trust policy statements, one registry scope value can only be associated with one statement',
    );
  });
  test('x509.subject DN rules', () => {
    assert.deepEqual(
      [...parseDistinguishedName('C=US, S=WA, O=Acme, CN=x')],
      [
        ['C', 'US'],
        ['ST', 'WA'],
        ['O', 'Acme'],
        ['CN', 'x'],
      ],
    );
    assert.throws(() => parseDistinguishedName('C=US,O=Acme'), /no mandatory RDN attribute for "ST"/);
    assert.throws(() => parseDistinguishedName('C=US+ST=WA,O=A'), /multi-valued RDN/);
    assert.throws(() => parseDistinguishedName('C=US,C=DE,ST=WA,O=A'), /duplicate RDN attribute for "C"/);
    assert.throws(() => parseDistinguishedName('C=US,,ST=WA'), /incomplete type, value pair/);
    assert.throws(
      () => parseDistinguishedName('C=US,ST=W\\zz,O=A'),
      /encoding\/hex: invalid byte: U\+007A 'z'/,
    );
    assert.throws(() => parseDistinguishedName('C=US,ST=WA,O=A\\'), /got corrupted escaped character: 'A\\'/);
    assert.throws(() => parseDistinguishedName('C=#0101'), /containing "=#"/);
    assert.throws(() => parseDistinguishedName('   '), /no mandatory RDN attribute for "C"/);
    assert.ok(parseDistinguishedName('O=,O=Example,C=US,ST=WA'));
  });
});
