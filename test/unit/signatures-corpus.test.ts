/**
 * Every notation-verify corpus case: what the real notation v1.3.2 printed (stdout, stderr, exit),
 * the line Bottlerocket's wrapper gives containerd, and each signature's steps — byte for byte.
 *
 * `fixtures/corpus/notation-verify` was written for this project (OCI layouts, trust stores,
 * policies; README.md there says how). The cases were verified against a registry serving each
 * layout, with CRLs served at `http://localhost:5000/crl/…` and a fake AWS Signer endpoint: the
 * fetcher below answers from the case's files the same way, and refuses everything else (the
 * corpus's unreachable URLs were refused connections too). Git keeps no empty directories, so the
 * two empty trust stores of the corpus are listed in EMPTY-DIRS and added to the snapshot here.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { AWS_SIGNER_PLUGIN } from '../../src/verifiers/signatures/awssigner.ts';
import {
  type AwsRevocationAnswer,
  type AwsRevocationRequest,
  corpusSignatures,
  type VerifyImageInput,
  type VerifyImageResult,
  verifyImage,
} from '../../src/verifiers/signatures/index.ts';
import { readOciLayout, readTrustStore } from '../../src/verifiers/signatures/layout.ts';
import { CORPUS } from '../helpers.ts';

const DIR = join(CORPUS, 'notation-verify');
/** Inside every case's window of validity (2025-04-07 … 2035-03-31, see the corpus README). */
const NOW = new Date('2026-12-06T12:00:00Z');

const unescapeTsv = (s: string) =>
  s.replace(/\\(.)/g, (_, c: string) => ({ '\\': '\\', t: '\t', n: '\n', r: '\r' })[c] ?? c);

interface Row {
  case_id: string;
  family: string;
  image_ref: string;
  notation_exit: string;
  notation_stdout: string;
  notation_stderr: string;
  verifier_stdout: string;
  signatures: string;
}

function rows(): Row[] {
  const lines = readFileSync(join(DIR, 'EXPECTED.tsv'), 'utf8').trimEnd().split('\n');
  const header = lines[0]!.split('\t');
  return lines
    .slice(1)
    .map(
      (line) =>
        Object.fromEntries(line.split('\t').map((v, i) => [header[i], unescapeTsv(v)])) as unknown as Row,
    );
}

const EMPTY_DIRS = readFileSync(join(DIR, 'EMPTY-DIRS'), 'utf8').trim().split('\n');

interface CaseMeta {
  family: string;
  plugin_installed?: boolean;
  aws_revocation?: {
    answer: string;
    http_status?: number;
    request_id?: string;
    error_type?: string;
    message?: string;
    expected_request?: {
      certificate_hashes: string[];
      job_arn: string;
      platform_id: string;
      profile_version_arn: string;
      signature_timestamp: string;
    };
  };
  needs_aws?: boolean;
}

function input(row: Row, mode: 'online' | 'offline', awsCalls: AwsRevocationRequest[]): VerifyImageInput {
  const dir = join(DIR, 'cases', row.case_id);
  const meta = JSON.parse(readFileSync(join(dir, 'case.json'), 'utf8')) as CaseMeta;
  const at = row.image_ref.lastIndexOf('@');
  const [name, digest] = [row.image_ref.slice(0, at), row.image_ref.slice(at + 1)];
  const layout = readOciLayout(join(dir, 'layout'), digest);
  const trustStore = readTrustStore(join(dir, 'truststore'));
  for (const empty of EMPTY_DIRS) {
    const m = /^cases\/([^/]+)\/truststore\/x509\/([^/]+)\/([^/]+)$/.exec(empty);
    if (m?.[1] === row.case_id) trustStore.stores.set(`${m[2]}/${m[3]}`, { kind: 'directory', entries: [] });
  }
  const aws = meta.aws_revocation;
  const awsSigner = async (req: AwsRevocationRequest): Promise<AwsRevocationAnswer> => {
    awsCalls.push(req);
    switch (aws?.answer) {
      case 'not-revoked':
        return { revokedEntities: [] };
      case 'revoked-profile':
        return { revokedEntities: [req.profileVersionArn] };
      case 'revoked-job':
        return { revokedEntities: [req.jobArn] };
      case 'revoked-certificate':
        return { revokedEntities: [req.certificateHashes.find((h) => !h.startsWith('arn'))!] };
      case 'api-error':
        return {
          error: `operation error signer: GetRevocationStatus, https response error StatusCode: ${aws.http_status}, RequestID: ${aws.request_id}, ${aws.error_type}: ${aws.message}`,
        };
    }
    return { error: 'the fake endpoint did not expect a call' };
  };
  const installed = meta.family === 'awssigner' && meta.plugin_installed !== false;
  return {
    name,
    digest,
    policy: new Uint8Array(readFileSync(join(dir, 'trustpolicy.json'))),
    descriptor: layout.descriptor,
    referrers: layout.referrers,
    fetch: layout.fetch,
    trustStore,
    now: NOW,
    revocation:
      mode === 'offline'
        ? { mode: 'offline' }
        : {
            mode: 'online',
            fetcher: {
              async crl(url) {
                const m = /^http:\/\/localhost:5000\/crl\/([a-z]+\.crl)$/.exec(url);
                const file = m ? join(dir, 'crl', m[1]!) : '';
                if (file && existsSync(file)) return new Uint8Array(readFileSync(file));
                return { error: 'connect: connection refused' };
              },
              async ocsp() {
                return { error: 'connect: connection refused' };
              },
            },
            awsSigner,
          },
    plugins: {
      dir: meta.plugin_installed === false ? '/usr/libexec/notation-plugins' : '/var/empty/notation-plugins',
      installed: new Map(installed ? [[AWS_SIGNER_PLUGIN, { version: '1.0.350' }]] : []),
    },
  };
}

function assertMatches(result: VerifyImageResult, row: Row): void {
  assert.equal(String(result.notationExit), row.notation_exit, 'exit status');
  assert.equal(result.notationStdout, row.notation_stdout, 'stdout');
  assert.equal(result.notationStderr, row.notation_stderr, 'stderr');
  assert.equal(result.reason, row.verifier_stdout, 'verifier stdout');
  assert.equal(corpusSignatures(result), row.signatures, 'signatures');
}

const all = rows();

describe('notation-verify corpus: byte for byte with notation v1.3.2', () => {
  test('has all 233 cases', () => assert.equal(all.length, 233));
  for (const row of all) {
    test(row.case_id, async () => {
      const calls: AwsRevocationRequest[] = [];
      const result = await verifyImage(input(row, 'online', calls));
      assertMatches(result, row);
      const meta = JSON.parse(readFileSync(join(DIR, 'cases', row.case_id, 'case.json'), 'utf8')) as CaseMeta;
      const expected = meta.aws_revocation?.expected_request;
      for (const call of calls) {
        // What the plugin would send GetRevocationStatus, as the fake endpoint recorded it.
        assert.ok(expected, 'no call was expected');
        assert.deepEqual(call.certificateHashes, [...expected.certificate_hashes].sort());
        assert.equal(call.profileVersionArn, expected.profile_version_arn);
        assert.equal(call.jobArn, expected.job_arn);
        assert.equal(call.platformId, expected.platform_id);
        assert.equal(call.signatureTimestamp, expected.signature_timestamp);
      }
      if (meta.needs_aws) assert.ok(calls.length > 0, 'the answer of AWS Signer decided this case');
    });
  }
});

describe('notation-verify corpus offline: what needs the network is not guessed', () => {
  for (const row of all) {
    test(row.case_id, async () => {
      const online = await verifyImage(input(row, 'online', []));
      const offline = await verifyImage(input(row, 'offline', []));
      const needed = offline.signatures.flatMap((s) => s.notChecked ?? []);
      if (offline.outcome === 'undecided') {
        // Offline, the node's answer is not claimed: what was not checked is named.
        assert.ok(needed.length > 0);
        assert.notEqual(online.outcome, 'undecided');
        return;
      }
      // Otherwise offline decides exactly what notation decided.
      assert.equal(offline.outcome, online.outcome);
      if (needed.length === 0) assertMatches(offline, row);
    });
  }

  test('a CRL or OCSP URL in the chain leaves strict revocation undecided, with the URL named', async () => {
    const row = all.find((r) => r.case_id === 'dev-revocation-003-crl-revoked')!;
    const offline = await verifyImage(input(row, 'offline', []));
    assert.equal(offline.outcome, 'undecided');
    const step = offline.signatures[0]!.steps.find((s) => s.type === 'revocation')!;
    assert.match(step.notChecked!, /http:\/\/localhost:5000\/crl\/leaf\.crl/);
    assert.equal(step.error, undefined);
  });

  test("AWS Signer's revocation call is reported as not made", async () => {
    const row = all.find((r) => r.case_id === 'dev-awssigner-027-revocation-revoked-profile')!;
    const offline = await verifyImage(input(row, 'offline', []));
    assert.equal(offline.outcome, 'undecided');
    assert.deepEqual(offline.notChecked, [
      "AWS Signer's revocation check (GetRevocationStatus) was not called",
    ]);
    assert.match(
      offline.signatures[0]!.awsRevocationRequest!.profileVersionArn,
      /signing-profiles\/notation_test\//,
    );
  });

  test('revocation: skip needs no network, and a logged revocation still lets the image through', async () => {
    const skip = all.find((r) => r.case_id === 'dev-revocation-005-crl-revoked-skip')!;
    assertMatches(await verifyImage(input(skip, 'offline', [])), skip);
    const log = all.find((r) => r.case_id === 'dev-revocation-004-crl-revoked-log')!;
    const offline = await verifyImage(input(log, 'offline', []));
    assert.equal(offline.outcome, 'verified');
    assert.equal(offline.exitCode, 0);
    assert.ok(offline.signatures[0]!.notChecked!.length > 0);
  });
});
