/**
 * The proxy a registry request takes, against the cases of golang.org/x/net/http/httpproxy's own
 * tests (proxy_test.go: proxyForURLTests, UseProxyTests, TestInvalidNoProxy, TestAllNoProxy,
 * TestFromEnvironment*), re-expressed here, plus the rules around them that Go's tests leave implicit.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  parseNoProxy,
  parseProxyValue,
  proxyEnvironment,
  proxyFor,
  proxyLabel,
  splitHostPort,
  useProxy,
} from '../../src/registry/proxy.ts';

/** The proxy for `target` (a URL) under `env`, as Go's test prints it: the URL, `<nil>` or the error. */
function proxyOf(env: Record<string, string>, target = 'http://example.com'): string {
  const url = new URL(target);
  const host = /^[a-z]+:\/\/([^/]*)/.exec(target)![1]!;
  const decision = proxyFor(proxyEnvironment(env), url.protocol === 'https:' ? 'https' : 'http', host);
  if (decision.kind === 'direct') return '<nil>';
  if (decision.kind === 'refused') return `error: ${decision.message}`;
  return proxyLabel(decision.proxy);
}

describe('proxy URL from the environment (Go: proxyForURLTests)', () => {
  const cases: [Record<string, string>, string | undefined, string][] = [
    // A host:port without a scheme is an http proxy.
    [{ HTTP_PROXY: '127.0.0.1:8080' }, undefined, 'http://127.0.0.1:8080'],
    [{ HTTP_PROXY: 'cache.corp.example.com:1234' }, undefined, 'http://cache.corp.example.com:1234'],
    [{ HTTP_PROXY: 'cache.corp.example.com' }, undefined, 'http://cache.corp.example.com'],
    [{ HTTP_PROXY: 'https://cache.corp.example.com' }, undefined, 'https://cache.corp.example.com'],
    [{ HTTP_PROXY: 'http://127.0.0.1:8080' }, undefined, 'http://127.0.0.1:8080'],
    [{ HTTP_PROXY: 'https://127.0.0.1:8080' }, undefined, 'https://127.0.0.1:8080'],
    // HTTP_PROXY serves http, HTTPS_PROXY serves https: never the other one.
    [
      { HTTP_PROXY: 'http.proxy.tld', HTTPS_PROXY: 'secure.proxy.tld' },
      'http://insecure.tld/',
      'http://http.proxy.tld',
    ],
    [
      { HTTP_PROXY: 'http.proxy.tld', HTTPS_PROXY: 'secure.proxy.tld' },
      'https://secure.tld/',
      'http://secure.proxy.tld',
    ],
    [
      { HTTP_PROXY: 'http.proxy.tld', HTTPS_PROXY: 'https://secure.proxy.tld' },
      'https://secure.tld/',
      'https://secure.proxy.tld',
    ],
    [{ HTTP_PROXY: 'http.proxy.tld' }, 'https://secure.tld/', '<nil>'],
    [{ HTTPS_PROXY: 'secure.proxy.tld' }, 'http://insecure.tld/', '<nil>'],
    // A CGI environment (REQUEST_METHOD set) refuses HTTP_PROXY, which a client could have set...
    [
      { HTTP_PROXY: 'http://10.1.2.3:8080', REQUEST_METHOD: 'GET' },
      undefined,
      'error: refusing to use HTTP_PROXY in a CGI environment (REQUEST_METHOD is set), as Go does; see golang.org/s/cgihttpproxy',
    ],
    // ...but still uses HTTPS_PROXY.
    [
      { HTTPS_PROXY: 'https://secure.proxy.tld', REQUEST_METHOD: 'GET' },
      'https://secure.tld/',
      'https://secure.proxy.tld',
    ],
    [{}, undefined, '<nil>'],
    // NO_PROXY: a name covers itself and its subdomains; `.name` its subdomains only.
    [{ NO_PROXY: 'example.com', HTTP_PROXY: 'proxy' }, 'http://example.com/', '<nil>'],
    [{ NO_PROXY: '.example.com', HTTP_PROXY: 'proxy' }, 'http://example.com/', 'http://proxy'],
    [{ NO_PROXY: 'ample.com', HTTP_PROXY: 'proxy' }, 'http://example.com/', 'http://proxy'],
    [{ NO_PROXY: 'example.com', HTTP_PROXY: 'proxy' }, 'http://foo.example.com/', '<nil>'],
    [{ NO_PROXY: '.foo.com', HTTP_PROXY: 'proxy' }, 'http://example.com/', 'http://proxy'],
  ];
  for (const [env, target, want] of cases)
    test(`${JSON.stringify(env)} ${target ?? 'http://example.com'} → ${want}`, () =>
      assert.equal(proxyOf(env, target), want));
});

describe('which variables count (Go: FromEnvironment, getEnvAny)', () => {
  test('upper case wins over lower case; an empty upper-case value falls through to lower case', () => {
    assert.equal(
      proxyOf({ HTTPS_PROXY: 'upper:1', https_proxy: 'lower:2' }, 'https://r.example'),
      'http://upper:1',
    );
    assert.equal(proxyOf({ HTTPS_PROXY: '', https_proxy: 'lower:2' }, 'https://r.example'), 'http://lower:2');
    assert.equal(proxyOf({ https_proxy: 'lower:2' }, 'https://r.example'), 'http://lower:2');
    assert.equal(
      proxyOf({ HTTPS_PROXY: 'p:1', NO_PROXY: '', no_proxy: 'r.example' }, 'https://r.example'),
      '<nil>',
    );
    assert.equal(
      proxyOf({ HTTPS_PROXY: 'p:1', NO_PROXY: 'other.example', no_proxy: 'r.example' }, 'https://r.example'),
      'http://p:1',
    );
  });
  test('REQUEST_METHOD only counts when it is not empty', () => {
    assert.equal(proxyOf({ HTTP_PROXY: 'p:1', REQUEST_METHOD: '' }), 'http://p:1');
    assert.equal(proxyEnvironment({ REQUEST_METHOD: 'PUT' }).cgi, true);
  });
  test('the variable a proxy came from is kept for messages', () => {
    const env = proxyEnvironment({ https_proxy: 'http://u:secret@p.example:3128' });
    assert.equal(env.https?.variable, 'https_proxy');
    assert.equal(env.https?.url.password, 'secret');
    // Messages name the proxy without its credentials.
    assert.equal(proxyLabel(env.https!), 'http://p.example:3128');
  });
  test('a value Go cannot parse either way is ignored; a scheme civctl cannot use is refused', () => {
    // A control character fails url.Parse with and without the http:// Go adds.
    assert.equal(parseProxyValue('p\u0001q:3128'), undefined);
    assert.equal(proxyOf({ HTTPS_PROXY: 'p\u0001q:3128' }, 'https://r.example'), '<nil>');
    assert.match(
      proxyOf({ HTTPS_PROXY: 'ftp://p.example' }, 'https://r.example'),
      /^error: HTTPS_PROXY names a ftp proxy/,
    );
    assert.match(
      proxyOf({ HTTPS_PROXY: 'socks5://127.0.0.2:1080' }, 'https://r.example'),
      /^error: HTTPS_PROXY names a socks5 proxy, which civctl does not speak/,
    );
    // ...unless NO_PROXY exempts the registry anyway.
    assert.equal(proxyOf({ HTTPS_PROXY: 'ftp://p', NO_PROXY: 'r.example' }, 'https://r.example'), '<nil>');
  });
});

describe('NO_PROXY matching (Go: UseProxyTests; true means "through the proxy")', () => {
  const noProxy =
    'foobar.com, .barbaz.net, *.wildcard.io, 192.168.1.1, 192.168.1.2:81, 192.168.1.3:80, 10.0.0.0/30, 2001:db8::52:0:1, [2001:db8::52:0:2]:443, [2001:db8::52:0:3]:80, 2002:db8:a::45/64';
  const rules = parseNoProxy(noProxy);
  const cases: [string, boolean][] = [
    // Never localhost or a loopback address.
    ['localhost', false],
    ['127.0.0.1', false],
    ['127.0.0.2', false],
    ['[::1]', false],
    ['[::2]', true],
    // IP entries, with and without ports, and CIDR ranges.
    ['192.168.1.1', false],
    ['192.168.1.2', true], // the entry's port (81) differs
    ['192.168.1.3', false],
    ['192.168.1.4', true],
    ['10.0.0.2', false],
    ['[2001:db8::52:0:1]', false],
    ['[2001:db8::52:0:2]', true], // the entry's port (443) differs
    ['[2001:db8::52:0:3]', false],
    ['[2002:db8:a::123]', false],
    ['[fe80::424b:c8be:1643:a1b6]', true],
    // Names: `.name` and `*.name` cover subdomains only; `name` covers itself too; whole labels only.
    ['barbaz.net', true],
    ['www.barbaz.net', false],
    ['foobar.com', false],
    ['www.foobar.com', false],
    ['foofoobar.com', true],
    ['baz.com', true],
    ['localhost.net', true],
    ['local.localhost', true],
    ['barbarbaz.net', true],
    ['wildcard.io', true],
    ['nested.wildcard.io', false],
    ['awildcard.io', true],
  ];
  for (const [host, proxied] of cases)
    test(`${host}:80 ${proxied ? 'through the proxy' : 'direct'}`, () =>
      assert.equal(useProxy(rules, 'http', `${host}:80`), proxied));

  test('an entry without a host is ignored (TestInvalidNoProxy)', () =>
    assert.equal(useProxy(parseNoProxy(':1'), 'http', 'example.com:80'), true));
  test('`*` exempts every host (TestAllNoProxy)', () => {
    for (const [host] of cases) assert.equal(useProxy(parseNoProxy('*'), 'http', `${host}:80`), false, host);
    // `*` wins wherever it stands in the list.
    assert.equal(useProxy(parseNoProxy('a.example, *'), 'https', 'registry.example'), false);
  });
});

describe('NO_PROXY details Go implies', () => {
  test('entries are trimmed and compared without case; the target name without case too', () => {
    assert.equal(
      useProxy(parseNoProxy('  Registry.Example.COM  ,x'), 'https', 'registry.example.com'),
      false,
    );
    assert.equal(useProxy(parseNoProxy('registry.example.com'), 'https', 'REGISTRY.example.com:443'), false);
  });
  test('a port in an entry must equal the target port, the scheme’s own when none is written', () => {
    const rules = parseNoProxy('registry.example:5000, other.example:443');
    assert.equal(useProxy(rules, 'https', 'registry.example:5000'), false);
    assert.equal(useProxy(rules, 'https', 'registry.example'), true);
    assert.equal(useProxy(rules, 'https', 'other.example'), false);
    assert.equal(useProxy(rules, 'http', 'other.example'), true);
  });
  test('localhost is exempt exactly as written; loopback in any spelling', () => {
    const none = parseNoProxy('');
    assert.equal(useProxy(none, 'http', 'localhost:5000'), false);
    assert.equal(useProxy(none, 'http', 'LOCALHOST:5000'), true);
    assert.equal(useProxy(none, 'http', 'localhost.:5000'), true);
    assert.equal(useProxy(none, 'http', '127.255.0.1:5000'), false);
    assert.equal(useProxy(none, 'http', '[::ffff:127.0.0.1]:5000'), false);
    assert.equal(useProxy(none, 'http', '[0:0:0:0:0:0:0:1]:5000'), false);
    assert.equal(useProxy(none, 'http', '128.0.0.1:5000'), true);
  });
  test('name entries never match an IP address, IP entries never match a name', () => {
    assert.equal(useProxy(parseNoProxy('10.0.0.1'), 'https', '10.0.0.1'), false);
    assert.equal(useProxy(parseNoProxy('0.1'), 'https', '10.0.0.1'), true);
    assert.equal(useProxy(parseNoProxy('10.0.0.0/8'), 'https', '10.example'), true);
  });
  test('an IPv4 entry covers the same address written as IPv4-mapped IPv6, and back', () => {
    assert.equal(useProxy(parseNoProxy('10.0.0.1'), 'https', '[::ffff:10.0.0.1]'), false);
    assert.equal(useProxy(parseNoProxy('::ffff:10.0.0.1'), 'https', '10.0.0.1'), false);
    assert.equal(useProxy(parseNoProxy('10.0.0.0/8'), 'https', '[::ffff:10.9.9.9]'), false);
  });
  test('CIDR prefixes beyond the address length are not ranges', () =>
    assert.equal(useProxy(parseNoProxy('10.0.0.0/33'), 'https', '10.0.0.1'), true));
  test('non-ASCII names are compared in punycode', () => {
    assert.equal(useProxy(parseNoProxy('bücher.example'), 'https', 'xn--bcher-kva.example'), false);
    assert.equal(useProxy(parseNoProxy('.bücher.example'), 'https', 'r.xn--bcher-kva.example'), false);
  });
});

test('net.SplitHostPort as Go splits', () => {
  assert.deepEqual(splitHostPort('host:80'), { host: 'host', port: '80' });
  assert.deepEqual(splitHostPort('host:'), { host: 'host', port: '' });
  assert.deepEqual(splitHostPort('[::1]:80'), { host: '::1', port: '80' });
  assert.equal(splitHostPort('host'), undefined);
  assert.equal(splitHostPort('::1'), undefined);
  assert.equal(splitHostPort('[::1]'), undefined);
  assert.equal(splitHostPort('a:b:c'), undefined);
  assert.equal(splitHostPort('[a]b:80'), undefined);
});
