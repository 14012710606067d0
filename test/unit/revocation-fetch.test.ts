/** CRL and OCSP requests go through HTTP_PROXY as Go's default client sends them (notation's). */
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, test } from 'node:test';
import { revocationFetcher } from '../../src/verifiers/signature-check.ts';

interface Seen {
  url: string | undefined;
  headers: IncomingHttpHeaders;
}

async function server(body: string) {
  const seen: Seen[] = [];
  const s = createServer((req, res) => {
    seen.push({ url: req.url, headers: req.headers });
    res.writeHead(200, { 'content-type': 'application/pkix-crl' });
    res.end(body);
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return {
    seen,
    port: (s.address() as AddressInfo).port,
    close: () => new Promise<void>((r) => s.close(() => r())),
  };
}

describe('revocation requests and proxies', () => {
  const open: { close: () => Promise<void> }[] = [];
  after(() => Promise.all(open.map((s) => s.close())));

  test('a CRL on another host is asked of HTTP_PROXY in absolute form, with the proxy’s credentials', async () => {
    const proxy = await server('crl bytes');
    open.push(proxy);
    const fetcher = revocationFetcher({ HTTP_PROXY: `http://us%40er:p%3Ass@127.0.0.1:${proxy.port}` });
    const got = await fetcher.crl('http://crl.example.test/ca/leaf.crl');
    assert.ok(got instanceof Uint8Array, JSON.stringify(got));
    assert.equal(Buffer.from(got).toString(), 'crl bytes');
    assert.equal(proxy.seen[0]!.url, 'http://crl.example.test/ca/leaf.crl');
    assert.equal(proxy.seen[0]!.headers.host, 'crl.example.test');
    assert.equal(
      proxy.seen[0]!.headers['proxy-authorization'],
      `Basic ${Buffer.from('us@er:p:ss').toString('base64')}`,
    );
  });

  test('loopback is never proxied: the CRL server itself is asked, in origin form', async () => {
    const proxy = await server('from the proxy');
    const origin = await server('from the origin');
    open.push(proxy, origin);
    const fetcher = revocationFetcher({ HTTP_PROXY: `http://127.0.0.1:${proxy.port}` });
    const got = await fetcher.crl(`http://127.0.0.1:${origin.port}/leaf.crl`);
    assert.ok(got instanceof Uint8Array);
    assert.equal(Buffer.from(got).toString(), 'from the origin');
    assert.deepEqual(
      origin.seen.map((s) => s.url),
      ['/leaf.crl'],
    );
    assert.equal(proxy.seen.length, 0);
  });

  test('an OCSP responder on another host goes through the proxy too; a non-http one is not asked', async () => {
    const proxy = await server('ocsp answer');
    open.push(proxy);
    const fetcher = revocationFetcher({ http_proxy: `127.0.0.1:${proxy.port}` });
    assert.ok((await fetcher.ocsp('http://ocsp.example.test/')) instanceof Uint8Array);
    assert.equal(proxy.seen[0]!.url, 'http://ocsp.example.test/');
    assert.deepEqual(await fetcher.ocsp('ldap://ocsp.example.test/'), {
      error: 'OCSPServer protocol is not supported: ldap://ocsp.example.test/',
    });
  });
});
