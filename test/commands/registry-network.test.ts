/**
 * How registry commands dial registries, in process against small registries on loopback
 * (node:http) and a real forward proxy (test/proxy.ts): proxies chosen as Go's
 * ProxyFromEnvironment chooses them, redirects followed as Go's http.Client follows them, and
 * the one-line messages for what goes wrong on the way.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { LookupFunction } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { isOneCleanLine, run, scratch } from '../helpers.ts';
import { startProxy, startSilentListener, type TestProxy } from '../proxy.ts';

const MANIFEST = Buffer.from(
  JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: `sha256:${'4'.repeat(64)}`, size: 2 },
    layers: [],
  }),
);
const DIGEST = `sha256:${createHash('sha256').update(MANIFEST).digest('hex')}`;

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

interface FakeServer {
  /** 127.0.0.1:PORT */
  address: string;
  port: number;
  seen: Seen[];
  stop(): Promise<void>;
}

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

/** An HTTP server on loopback that records every request and answers with `handler`. */
async function fakeServer(handler: Handler): Promise<FakeServer> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      handler(req, res, body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    address: `127.0.0.1:${port}`,
    port,
    seen,
    stop: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

/** The manifest, as a registry answers HEAD or GET. */
function manifest(req: IncomingMessage, res: ServerResponse): void {
  res.writeHead(200, {
    'content-type': 'application/vnd.oci.image.manifest.v1+json',
    'content-length': String(MANIFEST.length),
    'docker-content-digest': DIGEST,
  });
  res.end(req.method === 'HEAD' ? undefined : MANIFEST);
}

/** A registry whose every manifest is MANIFEST. */
const registryHandler: Handler = (req, res) => {
  if (/^\/v2\/.*\/manifests\//.test(req.url ?? '')) return manifest(req, res);
  res.writeHead(404, { 'content-type': 'application/json' });
  res.end('{"errors":[{"code":"NAME_UNKNOWN"}]}');
};

/** Connections to `name` go to 127.0.0.1; any other name is not found (nothing leaves loopback). */
function lookupOnly(name: string): LookupFunction {
  return ((hostname: string, options: unknown, callback: unknown) => {
    const cb = (typeof options === 'function' ? options : callback) as (...a: unknown[]) => void;
    const all = typeof options === 'object' && options !== null && (options as { all?: boolean }).all;
    if (hostname === name || hostname === '127.0.0.1')
      return all ? cb(null, [{ address: '127.0.0.1', family: 4 }]) : cb(null, '127.0.0.1', 4);
    cb(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }));
  }) as LookupFunction;
}

/** A lookup that fails every name: a proxied request never resolves the registry's name itself. */
const noLookup = lookupOnly('nothing.invalid');

describe('registry requests through a proxy, chosen as Go’s ProxyFromEnvironment chooses', () => {
  let registry: FakeServer;
  let proxy: TestProxy;
  let guarded: TestProxy;
  let name: string;
  before(async () => {
    registry = await fakeServer(registryHandler);
    name = `registry.test:${registry.port}`;
    proxy = await startProxy({ hosts: { [name]: registry.address } });
    guarded = await startProxy({ hosts: { [name]: registry.address }, credentials: 'alice:p@ss w0rd' });
  });
  after(async () => {
    await registry.stop();
    await proxy.stop();
    await guarded.stop();
  });
  const resolve = (env: Record<string, string>, image = `${name}/demo/app:v1`, extra: string[] = []) =>
    run(['--timeout', '5', 'resolve', ...extra, image], { env, lookup: noLookup });

  test('HTTP_PROXY carries an http registry as absolute-form requests, never CONNECT', async () => {
    proxy.log.length = 0;
    const r = await resolve({ HTTP_PROXY: `http://${proxy.address}` }, undefined, ['--plain-http']);
    assert.equal(r.stderr, '');
    assert.equal(r.stdout, `${DIGEST}\n`);
    assert.deepEqual(
      proxy.log.map((e) => `${e.method} ${e.target}`),
      [`HEAD http://${name}/v2/demo/app/manifests/v1`],
    );
    assert.equal(proxy.log[0]!.headers['host'], name);
  });

  test('a proxy given as host:port is http://host:port; lower-case variables count; upper case wins', async () => {
    for (const env of [
      { HTTP_PROXY: proxy.address },
      { http_proxy: `http://${proxy.address}` },
      { HTTP_PROXY: `http://${proxy.address}`, http_proxy: 'http://127.0.0.1:1' },
      { HTTP_PROXY: '', http_proxy: `http://${proxy.address}` },
    ]) {
      proxy.log.length = 0;
      const r = await resolve(env, undefined, ['--plain-http']);
      assert.equal(r.stdout, `${DIGEST}\n`, `${JSON.stringify(env)}: ${r.stderr}`);
      assert.equal(proxy.log.length, 1, JSON.stringify(env));
    }
  });

  test('HTTPS_PROXY tunnels an https registry with CONNECT host:port (443 when none is written)', async () => {
    proxy.log.length = 0;
    const r = await resolve({ HTTPS_PROXY: `http://${proxy.address}` }, 'registry.test/demo/app:v1');
    assert.deepEqual(
      proxy.log.map((e) => `${e.method} ${e.target}`),
      ['CONNECT registry.test:443'],
    );
    // The test proxy routes nowhere but to its mapped registry: its refusal is named.
    assert.equal(r.code, 1);
    assert.equal(
      r.stderr,
      `civctl: registry.test/demo/app:v1: the proxy http://${proxy.address} (HTTPS_PROXY) answered 502 to CONNECT registry.test:443\n`,
    );
    // HTTP_PROXY never serves https, nor HTTPS_PROXY http.
    proxy.log.length = 0;
    const http = await resolve({ HTTPS_PROXY: 'http://127.0.0.1:1', HTTP_PROXY: proxy.address }, undefined, [
      '--plain-http',
    ]);
    assert.equal(http.stdout, `${DIGEST}\n`, http.stderr);
  });

  test('proxy credentials from the URL go as Proxy-Authorization, percent-decoded, and are never printed', async () => {
    guarded.log.length = 0;
    const r = await resolve({ HTTP_PROXY: `http://alice:p%40ss%20w0rd@${guarded.address}` }, undefined, [
      '--plain-http',
    ]);
    assert.equal(r.stdout, `${DIGEST}\n`, r.stderr);
    assert.equal(
      guarded.log[0]!.proxyAuthorization,
      `Basic ${Buffer.from('alice:p@ss w0rd').toString('base64')}`,
    );
  });

  test('407: one line naming the proxy without its credentials, and the image', async () => {
    const cases: [Record<string, string>, string[], RegExp][] = [
      [
        { HTTP_PROXY: `http://${guarded.address}` },
        ['--plain-http'],
        /asks for credentials \(407 Proxy Authentication Required\); give them in HTTP_PROXY as http:\/\/USER:PASSWORD@127\.0\.0\.1:\d+$/,
      ],
      [
        { HTTP_PROXY: `http://alice:wrong-secret@${guarded.address}` },
        ['--plain-http'],
        /refused the credentials in HTTP_PROXY \(407 Proxy Authentication Required\)$/,
      ],
      [
        { https_proxy: `http://alice:wrong-secret@${guarded.address}` },
        [],
        /refused the credentials in https_proxy \(407 Proxy Authentication Required\)$/,
      ],
      [{ HTTPS_PROXY: guarded.address }, [], /asks for credentials \(407 Proxy Authentication Required\)/],
    ];
    for (const [env, extra, message] of cases) {
      const r = await resolve(env, undefined, extra);
      assert.equal(r.code, 1, JSON.stringify(env));
      assert.ok(isOneCleanLine(r.stderr), r.stderr);
      assert.ok(
        r.stderr.startsWith(`civctl: ${name}/demo/app:v1: the proxy http://${guarded.address} (`),
        r.stderr,
      );
      assert.match(r.stderr.trimEnd(), message);
      assert.doesNotMatch(r.stderr, /wrong-secret|alice/);
    }
  });

  test('a proxy that refuses connections is named', async () => {
    const r = await resolve({ HTTPS_PROXY: 'http://127.0.0.1:1' }, 'registry.test/demo/app:v1');
    assert.equal(r.code, 1);
    assert.equal(
      r.stderr,
      'civctl: registry.test/demo/app:v1: connection refused by the proxy http://127.0.0.1:1 (HTTPS_PROXY)\n',
    );
  });

  test('a proxy that never answers fails within --timeout, CONNECT or absolute-form', async () => {
    const silent = await startSilentListener();
    try {
      for (const [env, extra] of [
        [{ HTTPS_PROXY: `http://${silent.address}` }, []],
        [{ HTTP_PROXY: `http://${silent.address}` }, ['--plain-http']],
      ] as const) {
        const started = Date.now();
        const r = await run(['--timeout', '1', 'resolve', ...extra, `${name}/demo/app:v1`], {
          env,
          lookup: noLookup,
        });
        assert.equal(r.code, 1);
        assert.ok(isOneCleanLine(r.stderr), r.stderr);
        assert.match(
          r.stderr,
          new RegExp(
            `no answer from ${name} through the proxy http://${silent.address} \\(HTTPS?_PROXY\\) within 1 s`,
          ),
        );
        // Bounded by --timeout (1 s), not by undici's own 300 s.
        assert.ok(Date.now() - started < 20_000, `${Date.now() - started} ms`);
      }
    } finally {
      await silent.stop();
    }
  });

  test('NO_PROXY: a name, its subdomains, `.name`, `*`, host:port, trimmed, any case', async () => {
    const direct = (noProxy: string) =>
      run(['--timeout', '5', 'resolve', '--plain-http', `${name}/demo/app:v1`], {
        env: { HTTP_PROXY: 'http://127.0.0.1:1', NO_PROXY: noProxy },
        lookup: lookupOnly('registry.test'),
      });
    for (const noProxy of [
      'registry.test',
      'test',
      '.test',
      '*',
      `registry.test:${registry.port}`,
      ' REGISTRY.Test ,x',
      'a.example,registry.test',
    ]) {
      const r = await direct(noProxy);
      assert.equal(r.stdout, `${DIGEST}\n`, `NO_PROXY=${JSON.stringify(noProxy)}: ${r.stderr}`);
    }
    // Forms that do not cover registry.test:PORT leave it to the (dead) proxy.
    for (const noProxy of ['.registry.test', 'registry.test:1', 'gistry.test', '127.0.0.1', '127.0.0.0/8']) {
      const r = await direct(noProxy);
      assert.match(
        r.stderr,
        /connection refused by the proxy http:\/\/127\.0\.0\.1:1 \(HTTP_PROXY\)/,
        noProxy,
      );
    }
    // no_proxy counts when NO_PROXY is unset or empty.
    const lower = await run(['resolve', '--plain-http', `${name}/demo/app:v1`], {
      env: { HTTP_PROXY: 'http://127.0.0.1:1', NO_PROXY: '', no_proxy: 'registry.test' },
      lookup: lookupOnly('registry.test'),
    });
    assert.equal(lower.stdout, `${DIGEST}\n`, lower.stderr);
  });

  test('localhost and loopback addresses never go through the proxy', async () => {
    for (const host of [registry.address, `localhost:${registry.port}`]) {
      const r = await run(['resolve', `${host}/demo/app:v1`], {
        env: { HTTP_PROXY: 'http://127.0.0.1:1', HTTPS_PROXY: 'http://127.0.0.1:1' },
        lookup: lookupOnly('localhost'),
      });
      assert.equal(r.stdout, `${DIGEST}\n`, `${host}: ${r.stderr}`);
    }
  });

  test('REQUEST_METHOD set (CGI): HTTP_PROXY is refused, as Go refuses it; HTTPS_PROXY still serves', async () => {
    const r = await resolve({ HTTP_PROXY: proxy.address, REQUEST_METHOD: 'GET' }, undefined, [
      '--plain-http',
    ]);
    assert.equal(r.code, 1);
    assert.equal(
      r.stderr,
      `civctl: ${name}/demo/app:v1: refusing to use HTTP_PROXY in a CGI environment (REQUEST_METHOD is set), as Go does; see golang.org/s/cgihttpproxy\n`,
    );
    const https = await resolve(
      { HTTPS_PROXY: proxy.address, REQUEST_METHOD: 'GET' },
      'registry.test/demo/app:v1',
    );
    assert.match(https.stderr, /answered 502 to CONNECT registry\.test:443$/m);
  });

  test('a socks5 proxy is refused with one line (civctl speaks http and https proxies)', async () => {
    const r = await resolve(
      { HTTPS_PROXY: 'socks5://user:secret@127.0.0.1:1080' },
      'registry.test/demo/app:v1',
    );
    assert.equal(r.code, 1);
    assert.equal(
      r.stderr,
      'civctl: registry.test/demo/app:v1: HTTPS_PROXY names a socks5 proxy, which civctl does not speak (containerd would); give an http or https proxy, or exempt the registry with NO_PROXY\n',
    );
  });
});

describe('registry redirects, followed as Go’s http.Client follows them', () => {
  const image = (server: FakeServer, repo = 'demo/app') => `${server.address}/${repo}:v1`;

  test('301, 302, 303, 307 and 308 on a manifest HEAD are followed; HEAD stays HEAD', async () => {
    for (const status of [301, 302, 303, 307, 308]) {
      const target = await fakeServer(registryHandler);
      const origin = await fakeServer((_req, res) => {
        res.writeHead(status, { location: `http://${target.address}/v2/moved/app/manifests/v1` });
        res.end();
      });
      try {
        const r = await run(['resolve', image(origin)]);
        assert.equal(r.stdout, `${DIGEST}\n`, `${status}: ${r.stderr}`);
        assert.deepEqual(
          target.seen.map((s) => `${s.method} ${s.url}`),
          ['HEAD /v2/moved/app/manifests/v1'],
        );
        // Go's Referer: the URL redirected from.
        assert.equal(target.seen[0]!.headers['referer'], `http://${origin.address}/v2/demo/app/manifests/v1`);
        assert.match(String(target.seen[0]!.headers['accept']), /manifest\.list\.v2\+json/);
      } finally {
        await target.stop();
        await origin.stop();
      }
    }
  });

  test('a relative Location is resolved against the URL that sent it', async () => {
    const server = await fakeServer((req, res) => {
      if (req.url === '/v2/demo/app/manifests/v1') {
        res.writeHead(307, { location: '../../elsewhere/manifests/v1' });
        return res.end();
      }
      registryHandler(req, res, '');
    });
    try {
      const r = await run(['resolve', image(server)]);
      assert.equal(r.stdout, `${DIGEST}\n`, r.stderr);
      assert.deepEqual(
        server.seen.map((s) => s.url),
        ['/v2/demo/app/manifests/v1', '/v2/demo/elsewhere/manifests/v1'],
      );
    } finally {
      await server.stop();
    }
  });

  test('at most 10: a chain of nine redirects is followed, the tenth stops', async () => {
    // /v2/chainN/app/…: N more redirects before the manifest.
    const server = await fakeServer((req, res) => {
      const hops = Number(/^\/v2\/chain(\d+)\//.exec(req.url ?? '')?.[1] ?? 0);
      if (hops === 0) return manifest(req, res);
      res.writeHead(302, { location: `/v2/chain${hops - 1}/app/manifests/v1` });
      res.end();
    });
    try {
      const nine = await run(['resolve', `${server.address}/chain9/app:v1`]);
      assert.equal(nine.stdout, `${DIGEST}\n`, nine.stderr);
      server.seen.length = 0;
      const ten = await run(['resolve', `${server.address}/chain10/app:v1`]);
      assert.equal(ten.code, 1);
      assert.equal(
        ten.stderr,
        `civctl: ${server.address}/chain10/app:v1: ${server.address} kept redirecting HEAD /v2/chain10/app/manifests/v1: stopped after 10 redirects, as containerd stops\n`,
      );
      assert.equal(server.seen.length, 10);
    } finally {
      await server.stop();
    }
  });

  test('Authorization goes along to the same host on another port, not to another host', async () => {
    const basic = `Basic ${Buffer.from('alice:s3cret').toString('base64')}`;
    const target = await fakeServer(registryHandler);
    for (const [host, forwarded] of [
      [`127.0.0.1:${target.port}`, basic],
      [`localhost:${target.port}`, undefined],
    ] as const) {
      target.seen.length = 0;
      const origin = await fakeServer((req, res) => {
        if (req.headers.authorization !== basic) {
          res.writeHead(401, { 'www-authenticate': 'Basic realm="test"' });
          return res.end();
        }
        res.writeHead(307, { location: `http://${host}/v2/demo/app/manifests/v1` });
        res.end();
      });
      try {
        const r = await run(['resolve', '--username', 'alice', '--password-stdin', image(origin)], {
          stdin: 's3cret\n',
          lookup: lookupOnly('localhost'),
        });
        assert.equal(r.stdout, `${DIGEST}\n`, r.stderr);
        assert.equal(target.seen[0]!.headers.authorization, forwarded, host);
      } finally {
        await origin.stop();
      }
    }
    await target.stop();
  });

  test('a blob HEAD (a digest reference the manifests endpoint does not know) is redirected and followed', async () => {
    const target = await fakeServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': '1234' });
      res.end(req.method === 'HEAD' ? undefined : Buffer.alloc(1234));
    });
    const origin = await fakeServer((req, res) => {
      if (req.url?.includes('/blobs/')) {
        res.writeHead(307, { location: `http://${target.address}/storage/blob?signature=x` });
        return res.end();
      }
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end('{"errors":[{"code":"MANIFEST_UNKNOWN"}]}');
    });
    try {
      const r = await run(['resolve', '--format', 'json', `${origin.address}/demo/app@${DIGEST}`]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(JSON.parse(r.stdout)[0].size, 1234);
      assert.deepEqual(
        target.seen.map((s) => `${s.method} ${s.url}`),
        ['HEAD /storage/blob?signature=x'],
      );
    } finally {
      await target.stop();
      await origin.stop();
    }
  });

  test('token requests: 307 repeats the POST with its body, 303 turns it into a GET without body or Content-Type', async () => {
    for (const status of [307, 303]) {
      const tokens = await fakeServer((req, res) => {
        if (req.url === '/token') {
          res.writeHead(status, { location: '/token-moved' });
          return res.end();
        }
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ token: 'the-token' }));
      });
      const registry = await fakeServer((req, res) => {
        if (req.headers.authorization !== 'Bearer the-token') {
          res.writeHead(401, {
            'www-authenticate': `Bearer realm="http://${tokens.address}/token",service="test"`,
          });
          return res.end();
        }
        manifest(req, res);
      });
      try {
        const r = await run(['resolve', '--username', 'alice', '--password-stdin', image(registry)], {
          stdin: 's3cret',
        });
        assert.equal(r.stdout, `${DIGEST}\n`, r.stderr);
        const moved = tokens.seen[1]!;
        if (status === 307) {
          assert.equal(moved.method, 'POST');
          assert.match(moved.body, /grant_type=password&username=alice&password=s3cret/);
          assert.equal(moved.headers['content-type'], 'application/x-www-form-urlencoded');
        } else {
          assert.equal(`${moved.method} ${moved.url}`, 'GET /token-moved');
          assert.equal(moved.body, '');
          assert.equal(moved.headers['content-type'], undefined);
        }
      } finally {
        await tokens.stop();
        await registry.stop();
      }
    }
  });

  test('a Location that is not an http or https URL gives one clear line', async () => {
    const server = await fakeServer((_req, res) => {
      res.writeHead(302, { location: 'file:///etc/passwd' });
      res.end();
    });
    try {
      const r = await run(['resolve', image(server)]);
      assert.equal(r.code, 1);
      assert.equal(
        r.stderr,
        `civctl: ${image(server)}: ${server.address} redirected HEAD /v2/demo/app/manifests/v1 to a file: URL; only http and https can be followed\n`,
      );
    } finally {
      await server.stop();
    }
  });

  test('a 3xx without Location is an answer, as Go returns it', async () => {
    const server = await fakeServer((_req, res) => {
      res.writeHead(302);
      res.end();
    });
    try {
      const r = await run(['resolve', image(server)]);
      assert.equal(
        r.stderr,
        `civctl: ${image(server)}: ${server.address} answered 302 to HEAD /v2/demo/app/manifests/v1\n`,
      );
    } finally {
      await server.stop();
    }
  });
});

describe('registry failures, one line each, the image named once', () => {
  test('a Bearer realm that is not http(s) names the registry and the realm', async () => {
    const server = await fakeServer((_req, res) => {
      res.writeHead(401, { 'www-authenticate': 'Bearer realm="file:///etc/passwd",service="x"' });
      res.end();
    });
    try {
      const r = await run(['resolve', `${server.address}/demo/app:v1`]);
      assert.equal(r.code, 1);
      assert.equal(
        r.stderr,
        `civctl: ${server.address}/demo/app:v1: ${server.address} sent a Bearer realm that is not an http or https URL ("file:///etc/passwd"); a token cannot be fetched from it\n`,
      );
    } finally {
      await server.stop();
    }
  });

  test('a loopback registry answering 400 over plain HTTP gets the https hint', async () => {
    const server = await fakeServer((_req, res) => {
      res.writeHead(400);
      res.end('Client sent an HTTP request to an HTTPS server.\n');
    });
    try {
      const r = await run(['resolve', `${server.address}/demo/app:v1`]);
      assert.equal(
        r.stderr,
        `civctl: ${server.address}/demo/app:v1: ${server.address} answered 400 to HEAD /v2/demo/app/manifests/v1 (an https registry asked over http?)\n`,
      );
    } finally {
      await server.stop();
    }
  });

  test('an oversized manifest: containerd’s text, the image named once', async () => {
    const huge = Buffer.alloc(5 * 1024 * 1024, 0x20);
    const server = await fakeServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' });
      res.end(req.method === 'HEAD' ? undefined : huge);
    });
    try {
      const r = await run(['resolve', `${server.address}/huge/img:v1`]);
      assert.equal(
        r.stderr,
        `civctl: ${server.address}/huge/img:v1: rejecting ${huge.length} byte manifest expected to be within 4393216 byte limit\n`,
      );
    } finally {
      await server.stop();
    }
  });
});

describe('--ca-file problems: one exit code, one noun', () => {
  const dir = scratch();
  after(() => dir.cleanup());
  test('missing, a directory, not PEM, a broken certificate: exit 1, naming --ca-file', async () => {
    mkdirSync(join(dir.path, 'certs'));
    const cases: [string, string][] = [
      [join(dir.path, 'nope.pem'), 'does not exist'],
      [join(dir.path, 'certs'), 'is a directory'],
      [dir.file('plain.txt', 'hello\n'), 'holds no PEM certificate'],
      [
        dir.file(
          'broken.pem',
          '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n',
        ),
        'holds no certificate that can be read',
      ],
    ];
    for (const [path, what] of cases) {
      const r = await run(['resolve', '--ca-file', path, '127.0.0.1:1/demo/app:v1']);
      assert.equal(r.code, 1, `${what}: ${r.stderr}`);
      assert.ok(isOneCleanLine(r.stderr), r.stderr);
      assert.ok(r.stderr.startsWith(`civctl: --ca-file '${path}' ${what}`), r.stderr);
      assert.match(r.stderr, /give a PEM file of CA certificates$/m);
    }
  });
});
