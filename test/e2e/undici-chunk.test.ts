/**
 * The undici chunk as it ships in dist/civctl.cjs (built with stubs of node:http, node:http2 and
 * node:assert, and without what civctl never uses: scripts/build.mjs), run over every path civctl
 * takes — the API's Client on a Unix socket, an Agent to a registry, ProxyAgent's CONNECT tunnel (http and https) and its
 * absolute-form requests, proxy credentials, a 407, a dead proxy, EnvHttpProxyAgent with NO_PROXY —
 * side by side with the undici package itself: the same answers, the same errors.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createServer as createNetServer, type LookupFunction } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type * as Undici from 'undici';
import * as undiciPackage from 'undici';
import {
  BIN,
  builtChunk,
  FAKE_REGISTRY_HOST,
  type FakeRegistry,
  startFakeRegistry,
  tempDir,
  testCertificate,
  withServer,
} from '../helpers.ts';
import { startProxy, type TestProxy } from '../proxy.ts';

const shipped = builtChunk(BIN, 'undici') as unknown as typeof Undici;
/** The https case needs a certificate for registry.test, made by openssl (as the registry rig's are). */
const noOpenssl = existsSync('/usr/bin/openssl')
  ? undefined
  : 'openssl is not installed (apt-get install openssl)';
if (noOpenssl && process.env['CIVCTL_REQUIRE_REGISTRY'] === '1')
  throw new Error(`CIVCTL_REQUIRE_REGISTRY=1 but ${noOpenssl}`);
const IMPLEMENTATIONS = [
  ['the shipped chunk', shipped],
  ['the undici package', undiciPackage],
] as const;

/** What a request came back with, or how it failed, comparable across the two implementations. */
type Outcome = { status: number; digest: string | undefined; body: string } | { error: string };

async function outcome(
  dispatcher: Undici.Dispatcher,
  url: string,
  options: { method?: 'GET' | 'HEAD' | 'PATCH'; body?: string } = {},
): Promise<Outcome> {
  try {
    const res = await dispatcher.request({
      origin: new URL(url).origin,
      path: new URL(url).pathname,
      method: options.method ?? 'GET',
      ...(options.body !== undefined ? { body: options.body } : {}),
      headers: { 'content-type': 'application/json' },
    });
    const digest = res.headers['docker-content-digest'];
    return {
      status: res.statusCode,
      digest: digest === undefined ? undefined : String(digest),
      body: await res.body.text(),
    };
  } catch (err) {
    const e = err as Error & { code?: string };
    return { error: `${e.name} ${e.code ?? ''} ${e.message}` };
  } finally {
    await dispatcher.close();
  }
}

/** Runs one scenario with both implementations: the same outcome, which must also be `expected`. */
async function bothAgree(
  scenario: (undici: typeof Undici) => Promise<Outcome>,
  expected: (outcome: Outcome) => void,
): Promise<void> {
  const outcomes: Outcome[] = [];
  for (const [, undici] of IMPLEMENTATIONS) {
    const o = await scenario(undici);
    expected(o);
    outcomes.push(o);
  }
  assert.deepEqual(outcomes[0], outcomes[1]);
}

/** registry.test resolves to loopback for the connections that go direct (NO_PROXY). */
const lookup: LookupFunction = ((hostname: string, options: unknown, callback: unknown) => {
  const cb = (typeof options === 'function' ? options : callback) as (...a: unknown[]) => void;
  const all = typeof options === 'object' && options !== null && (options as { all?: boolean }).all;
  if (hostname !== FAKE_REGISTRY_HOST)
    return cb(Object.assign(new Error(`ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }));
  return all ? cb(null, [{ address: '127.0.0.1', family: 4 }]) : cb(null, '127.0.0.1', 4);
}) as LookupFunction;

describe("the bundle's undici chunk", () => {
  const dir = tempDir();
  let registry: FakeRegistry;
  let tlsRegistry: FakeRegistry | undefined;
  let ca = '';
  let proxy: TestProxy;
  let guarded: TestProxy;
  /** What the proxy was asked, from `from` on: `CONNECT host:port` or `GET http://host:port/path`. */
  const asked = (p: TestProxy, from = 0) => p.log.slice(from).map((e) => `${e.method} ${e.target}`);
  const url = (p: TestProxy) => `http://${p.address}`;
  before(async () => {
    registry = await startFakeRegistry();
    if (!noOpenssl) {
      const certificate = testCertificate(dir.path, FAKE_REGISTRY_HOST);
      ca = certificate.cert;
      tlsRegistry = await startFakeRegistry({ tls: certificate });
    }
    // registry.test:PORT stands for each registry: the proxy maps the name, nothing resolves it.
    const hosts = Object.fromEntries(
      [registry, tlsRegistry].flatMap((r) => (r ? [[r.host, r.address]] : [])),
    );
    proxy = await startProxy({ hosts });
    guarded = await startProxy({ hosts, credentials: 'proxyuser:pr0xy secret' });
  });
  after(async () => {
    await Promise.all([registry.close(), tlsRegistry?.close(), proxy.stop(), guarded.stop()]);
    dir.cleanup();
  });
  const manifestUrl = (r: FakeRegistry, scheme = 'http') => `${scheme}://${r.host}/v2/app/manifests/v1`;
  const served = (r: () => FakeRegistry) => (o: Outcome) => {
    assert.ok('status' in o, JSON.stringify(o));
    assert.equal(o.status, 200);
    assert.equal(o.digest, r().manifest.digest);
  };

  test("is wired as undici's index.js wires it: the whole Dispatcher API and civctl's dispatchers", () => {
    for (const method of ['request', 'stream', 'pipeline', 'upgrade', 'connect'])
      assert.equal(
        typeof (shipped.Dispatcher.prototype as unknown as Record<string, unknown>)[method],
        'function',
        method,
      );
    assert.deepEqual(
      Object.keys(shipped.Dispatcher.prototype).sort(),
      Object.keys(undiciPackage.Dispatcher.prototype).sort(),
    );
    for (const name of [
      'Client',
      'Pool',
      'Agent',
      'ProxyAgent',
      'EnvHttpProxyAgent',
      'buildConnector',
    ] as const)
      assert.equal(typeof shipped[name], 'function', name);
    assert.equal(typeof shipped.errors.UndiciError, 'function');
  });

  test('the API path: a Client on a Unix socket, GET and PATCH with a body', async () => {
    await withServer(
      (req, res, body) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ method: req.method, url: req.url, body }));
      },
      async (socketPath) => {
        for (const method of ['GET', 'PATCH'] as const)
          await bothAgree(
            (undici) =>
              outcome(new undici.Client('http://localhost', { socketPath }), 'http://localhost/settings', {
                method,
                ...(method === 'PATCH' ? { body: '{"a":1}' } : {}),
              }),
            (o) =>
              assert.deepEqual(o, {
                status: 200,
                digest: undefined,
                body: JSON.stringify({
                  method,
                  url: '/settings',
                  ...{ body: method === 'PATCH' ? '{"a":1}' : '' },
                }),
              }),
          );
      },
    );
  });

  test("an answer llhttp cannot parse: the same HTTPParserError, from llhttp's constants as the chunk keeps them", async () => {
    const sockets = tempDir();
    const socketPath = join(sockets.path, 'bad.sock');
    const server = createNetServer((socket) => {
      socket.on('error', () => {});
      socket.once('data', () => socket.end('HTTP/1.1 2x0 OK\r\ncontent-length: 0\r\n\r\n'));
    });
    await new Promise<void>((r) => server.listen(socketPath, r));
    try {
      await bothAgree(
        (undici) =>
          outcome(new undici.Client('http://localhost', { socketPath }), 'http://localhost/settings'),
        // undici looks the code up in llhttp's ERROR table by number, where the table maps names:
        // no code, in the package as in the chunk.
        (o) =>
          assert.match(
            'error' in o ? o.error : '',
            /^HTTPParserError {2}Response does not match the HTTP\/1\.1 protocol \(Invalid status code\)$/,
            JSON.stringify(o),
          ),
      );
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
      sockets.cleanup();
    }
  });

  test('what civctl never sends is left out of the chunk, and says so: a FormData body', async () => {
    await withServer(
      (_req, res) => res.end('{}'),
      async (socketPath) => {
        const client = new shipped.Client('http://localhost', { socketPath });
        const body = new FormData();
        body.append('a', '1');
        try {
          await assert.rejects(
            client.request({ origin: 'http://localhost', path: '/', method: 'POST', body: body as never }),
            /civctl sends no FormData body/,
          );
        } finally {
          await client.destroy();
        }
      },
    );
  });

  test('what civctl never asks for is left out of the chunk, and says so: a SOCKS5 proxy', async () => {
    // civctl reports a socks5 proxy as one it cannot use before any dispatcher is made
    // (test/unit/registry-proxy.test.ts); the chunk's ProxyAgent has no SOCKS5 agent to make.
    const agent = new shipped.ProxyAgent('socks5://127.0.0.1:1');
    try {
      await assert.rejects(
        agent.request({ origin: 'http://registry.test', path: '/v2/', method: 'GET' }),
        /civctl proxies through http and https proxies only: its undici has no SOCKS5 agent/,
      );
    } finally {
      await agent.close().catch(() => {});
    }
  });

  test('a registry without a proxy: an Agent, HEAD and GET', async () => {
    for (const method of ['HEAD', 'GET'] as const)
      await bothAgree(
        (undici) => outcome(new undici.Agent({ connect: { lookup } }), manifestUrl(registry), { method }),
        served(() => registry),
      );
  });

  test('an http registry through a CONNECT tunnel', async () => {
    const before = proxy.log.length;
    await bothAgree(
      (undici) => outcome(new undici.ProxyAgent({ uri: url(proxy) }), manifestUrl(registry)),
      served(() => registry),
    );
    assert.deepEqual(asked(proxy, before), [`CONNECT ${registry.host}`, `CONNECT ${registry.host}`]);
  });

  test('an http registry through absolute-form requests (no tunnel), as Go sends them', async () => {
    const before = proxy.log.length;
    await bothAgree(
      (undici) =>
        outcome(new undici.ProxyAgent({ uri: url(proxy), proxyTunnel: false }), manifestUrl(registry)),
      served(() => registry),
    );
    const absolute = `GET ${manifestUrl(registry)}`;
    assert.deepEqual(asked(proxy, before), [absolute, absolute]);
    assert.ok(registry.headers.includes(registry.host), 'the registry saw its own name as Host');
  });

  test('an https registry through a CONNECT tunnel, trusting a CA of its own', {
    skip: noOpenssl,
  }, async () => {
    const tls = tlsRegistry!;
    const before = proxy.log.length;
    await bothAgree(
      (undici) =>
        outcome(
          new undici.ProxyAgent({ uri: url(proxy), requestTls: { ca: [ca] } }),
          manifestUrl(tls, 'https'),
        ),
      served(() => tls),
    );
    assert.deepEqual(asked(proxy, before), [`CONNECT ${tls.host}`, `CONNECT ${tls.host}`]);
  });

  test('credentials in the proxy URL go as Proxy-Authorization; wrong ones meet a 407', async () => {
    const good = `http://proxyuser:${encodeURIComponent('pr0xy secret')}@${guarded.address}`;
    for (const proxyTunnel of [true, false])
      await bothAgree(
        (undici) => outcome(new undici.ProxyAgent({ uri: good, proxyTunnel }), manifestUrl(registry)),
        served(() => registry),
      );
    assert.ok(
      guarded.log.every(
        (e) => e.proxyAuthorization === `Basic ${Buffer.from('proxyuser:pr0xy secret').toString('base64')}`,
      ),
    );
    const bad = `http://proxyuser:wrong@${guarded.address}`;
    for (const proxyTunnel of [true, false])
      await bothAgree(
        (undici) => outcome(new undici.ProxyAgent({ uri: bad, proxyTunnel }), manifestUrl(registry)),
        (o) => assert.match('error' in o ? o.error : JSON.stringify(o), /407/),
      );
  });

  test('a dead proxy is a connection error, not a crash', async () => {
    const dead = await startProxy();
    await dead.stop();
    await bothAgree(
      (undici) => outcome(new undici.ProxyAgent({ uri: url(dead) }), manifestUrl(registry)),
      (o) => assert.match('error' in o ? o.error : JSON.stringify(o), /ECONNREFUSED/),
    );
  });

  test('EnvHttpProxyAgent: through the proxy, or direct for a NO_PROXY host', async () => {
    const before = proxy.log.length;
    for (const noProxy of ['other.test', FAKE_REGISTRY_HOST])
      await bothAgree(
        (undici) =>
          outcome(
            new undici.EnvHttpProxyAgent({ httpProxy: url(proxy), noProxy, connect: { lookup } }),
            manifestUrl(registry),
          ),
        served(() => registry),
      );
    // Proxied for other.test's NO_PROXY (twice: once per implementation), direct for its own.
    assert.deepEqual(asked(proxy, before), [`CONNECT ${registry.host}`, `CONNECT ${registry.host}`]);
  });
});
