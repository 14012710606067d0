/** Reference normalisation as CRI does it (distribution/reference ParseDockerRef), host and scheme rules. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  digestError,
  isLocalhost,
  parseImageReference,
  registryHost,
  schemeFor,
} from '../../src/registry/reference.ts';

const D = 'a'.repeat(64);

describe('ParseDockerRef', () => {
  const normalised: [string, string][] = [
    ['nginx', 'docker.io/library/nginx:latest'],
    ['nginx:1.27', 'docker.io/library/nginx:1.27'],
    ['redis:7.4.8-alpine3.21', 'docker.io/library/redis:7.4.8-alpine3.21'],
    ['user/app', 'docker.io/user/app:latest'],
    ['docker.io/nginx', 'docker.io/library/nginx:latest'],
    ['index.docker.io/library/nginx', 'docker.io/library/nginx:latest'],
    ['index.docker.io/user/app:v1', 'docker.io/user/app:v1'],
    ['localhost/x', 'localhost/x:latest'],
    ['localhost:5000/x', 'localhost:5000/x:latest'],
    ['127.0.0.1:5000/team/app:v2', '127.0.0.1:5000/team/app:v2'],
    ['ghcr.io/org/app', 'ghcr.io/org/app:latest'],
    ['public.ecr.aws/docker/library/nginx:1', 'public.ecr.aws/docker/library/nginx:1'],
    [
      '123456789012.dkr.ecr.us-west-2.amazonaws.com/app:v1',
      '123456789012.dkr.ecr.us-west-2.amazonaws.com/app:v1',
    ],
    [`busybox:1.36@sha256:${D}`, `docker.io/library/busybox@sha256:${D}`],
    [`busybox@sha256:${D}`, `docker.io/library/busybox@sha256:${D}`],
    ['foo:5000', 'docker.io/library/foo:5000'],
    ['[::1]:5000/x', '[::1]:5000/x:latest'],
    // An upper-case first component is a registry name, as in Go.
    ['UPPER/app', 'UPPER/app:latest'],
  ];
  for (const [input, name] of normalised)
    test(`${input} → ${name}`, () => assert.equal(parseImageReference(input).name, name));

  test('parts', () => {
    assert.deepEqual(parseImageReference('localhost:5000/team/app:v2'), {
      domain: 'localhost:5000',
      path: 'team/app',
      tag: 'v2',
      name: 'localhost:5000/team/app:v2',
    });
  });

  const refused: [string, RegExp][] = [
    ['Nginx', /repository name \(library\/Nginx\) must be lowercase/],
    ['ghcr.io/Org/app', /repository name \(Org\/app\) must be lowercase/],
    [D, /cannot specify 64-byte hexadecimal strings/],
    ['nginx@sha256:abc', /: invalid reference format$/],
    [`nginx@md5:${'a'.repeat(32)}`, /unsupported digest algorithm/],
    ['', /: invalid reference format$/],
    ['nginx:', /: invalid reference format$/],
    ['a//b', /: invalid reference format$/],
    ['-nginx', /: invalid reference format$/],
    [`r/${'a'.repeat(260)}`, /must not be more than 255 characters/],
    // distribution/reference's domain has one optional port: CRI refuses what oras-go accepts.
    ['registry.example.com:5000:6000/app:v1', /: invalid reference format$/],
  ];
  for (const [input, message] of refused)
    test(`refuses ${JSON.stringify(input.slice(0, 40))}`, () =>
      assert.throws(() => parseImageReference(input), message));
});

describe('digests (go-digest Validate)', () => {
  test('canonical ones pass; the rest get go-digest’s reason', () => {
    assert.equal(digestError(`sha256:${D}`), undefined);
    assert.equal(digestError(`sha512:${'b'.repeat(128)}`), undefined);
    assert.equal(digestError(`sha256:${'A'.repeat(64)}`), 'invalid checksum digest format');
    assert.equal(digestError('sha256:abc'), 'invalid checksum digest length');
    assert.equal(digestError('md5:abc'), 'unsupported digest algorithm');
    assert.equal(digestError('sha256'), 'invalid checksum digest format');
    assert.equal(digestError(':abc'), 'invalid checksum digest format');
  });
});

describe("containerd's host and scheme rules", () => {
  test('docker.io is served by registry-1.docker.io', () => {
    assert.equal(registryHost('docker.io'), 'registry-1.docker.io');
    assert.equal(registryHost('ghcr.io'), 'ghcr.io');
  });
  test('plain HTTP only for localhost or loopback on a port other than 443', () => {
    assert.equal(schemeFor('localhost:5000'), 'http');
    assert.equal(schemeFor('localhost'), 'http');
    assert.equal(schemeFor('127.0.0.1:5000'), 'http');
    assert.equal(schemeFor('[::1]:5000'), 'http');
    assert.equal(schemeFor('127.0.0.1:443'), 'https');
    assert.equal(schemeFor('localhost:443'), 'https');
    assert.equal(schemeFor('registry.example.com:5000'), 'https');
    assert.equal(schemeFor('10.0.0.1:5000'), 'https');
    assert.equal(schemeFor('registry.example.com', true), 'http');
  });
  test('isLocalhost: localhost or a loopback IP in any spelling, after Go’s SplitHostPort', () => {
    assert.ok(isLocalhost('localhost:1'));
    assert.ok(isLocalhost('127.1.2.3'));
    assert.ok(isLocalhost('[::1]:5000'));
    assert.ok(isLocalhost('[::ffff:127.0.0.1]:5000'));
    assert.ok(isLocalhost('[0:0:0:0:0:0:0:1]:5000'));
    assert.ok(!isLocalhost('localhost.example.com'));
    assert.ok(!isLocalhost('LOCALHOST:5000'));
    assert.ok(!isLocalhost('127.0.0.01:5000'));
    // net.SplitHostPort fails without a port, and "[::1]" is no IP to net.ParseIP.
    assert.ok(!isLocalhost('[::1]'));
  });
});
