/**
 * check against a real registry on loopback (Debian's docker-registry, started by the rig): tags
 * resolved to the digest containerd presents, and --signatures finding notation signatures through
 * the referrers tag schema (distribution 2.8 has no referrers API), as notation does.
 * Skipped where the packages are missing; CI sets CIVCTL_REQUIRE_REGISTRY=1.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ROOT, run, scratch } from '../helpers.ts';
import { type Rig, rigUnavailable, startRig } from '../registry-rig.ts';
import { join } from 'node:path';

const unavailable = rigUnavailable();
if (unavailable && process.env['CIVCTL_REQUIRE_REGISTRY'] === '1')
  throw new Error(`CIVCTL_REQUIRE_REGISTRY=1 but ${unavailable}`);

const DIGESTION = join(ROOT, 'examples', 'digestion-redis.json');

function strictPolicy(identities: string[]): string {
  return JSON.stringify({
    version: '1.0',
    trustPolicies: [
      {
        name: 'rig',
        registryScopes: ['*'],
        signatureVerification: { level: 'strict' },
        trustStores: ['ca:rig'],
        trustedIdentities: identities,
      },
    ],
  });
}

describe('check against a loopback registry', { skip: unavailable }, () => {
  let rig: Rig;
  const dir = scratch();
  before(async () => {
    rig = await startRig();
  });
  after(async () => {
    await rig?.stop();
    dir.cleanup();
  });

  test('a tag is resolved to the index digest containerd presents, then decided', async () => {
    const r = await run(['check', '--policy', `digestion=${DIGESTION}`, `${rig.open}/demo/multi:v1`], {
      lookup: rig.lookup,
    });
    assert.equal(r.code, 1, r.stderr);
    const name = `${rig.open}/demo/multi:v1`;
    const digest = rig.images.multi.digest;
    assert.equal(
      r.stdout,
      `BLOCKED ${name}@${digest} image verifier bindir blocked pull of ${name} with digest ${digest} for reason: verifier digestion-image-verifier rejected image (exit code 1): image verification failed: digest not in allowlist\n`,
    );
  });

  test('--signatures: an unsigned image is blocked with notation’s exact text', async () => {
    const policy = dir.file('strict.json', strictPolicy(['*']));
    const r = await run(
      [
        'check',
        '--signatures',
        '--format',
        'json',
        '--policy',
        `notation=${policy}`,
        `${rig.open}/demo/multi:v1`,
      ],
      { lookup: rig.lookup },
    );
    assert.equal(r.code, 1, r.stderr);
    const result = JSON.parse(r.stdout).results[0];
    const artifact = `${rig.open}/demo/multi@${rig.images.multi.digest}`;
    assert.equal(result.decision, 'blocked');
    assert.equal(
      result.error,
      `image verifier bindir blocked pull of ${rig.open}/demo/multi:v1 with digest ${rig.images.multi.digest} for reason: verifier notation-image-verifier rejected image (exit code 1): image verification failed: Error: signature verification failed: no signature is associated with "${artifact}", make sure the artifact was signed successfully`,
    );
  });

  test('--signatures: a signed image lists its signature, certificate and identity match; still signature-required', async () => {
    const trusted = dir.file('trusted.json', strictPolicy(['x509.subject: C=US, ST=WA, O=civctl test']));
    const other = dir.file('other.json', strictPolicy(['x509.subject: C=US, ST=WA, O=someone else']));
    const image = `${rig.open}/demo/signed:v1`;
    const a = await run(
      ['check', '--signatures', '--format', 'json', '--policy', `notation=${trusted}`, image],
      {
        lookup: rig.lookup,
      },
    );
    assert.equal(a.code, 0, a.stderr);
    const verifier = JSON.parse(a.stdout).results[0].verifiers.find(
      (v: { verifier: string }) => v.verifier === 'notation-image-verifier',
    );
    assert.equal(verifier.decision, 'signature-required');
    assert.equal(verifier.signatures.length, 1);
    assert.equal(verifier.signatures[0].envelope, 'jws');
    assert.equal(verifier.signatures[0].subject, rig.signerSubject);
    assert.equal(verifier.signatures[0].issuer, rig.signerSubject);
    assert.equal(verifier.signatures[0].trustedIdentity, true);

    const b = await run(['check', '--signatures', '--verbose', '--policy', `notation=${other}`, image], {
      lookup: rig.lookup,
    });
    assert.equal(b.code, 0, b.stderr);
    assert.match(
      b.stdout,
      /^SIGNATURE-REQUIRED .*1 signature found, 0 from a trusted identity \(not verified by civctl\)$/m,
    );
    assert.match(
      b.stdout,
      /jws signature sha256:[0-9a-f]{64}: subject CN=civctl signer, O=civctl test, ST=WA, C=US; .*matches no trusted identity/,
    );
  });

  test('without --signatures the registry is asked only for the digest: signature-required', async () => {
    const policy = dir.file('strict2.json', strictPolicy(['*']));
    const r = await run(['check', '--policy', `notation=${policy}`, `${rig.open}/demo/multi:v1`], {
      lookup: rig.lookup,
    });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^SIGNATURE-REQUIRED /);
  });
});
