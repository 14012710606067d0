/**
 * The API client: a busy socket retried over one connection, malformed, trickling and oversized
 * answers refused clearly.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { ApiClient } from '../../src/api/client.ts';
import { fakeApi } from '../fake-api.ts';
import { ROOT, run, withServer } from '../helpers.ts';

const DIGESTION = join(ROOT, 'examples', 'digestion-redis.json');

describe('A busy socket is retried, over one connection', () => {
  // review m-11
  test('transient EAGAIN on connect is retried; other errors are not', async () => {
    let calls = 0;
    const dispatcher = {
      request: async () => {
        calls++;
        if (calls < 3) throw Object.assign(new Error('connect EAGAIN'), { code: 'EAGAIN' });
        return {
          statusCode: 200,
          body: (async function* () {
            yield Buffer.from('{}');
          })(),
        };
      },
      close: async () => undefined,
    };
    const client = new ApiClient({ socketPath: '/x', timeoutSeconds: 5, dispatcher: dispatcher as never });
    assert.deepEqual(await client.getJson('/os'), {});
    assert.equal(calls, 3);
    calls = 0;
    const refused = {
      request: async () => {
        calls++;
        throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
      },
    };
    const c2 = new ApiClient({ socketPath: '/x', timeoutSeconds: 5, dispatcher: refused as never });
    await assert.rejects(c2.getJson('/os'), /nothing is listening/);
    assert.equal(calls, 1);
  });
  test('one run reuses one connection', async () => {
    const sockets = new Set<unknown>();
    const api = fakeApi();
    await withServer(
      (req, res, body) => {
        sockets.add(req.socket);
        api.handler(req, res, body);
      },
      async (socket) => {
        const r = await run(['-s', socket, 'set', 'digestion', DIGESTION]);
        assert.equal(r.code, 0, r.stderr);
        assert.ok(api.log.length >= 4);
        assert.equal(sockets.size, 1);
      },
    );
  });
});

describe('answers the API never gives', () => {
  test('malformed answers are E_API_PROTOCOL, exit 1', async () => {
    // review m-15
    for (const answer of [
      [1, 2, 3],
      { settings: { 'image-verifier-plugins': { enabled: 'yes' } } },
      {
        settings: { 'image-verifier-plugins': { digestion: { trustpolicy: 42 } } },
      },
    ]) {
      const api = fakeApi({
        'GET /': (res) => {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify(answer));
        },
      });
      await withServer(api.handler, async (socket) => {
        for (const cmd of [['get'], ['status'], ['get', 'digestion']]) {
          const r = await run(['-s', socket, ...cmd]);
          assert.equal(r.code, 1, `${cmd.join(' ')}: ${r.stdout}`);
          assert.equal(r.stdout, '');
          assert.match(r.stderr, /is this the Bottlerocket API\?/);
        }
      });
    }
  });
  test('--timeout bounds a whole answer, even one that trickles', async () => {
    // review m-16
    await withServer(
      (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
        const timer = setInterval(() => res.write(' '), 200);
        res.on('close', () => clearInterval(timer));
      },
      async (socket) => {
        const started = Date.now();
        const r = await run(['-s', socket, '--timeout', '1', 'get']);
        assert.equal(r.code, 1);
        assert.match(r.stderr, /no answer from the Bottlerocket API socket .* within 1 s/);
        assert.ok(Date.now() - started < 5000);
      },
    );
  });
  test('an answer larger than any the API gives is refused', async () => {
    // review m-17
    await withServer(
      (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(Buffer.alloc(17 * 1024 * 1024, 0x20));
      },
      async (socket) => {
        const r = await run(['-s', socket, 'get']);
        assert.equal(r.code, 1);
        assert.match(r.stderr, /with more than 16777216 bytes/);
      },
    );
  });
});
