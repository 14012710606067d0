/** Pure unit tests of the policy knowledge: base64, serde and Go emulation, DN parsing, user-data. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { goQuote, goQuoteSlice } from '../../src/policy/notation/goquote.ts';
import { loadNotationDocument } from '../../src/policy/notation/decode.ts';
import { validateNotationDocument } from '../../src/policy/notation/validate.ts';

const enc = (s: string) => new TextEncoder().encode(s);

function _notationMessage(json: string): string | undefined {
  const loaded = loadNotationDocument(enc(json));
  if (!loaded.ok) return loaded.message;
  return validateNotationDocument(loaded.document)?.message;
}

const _VALID_STATEMENT = {
  name: 'p',
  registryScopes: ['registry.example.com/app'],
  signatureVerification: { level: 'strict' },
  trustStores: ['signingAuthority:aws-signer-ts'],
  trustedIdentities: ['x509.subject: C=US, ST=WA, O=Acme'],
};
const _doc = (statements: unknown[], version: unknown = '1.0') =>
  JSON.stringify({ version, trustPolicies: statements });

describe('Go %q quoting', () => {
  test('matches strconv.Quote', () => {
    assert.equal(goQuote('tab\tname'), '"tab\\tname"');
    assert.equal(goQuote('a\\b"c'), '"a\\\\b\\"c"');
    assert.equal(goQuote('\x00\x07\x1b\x7f'), '"\\x00\\a\\x1b\\x7f"');
    assert.equal(goQuote('nä\u00a0'), '"nä\\u00a0"');
    assert.equal(goQuote('\u200b'), '"\\u200b"');
    assert.equal(goQuoteSlice(['a', 'b']), '["a" "b"]');
  });
});
