/**
 * The notation decision model against the development set computed with the real notation 1.3.2,
 * notation-go, oras-go and the Bottlerocket wrapper (test/fixtures/corpus/notation-scope, 267 cases):
 * outcome, governing statement, level, every check's action, both references and every printed text.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { decideNotation, matchesTrustedIdentity } from '../../src/verifiers/notation.ts';
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
