/**
 * Which redirects keep Authorization: Go's shouldCopyHeaderOnRedirect (net/http client.go), whose
 * own test table (TestShouldCopyHeaderOnRedirect) is re-expressed here for the URLs Node can parse.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isDomainOrSubdomain } from '../../src/registry/client.ts';

test('Authorization follows a redirect to the same host (any port or scheme) and its subdomains only', () => {
  const cases: [string, string, boolean][] = [
    ['http://foo.com/', 'http://bar.com/', false],
    ['http://foo.com/', 'http://foo.com/', true],
    ['http://foo.com/', 'http://sub.foo.com/', true],
    ['http://foo.com/', 'http://notfoo.com/', false],
    ['http://foo.com/', 'https://foo.com/', true],
    ['http://foo.com:1234/', 'http://foo.com:4321/', true],
    ['http://foo.com/', 'http://bar.foo.com/', true],
    ['http://sub.foo.com/', 'http://foo.com/', false],
    ['http://127.0.0.1:5000/', 'http://127.0.0.1:6000/', true],
    ['http://127.0.0.1:5000/', 'http://localhost:5000/', false],
    // An IPv6 address is never a subdomain of anything.
    ['http://[::1]:5000/', 'http://[::1]:6000/', true],
    ['http://example.com/', 'http://[::1]/', false],
  ];
  for (const [from, to, kept] of cases)
    assert.equal(isDomainOrSubdomain(new URL(to), new URL(from)), kept, `${from} → ${to}`);
});
