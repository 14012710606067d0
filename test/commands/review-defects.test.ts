/**
 * Regression tests for the defects a new user found with hostile input: each test names the
 * review's item (M-n major, m-n minor) and fails on the old behaviour.
 */
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { ApiClient } from '../../src/api/client.ts';
import { isOneCleanLine, ROOT, run, scratch, withServer, withSim } from '../helpers.ts';

const DIGESTION = join(ROOT, 'examples', 'digestion-redis.json');
const BAD_NOTATION = join(ROOT, 'examples', 'bad-notation-scope.json');
const EMPTY_DIGESTION = join(ROOT, 'examples', 'empty-digestion.json');

/** A scriptable fake API: routes answer from `answers`, every request is logged. */
function fakeApi(answers: Record<string, (res: ServerResponse, body: string) => void> = {}) {
  const log: string[] = [];
  const pending = new Set<string>();
  const handler = (req: IncomingMessage, res: ServerResponse, body: string) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const key = `${req.method} ${url.pathname}`;
    log.push(`${key}${url.search}`);
    const tx = url.searchParams.get('tx');
    const json = (value: unknown) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(value));
    };
    if (key === 'PATCH /settings' && tx) pending.add(tx);
    if (key === 'DELETE /tx' && tx && !answers[key]) pending.delete(tx);
    const answer = answers[key];
    if (answer) return answer(res, body);
    if (key === 'GET /os') return json({ variant_id: 'aws-k8s-1.34', version_id: '1.63.0' });
    if (key === 'GET /') return json({ settings: { 'image-verifier-plugins': { enabled: true } } });
    if (key === 'GET /metadata/affected-services') return json({});
    if (key === 'PATCH /settings') {
      res.writeHead(204);
      return res.end();
    }
    if (key === 'DELETE /tx') return json([]);
    if (key === 'POST /tx/commit_and_apply') {
      if (tx) pending.delete(tx);
      return json(['settings.image-verifier-plugins.digestion.trustpolicy']);
    }
    res.writeHead(404);
    res.end();
  };
  return { handler, log, pending };
}

describe('M-2: arguments after -- are operands, never options or stdin', () => {
  test('lint -- FILES lints the files, not standard input', async () => {
    const r = await run(['lint', '--', DIGESTION, BAD_NOTATION], {
      stdin: '{"version":"1.0","trustedDigests":[]}',
    });
    assert.equal(r.code, 1);
    assert.match(r.stdout, /bad-notation-scope\.json:6:26: error/);
    assert.doesNotMatch(r.stdout, /<stdin>/);
  });
  test('set … -- -x.json sends the file named -x.json', async () => {
    const dir = scratch();
    try {
      dir.file('-x.json', '{"version":"1.0","trustedDigests":["sha256:' + 'a'.repeat(64) + '"]}');
      const r = await run(['set', 'digestion', '--dry-run', '--', '-x.json'], {
        cwd: dir.path,
        stdin: '{"version":"1.0","trustedDigests":[]}',
      });
      assert.equal(r.code, 0, r.stderr);
      const body = JSON.parse(r.stdout);
      const sent = Buffer.from(body['image-verifier-plugins'].digestion.trustpolicy, 'base64').toString();
      assert.match(sent, /aaaa/);
    } finally {
      dir.cleanup();
    }
  });
  test('a lone - after -- is still standard input', async () => {
    const r = await run(['encode', 'digestion', '--', '-'], {
      stdin: '{"version":"1.0","trustedDigests":[]}',
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, Buffer.from('{"version":"1.0","trustedDigests":[]}').toString('base64') + '\n');
  });
});

describe('M-3 and m-4: a value option given twice or without its value is a usage error', () => {
  const cases: [string[], RegExp][] = [
    [
      ['encode', 'digestion', DIGESTION, '--format', 'toml', '--format', 'toml'],
      /--format was given more than once/,
    ],
    [['encode', 'digestion', DIGESTION, '-f', 'toml', '-f', 'json'], /--format was given more than once/],
    [['lint', '-f', 'json', '-f', 'json', DIGESTION], /--format was given more than once/],
    [['-s', '/x', '-s', '/y', 'get'], /--socket-path was given more than once/],
    [['get', '--timeout', '5', '--timeout', '6'], /--timeout was given more than once/],
    [
      ['set', 'v', DIGESTION, '--schema', 'a', '--schema', 'b', '--dry-run'],
      /--schema was given more than once/,
    ],
    [['encode', 'digestion', DIGESTION, '--format'], /format/],
    [['status', '--output'], /output/],
    [['sim', '--socket'], /--socket needs a value/],
    [['sim', '--state'], /--state needs a value/],
    [['decode', '--userdata'], /--userdata needs a value/],
    [['-s', '', 'get'], /--socket-path needs a value/],
    [['get', '--timeout', 'abc'], /not 'abc'/],
  ];
  for (const [args, message] of cases)
    test(args.join(' ').replace(ROOT, '.'), async () => {
      const r = await run(args);
      assert.equal(r.code, 2, r.stderr);
      assert.equal(r.stdout, '');
      assert.ok(isOneCleanLine(r.stderr), r.stderr);
      assert.match(r.stderr, message);
    });
  test('a repeated boolean keeps the last, as before', async () => {
    const r = await run(['encode', 'digestion', DIGESTION, '--minify', '--minify']);
    assert.equal(r.code, 0);
  });
});

describe('M-4: enable refuses to switch on a policy that rejects every image', () => {
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

describe('M-5: an interruption after the PATCH leaves nothing pending', () => {
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

describe('m-11: a busy socket is retried, over one connection', () => {
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

describe('write-path minors', () => {
  test('m-12: a commit timeout says the outcome is unknown', async () => {
    const api = fakeApi({ 'POST /tx/commit_and_apply': () => undefined });
    await withServer(api.handler, async (socket) => {
      const r = await run(['-s', socket, '--timeout', '1', 'set', 'digestion', DIGESTION]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /the commit may or may not have been applied/);
    });
  });
  test('m-14: a cleanup DELETE that fails is reported with the command that finishes it', async () => {
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
  test('m-13: when GET /os fails, the skipped variant check is said', async () => {
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
  test('m-15: malformed answers are E_API_PROTOCOL, exit 1', async () => {
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
  test('m-16: --timeout bounds a whole answer, even one that trickles', async () => {
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
  test('m-17: an answer larger than any the API gives is refused', async () => {
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
  test('m-27: get --raw VERIFIER is a usage error', async () => {
    const r = await run(['get', '--raw', 'digestion']);
    assert.equal(r.code, 2);
  });
  test('m-35: replacing an enforced policy by one that allows everything needs --force', () =>
    withSim(async (socket) => {
      const s = ['-s', socket];
      assert.equal((await run([...s, 'set', 'digestion', DIGESTION, '--enable'])).code, 0);
      const refused = await run([...s, 'set', 'digestion', EMPTY_DIGESTION]);
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /the live digestion policy is enforced and this one allows every image/);
      assert.equal((await run([...s, 'set', 'digestion', EMPTY_DIGESTION, '--force'])).code, 0);
    }));
  test('m-9: get shows stored policies with their own spellings', () =>
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

describe('input and report minors', () => {
  test('m-7: with --minify, positions still name the place in the original file', async () => {
    const r = await run(['encode', 'notation', BAD_NOTATION, '--minify']);
    assert.match(r.stderr, /bad-notation-scope\.json:6:26: error/);
  });
  test('m-8: escapes in file names and verifier names are made visible', async () => {
    const dir = scratch();
    try {
      const file = dir.file('e\u001b]0;T\u0007.json', '{"version":"1.0","trustedDigests":[]}');
      const gh = await run(['lint', '-f', 'github', file]);
      assert.doesNotMatch(gh.stdout, /\u001b/);
      const missing = await run(['encode', 'digestion', join(dir.path, 'm\u001b[31m.json')]);
      assert.doesNotMatch(missing.stderr, /\u001b/);
      const badName = await run(['encode', 'b\u001b[31m', file]);
      assert.equal(badName.code, 2);
      assert.doesNotMatch(badName.stderr, /\u001b/);
    } finally {
      dir.cleanup();
    }
  });
  test('m-10: lint reports a policy too large for the API', async () => {
    const dir = scratch();
    try {
      const digests = Array.from(
        { length: 40_000 },
        (_, i) => `"sha256:${i.toString(16).padStart(64, '0')}"`,
      );
      const file = dir.file('d40k.json', `{"version":"1.0","trustedDigests":[${digests.join(',')}]}`);
      const r = await run(['lint', file]);
      assert.equal(r.code, 1);
      assert.match(r.stdout, /over the API's 2097152-byte \(2 MiB\) limit \[api\/too-large\]/);
    } finally {
      dir.cleanup();
    }
  });
  test('m-19: one missing file among several is reported in place', async () => {
    const r = await run(['lint', '-f', 'sarif', BAD_NOTATION, '/nonexistent/missing.json']);
    assert.equal(r.code, 1);
    const sarif = JSON.parse(r.stdout);
    assert.equal(sarif.runs[0].results.length >= 2, true);
    assert.match(r.stdout, /does not exist/);
  });
  test('m-24: invalid user-data TOML is placed at the TOML error and called user-data', async () => {
    const dir = scratch();
    try {
      const file = dir.file(
        'ud.toml',
        '[settings.image-verifier-plugins]\nenabled = true\n\n[settings.image-verifier-plugins.digestion]\ntrustpolicy = "e30="\n\n[settings.image-verifier-plugins]\nenabled = true\n',
      );
      const r = await run(['lint', file]);
      assert.equal(r.code, 1);
      assert.match(r.stdout, /ud\.toml:7:\d+: error: not a valid user-data file/);
      assert.match(r.stdout, /ud\.toml: user-data, invalid/);
    } finally {
      dir.cleanup();
    }
  });
  test('m-25: user-data over 16 KiB is flagged', async () => {
    const dir = scratch();
    try {
      const digests = Array.from({ length: 300 }, (_, i) => `sha256:${i.toString(16).padStart(64, '0')}`);
      const policy = dir.file('d300.json', JSON.stringify({ version: '1.0', trustedDigests: digests }));
      const toml = await run(['encode', 'digestion', policy, '--format', 'toml', '--enable']);
      const file = dir.file('u.toml', toml.stdout);
      const r = await run(['lint', '--strict', file]);
      assert.equal(r.code, 1);
      assert.match(r.stdout, /\[userdata\/too-large\]/);
    } finally {
      dir.cleanup();
    }
  });
  test('m-30: a built-in name in the wrong case gets a hint', async () => {
    const r = await run(['encode', 'Notation', join(ROOT, 'examples', 'notation-aws-signer.json')]);
    assert.equal(r.code, 0);
    assert.match(r.stderr, /did you mean notation\?/);
  });
  test('m-3: a bad command says so once', async () => {
    const r = await run(['--bogus']);
    assert.equal(r.code, 2);
    assert.doesNotMatch(r.stderr, /\(see civctl --help\).*\(see civctl --help\)/);
  });
});

describe('simulator minors', () => {
  test('m-21, m-22: a socket path too long, or in a missing directory, is refused clearly', async () => {
    const long = await run(['sim', '--socket', `/tmp/${'d'.repeat(110)}/api.sock`]);
    assert.equal(long.code, 1);
    assert.match(long.stderr, /Unix sockets allow at most 107/);
    const missing = await run(['sim', '--socket', '/nonexistent-dir/x.sock']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /the directory \/nonexistent-dir does not exist/);
  });
  test('m-20, m-22: a state file that cannot be written or read is refused at start', async () => {
    const dir = scratch();
    try {
      const unwritable = await run([
        'sim',
        '--socket',
        join(dir.path, 's.sock'),
        '--state',
        '/nonexistent-dir/s.json',
      ]);
      assert.equal(unwritable.code, 1);
      assert.match(unwritable.stderr, /cannot write the state file/);
      const bad = dir.file('bad.json', '{x');
      const unreadable = await run(['sim', '--socket', join(dir.path, 's.sock'), '--state', bad]);
      assert.equal(unreadable.code, 1);
      assert.match(unreadable.stderr, /the state file .*bad\.json is not valid JSON/);
    } finally {
      dir.cleanup();
    }
  });
});
