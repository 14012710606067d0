/**
 * check verifying notation signatures as the node does (issue 15): from an OCI layout and from a
 * loopback registry (OCI referrers API, and the referrers tag schema when the registry lacks it),
 * with a trust store in notation's layout — the node's decision and texts, the reasons the node
 * hides, notation's warnings, JSON signatures entries, revocation not checked offline, AWS Signer.
 * The signed images are the notation-verify corpus's (written for this project, with what the
 * real notation v1.3.2 printed for each in EXPECTED.tsv).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { cpSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { CORPUS, ROOT, run, scratch } from '../helpers.ts';

const CASES = join(CORPUS, 'notation-verify', 'cases');

/** A corpus case: its files, and the reference and texts the real notation printed. */
function corpusCase(id: string) {
  const dir = join(CASES, id);
  const row = readFileSync(join(CORPUS, 'notation-verify', 'EXPECTED.tsv'), 'utf8')
    .split('\n')
    .find((line) => line.startsWith(`${id}\t`))!
    .split('\t');
  const unescapeTsv = (s: string) =>
    s.replace(/\\(.)/g, (_, c: string) => ({ '\\': '\\', t: '\t', n: '\n', r: '\r' })[c] ?? c);
  const ref = row[3]!;
  return {
    dir,
    ref,
    digest: ref.slice(ref.lastIndexOf('@') + 1),
    verifierStdout: unescapeTsv(row[7]!),
    notationStderr: unescapeTsv(row[6]!),
    signatures: JSON.parse(unescapeTsv(row[8]!)) as {
      manifest_digest: string;
      envelope_media_type?: string;
      evaluated: boolean;
      steps: { type: string; action: string; error?: string }[];
      outcome: string;
      error?: string;
    }[],
    args: [
      '--oci-layout',
      join(dir, 'layout'),
      '--trust-store',
      join(dir, 'truststore'),
      '--policy',
      `notation=${join(dir, 'trustpolicy.json')}`,
    ],
  };
}

interface NotationJson {
  verifier: string;
  decision: string;
  exitCode: number;
  output: string;
  signatures?: {
    digest: string;
    mediaType?: string;
    outcome: string;
    error?: string;
    steps: { type: string; action: string; error?: string }[];
  }[];
  warnings?: string[];
  notChecked?: string[];
}

function notationOf(stdout: string): NotationJson {
  return JSON.parse(stdout).results[0].verifiers.find(
    (v: { verifier: string }) => v.verifier === 'notation-image-verifier',
  );
}

describe('check --oci-layout --trust-store: the node’s decision for signed images', () => {
  for (const id of [
    'dev-valid-001-jws-rsa2048-chain1-ca',
    'dev-valid-007-cose-rsa2048-chain3-sa',
    'dev-expiry-003-leaf-expired-signed-inside-ca',
    'dev-authenticity-001-root-not-in-store',
    'dev-authenticity-002-store-missing',
    'dev-authenticity-017-identity-org-mismatch',
    'dev-integrity-014-target-other-image',
    'dev-multi-003-mismatch-then-good',
    'dev-multi-005-all-bad-different-reasons',
    'dev-multi-011-no-signatures',
    'dev-timestamp-001-jws-valid',
  ]) {
    test(`${id}: containerd's text wraps what notation printed; JSON signatures as notation evaluated them`, async () => {
      const c = corpusCase(id);
      const r = await run(['check', '--offline', '-f', 'json', ...c.args, c.ref]);
      const result = JSON.parse(r.stdout).results[0];
      const notation = notationOf(r.stdout);
      if (c.verifierStdout === '') {
        assert.equal(r.code, 0, r.stderr);
        assert.equal(result.decision, 'allowed');
        assert.equal(notation.output, '');
      } else {
        assert.equal(r.code, 1, r.stderr);
        assert.equal(result.decision, 'blocked');
        assert.equal(notation.output, c.verifierStdout);
        assert.equal(
          result.error,
          `image verifier bindir blocked pull of ${c.ref} with digest ${c.digest} for reason: verifier notation-image-verifier rejected image (exit code 1): ${c.verifierStdout}`,
        );
      }
      assert.deepEqual(
        notation.signatures,
        c.signatures.map((s) => ({
          digest: s.manifest_digest,
          ...(s.envelope_media_type !== undefined ? { mediaType: s.envelope_media_type } : {}),
          outcome: s.evaluated ? s.outcome : 'not-evaluated',
          ...(s.error !== undefined && s.evaluated ? { error: s.error } : {}),
          steps: s.evaluated ? s.steps : [],
        })),
      );
    });
  }

  test('text: stdout is the node’s line; the reason it hides (in notation -v’s words) is a note; --verbose puts it and every step on stdout', async () => {
    const c = corpusCase('dev-expiry-003-leaf-expired-signed-inside-ca');
    const sig = c.signatures[0]!;
    const hidden = `failed to verify signature with digest ${sig.manifest_digest}, ${sig.error}`;
    const r = await run(['check', '--offline', ...c.args, c.ref]);
    assert.equal(r.code, 1);
    assert.equal(
      r.stdout,
      `BLOCKED ${c.ref} image verifier bindir blocked pull of ${c.ref} with digest ${c.digest} for reason: verifier notation-image-verifier rejected image (exit code 1): ${c.verifierStdout}\n`,
    );
    assert.ok(r.stderr.includes(`civctl: note: ${c.ref}: the reason the node hides: ${hidden}\n`), r.stderr);
    const v = await run(['check', '--offline', '--verbose', ...c.args, c.ref]);
    assert.ok(v.stdout.includes(`\n    hidden reason: ${hidden}\n`), v.stdout);
    assert.match(
      v.stdout,
      new RegExp(`^ {4}signature ${sig.manifest_digest} \\(application/cose\\): failure$`, 'm'),
    );
    assert.match(v.stdout, /^ {6}integrity \(enforce\): ok$/m);
    assert.ok(v.stdout.includes(`      authenticTimestamp (enforce): ${sig.error}\n`));
    assert.doesNotMatch(v.stderr, /the reason the node hides/);
  });

  test('logged failures let the image through with notation’s Warning lines (text and JSON)', async () => {
    const c = corpusCase('dev-levels-001-permissive-sig-expired');
    const warning = c.notationStderr.trimEnd();
    assert.match(warning, /^Warning: expiry was set to "log" and failed with error: /);
    const r = await run(['check', '--offline', ...c.args, c.ref]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^ALLOWED [^\n]*\n$/);
    assert.ok(r.stderr.includes(`civctl: note: ${c.ref}: notation prints ${warning}\n`), r.stderr);
    const v = await run(['check', '--offline', '--verbose', ...c.args, c.ref]);
    assert.ok(v.stdout.includes(`\n    ${warning}\n`), v.stdout);
    const j = await run(['check', '--offline', '-f', 'json', ...c.args, c.ref]);
    assert.deepEqual(notationOf(j.stdout).warnings, [warning]);
    assert.doesNotMatch(j.stderr, /notation prints/);
  });

  test('without a trust store nothing is verified: signature-required, and the stores it needs are named', async () => {
    const c = corpusCase('dev-valid-001-jws-rsa2048-chain1-ca');
    const r = await run([
      'check',
      '--offline',
      '--oci-layout',
      join(c.dir, 'layout'),
      '--policy',
      `notation=${join(c.dir, 'trustpolicy.json')}`,
      c.ref,
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^SIGNATURE-REQUIRED /);
    assert.match(
      r.stderr,
      /signatures are not verified without a trust store: give --trust-store DIR .* holding ca:corp-ca\n/,
    );
  });

  test('the layout gives the verifiers the image’s real descriptor (not size 0)', async () => {
    const c = corpusCase('dev-valid-001-jws-rsa2048-chain1-ca');
    const r = await run(['check', '--offline', ...c.args, c.ref]);
    assert.doesNotMatch(r.stderr, /size 0/);
  });

  test('offline, revocation a certificate names a CRL for is not checked: the image stays signature-required', async () => {
    const c = corpusCase('dev-revocation-002-crl-good');
    const r = await run(['check', '--offline', '-f', 'json', ...c.args, c.ref]);
    assert.equal(r.code, 0, r.stderr);
    const notation = notationOf(r.stdout);
    assert.equal(notation.decision, 'signature-required');
    assert.match(
      notation.notChecked!.join('\n'),
      /revocation .*http:\/\/localhost:5000\/crl\/leaf\.crl.* was not checked/,
    );
    assert.match(r.stderr, /not checked: revocation /);
    // The steps are notation-go's results only: {type, action, error?}.
    for (const step of notation.signatures![0]!.steps)
      assert.deepEqual(Object.keys(step).sort(), ['action', 'type']);
  });

  test('AWS Signer: the stock policy (revocation skipped) verifies offline; with revocation enforced the plugin’s call to AWS is not made', async () => {
    const stock = corpusCase('dev-awssigner-001-stock-profile-match');
    const a = await run(['check', '--offline', ...stock.args, stock.ref]);
    assert.equal(a.code, 0, a.stderr);
    assert.match(a.stdout, /^ALLOWED /);
    const enforced = corpusCase('dev-awssigner-026-revocation-not-revoked');
    const b = await run(['check', '--offline', '-f', 'json', ...enforced.args, enforced.ref]);
    assert.equal(b.code, 0, b.stderr);
    const notation = notationOf(b.stdout);
    assert.equal(notation.decision, 'signature-required');
    assert.deepEqual(notation.notChecked, [
      "AWS Signer's revocation check (GetRevocationStatus) was not called",
    ]);
  });

  test('usage: a trust store or layout that is not a directory, an image without its digest', async () => {
    const c = corpusCase('dev-valid-001-jws-rsa2048-chain1-ca');
    const noStore = await run(['check', '--offline', '--trust-store', join(c.dir, 'missing'), c.ref]);
    assert.equal(noStore.code, 2);
    assert.match(noStore.stderr, /--trust-store .*missing does not exist/);
    const noDigest = await run(['check', '--oci-layout', join(c.dir, 'layout'), 'localhost:5000/app:v1']);
    assert.equal(noDigest.code, 2);
    assert.match(noDigest.stderr, /--oci-layout needs every image with its digest/);
  });

  test('an image the layout does not hold cannot be decided; the others still are', async () => {
    const c = corpusCase('dev-valid-001-jws-rsa2048-chain1-ca');
    const absent = `localhost:5000/team/api-server@sha256:${'0'.repeat(64)}`;
    const r = await run(['check', '--offline', ...c.args, c.ref, absent]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /^ALLOWED /);
    assert.match(r.stderr, /not found in the OCI layout/);
  });
});

/**
 * The CRL server of the corpus's revocation cases, at the URL their certificates name
 * (http://localhost:5000/crl/leaf.crl), on loopback only; undefined when port 5000 is taken.
 */
async function serveCrl(
  crl: Buffer,
): Promise<{ requests: string[]; close: () => Promise<void> } | undefined> {
  const requests: string[] = [];
  const servers: import('node:http').Server[] = [];
  for (const host of ['127.0.0.1', '::1']) {
    const server = createServer((req, res) => {
      requests.push(`${req.method} ${req.url}`);
      if (req.url !== '/crl/leaf.crl') {
        res.writeHead(404);
        return res.end();
      }
      res.writeHead(200, { 'content-type': 'application/pkix-crl' });
      res.end(crl);
    });
    const listening = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen(5000, host, () => resolve(true));
    });
    if (listening) servers.push(server);
    else if (host === '127.0.0.1') return undefined;
  }
  return {
    requests,
    close: async () => {
      await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
    },
  };
}

describe('check --oci-layout: a broken layout is named, not decided', () => {
  const dir = scratch();
  after(() => dir.cleanup());
  const E = join(ROOT, 'examples', 'signatures');
  const GOOD =
    'registry.example.com/good@sha256:fc0adf96c1c208259827395b5a24a9cee790b07f06ed1c756c21f8b17a6abe1c';
  const checkLayout = (layout: string) =>
    run([
      'check',
      '--offline',
      '--oci-layout',
      layout,
      '--trust-store',
      join(E, 'truststore'),
      '--policy',
      `notation=${join(E, 'policy.json')}`,
      GOOD,
    ]);
  test('a signature manifest the index lists but the blobs lack; an index that is not one', async () => {
    const missing = join(dir.path, 'missing');
    cpSync(join(E, 'layout'), missing, { recursive: true });
    const index = JSON.parse(readFileSync(join(missing, 'index.json'), 'utf8')) as {
      manifests: { digest: string }[];
    };
    const signature = index.manifests.find((m) => !GOOD.endsWith(m.digest))!.digest;
    rmSync(join(missing, 'blobs', 'sha256', signature.slice('sha256:'.length)));
    const r = await checkLayout(missing);
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`index\\.json lists ${signature}, but its blob is missing`));
    const notIndex = join(dir.path, 'not-index');
    cpSync(join(E, 'layout'), notIndex, { recursive: true });
    writeFileSync(join(notIndex, 'index.json'), '[]');
    const r2 = await checkLayout(notIndex);
    assert.equal(r2.code, 1);
    assert.match(r2.stderr, /is not an OCI image index/);
  });
});

describe('check --signatures with a trust store: the listing keeps each signature’s outcome', () => {
  test('without --verbose, one line a signature under the image’s', async () => {
    const E = join(ROOT, 'examples', 'signatures');
    const r = await run([
      'check',
      '--signatures',
      '--offline',
      '--oci-layout',
      join(E, 'layout'),
      '--trust-store',
      join(E, 'truststore'),
      '--policy',
      `notation=${join(E, 'policy.json')}`,
      'registry.example.com/expired@sha256:6eca3f1bdefc8cca1567da4bb7bbb0325b3ac38e533bd7983893729c9f9103f1',
    ]);
    assert.equal(r.code, 1, r.stderr);
    const lines = r.stdout.trimEnd().split('\n');
    assert.match(lines[0]!, /^BLOCKED /);
    assert.deepEqual(lines.slice(1), [
      '    signature sha256:baa85c4f6061290b241be04cf7331a093a23e0f02b628e0a6c383efad4f459a3 (application/cose): failure',
    ]);
  });
});

describe('check --offline: a signature whose revocation is not checked does not hide a later one', () => {
  test('the second signature verifies: allowed, as notation allows it whatever the first one’s status', async () => {
    const dir = join(ROOT, 'test', 'fixtures', 'signatures', 'undecided-then-good');
    const r = await run([
      'check',
      '--offline',
      '--oci-layout',
      join(dir, 'layout'),
      '--trust-store',
      join(dir, 'truststore'),
      '--policy',
      `notation=${join(ROOT, 'examples', 'signatures', 'policy.json')}`,
      '--format',
      'json',
      'registry.example.com/good@sha256:fc0adf96c1c208259827395b5a24a9cee790b07f06ed1c756c21f8b17a6abe1c',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const [entry] = JSON.parse(r.stdout).results;
    assert.equal(entry.decision, 'allowed');
  });
});

describe('check --trust-store online: revocation from the certificates’ own CRL URLs', () => {
  for (const id of ['dev-revocation-003-crl-revoked', 'dev-revocation-004-crl-revoked-log']) {
    test(`${id}: the CRL is fetched and decides as notation did`, async (t) => {
      const c = corpusCase(id);
      const crl = await serveCrl(readFileSync(join(c.dir, 'crl', 'leaf.crl')));
      if (!crl) return t.skip('port 5000 is taken on this machine');
      try {
        const r = await run(['check', '-f', 'json', ...c.args, c.ref]);
        const notation = notationOf(r.stdout);
        assert.equal(notation.output, c.verifierStdout);
        assert.equal(r.code, c.verifierStdout === '' ? 0 : 1, r.stderr);
        assert.deepEqual(
          notation.warnings ?? [],
          c.notationStderr.split('\n').filter((l) => l.startsWith('Warning: ')),
        );
        assert.deepEqual(
          notation.signatures!.map((s) => [s.outcome, s.steps]),
          c.signatures.map((s) => [s.outcome, s.steps]),
        );
        assert.deepEqual(crl.requests, ['GET /crl/leaf.crl']);
      } finally {
        await crl.close();
      }
    });
  }
  for (const id of [
    'dev-revocation-007-ocsp-unreachable',
    'dev-revocation-008-ocsp-unreachable-permissive',
  ]) {
    test(`${id}: an OCSP responder that does not answer makes revocation unknown, as notation says`, async () => {
      // The certificate's responder is http://127.0.0.1:9/ocsp0: nothing answers on the discard port.
      const c = corpusCase(id);
      const r = await run(['check', '-f', 'json', ...c.args, c.ref]);
      const notation = notationOf(r.stdout);
      assert.equal(notation.output, c.verifierStdout);
      assert.equal(r.code, c.verifierStdout === '' ? 0 : 1, r.stderr);
      assert.deepEqual(
        notation.warnings ?? [],
        c.notationStderr.split('\n').filter((l) => l.startsWith('Warning: ')),
      );
      assert.deepEqual(
        notation.signatures!.map((s) => [s.outcome, s.steps]),
        c.signatures.map((s) => [s.outcome, s.steps]),
      );
    });
  }
});

/**
 * A loopback registry serving one corpus layout under `repo`: manifests, blobs, and its
 * signatures through the OCI referrers API — or, without it, the referrers tag schema. `paged`:
 * the referrers API answers one referrer a page, with a Link header to the next.
 */
async function serveLayout(layoutDir: string, repo: string, referrersApi: boolean | 'paged') {
  const blobs = new Map<string, Buffer>();
  for (const hex of readdirSync(join(layoutDir, 'blobs', 'sha256')))
    blobs.set(`sha256:${hex}`, readFileSync(join(layoutDir, 'blobs', 'sha256', hex)));
  const index = JSON.parse(readFileSync(join(layoutDir, 'index.json'), 'utf8')) as {
    manifests: { mediaType: string; digest: string; size: number }[];
  };
  const referrersOf = (digest: string) => ({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: index.manifests
      .map((d) => ({ d, m: JSON.parse(blobs.get(d.digest)!.toString('utf8')) }))
      .filter(({ m }) => m.subject?.digest === digest)
      .map(({ d, m }) => ({
        mediaType: d.mediaType,
        digest: d.digest,
        size: d.size,
        // A registry lists config.mediaType when the manifest has no artifactType (image-spec 1.1).
        artifactType: m.artifactType ?? m.config?.mediaType,
      })),
  });
  const requests: string[] = [];
  const server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    const path = (req.url ?? '').split('?')[0]!;
    const notFound = () => {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ errors: [{ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown' }] }));
    };
    if (path === '/v2/' || path === '/v2') {
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end('{}');
    }
    const m = /^\/v2\/(.+)\/(manifests|blobs|referrers)\/([^/]+)$/.exec(path);
    if (!m || m[1] !== repo) return notFound();
    const [, , kind, ref] = m;
    if (kind === 'referrers') {
      if (!referrersApi) return notFound();
      const all = referrersOf(ref!);
      if (referrersApi === 'paged') {
        const page = Number(new URL(req.url ?? '', 'http://x').searchParams.get('page') ?? 0);
        const more = page + 1 < all.manifests.length;
        res.writeHead(200, {
          'content-type': 'application/vnd.oci.image.index.v1+json',
          ...(more ? { link: `<${path}?page=${page + 1}>; rel="next"` } : {}),
        });
        return res.end(JSON.stringify({ ...all, manifests: all.manifests.slice(page, page + 1) }));
      }
      res.writeHead(200, { 'content-type': 'application/vnd.oci.image.index.v1+json' });
      return res.end(JSON.stringify(all));
    }
    if (kind === 'manifests' && /^sha256-[0-9a-f]{64}$/.test(ref!) && !referrersApi) {
      const body = Buffer.from(JSON.stringify(referrersOf(ref!.replace('-', ':'))));
      res.writeHead(200, { 'content-type': 'application/vnd.oci.image.index.v1+json' });
      return res.end(body);
    }
    const body = blobs.get(ref!);
    if (!body) return notFound();
    const mediaType =
      kind === 'manifests' ? JSON.parse(body.toString('utf8')).mediaType : 'application/octet-stream';
    const digest = `sha256:${createHash('sha256').update(body).digest('hex')}`;
    res.writeHead(200, {
      'content-type': mediaType,
      'content-length': body.length,
      'docker-content-digest': digest,
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    host: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

describe('check --trust-store with signatures from a registry', () => {
  const dir = scratch();
  const servers: { close: () => Promise<void> }[] = [];
  after(async () => {
    await Promise.all(servers.map((s) => s.close()));
    dir.cleanup();
  });
  const policy = () =>
    dir.file(
      'policy.json',
      JSON.stringify({
        version: '1.0',
        trustPolicies: [
          {
            name: 'any',
            registryScopes: ['*'],
            signatureVerification: { level: 'strict' },
            trustStores: ['ca:acme'],
            trustedIdentities: ['*'],
          },
        ],
      }),
    );

  for (const referrersApi of [true, 'paged', false] as const) {
    test(`${referrersApi === 'paged' ? 'the OCI referrers API, one referrer a page (Link)' : referrersApi ? 'the OCI referrers API' : 'the referrers tag schema'}: the first signature is another image’s, the second verifies`, async () => {
      const c = corpusCase('dev-multi-003-mismatch-then-good');
      const registry = await serveLayout(join(c.dir, 'layout'), 'library/redis', referrersApi);
      servers.push(registry);
      const image = `${registry.host}/library/redis@${c.digest}`;
      const r = await run([
        'check',
        '--plain-http',
        '-f',
        'json',
        '--trust-store',
        join(c.dir, 'truststore'),
        '--policy',
        `notation=${policy()}`,
        image,
      ]);
      assert.equal(r.code, 0, r.stderr);
      const notation = notationOf(r.stdout);
      assert.equal(notation.decision, 'allowed');
      assert.deepEqual(
        notation.signatures!.map((s) => [s.digest, s.outcome, s.error]),
        c.signatures.map((s) => [s.manifest_digest, s.outcome, s.error]),
      );
      assert.ok(
        registry.requests.some((q) => q.includes(referrersApi ? '/referrers/' : '/manifests/sha256-')),
      );
      if (referrersApi === 'paged') assert.ok(registry.requests.some((q) => q.includes('?page=1')));
      assert.ok(registry.requests.some((q) => q.startsWith('GET /v2/library/redis/blobs/')));
    });
  }

  test('--name/--digest (containerd’s descriptor has size 0): notation’s own resolution gives the real descriptor', async () => {
    const c = corpusCase('dev-valid-001-jws-rsa2048-chain1-ca');
    const registry = await serveLayout(join(c.dir, 'layout'), 'team/api-server', true);
    servers.push(registry);
    const r = await run([
      'check',
      '--plain-http',
      '--trust-store',
      join(c.dir, 'truststore'),
      '--policy',
      `notation=${join(c.dir, 'trustpolicy.json')}`,
      '--name',
      `${registry.host}/team/api-server:v1`,
      '--digest',
      c.digest,
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^ALLOWED /);
  });

  test('--offline without --oci-layout: the registry is not asked for signatures; signature-required', async () => {
    const c = corpusCase('dev-valid-001-jws-rsa2048-chain1-ca');
    const r = await run([
      'check',
      '--offline',
      '--trust-store',
      join(c.dir, 'truststore'),
      '--policy',
      `notation=${join(c.dir, 'trustpolicy.json')}`,
      c.ref,
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^SIGNATURE-REQUIRED /);
    assert.match(r.stderr, /--offline: signatures are not verified without --oci-layout DIR/);
  });

  test('an unsigned image is blocked with notation’s “no signature is associated” text', async () => {
    const c = corpusCase('dev-multi-011-no-signatures');
    const registry = await serveLayout(join(c.dir, 'layout'), 'app', true);
    servers.push(registry);
    const image = `${registry.host}/app@${c.digest}`;
    const r = await run([
      'check',
      '--plain-http',
      '--trust-store',
      join(c.dir, 'truststore'),
      '--policy',
      `notation=${policy()}`,
      image,
    ]);
    assert.equal(r.code, 1, r.stderr);
    assert.ok(
      r.stdout.includes(
        `image verification failed: Error: signature verification failed: no signature is associated with "${image}", make sure the artifact was signed successfully`,
      ),
      r.stdout,
    );
  });
});
