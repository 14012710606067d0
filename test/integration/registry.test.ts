/**
 * resolve against a real registry (Debian's docker-registry) on loopback, started by this file:
 * every digest checked against what was pushed and against skopeo. Skipped, saying why, where the
 * packages are missing; CI sets CIVCTL_REQUIRE_REGISTRY=1, and then a missing rig is a failure.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { join } from 'node:path';
import { isOneCleanLine, ROOT, run, scratch } from '../helpers.ts';
import { type Rig, rigUnavailable, startRig } from '../registry-rig.ts';

const unavailable = rigUnavailable();
if (unavailable && process.env['CIVCTL_REQUIRE_REGISTRY'] === '1')
  throw new Error(`CIVCTL_REQUIRE_REGISTRY=1 but ${unavailable}`);
if (unavailable) process.stderr.write(`registry tests skipped: ${unavailable}\n`);
const skopeo = spawnSync('skopeo', ['--version']).status === 0;

describe('resolve against a loopback registry', { skip: unavailable }, () => {
  let rig: Rig;
  before(async () => {
    rig = await startRig();
  });
  after(() => rig?.stop());

  const resolveOne = async (image: string, extra: string[] = [], stdin?: string) => {
    const r = await run(['resolve', ...extra, image], {
      lookup: rig.lookup,
      ...(stdin !== undefined ? { stdin } : {}),
    });
    return r;
  };

  test('single-arch OCI manifest, OCI index and Docker manifest list: the top-level digest', async () => {
    const r = await run(
      [
        'resolve',
        `${rig.open}/demo/single:v1`,
        `${rig.open}/demo/multi:v1`,
        `${rig.open}/demo/multi-docker:v1`,
      ],
      { lookup: rig.lookup },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    assert.equal(
      r.stdout,
      [rig.images.single.digest, rig.images.multi.digest, rig.images.docker.digest].join('\n') + '\n',
    );
    // The list's amd64 manifest is what a client with the wrong Accept header would have got.
    assert.notEqual(rig.images.docker.digest, rig.images.docker.amd64);
  });

  test('skopeo agrees on every digest', { skip: skopeo ? false : 'skopeo is not installed' }, () => {
    for (const [repo, image] of [
      ['demo/single', rig.images.single],
      ['demo/multi', rig.images.multi],
      ['demo/multi-docker', rig.images.docker],
    ] as const) {
      const sk = spawnSync('skopeo', [
        'inspect',
        '--tls-verify=false',
        '--format',
        '{{.Digest}}',
        `docker://${rig.open}/${repo}:v1`,
      ]);
      assert.equal(sk.stdout.toString().trim(), image.digest, repo);
    }
  });

  test('docs/examples/registry, pushed with skopeo as docs/resolve.md says, gives the digests the docs show', {
    skip: skopeo ? false : 'skopeo is not installed',
  }, async () => {
    for (const [folder, image] of [
      ['single', rig.images.single],
      ['multi', rig.images.multi],
      ['multi-docker', rig.images.docker],
    ] as const) {
      const pushed = spawnSync('skopeo', [
        'copy',
        '--quiet',
        '--all',
        '--preserve-digests',
        '--dest-tls-verify=false',
        `dir:${join(ROOT, 'docs', 'examples', 'registry', folder)}`,
        `docker://${rig.open}/from-docs/${folder}:v1`,
      ]);
      assert.equal(pushed.status, 0, pushed.stderr.toString());
      const r = await resolveOne(`${rig.open}/from-docs/${folder}:v1`);
      assert.equal(r.stdout, `${image.digest}\n`, `${folder}: ${r.stderr}`);
    }
  });

  test('--format json: image as given, normalised name, digest, media type and size', async () => {
    const r = await resolveOne(`${rig.open}/demo/multi:v1`, ['--format', 'json']);
    assert.deepEqual(JSON.parse(r.stdout), [
      {
        image: `${rig.open}/demo/multi:v1`,
        name: `${rig.open}/demo/multi:v1`,
        digest: rig.images.multi.digest,
        mediaType: 'application/vnd.oci.image.index.v1+json',
        size: rig.images.multi.size,
      },
    ]);
  });

  test('a digest reference keeps its digest (the tag is dropped, as CRI does)', async () => {
    const r = await resolveOne(`${rig.open}/demo/multi:whatever@${rig.images.multi.digest}`, [
      '--format',
      'json',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const [out] = JSON.parse(r.stdout);
    assert.equal(out.name, `${rig.open}/demo/multi@${rig.images.multi.digest}`);
    assert.equal(out.digest, rig.images.multi.digest);
  });

  test('a registry without Docker-Content-Digest: GET and sha256 of the body', async () => {
    const r = await resolveOne(`${rig.nodigest}/demo/multi-docker:v1`);
    assert.equal(r.stdout, `${rig.images.docker.digest}\n`);
  });

  test('a registry that answers 405 to HEAD: GET instead', async () => {
    const r = await resolveOne(`${rig.nohead}/demo/multi:v1`);
    assert.equal(r.stdout, `${rig.images.multi.digest}\n`);
  });

  test('Basic auth: refused without credentials, resolved with them, wrong ones named', async () => {
    const anonymous = await resolveOne(`${rig.basic}/demo/multi:v1`);
    assert.equal(anonymous.code, 1);
    assert.equal(anonymous.stdout, '');
    assert.match(anonymous.stderr, /^civctl: 127\.0\.0\.1:\d+\/demo\/multi:v1: authentication required/);
    const good = await resolveOne(
      `${rig.basic}/demo/multi:v1`,
      ['--username', 'alice', '--password-stdin'],
      's3cret\n',
    );
    assert.equal(good.stdout, `${rig.images.multi.digest}\n`);
    const bad = await resolveOne(
      `${rig.basic}/demo/multi:v1`,
      ['--username', 'alice', '--password-stdin'],
      'nope\n',
    );
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /refused the credentials/);
    assert.doesNotMatch(bad.stderr, /nope/);
  });

  test('Bearer: anonymous for public repositories, a private one refused, then allowed with credentials', async () => {
    assert.equal((await resolveOne(`${rig.token}/demo/multi:v1`)).stdout, `${rig.images.multi.digest}\n`);
    const refused = await resolveOne(`${rig.token}/private/app:v1`);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /authentication required/);
    const allowed = await resolveOne(
      `${rig.token}/private/app:v1`,
      ['--username', 'alice', '--password-stdin'],
      's3cret',
    );
    assert.equal(allowed.stdout, `${rig.images.private.digest}\n`);
    const wrong = await resolveOne(
      `${rig.token}/private/app:v1`,
      ['--username', 'alice', '--password-stdin'],
      'x',
    );
    assert.match(wrong.stderr, /refused the credentials/);
  });

  test('credentials from the Docker config (auths), never from argv', async () => {
    const home = scratch();
    try {
      const auth = Buffer.from('alice:s3cret').toString('base64');
      home.file('config.json', JSON.stringify({ auths: { [rig.basic]: { auth } } }));
      const r = await run(['resolve', `${rig.basic}/demo/multi:v1`], {
        env: { DOCKER_CONFIG: home.path },
        lookup: rig.lookup,
      });
      assert.equal(r.stdout, `${rig.images.multi.digest}\n`, r.stderr);
    } finally {
      home.cleanup();
    }
  });

  test('https with a CA of its own: refused until --ca-file trusts it', async () => {
    const untrusted = await resolveOne(`${rig.tls}/demo/multi:v1`);
    assert.equal(untrusted.code, 1);
    assert.match(untrusted.stderr, /TLS verification failed for registry\.civctl\.test:\d+/);
    const trusted = await resolveOne(`${rig.tls}/demo/multi:v1`, ['--ca-file', rig.caFile]);
    assert.equal(trusted.stdout, `${rig.images.multi.digest}\n`, trusted.stderr);
  });

  test('failures: one line per failed image, exit 1, nothing on stdout', async () => {
    const r = await run(
      [
        'resolve',
        `${rig.open}/demo/multi:v1`,
        `${rig.open}/demo/multi:nope`,
        `${rig.open}/nothere/x:v1`,
        '127.0.0.1:1/demo/x:v1',
      ],
      { lookup: rig.lookup },
    );
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    const lines = r.stderr.trimEnd().split('\n');
    assert.equal(lines.length, 3, r.stderr);
    assert.match(lines[0]!, /demo\/multi:nope: unknown tag/);
    assert.match(lines[1]!, /nothere\/x:v1: unknown repository/);
    assert.match(lines[2]!, /127\.0\.0\.1:1\/demo\/x:v1: connection refused/);
  });

  test('a registry that never answers: a timeout, named', async () => {
    const { createServer } = await import('node:net');
    const sockets = new Set<import('node:net').Socket>();
    const silent = createServer((socket) => sockets.add(socket));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as { port: number }).port;
    try {
      const r = await run(['--timeout', '1', 'resolve', `127.0.0.1:${port}/demo/x:v1`]);
      assert.equal(r.code, 1);
      assert.ok(isOneCleanLine(r.stderr), r.stderr);
      assert.match(r.stderr, /no answer from 127\.0\.0\.1:\d+ within 1 s/);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((r) => silent.close(r));
    }
  });
});
