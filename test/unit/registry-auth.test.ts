/** WWW-Authenticate parsing (RFC 7235, as containerd's auth/parse.go), token scopes and answers. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  basicAuthorization,
  parseChallenges,
  tokenFromAnswer,
  tokenScopes,
} from '../../src/registry/auth.ts';
import { configKey, DOCKER_HUB_KEY, dockerConfigPath } from '../../src/registry/credentials.ts';

describe('challenges', () => {
  test("Docker Hub's Bearer challenge", () => {
    assert.deepEqual(
      parseChallenges('Bearer realm="https://auth.docker.io/token",service="registry.docker.io"'),
      [
        {
          scheme: 'bearer',
          params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io' },
        },
      ],
    );
  });
  test('token (unquoted) values, spaces around "=", escapes in quoted strings, case-insensitive names', () => {
    assert.deepEqual(
      parseChallenges('BEARER Realm = https://gcr.io/v2/token , service=gcr.io, scope="a \\"b\\""'),
      [{ scheme: 'bearer', params: { realm: 'https://gcr.io/v2/token', service: 'gcr.io', scope: 'a "b"' } }],
    );
  });
  test('several challenges in one header, and several headers', () => {
    assert.deepEqual(
      parseChallenges([
        'Basic realm="x", Bearer realm="https://t/token",scope="repository:a:pull"',
        'Negotiate',
      ]),
      [
        { scheme: 'basic', params: { realm: 'x' } },
        { scheme: 'bearer', params: { realm: 'https://t/token', scope: 'repository:a:pull' } },
        { scheme: 'negotiate', params: {} },
      ],
    );
  });
  test('an error parameter is kept (insufficient_scope)', () => {
    const [c] = parseChallenges(
      'Bearer realm="r",service="s",scope="repository:p:pull",error="insufficient_scope"',
    );
    assert.equal(c!.params['error'], 'insufficient_scope');
  });
  test('nothing to parse', () => {
    assert.deepEqual(parseChallenges(undefined), []);
    assert.deepEqual(parseChallenges(''), []);
  });
});

describe('tokens', () => {
  test("scopes: the challenge's ∪ pull on the repository, sorted and unique (public.ecr.aws sends scope=aws)", () => {
    assert.deepEqual(tokenScopes('aws', 'docker/library/nginx'), [
      'aws',
      'repository:docker/library/nginx:pull',
    ]);
    assert.deepEqual(tokenScopes('repository:a:pull', 'a'), ['repository:a:pull']);
    assert.deepEqual(tokenScopes(undefined, 'a'), ['repository:a:pull']);
  });
  test('access_token wins over token; an empty answer is none', () => {
    assert.deepEqual(tokenFromAnswer({ token: 't', access_token: 'a', expires_in: 60 }), {
      token: 'a',
      expiresIn: 60,
    });
    assert.deepEqual(tokenFromAnswer({ token: 't' }), { token: 't' });
    assert.equal(tokenFromAnswer({ token: '' }), undefined);
    assert.equal(tokenFromAnswer([]), undefined);
  });
  test('Basic', () => assert.equal(basicAuthorization({ username: 'AWS', secret: 'p' }), 'Basic QVdTOnA='));
});

describe('Docker config lookup', () => {
  test('the file: $DOCKER_CONFIG/config.json, else ~/.docker/config.json', () => {
    assert.equal(dockerConfigPath({ DOCKER_CONFIG: '/c', HOME: '/h' }), '/c/config.json');
    assert.equal(dockerConfigPath({ HOME: '/h' }), '/h/.docker/config.json');
  });
  test("Docker Hub's key is https://index.docker.io/v1/", () => {
    assert.equal(configKey('docker.io'), DOCKER_HUB_KEY);
    assert.equal(configKey('ghcr.io'), 'ghcr.io');
  });
});
