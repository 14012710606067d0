/**
 * What lint reports of hostile input: positions in the original file, escapes made visible, sizes
 * over the API and user-data limits, a missing file in place, invalid user-data TOML, name hints.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { ROOT, run, scratch } from '../helpers.ts';

const BAD_NOTATION = join(ROOT, 'examples', 'bad-notation-scope.json');

describe('lint findings', () => {
  test('with --minify, positions still name the place in the original file', async () => {
    // review m-7
    const r = await run(['encode', 'notation', BAD_NOTATION, '--minify']);
    assert.match(r.stderr, /bad-notation-scope\.json:6:26: error/);
  });
  test('escapes in file names and verifier names are made visible', async () => {
    // review m-8
    const dir = scratch();
    try {
      const file = dir.file('e\u001b]0;T\u0007.json', '{"version":"1.0","trustedDigests":[]}');
      const gh = await run(['lint', '-f', 'github', file]);
      assert.doesNotMatch(gh.stdout, /\u001b/);
      const missing = await run(['encode', 'digestion', join(dir.path, 'm\u001b[31m.json')]);
      assert.doesNotMatch(missing.stderr, /\u001b/);
      const badName = await run(['encode', 'b\u001b[31m', file]);
      assert.equal(badName.code, 2);
      assert.doesNotMatch(badName.stderr, /\u001b/);
    } finally {
      dir.cleanup();
    }
  });
  test('lint reports a policy too large for the API', async () => {
    // review m-10
    const dir = scratch();
    try {
      const digests = Array.from(
        { length: 40_000 },
        (_, i) => `"sha256:${i.toString(16).padStart(64, '0')}"`,
      );
      const file = dir.file('d40k.json', `{"version":"1.0","trustedDigests":[${digests.join(',')}]}`);
      const r = await run(['lint', file]);
      assert.equal(r.code, 1);
      assert.match(r.stdout, /over the API's 2097152-byte \(2 MiB\) limit \[api\/too-large\]/);
    } finally {
      dir.cleanup();
    }
  });
  test('one missing file among several is reported in place', async () => {
    // review m-19
    const r = await run(['lint', '-f', 'sarif', BAD_NOTATION, '/nonexistent/missing.json']);
    assert.equal(r.code, 1);
    const sarif = JSON.parse(r.stdout);
    assert.equal(sarif.runs[0].results.length >= 2, true);
    assert.match(r.stdout, /does not exist/);
  });
  test('invalid user-data TOML is placed at the TOML error and called user-data', async () => {
    // review m-24
    const dir = scratch();
    try {
      const file = dir.file(
        'ud.toml',
        '[settings.image-verifier-plugins]\nenabled = true\n\n[settings.image-verifier-plugins.digestion]\ntrustpolicy = "e30="\n\n[settings.image-verifier-plugins]\nenabled = true\n',
      );
      const r = await run(['lint', file]);
      assert.equal(r.code, 1);
      assert.match(r.stdout, /ud\.toml:7:\d+: error: not a valid user-data file/);
      assert.match(r.stdout, /ud\.toml: user-data, invalid/);
    } finally {
      dir.cleanup();
    }
  });
  test('user-data over 16 KiB is flagged', async () => {
    // review m-25
    const dir = scratch();
    try {
      const digests = Array.from({ length: 300 }, (_, i) => `sha256:${i.toString(16).padStart(64, '0')}`);
      const policy = dir.file('d300.json', JSON.stringify({ version: '1.0', trustedDigests: digests }));
      const toml = await run(['encode', 'digestion', policy, '--format', 'toml', '--enable']);
      const file = dir.file('u.toml', toml.stdout);
      const r = await run(['lint', '--strict', file]);
      assert.equal(r.code, 1);
      assert.match(r.stdout, /\[userdata\/too-large\]/);
    } finally {
      dir.cleanup();
    }
  });
  test('a built-in name in the wrong case gets a hint', async () => {
    // review m-30
    const r = await run(['encode', 'Notation', join(ROOT, 'examples', 'notation-aws-signer.json')]);
    assert.equal(r.code, 0);
    assert.match(r.stderr, /did you mean notation\?/);
  });
});

describe('lint: trust stores the node never opens', () => {
  test('a tsa store beside signingAuthority stores alone is not reported (notation reads tsa only for ca signatures)', async () => {
    const dir = scratch();
    try {
      const statement = (stores: string[]) =>
        JSON.stringify({
          version: '1.0',
          trustPolicies: [
            {
              name: 'p',
              registryScopes: ['*'],
              signatureVerification: { level: 'strict' },
              trustStores: stores,
              trustedIdentities: ['x509.subject: C=US, ST=WA, O=Acme, CN=signer'],
            },
          ],
        });
      const storeRules = async (stores: string[]) => {
        const r = await run([
          'lint',
          '-f',
          'json',
          dir.file(`${stores.length}-${stores[0]}.json`, statement(stores)),
        ]);
        const { results } = JSON.parse(r.stdout) as {
          results: { diagnostics: { rule: string; message: string }[] }[];
        };
        return results
          .flatMap((e) => e.diagnostics)
          .filter((d) => d.rule === 'notation/unshipped-trust-store')
          .map((d) => /trust store "([^"]+)"/.exec(d.message)?.[1]);
      };
      assert.deepEqual(await storeRules(['signingAuthority:aws-signer-ts', 'tsa:my-tsa']), []);
      assert.deepEqual(await storeRules(['ca:corp', 'tsa:my-tsa']), ['ca:corp', 'tsa:my-tsa']);
    } finally {
      dir.cleanup();
    }
  });
});
