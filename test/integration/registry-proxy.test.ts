/**
 * Registry commands through a forward proxy (test/proxy.ts) in front of the real registry rig
 * (Debian's docker-registry on loopback): the TLS registry through a CONNECT tunnel with
 * --ca-file, plain-HTTP registries as absolute-form requests, token auth beside the proxy, check
 * and digests through it, loopback registries never through it; in process and in the built
 * standalone binary. Registries are named `registry.test:PORT` and `registry.civctl.test:PORT`:
 * only the proxy resolves them, as a proxied Go client never resolves the name itself.
 * Skipped where the packages are missing; CI sets CIVCTL_REQUIRE_REGISTRY=1.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import type { LookupFunction } from 'node:net';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  BIN,
  type Built,
  isOneCleanLine,
  ROOT,
  run,
  runBuiltAsync,
  scratch,
  standaloneMissing,
} from '../helpers.ts';
import { startProxy, type TestProxy } from '../proxy.ts';
import { type Rig, rigUnavailable, startRig, TLS_HOST } from '../registry-rig.ts';

const unavailable = rigUnavailable();
if (unavailable && process.env['CIVCTL_REQUIRE_REGISTRY'] === '1')
  throw new Error(`CIVCTL_REQUIRE_REGISTRY=1 but ${unavailable}`);

const DIGESTION = join(ROOT, 'examples', 'digestion-redis.json');

/** Every name fails to resolve: whatever civctl reaches, it reaches through the proxy. */
const noLookup = ((hostname: string, _options: unknown, callback: unknown) => {
  const cb = (typeof _options === 'function' ? _options : callback) as (...a: unknown[]) => void;
  cb(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }));
}) as LookupFunction;

describe('registry commands through a proxy, against the registry rig', { skip: unavailable }, () => {
  let rig: Rig;
  let proxy: TestProxy;
  let guarded: TestProxy;
  /** registry.test:PORT stands for each plain-HTTP registry of the rig, behind the proxy. */
  const named: Record<'open' | 'token', string> = { open: '', token: '' };
  const dir = scratch();
  before(async () => {
    rig = await startRig();
    for (const which of ['open', 'token'] as const)
      named[which] = `registry.test:${rig[which].slice(rig[which].lastIndexOf(':') + 1)}`;
    const hosts = {
      [named.open]: rig.open,
      [named.token]: rig.token,
      [rig.tls]: `127.0.0.1:${rig.tls.slice(rig.tls.lastIndexOf(':') + 1)}`,
    };
    proxy = await startProxy({ hosts });
    guarded = await startProxy({ hosts, credentials: 'bob:pr0xy-secret' });
  });
  after(async () => {
    await proxy?.stop();
    await guarded?.stop();
    await rig?.stop();
    dir.cleanup();
  });

  test('https through a CONNECT tunnel: --ca-file trusts the registry as it does without a proxy', async () => {
    proxy.log.length = 0;
    const env = { HTTPS_PROXY: `http://${proxy.address}` };
    const trusted = await run(['resolve', '--ca-file', rig.caFile, `${rig.tls}/demo/multi:v1`], {
      env,
      lookup: noLookup,
    });
    assert.equal(trusted.stdout, `${rig.images.multi.digest}\n`, trusted.stderr);
    assert.deepEqual(
      proxy.log.map((e) => `${e.method} ${e.target}`),
      [`CONNECT ${rig.tls}`],
    );
    const untrusted = await run(['resolve', `${rig.tls}/demo/multi:v1`], { env, lookup: noLookup });
    assert.equal(untrusted.code, 1);
    assert.ok(isOneCleanLine(untrusted.stderr), untrusted.stderr);
    assert.match(
      untrusted.stderr,
      new RegExp(
        `TLS verification failed for ${TLS_HOST.replace(/\./g, '\\.')}:\\d+ through the proxy http://${proxy.address} \\(HTTPS_PROXY\\) \\(\\w+\\); trust its CA certificate with --ca-file`,
      ),
    );
  });

  test('an https:// proxy is verified with the same certificates, --ca-file included', async () => {
    // The proxy wears the rig's registry certificate (its CA is the --ca-file) under that name.
    const folder = dirname(rig.caFile);
    const secure = await startProxy({
      hosts: { [rig.tls]: `127.0.0.1:${rig.tls.slice(rig.tls.lastIndexOf(':') + 1)}` },
      tls: {
        key: readFileSync(join(folder, 'server.key'), 'utf8'),
        cert: readFileSync(join(folder, 'server.crt'), 'utf8'),
      },
    });
    try {
      const port = secure.address.slice(secure.address.lastIndexOf(':') + 1);
      const env = { HTTPS_PROXY: `https://${TLS_HOST}:${port}` };
      const trusted = await run(['resolve', '--ca-file', rig.caFile, `${rig.tls}/demo/multi:v1`], {
        env,
        lookup: rig.lookup,
      });
      assert.equal(trusted.stdout, `${rig.images.multi.digest}\n`, trusted.stderr);
      assert.deepEqual(
        secure.log.map((e) => `${e.method} ${e.target}`),
        [`CONNECT ${rig.tls}`],
      );
      const untrusted = await run(['resolve', `${rig.tls}/demo/multi:v1`], { env, lookup: rig.lookup });
      assert.equal(untrusted.code, 1);
      assert.match(
        untrusted.stderr,
        /TLS verification failed for .* through the proxy https:\/\/.*--ca-file$/m,
      );
    } finally {
      await secure.stop();
    }
  });

  test('with proxy credentials: the TLS registry resolves; wrong ones are one line without them', async () => {
    const good = await run(['resolve', '--ca-file', rig.caFile, `${rig.tls}/demo/single:v1`], {
      env: { HTTPS_PROXY: `http://bob:pr0xy-secret@${guarded.address}` },
      lookup: noLookup,
    });
    assert.equal(good.stdout, `${rig.images.single.digest}\n`, good.stderr);
    const bad = await run(['resolve', '--ca-file', rig.caFile, `${rig.tls}/demo/single:v1`], {
      env: { HTTPS_PROXY: `http://bob:nope-secret@${guarded.address}` },
      lookup: noLookup,
    });
    assert.equal(
      bad.stderr,
      `civctl: ${rig.tls}/demo/single:v1: the proxy http://${guarded.address} (HTTPS_PROXY) refused the credentials in HTTPS_PROXY (407 Proxy Authentication Required)\n`,
    );
  });

  test('--plain-http through HTTP_PROXY: absolute-form requests; the loopback token service is reached directly', async () => {
    proxy.log.length = 0;
    const r = await run(
      ['resolve', '--plain-http', `${named.token}/demo/multi:v1`, `${named.token}/private/app:v1`],
      { env: { HTTP_PROXY: proxy.address }, lookup: noLookup, stdin: '' },
    );
    // Anonymous: the public image resolves, the private one needs credentials.
    assert.equal(r.code, 1);
    assert.match(r.stderr, /private\/app:v1: authentication required/);
    const withCredentials = await run(
      ['resolve', '--plain-http', '--username', 'alice', '--password-stdin', `${named.token}/private/app:v1`],
      { env: { HTTP_PROXY: proxy.address }, lookup: noLookup, stdin: 's3cret\n' },
    );
    assert.equal(withCredentials.stdout, `${rig.images.private.digest}\n`, withCredentials.stderr);
    // Only the registry went through the proxy; the token realm (http://127.0.0.1:…) never does.
    assert.ok(proxy.log.length > 0);
    for (const entry of proxy.log) {
      assert.equal(entry.method === 'CONNECT', false);
      assert.ok(entry.target.startsWith(`http://${named.token}/v2/`), entry.target);
    }
  });

  test('check --signatures and digests add reach manifests and blobs through the proxy', async () => {
    proxy.log.length = 0;
    const env = { HTTP_PROXY: `http://${proxy.address}` };
    const checked = await run(
      ['check', '--plain-http', '--policy', `digestion=${DIGESTION}`, `${named.open}/demo/multi:v1`],
      { env, lookup: noLookup },
    );
    assert.match(
      checked.stdout,
      new RegExp(`^BLOCKED ${named.open}/demo/multi:v1@${rig.images.multi.digest} `),
    );
    const policy = dir.file(
      'notation.json',
      JSON.stringify({
        version: '1.0',
        trustPolicies: [
          {
            name: 'all',
            registryScopes: ['*'],
            signatureVerification: { level: 'strict' },
            trustStores: ['ca:rig'],
            trustedIdentities: ['*'],
          },
        ],
      }),
    );
    const signed = await run(
      [
        'check',
        '--plain-http',
        '--signatures',
        '--format',
        'json',
        '--policy',
        `notation=${policy}`,
        `${named.open}/demo/signed:v1`,
      ],
      { env, lookup: noLookup },
    );
    assert.equal(signed.code, 0, signed.stderr);
    const notation = JSON.parse(signed.stdout).results[0].verifiers.find(
      (v: { verifier: string }) => v.verifier === 'notation-image-verifier',
    );
    assert.equal(notation.signatures[0].subject, rig.signerSubject);
    assert.ok(proxy.log.some((e) => /\/demo\/signed\/blobs\/sha256:/.test(e.target)));
    const file = dir.file('allow.json', '{"version":"1.0","trustedDigests":[]}\n');
    const added = await run(
      ['digests', 'add', '--plain-http', '--file', file, `${named.open}/demo/single:v1`],
      {
        env,
        lookup: noLookup,
      },
    );
    assert.equal(added.code, 0, added.stderr);
    assert.match(added.stderr, new RegExp(`${named.open}/demo/single:v1 → ${rig.images.single.digest}`));
    assert.ok(proxy.log.some((e) => e.target.includes('/demo/single/manifests/v1')));
  });

  test('a loopback registry is never proxied, whatever the variables say', async () => {
    proxy.log.length = 0;
    const r = await run(['resolve', `${rig.open}/demo/single:v1`], {
      env: { HTTP_PROXY: proxy.address, HTTPS_PROXY: proxy.address, NO_PROXY: '' },
      lookup: rig.lookup,
    });
    assert.equal(r.stdout, `${rig.images.single.digest}\n`, r.stderr);
    assert.deepEqual(proxy.log, []);
  });

  test('an https registry asked over http on loopback: its 400 comes with the hint', async () => {
    const port = rig.tls.slice(rig.tls.lastIndexOf(':') + 1);
    const r = await run(['resolve', '--ca-file', rig.caFile, `127.0.0.1:${port}/demo/multi:v1`]);
    assert.equal(r.code, 1);
    assert.equal(
      r.stderr,
      `civctl: 127.0.0.1:${port}/demo/multi:v1: 127.0.0.1:${port} answered 400 to HEAD /v2/demo/multi/manifests/v1 (an https registry asked over http?)\n`,
    );
  });

  // The shipped files: the bundle's undici chunk must tunnel too (Dispatcher#connect).
  const builds: [string, Built, { skip?: string }][] = [
    ['the standalone binary', 'standalone', standaloneMissing() ? { skip: standaloneMissing()! } : {}],
    ['dist/civctl.cjs', 'cjs', existsSync(BIN) ? {} : { skip: `${BIN} was not built (npm run build)` }],
  ];
  for (const [label, built, options] of builds)
    test(
      `${label}: --ca-file through a CONNECT proxy, and loopback registries not proxied`,
      options,
      async () => {
        proxy.log.length = 0;
        const tunnelled = await runBuiltAsync(
          ['resolve', '--ca-file', rig.caFile, `${rig.tls}/demo/multi:v1`],
          { built, env: { HTTPS_PROXY: `http://${proxy.address}` } },
        );
        assert.equal(tunnelled.stdout, `${rig.images.multi.digest}\n`, tunnelled.stderr);
        assert.deepEqual(
          proxy.log.map((e) => `${e.method} ${e.target}`),
          [`CONNECT ${rig.tls}`],
        );
        proxy.log.length = 0;
        const loopback = await runBuiltAsync(['resolve', `${rig.open}/demo/single:v1`], {
          built,
          env: { HTTP_PROXY: `http://${proxy.address}`, HTTPS_PROXY: `http://${proxy.address}` },
        });
        assert.equal(loopback.stdout, `${rig.images.single.digest}\n`, loopback.stderr);
        assert.deepEqual(proxy.log, []);
      },
    );
});
