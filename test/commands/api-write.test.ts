/**
 * Writing to the API: gates on policies that block every pull or stop enforcement, interruptions
 * and failures around the commit, and what a write tells of the variant check.
 */
import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fakeApi } from '../fake-api.ts';
import { isOneCleanLine, ROOT, run, scratch, withServer, withSim } from '../helpers.ts';

const DIGESTION = join(ROOT, 'examples', 'digestion-redis.json');
const BAD_NOTATION = join(ROOT, 'examples', 'bad-notation-scope.json');
const EMPTY_DIGESTION = join(ROOT, 'examples', 'empty-digestion.json');

describe('Enable refuses to switch on a policy that rejects every image', () => {
  // review M-4
  test('refused without --force, allowed with it, and said', () =>
    withSim(async (socket) => {
      const s = ['-s', socket];
      assert.equal((await run([...s, 'set', 'notation', BAD_NOTATION, '--force'])).code, 0);
      const refused = await run([...s, 'enable']);
      assert.equal(refused.code, 1);
      assert.match(
        refused.stderr,
        /the stored notation policy rejects every image pull, so enabling verification blocks all pulls/,
      );
      assert.equal((await run([...s, 'status', '-o', 'json'])).stdout.includes('"enabled": false'), true);
      const forced = await run([...s, 'enable', '--force']);
      assert.equal(forced.code, 0);
      assert.match(forced.stderr, /warning: the stored notation policy rejects every image pull/);
    }));
  test('set X --enable refuses when another stored policy rejects every image', () =>
    withSim(async (socket) => {
      const s = ['-s', socket];
      assert.equal((await run([...s, 'set', 'notation', BAD_NOTATION, '--force'])).code, 0);
      const r = await run([...s, 'set', 'digestion', DIGESTION, '--enable']);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /stored notation policy rejects every image pull/);
    }));
});

describe('An interruption after the PATCH leaves nothing pending', () => {
  // review M-5
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    test(`${signal} while committing: the transaction is deleted, exit ${code}`, async () => {
      const interrupts = new AbortController();
      const api = fakeApi({
        // The commit hangs until the "signal" arrives.
        'POST /tx/commit_and_apply': () => interrupts.abort(signal),
      });
      await withServer(api.handler, async (socket) => {
        const r = await run(['-s', socket, 'set', 'digestion', DIGESTION], { interrupts });
        assert.equal(r.code, code);
        assert.ok(isOneCleanLine(r.stderr.split('\n').slice(-2).join('\n')), r.stderr);
        assert.match(
          r.stderr,
          new RegExp(
            `interrupted by ${signal} while committing: the change may or may not have been applied`,
          ),
        );
        assert.ok(
          api.log.some((l) => l.startsWith('DELETE /tx?tx=civctl-')),
          api.log.join(', '),
        );
        assert.deepEqual([...api.pending], []);
      });
    });
  }
  test('interrupted during the PATCH: discarded, nothing changed', async () => {
    const interrupts = new AbortController();
    const api = fakeApi({ 'PATCH /settings': () => interrupts.abort('SIGINT') });
    await withServer(api.handler, async (socket) => {
      const r = await run(['-s', socket, 'set', 'digestion', DIGESTION], { interrupts });
      assert.equal(r.code, 130);
      assert.match(
        r.stderr,
        /interrupted by SIGINT before the change was committed; transaction civctl-\w{16} was discarded, nothing changed/,
      );
      assert.equal(api.log.filter((l) => l.startsWith('POST')).length, 0);
    });
  });
});

describe('around the commit', () => {
  test('a commit timeout says the outcome is unknown', async () => {
    // review m-12
    const api = fakeApi({ 'POST /tx/commit_and_apply': () => undefined });
    await withServer(api.handler, async (socket) => {
      const r = await run(['-s', socket, '--timeout', '1', 'set', 'digestion', DIGESTION]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /the commit may or may not have been applied/);
    });
  });
  test('a cleanup DELETE that fails is reported with the command that finishes it', async () => {
    // review m-14
    const fail = (res: ServerResponse) => {
      res.writeHead(500);
      res.end('boom');
    };
    const api = fakeApi({ 'POST /tx/commit_and_apply': fail, 'DELETE /tx': fail });
    await withServer(api.handler, async (socket) => {
      const r = await run(['-s', socket, 'set', 'digestion', DIGESTION]);
      assert.equal(r.code, 1);
      assert.ok(isOneCleanLine(r.stderr), r.stderr);
      assert.match(
        r.stderr,
        /transaction civctl-\w{16} could not be removed .*apiclient raw -m DELETE -u '\/tx\?tx=civctl-/,
      );
    });
  });
  test('when GET /os fails, the skipped variant check is said', async () => {
    // review m-13
    const api = fakeApi({
      'GET /os': (res) => {
        res.writeHead(500);
        res.end('x');
      },
    });
    await withServer(api.handler, async (socket) => {
      const r = await run(['-s', socket, 'set', 'digestion', DIGESTION]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /warning: could not read the OS .*the variant check was skipped/);
    });
  });
  test('replacing an enforced policy by one that allows everything needs --force', () =>
    // review m-35
    withSim(async (socket) => {
      const s = ['-s', socket];
      assert.equal((await run([...s, 'set', 'digestion', DIGESTION, '--enable'])).code, 0);
      const refused = await run([...s, 'set', 'digestion', EMPTY_DIGESTION]);
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /the live digestion policy is enforced and this one allows every image/);
      assert.equal((await run([...s, 'set', 'digestion', EMPTY_DIGESTION, '--force'])).code, 0);
    }));
  test('get shows stored policies with their own spellings', () =>
    // review m-9
    withSim(async (socket) => {
      const dir = scratch();
      try {
        const file = dir.file('p.json', '{"a":1,"a":2,"n":1.0e5,"big":12345678901234567890123}');
        assert.equal((await run(['-s', socket, 'set', 'my-verifier', file])).code, 0);
        const r = await run(['-s', socket, 'get']);
        assert.match(r.stdout, /"a": 1,\n\s+"a": 2,\n\s+"n": 1\.0e5,\n\s+"big": 12345678901234567890123/);
      } finally {
        dir.cleanup();
      }
    }));
});
