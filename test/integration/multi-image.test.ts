/**
 * Several images, one of which fails: check decides every image it can and reports the failures
 * beside the decisions; resolve --format json does the same; resolve's text output stays all or
 * nothing. Against a real registry on loopback (the rig); skipped where its packages are missing.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ROOT, run } from '../helpers.ts';
import { type Rig, rigUnavailable, startRig } from '../registry-rig.ts';

const unavailable = rigUnavailable();
if (unavailable && process.env['CIVCTL_REQUIRE_REGISTRY'] === '1')
  throw new Error(`CIVCTL_REQUIRE_REGISTRY=1 but ${unavailable}`);

const DIGESTION = join(ROOT, 'examples', 'digestion-redis.json');

describe('one failing image does not hide the others', { skip: unavailable }, () => {
  let rig: Rig;
  let good: string;
  let missingTag: string;
  let missingRepo: string;
  before(async () => {
    rig = await startRig();
    good = `${rig.open}/demo/multi:v1`;
    missingTag = `${rig.open}/demo/multi:v9`;
    missingRepo = `${rig.open}/nothere/app:v1`;
  });
  after(() => rig?.stop());

  test('check --format json: one entry per image, in argument order, error on the failed ones; exit 1', async () => {
    const r = await run(
      ['check', '--format', 'json', '--policy', `digestion=${DIGESTION}`, missingTag, good, missingRepo],
      { lookup: rig.lookup },
    );
    assert.equal(r.code, 1, r.stderr);
    const results = JSON.parse(r.stdout).results as Record<string, unknown>[];
    assert.deepEqual(
      results.map((e) => e['image']),
      [missingTag, good, missingRepo],
    );
    assert.equal(results[1]!['decision'], 'blocked');
    assert.equal(results[1]!['digest'], rig.images.multi.digest);
    assert.deepEqual(results[0], {
      image: missingTag,
      name: missingTag,
      error: `unknown tag: ${rig.open}/demo/multi has no tag v9`,
    });
    assert.equal(results[2]!['decision'], undefined);
    assert.match(String(results[2]!['error']), /unknown repository/);
    // The failures are on stderr too, for a CI log that keeps stdout in a file.
    assert.match(r.stderr, new RegExp(`civctl: ${missingTag}: unknown tag`));
    assert.match(r.stderr, new RegExp(`civctl: ${missingRepo}: unknown repository`));
  });

  test('check text: the decisions on stdout, the failures on stderr; exit 1 even when the rest is allowed', async () => {
    const allowAll = JSON.stringify({ version: '1.0', trustedDigests: [rig.images.multi.digest] });
    const r = await run(['check', '--policy', 'digestion=-', good, missingTag], {
      lookup: rig.lookup,
      stdin: allowAll,
    });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, new RegExp(`^ALLOWED ${good}@${rig.images.multi.digest} `));
    assert.doesNotMatch(r.stdout, /v9/);
    assert.deepEqual(r.stderr.split('\n').filter(Boolean), [
      `civctl: note: ${good}@${rig.images.multi.digest} is allowed because digestion-image-verifier lists the digest; notation-image-verifier has no trust policy or an empty one, so it allows every image`,
      `civctl: ${missingTag}: unknown tag: ${rig.open}/demo/multi has no tag v9`,
    ]);
  });

  test('check: every image failing still prints one JSON entry for each', async () => {
    const r = await run(['check', '--format', 'json', '--policy', `digestion=${DIGESTION}`, missingTag], {
      lookup: rig.lookup,
    });
    assert.equal(r.code, 1);
    assert.equal(JSON.parse(r.stdout).results.length, 1);
  });

  test('resolve --format json: one entry per image, error on the failed ones; exit 1', async () => {
    const r = await run(['resolve', '--format', 'json', good, missingRepo], { lookup: rig.lookup });
    assert.equal(r.code, 1, r.stderr);
    const entries = JSON.parse(r.stdout) as Record<string, unknown>[];
    assert.deepEqual(entries[0], {
      image: good,
      name: good,
      digest: rig.images.multi.digest,
      mediaType: rig.images.multi.mediaType,
      size: rig.images.multi.size,
    });
    assert.equal(entries[1]!['image'], missingRepo);
    assert.equal(entries[1]!['digest'], undefined);
    assert.match(String(entries[1]!['error']), /unknown repository: nothere\/app does not exist/);
    assert.match(r.stderr, new RegExp(`civctl: ${missingRepo}: unknown repository`));
  });

  test('resolve text stays all or nothing: no digest lines when any image fails', async () => {
    const r = await run(['resolve', good, missingRepo], { lookup: rig.lookup });
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /unknown repository/);
  });
});

describe('check --signatures: a registry failing one image’s signature lookup fails that image only', () => {
  const MANIFEST = Buffer.from(
    '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json"}',
  );
  const DIGEST = `sha256:${createHash('sha256').update(MANIFEST).digest('hex')}`;

  test('the other image is decided; the failed one has error in JSON; exit 1', async () => {
    // A loopback registry: every tag is MANIFEST; referrers answer 404 (no signatures) except for
    // the repository "broken", whose referrers answer 400.
    const server = createServer((req, res) => {
      const url = req.url ?? '/';
      if (/^\/v2\/[a-z/]+\/manifests\/v1$/.test(url)) {
        res.writeHead(200, {
          'content-type': 'application/vnd.oci.image.manifest.v1+json',
          'docker-content-digest': DIGEST,
          'content-length': String(MANIFEST.length),
        });
        res.end(req.method === 'HEAD' ? undefined : MANIFEST);
        return;
      }
      res.writeHead(url.startsWith('/v2/broken/') ? 400 : 404, { 'content-type': 'application/json' });
      res.end('{"errors":[{"code":"UNSUPPORTED"}]}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    const policy = JSON.stringify({
      version: '1.0',
      trustPolicies: [
        {
          name: 'all',
          registryScopes: ['*'],
          signatureVerification: { level: 'strict' },
          trustStores: ['ca:x'],
          trustedIdentities: ['*'],
        },
      ],
    });
    try {
      const r = await run(
        [
          'check',
          '--signatures',
          '--format',
          'json',
          '--policy',
          'notation=-',
          `${host}/broken/app:v1`,
          `${host}/fine/app:v1`,
        ],
        { stdin: policy },
      );
      assert.equal(r.code, 1, r.stderr);
      const [broken, fine] = JSON.parse(r.stdout).results;
      assert.equal(broken.decision, undefined);
      assert.match(broken.error, /referrers of broken\/app@sha256:[0-9a-f]{64}: response status code 400/);
      assert.equal(fine.decision, 'blocked');
      assert.match(fine.error, /no signature is associated with/);
      assert.match(r.stderr, new RegExp(`civctl: ${host}/broken/app:v1: .*status code 400`));
    } finally {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
