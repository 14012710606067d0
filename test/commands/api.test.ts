/** The operator half against the simulator and against a misbehaving server on a Unix socket. */
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { ApiClient } from '../../src/api/client.ts';
import { ApiResponseError } from '../../src/api/errors.ts';
import { getImageVerifierModel } from '../../src/api/settings.ts';
import { isOneCleanLine, ROOT, run, tempDir, withServer, withSim } from '../helpers.ts';

const NOTATION = join(ROOT, 'examples', 'notation-aws-signer.json');
const DIGESTION = join(ROOT, 'examples', 'digestion-redis.json');
const BAD = join(ROOT, 'examples', 'bad-notation-scope.json');
const tmp = tempDir();
after(() => tmp.cleanup());

/** A raw request to a Unix socket, for checking the simulator's answers byte for byte. */
function raw(
  socketPath: string,
  method: string,
  path: string,
  body?: string,
  headers: Record<string, string> = { 'content-type': 'application/json' },
) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = httpRequest({ socketPath, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
      );
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('against the simulator', () => {
  test('set, get, get --raw, status, enable, disable', () =>
    withSim(async (socket, sim) => {
      const s = ['-s', socket];
      const set = await run([...s, 'set', 'digestion', DIGESTION, '--enable']);
      assert.equal(set.code, 0, set.stderr);
      assert.equal(set.stdout, '');
      assert.match(
        set.stderr,
        /committed settings\.image-verifier-plugins\.digestion\.trustpolicy, settings\.image-verifier-plugins\.enabled/,
      );
      assert.match(set.stderr, /restarting: containerd, image-verification/);
      // get <verifier> round-trips the bytes exactly.
      const one = await run([...s, 'get', 'digestion']);
      assert.equal(one.code, 0);
      assert.equal(one.stdout, (await import('node:fs')).readFileSync(DIGESTION, 'utf8'));
      const rawOut = await run([...s, 'get', '--raw']);
      assert.deepEqual(JSON.parse(rawOut.stdout), {
        settings: {
          'image-verifier-plugins': {
            digestion: {
              trustpolicy: Buffer.from((await import('node:fs')).readFileSync(DIGESTION)).toString('base64'),
            },
            enabled: true,
          },
        },
      });
      assert.match(rawOut.stdout, /^\{\n {2}"settings": \{\n/);
      const decoded = JSON.parse((await run([...s, 'get'])).stdout);
      assert.deepEqual(decoded.settings['image-verifier-plugins'].digestion.trustpolicy.trustedDigests, [
        'sha256:7aec734b2bb298a1d769fd8729f13b8514a41bf90fcdd1f38ec52267fbaa8ee6',
      ]);
      const status = JSON.parse((await run([...s, 'status', '--output', 'json'])).stdout);
      assert.equal(status.os.variant_id, 'aws-k8s-1.34');
      assert.equal(status.enabled, true);
      assert.deepEqual(
        status.verifiers.map((v: { name: string; effect: string; digests: number }) => [
          v.name,
          v.effect,
          v.digests,
        ]),
        [['digestion', 'enforced', 1]],
      );
      const text = await run([...s, 'status']);
      assert.match(text.stdout, /Verification: enabled/);
      assert.match(text.stdout, /digestion\s+digestion\s+enforced\s+1 digest/);
      const disable = await run([...s, 'disable']);
      assert.equal(disable.code, 0);
      assert.equal(sim.datastore.live.get('settings.image-verifier-plugins.enabled'), false);
      const again = await run([...s, 'disable']);
      assert.match(again.stderr, /already disabled; nothing sent/);
      const warn = JSON.parse((await run([...s, 'status', '-o', 'json'])).stdout);
      assert.ok(warn.warnings.some((w: string) => /configured but verification is disabled/.test(w)));
      assert.equal(sim.datastore.pending.size, 0);
    }));

  test('an unchanged policy sends nothing; --dry-run sends nothing', () =>
    withSim(async (socket, sim) => {
      await run(['-s', socket, 'set', 'notation', NOTATION]);
      const before = new Map(sim.datastore.live);
      const commits: string[] = [];
      const origCommit = sim.datastore.commit.bind(sim.datastore);
      sim.datastore.commit = (tx: string) => {
        commits.push(tx);
        return origCommit(tx);
      };
      const r = await run(['-s', socket, 'set', 'notation', NOTATION]);
      assert.equal(r.code, 0);
      assert.match(r.stderr, /already set to this value; nothing sent/);
      const dry = await run(['-s', socket, 'set', 'digestion', DIGESTION, '--dry-run', '--enable']);
      assert.equal(dry.code, 0);
      assert.deepEqual(Object.keys(JSON.parse(dry.stdout)['image-verifier-plugins']).sort(), [
        'digestion',
        'enabled',
      ]);
      assert.deepEqual(commits, []);
      assert.deepEqual(sim.datastore.live, before);
    }));

  test('a policy that fails lint is refused and nothing is sent', () =>
    withSim(async (socket, sim) => {
      const r = await run(['-s', socket, 'set', 'notation', BAD]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /fails lint for the notation verifier/);
      assert.equal(sim.datastore.live.has('settings.image-verifier-plugins.notation.trustpolicy'), false);
      assert.equal(sim.datastore.pending.size, 0);
    }));

  test('get of an unconfigured verifier is a clear error', () =>
    withSim(async (socket) => {
      const r = await run(['-s', socket, 'get', 'notation']);
      assert.equal(r.code, 1);
      assert.ok(isOneCleanLine(r.stderr));
      assert.match(r.stderr, /no trust policy is configured for 'notation'/);
    }));

  test('a variant without image verification: said before anything is written', () =>
    withSim(
      async (socket, sim) => {
        const r = await run(['-s', socket, 'set', 'digestion', DIGESTION]);
        assert.equal(r.code, 1);
        assert.match(
          r.stderr,
          /aws-k8s-1\.32 1\.63\.0 has no image verification settings; they exist on aws-ecs-3, aws-ecs-4, and aws-k8s-1\.33 and later/,
        );
        assert.equal(sim.datastore.pending.size, 0);
      },
      { variant: 'aws-k8s-1.32' },
    ));

  test('the legacy model has only notation', () =>
    withSim(
      async (socket, sim) => {
        const r = await run(['-s', socket, 'set', 'digestion', DIGESTION]);
        assert.equal(r.code, 1);
        assert.match(r.stderr, /legacy image-verifier model, which has only the notation verifier/);
        const ok = await run(['-s', socket, 'set', 'notation', NOTATION]);
        assert.equal(ok.code, 0, ok.stderr);
        assert.ok(sim.datastore.live.has('settings.image-verifier-plugins.notation.trustpolicy'));
      },
      { variant: 'aws-ecs-3', osVersion: '1.55.0' },
    ));

  test('the simulator answers as apiserver does', () =>
    withSim(async (socket) => {
      assert.deepEqual(await raw(socket, 'PATCH', '/settings', '{}', { 'content-type': 'text/plain' }), {
        status: 400,
        body: 'Content type error',
      });
      assert.deepEqual(await raw(socket, 'POST', '/tx/commit_and_apply?tx=nothing'), {
        status: 422,
        body: 'Tried to commit with no pending changes',
      });
      const big = await raw(socket, 'PATCH', '/settings', `{"motd":"${'x'.repeat(2 * 1024 * 1024)}"}`);
      assert.equal(big.status, 413);
      assert.match(big.body, /JSON payload \(\d+ bytes\) is larger than allowed \(limit: 2097152 bytes\)\./);
      const unknown = await raw(socket, 'PATCH', '/settings', '{"bogus":1}');
      assert.equal(unknown.status, 400);
      assert.match(unknown.body, /^Json deserialize error: unknown field `bogus`/);
      const badName = await raw(
        socket,
        'PATCH',
        '/settings',
        '{"image-verifier-plugins":{"a_b":{"trustpolicy":"e30="}}}',
      );
      assert.match(
        badName.body,
        /Unable to deserialize into Identifier: Identifiers may only contain ASCII alphanumerics plus hyphens, received 'a_b'/,
      );
      const badB64 = await raw(
        socket,
        'PATCH',
        '/settings',
        '{"image-verifier-plugins":{"x":{"trustpolicy":"e30"}}}',
      );
      assert.match(badB64.body, /Unable to deserialize into ValidBase64Json: Invalid base64 input/);
      const badJson = await raw(
        socket,
        'PATCH',
        '/settings',
        `{"image-verifier-plugins":{"x":{"trustpolicy":"${Buffer.from('{,}').toString('base64')}"}}}`,
      );
      assert.match(
        badJson.body,
        /Unable to deserialize into ValidBase64Json: Invalid JSON: key must be a string at line 1 column 2/,
      );
      // The trust-policy alias, a named transaction, merge-only PATCH, and commit returning the keys.
      assert.equal(
        (
          await raw(
            socket,
            'PATCH',
            '/settings?tx=t1',
            '{"image-verifier-plugins":{"x":{"trust-policy":"e30="}}}',
          )
        ).status,
        204,
      );
      assert.equal(
        (await raw(socket, 'PATCH', '/settings?tx=t1', '{"image-verifier-plugins":{"enabled":true}}')).status,
        204,
      );
      assert.deepEqual(JSON.parse((await raw(socket, 'GET', '/tx?tx=t1')).body), {
        'image-verifier-plugins': { enabled: true, x: { trustpolicy: 'e30=' } },
      });
      assert.deepEqual(JSON.parse((await raw(socket, 'POST', '/tx/commit_and_apply?tx=t1')).body), [
        'settings.image-verifier-plugins.enabled',
        'settings.image-verifier-plugins.x.trustpolicy',
      ]);
      assert.deepEqual(
        JSON.parse((await raw(socket, 'GET', '/settings?prefix=image-verifier-plugins')).body),
        {
          'image-verifier-plugins': { enabled: true, x: { trustpolicy: 'e30=' } },
        },
      );
      assert.equal(
        (await raw(socket, 'PATCH', '/settings', '{"image-verifier-plugins":{"enabled":false}}')).status,
        204,
      );
      assert.deepEqual(JSON.parse((await raw(socket, 'DELETE', '/tx')).body), [
        'settings.image-verifier-plugins.enabled',
      ]);
      assert.deepEqual(JSON.parse((await raw(socket, 'GET', '/?prefix=settings.nothing')).body), {});
      assert.equal((await raw(socket, 'GET', '/nope')).status, 404);
    }));

  test("the simulator's type errors are serde's texts (floating point `1.0`, not integer `1`)", () =>
    withSim(async (socket) => {
      const cases: [string, string][] = [
        ['{"motd":1.0}', 'invalid type: floating point `1.0`, expected a string'],
        ['{"motd":1e21}', 'invalid type: floating point `1e21`, expected a string'],
        ['{"motd":-3}', 'invalid type: integer `-3`, expected a string'],
        ['{"motd":null}', 'invalid type: null, expected a string'],
        ['{"image-verifier-plugins":{"enabled":"yes"}}', 'invalid type: string "yes", expected a boolean'],
        [
          '{"image-verifier-plugins":{"x":2.50}}',
          'invalid type: floating point `2.5`, expected struct VerifierPluginConfig',
        ],
        ['{"image-verifier-plugins":{"x":{"y":1}}}', 'unknown field `y`, expected `trustpolicy`'],
      ];
      for (const [body, message] of cases) {
        const r = await raw(socket, 'PATCH', '/settings', body);
        assert.deepEqual(r, { status: 400, body: `Json deserialize error: ${message}` }, body);
      }
    }));

  test('the simulator keeps no copy of serde texts: they come from policy/serde.ts', () => {
    for (const file of ['model.ts', 'server.ts']) {
      const text = readFileSync(join(ROOT, 'src', 'sim', file), 'utf8');
      assert.doesNotMatch(text, /invalid type:|unknown field `|floating point|duplicate field `/, file);
    }
  });

  test('the simulator never replaces a file that is not a socket', async () => {
    const { startSimulator } = await import('../../src/sim/server.ts');
    const path = join(tmp.path, 'not-a-socket');
    writeFileSync(path, 'keep me');
    await assert.rejects(
      startSimulator({ socketPath: path, variant: 'aws-k8s-1.34', osVersion: '1.63.0' }),
      /is not a socket/,
    );
    assert.equal((await import('node:fs')).readFileSync(path, 'utf8'), 'keep me');
  });

  test('--state keeps settings across restarts', async () => {
    const state = join(tmp.path, 'state.json');
    const { startSimulator } = await import('../../src/sim/server.ts');
    const socketPath = join(tmp.path, 'state.sock');
    const first = await startSimulator({
      socketPath,
      variant: 'aws-ecs-4',
      osVersion: '1.63.0',
      statePath: state,
    });
    await run(['-s', socketPath, 'set', 'digestion', DIGESTION]);
    await first.close();
    const second = await startSimulator({
      socketPath,
      variant: 'aws-ecs-4',
      osVersion: '1.63.0',
      statePath: state,
    });
    const r = await run(['-s', socketPath, 'get', 'digestion']);
    await second.close();
    assert.equal(r.code, 0);
    assert.ok(r.stdout.includes('sha256:7aec734b'));
  });
});

/** A fake API whose commit misbehaves; records every request so leftovers can be checked. */
function faultyApi(onCommit: (res: import('node:http').ServerResponse) => void) {
  const log: string[] = [];
  const pending = new Set<string>();
  let live = { enabled: true } as Record<string, unknown>;
  const handler = (
    req: import('node:http').IncomingMessage,
    res: import('node:http').ServerResponse,
    body: string,
  ) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const tx = url.searchParams.get('tx') ?? 'default';
    log.push(`${req.method} ${url.pathname}`);
    const json = (status: number, value: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(value));
    };
    if (req.method === 'GET' && url.pathname === '/os')
      return json(200, { variant_id: 'aws-k8s-1.34', version_id: '1.63.0' });
    if (req.method === 'GET' && url.pathname === '/')
      return json(200, { settings: { 'image-verifier-plugins': live } });
    if (req.method === 'GET' && url.pathname === '/metadata/affected-services') return json(200, {});
    if (req.method === 'PATCH') {
      JSON.parse(body);
      pending.add(tx);
      res.writeHead(204);
      return res.end();
    }
    if (req.method === 'DELETE' && url.pathname === '/tx') {
      pending.delete(tx);
      return json(200, []);
    }
    if (req.method === 'POST' && url.pathname === '/tx/commit_and_apply') return onCommit(res);
    res.writeHead(404);
    res.end();
  };
  return { handler, log, pending, live: () => live, setLive: (v: Record<string, unknown>) => (live = v) };
}

describe('fault injection: nothing is left pending, nothing live changes', () => {
  const cases: [string, (res: import('node:http').ServerResponse) => void, RegExp][] = [
    [
      '500 on commit',
      (res) => {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end('Data store error during commit: disk full');
      },
      /Status 500 when POSTing \/tx\/commit_and_apply\?tx=civctl-[A-Za-z0-9]{16}: Data store error during commit: disk full/,
    ],
    [
      'connection reset on commit',
      (res) => res.socket?.destroy(),
      /connection to the Bottlerocket API socket .* was closed before it answered POST/,
    ],
    [
      'no answer on commit',
      () => undefined,
      /no answer from the Bottlerocket API socket .* within 1 s for POST \/tx\/commit_and_apply/,
    ],
  ];
  for (const [name, onCommit, message] of cases) {
    test(name, async () => {
      const api = faultyApi(onCommit);
      await withServer(api.handler, async (socket) => {
        const r = await run(['-s', socket, '--timeout', '1', 'set', 'digestion', DIGESTION]);
        assert.equal(r.code, 1);
        assert.ok(isOneCleanLine(r.stderr), r.stderr);
        assert.match(r.stderr, message);
        assert.deepEqual([...api.pending], []);
        assert.ok(api.log.includes('DELETE /tx'), api.log.join(', '));
        assert.deepEqual(api.live(), { enabled: true });
      });
    });
  }

  test('413 on PATCH', async () => {
    const log: string[] = [];
    await withServer(
      (req, res) => {
        log.push(`${req.method} ${req.url}`);
        if (req.method === 'PATCH') {
          res.writeHead(413, { 'content-type': 'text/plain; charset=utf-8' });
          return res.end('JSON payload (3000000 bytes) is larger than allowed (limit: 2097152 bytes).');
        }
        res.writeHead(req.method === 'DELETE' ? 200 : 200, { 'content-type': 'application/json' });
        res.end(
          req.method === 'DELETE' ? '[]' : req.url?.startsWith('/os') ? '{"variant_id":"aws-ecs-4"}' : '{}',
        );
      },
      async (socket) => {
        const r = await run(['-s', socket, 'set', 'digestion', DIGESTION]);
        assert.equal(r.code, 1);
        assert.match(r.stderr, /Status 413 when PATCHing \/settings\?tx=civctl-\w+: JSON payload/);
        assert.ok(log.some((l) => l.startsWith('DELETE /tx?tx=civctl-')));
        assert.equal(log.filter((l) => l.startsWith('POST')).length, 0);
      },
    );
  });

  test('a 400 unknown field from a variant without the extension is explained', async () => {
    await withServer(
      (req, res) => {
        if (req.method === 'PATCH') {
          res.writeHead(400, { 'content-type': 'text/plain' });
          return res.end(
            'Json deserialize error: unknown field `image-verifier-plugins`, expected one of `motd`, `kubernetes`',
          );
        }
        if (req.url?.startsWith('/os')) {
          res.writeHead(404);
          return res.end();
        }
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(req.method === 'DELETE' ? '[]' : '{}');
      },
      async (socket) => {
        const r = await run(['-s', socket, 'enable']);
        assert.equal(r.code, 1);
        assert.match(
          r.stderr,
          /has no image verification settings; they exist on aws-ecs-3, aws-ecs-4, and aws-k8s-1\.33 and later/,
        );
      },
    );
  });
});

describe('socket problems', () => {
  test('a --timeout that is not a positive number is a usage error', async () => {
    for (const value of ['0', '-1', 'soon']) {
      const r = await run(['--timeout', value, 'get']);
      assert.equal(r.code, 2, value);
      assert.match(r.stderr, /--timeout must be a number of seconds above 0/);
    }
  });
  test('a missing socket names the path and what to check', async () => {
    const r = await run(['-s', join(tmp.path, 'missing.sock'), 'get']);
    assert.equal(r.code, 1);
    assert.ok(isOneCleanLine(r.stderr));
    assert.match(
      r.stderr,
      /missing\.sock does not exist; run civctl in the admin or control container.*-s\/--socket-path/,
    );
  });
  test('a regular file instead of a socket', async () => {
    const path = join(tmp.path, 'file.sock');
    writeFileSync(path, '');
    const r = await run(['-s', path, 'status']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /the Bottlerocket API socket .*file\.sock is a regular file, not a socket/);
    const dir = await run(['-s', tmp.path, 'status']);
    assert.match(dir.stderr, /is a directory, not a socket/);
  });
  test('the API layer: typed errors, always Content-Type: application/json', async () => {
    const seen: (string | undefined)[] = [];
    await withServer(
      (req, res) => {
        seen.push(req.headers['content-type']);
        res.writeHead(404, { 'content-type': 'text/plain' });
        res.end('Not found');
      },
      async (socketPath) => {
        const client = new ApiClient({ socketPath, timeoutSeconds: 5 });
        await assert.rejects(getImageVerifierModel(client), (err: unknown) => {
          assert.ok(err instanceof ApiResponseError);
          assert.equal(err.status, 404);
          assert.equal(err.method, 'GET');
          assert.equal(err.path, '/?prefix=settings.image-verifier-plugins');
          assert.equal(err.body, 'Not found');
          assert.equal(err.code, 'E_API_RESPONSE');
          return true;
        });
        await client.close();
      },
    );
    assert.deepEqual(seen, ['application/json']);
  });
});
