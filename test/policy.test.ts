/** Pure unit tests of the policy knowledge: base64, serde and Go emulation, DN parsing, user-data. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { parse as parseToml } from 'smol-toml';
import { checkStrictBase64, decodeBase64, encodeBase64 } from '../src/policy/base64.ts';
import { loadDigestionPolicy, notationWrapperCheck } from '../src/policy/bottlerocket.ts';
import { parseDistinguishedName } from '../src/policy/dn.ts';
import { goQuote, goQuoteSlice } from '../src/policy/goquote.ts';
import { LineMap, minifyJson, parseJson, prettyJson } from '../src/policy/json.ts';
import { detectVerifier, lintPolicy } from '../src/policy/lint.ts';
import { isValidVerifierName } from '../src/policy/names.ts';
import { loadNotationDocument, MALFORMED, validateNotationDocument } from '../src/policy/notation.ts';
import { ryuFormat, serdeFromStr } from '../src/policy/serde.ts';
import {
  parseSettingsFile,
  renderApiclient,
  renderSettingsJson,
  renderToml,
  shellQuote,
} from '../src/policy/userdata.ts';
import { variantModel } from '../src/policy/variants.ts';

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

describe('strict base64', () => {
  test('accepts padded standard base64', () => {
    assert.equal(checkStrictBase64('eyJhIjoxfQ=='), undefined);
    assert.equal(checkStrictBase64('YWJj'), undefined);
  });
  test('rejects what the API rejects, naming the first offending offset', () => {
    assert.match(checkStrictBase64('')!.message, /empty/);
    assert.equal(checkStrictBase64('eyJh!!IjoxfQ==')!.offset, 4);
    assert.match(checkStrictBase64('eyJh-_Ij')!.message, /URL-safe/);
    assert.match(checkStrictBase64('eyJhIjoxfQ')!.message, /multiple of 4.*padding/);
    assert.match(checkStrictBase64('eyJh IjoxfQ==')!.message, /offset 4.*whitespace/);
    assert.equal(checkStrictBase64('eyJhIjoxfQ==\n')!.offset, 12);
    assert.match(checkStrictBase64('QR==')!.message, /non-canonical last symbol 'R' at offset 1/);
    assert.match(checkStrictBase64('Q=Q=')!.message, /followed by more data/);
  });
  test('round-trips arbitrary bytes', () => {
    const bytes = new Uint8Array(256).map((_, i) => i);
    assert.deepEqual(decodeBase64(encodeBase64(bytes)), bytes);
  });
});

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

describe('JSON tools', () => {
  test('line and column in characters', () => {
    const bytes = enc('{\n  "nä": "x"\n}');
    assert.deepEqual(new LineMap(bytes).position(bytes.indexOf(0x78)), { line: 2, column: 10 });
  });
  test('minify keeps strings, duplicates and number spellings', () => {
    const src = '{ "a" : "x y\\" z",\n "a": 1.0e2 , "b" : [ 1 , 2 ] }';
    assert.equal(new TextDecoder().decode(minifyJson(enc(src))), '{"a":"x y\\" z","a":1.0e2,"b":[1,2]}');
  });
  test('pretty printing keeps number spellings', () => {
    const parsed = parseJson(enc('{"n":1.0,"a":[]}'), { maxDepth: 10, allowTrailing: false });
    assert.ok(parsed.ok);
    assert.equal(prettyJson(parsed.node), '{\n  "n": 1.0,\n  "a": []\n}');
  });
  test('100 000 levels of nesting do not overflow the stack', () => {
    const deep = enc('['.repeat(100_000) + ']'.repeat(100_000));
    assert.equal(parseJson(deep, { maxDepth: 10_000, allowTrailing: false }).ok, false);
    const r = lintPolicy({ bytes: deep, verifier: 'notation' });
    assert.equal(r.effect, 'rejects-all');
  });
});

describe('names, detection and variants', () => {
  test('Identifier rule', () => {
    assert.ok(isValidVerifierName('my-verifier-2'));
    assert.ok(isValidVerifierName('a'.repeat(76)));
    for (const bad of ['', 'a'.repeat(77), 'my_verifier', 'a.b', 'a/b', 'enabled', 'nä'])
      assert.equal(isValidVerifierName(bad), false, bad);
  });
  test('verifier from content', () => {
    assert.equal(detectVerifier(enc('{"keys": {"trustedDigests": []}}')), 'custom');
    assert.equal(detectVerifier(enc('{"trustedDigests": [], "trustPolicies": []}')), 'notation');
    assert.equal(detectVerifier(enc('{"trustPolicies":[]}')), 'notation');
    assert.equal(detectVerifier(enc('{"trustedDigests":[]}')), 'digestion');
    assert.equal(detectVerifier(enc('{"keys":[]}')), 'custom');
    assert.equal(detectVerifier(enc('not json')), 'custom');
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

describe('user-data', () => {
  const plugins = new Map([
    ['notation', 'eyJ2ZXJzaW9uIjoiMS4wIn0='],
    ['my-verifier', 'e30='],
  ]);
  test('TOML output parses back to the same values', () => {
    const toml = renderToml({ plugins, enabled: true });
    assert.deepEqual(JSON.parse(JSON.stringify(parseToml(toml))), {
      settings: {
        'image-verifier-plugins': {
          enabled: true,
          notation: { trustpolicy: 'eyJ2ZXJzaW9uIjoiMS4wIn0=' },
          'my-verifier': { trustpolicy: 'e30=' },
        },
      },
    });
    assert.match(toml, /^\[settings\.image-verifier-plugins\.notation\]$/m);
  });
  test('JSON and apiclient output', () => {
    const json = renderSettingsJson({ plugins });
    assert.deepEqual(JSON.parse(json), {
      settings: {
        'image-verifier-plugins': {
          notation: { trustpolicy: 'eyJ2ZXJzaW9uIjoiMS4wIn0=' },
          'my-verifier': { trustpolicy: 'e30=' },
        },
      },
    });
    assert.equal(
      renderApiclient({ plugins: new Map([['x', 'e30=']]) }),
      `apiclient set --json '{"settings":{"image-verifier-plugins":{"x":{"trustpolicy":"e30="}}}}'`,
    );
  });
  test('shell quoting survives any content in a POSIX shell', () => {
    for (const s of [`it's`, `"$HOME" \`id\` $(id) \\ ; | & > <`, `'''`, 'line\nbreak', '']) {
      const r = spawnSync('/bin/sh', ['-c', `printf %s ${shellQuote(s)}`], { encoding: 'utf8' });
      assert.equal(r.stdout, s);
    }
  });
  test("the file's own mistakes", () => {
    const file = parseSettingsFile(
      enc(`[settings.image-verifier-plugins]
notation-trustpolicy = "e30="
[settings.image-verifier-plugins.bad_name]
trustpolicy = "e30="
[settings.image-verifier-plugins.digestion]
trustpolicy = "e30"
[settings.image-verifier-plugins.custom]
trust-policy = "e30="
extra = 1
`),
    );
    const rules = file.diagnostics.map((d) => `${d.rule}:${d.plugin ?? ''}`);
    assert.deepEqual(rules.sort(), [
      'userdata/base64:digestion',
      'userdata/flat-key:notation-trustpolicy',
      'userdata/not-enabled:',
      'userdata/plugin-name:bad_name',
      'userdata/unknown-field:custom',
    ]);
    assert.match(
      file.diagnostics.find((d) => d.rule === 'userdata/flat-key')!.message,
      /\[settings\.image-verifier-plugins\.notation\]/,
    );
  });
});

describe('verifier detection without a parse', () => {
  test('a BOM or a syntax error still shows which verifier it is for', () => {
    assert.equal(detectVerifier(enc('\ufeff{"version":"1.0","trustPolicies":[]}')), 'notation');
    assert.equal(detectVerifier(enc('{"trustedDigests": ["sha256:a",]}')), 'digestion');
  });
});
