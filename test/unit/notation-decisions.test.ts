/**
 * The notation decision model against the development set computed with the real notation 1.3.2,
 * notation-go, oras-go and the Bottlerocket wrapper (test/fixtures/corpus/notation-scope, 267 cases):
 * outcome, governing statement, level, every check's action, both references and every printed text.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { decideNotation, matchesTrustedIdentity, orasParseReference } from '../../src/verifiers/notation.ts';
import { CORPUS } from '../helpers.ts';

const dir = join(CORPUS, 'notation-scope');
const unescapeCell = (cell: string) =>
  cell.replace(/\\(\\|t|n|r)/g, (_, c: string) => ({ '\\': '\\', t: '\t', n: '\n', r: '\r' })[c]!);

const lines = readFileSync(join(dir, 'EXPECTED.tsv'), 'utf8')
  .split('\n')
  .filter((l) => l !== '');
const header = lines[0]!.split('\t');
const rows = lines
  .slice(1)
  .map((line) => Object.fromEntries(line.split('\t').map((cell, i) => [header[i]!, unescapeCell(cell)])));

describe(`notation decisions (${rows.length} cases computed with the real code)`, () => {
  test('the set is all there', () => assert.equal(rows.length, 267));
  for (const row of rows) {
    test(`${row['case_id']}: ${row['outcome']}`, () => {
      const policy = readFileSync(join(dir, row['policy_file']!));
      const d = decideNotation(policy, row['image_name']!, row['digest']!);
      const outcome = d.outcome;
      assert.equal(outcome, row['outcome']);
      assert.equal(d.reference, row['reference']);
      assert.equal(d.statement ?? '', row['statement']);
      assert.equal(d.level ?? '', row['level']);
      for (const check of [
        'integrity',
        'authenticity',
        'authenticTimestamp',
        'expiry',
        'revocation',
      ] as const)
        assert.equal(d.actions?.[check] ?? '', row[check], check);
      if (row['artifact_reference']) assert.equal(d.artifactReference, row['artifact_reference']);
      assert.equal(d.notationExit, Number(row['notation_exit']));
      assert.equal(d.notationStdout ?? '', row['notation_stdout']);
      assert.equal(d.notationStderr ?? '', row['notation_stderr']);
      assert.equal(d.stdout, row['verifier_stdout']);
    });
  }
});

test('trusted identities match a signing subject as notation compares them', () => {
  const subject = new Map([
    ['C', 'US'],
    ['ST', 'WA'],
    ['O', 'civctl test'],
    ['CN', 'civctl signer'],
  ]);
  assert.equal(matchesTrustedIdentity(['*'], subject), true);
  assert.equal(matchesTrustedIdentity(['x509.subject: C=US, ST=WA, O=civctl test'], subject), true);
  assert.equal(
    matchesTrustedIdentity(['x509.subject: C=US, S=WA, O=civctl test, CN=civctl signer'], subject),
    true,
  );
  // Values compare exactly: case matters, and every attribute of the identity must be present.
  assert.equal(matchesTrustedIdentity(['x509.subject: C=US, ST=WA, O=Civctl Test'], subject), false);
  assert.equal(
    matchesTrustedIdentity(['x509.subject: C=US, ST=WA, O=civctl test, L=Seattle'], subject),
    false,
  );
  // Other identity kinds (AWS Signer ARNs) and unparsable DNs match nothing here.
  assert.equal(matchesTrustedIdentity(['arn:aws:signer:us-west-2:1:/signing-profiles/p'], subject), false);
  assert.equal(matchesTrustedIdentity(['x509.subject: not a dn'], subject), false);
});

describe('oras-go’s registry check follows Go’s URL host rule (url.ParseRequestURI, Go 1.23)', () => {
  const digest = `sha256:${'a'.repeat(64)}`;
  const skipAll = Buffer.from(
    JSON.stringify({
      version: '1.0',
      trustPolicies: [
        {
          name: 'all',
          registryScopes: ['*'],
          signatureVerification: { level: 'skip' },
          trustStores: [],
          trustedIdentities: [],
        },
      ],
    }),
  );
  const scopeError = (path: string) =>
    `Error: signature verification failed: registry scope "${path}" is not valid, make sure it is a fully qualified repository without the scheme, protocol or tag. For example domain.com/my/repository or a local scope like local/myOCILayout\n`;

  test('several colons: the last is the port, the rest is host; notation’s scope check then decides', () => {
    assert.deepEqual(orasParseReference(`registry.example.com:5000:6000/app@${digest}`), {
      registry: 'registry.example.com:5000:6000',
      repository: 'app',
      reference: digest,
    });
    for (const [name, path] of [
      ['registry.example.com:5000:6000/app', 'registry.example.com:5000:6000/app'],
      ['registry.example.com:5000:6000/app:v1', 'registry.example.com:5000:6000/app'],
      ['host:abc:5000/team/app', 'host:abc:5000/team/app'],
      ['host:/app', 'host:/app'],
    ]) {
      const d = decideNotation(skipAll, name!, digest);
      assert.equal(d.outcome, 'artifact-path-error', name);
      assert.equal(d.artifactReference, `${path}@${digest}`);
      assert.equal(d.notationStderr, scopeError(path!));
    }
  });

  test('what Go’s host parser refuses stays a reference error', () => {
    for (const registry of [
      'host:5000:abc',
      'host:50 00',
      'user@host',
      'ho st',
      'host\\x',
      '[::1',
      '[::1]x',
      'h%41st',
    ]) {
      const parsed = orasParseReference(`${registry}/app@${digest}`);
      assert.ok('error' in parsed, registry);
      // Registries with `@` split elsewhere (the repository); the rest name the registry.
      if (!registry.includes('@'))
        assert.equal(parsed.error, `invalid reference: invalid registry ${JSON.stringify(registry)}`);
    }
  });

  test('bracketed hosts: anything Go’s host mode allows inside, an optional port after the last ]', () => {
    for (const registry of ['[::1]:5000', '[fe80::1]', '[::1]:', 'registry.example.com:', 'my_reg.example']) {
      const parsed = orasParseReference(`${registry}/app@${digest}`);
      assert.ok(!('error' in parsed), `${registry}: ${JSON.stringify(parsed)}`);
    }
  });
});
