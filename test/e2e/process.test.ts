/**
 * The process boundary of the built CLI: output that cannot be written, closed pipes, real
 * SIGINT/SIGTERM in the middle of a write (review items M-1, M-5, m-18), and child processes
 * (verifiers, credential helpers) that must neither crash civctl nor outlive it.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, openSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import {
  BIN,
  BIN_ESM,
  FULL,
  fullOnly,
  isOneCleanLine,
  liveInGroup,
  pidFrom,
  ROOT,
  runBuiltAsync,
  scratch,
  STANDALONE,
  standaloneMissing,
  waitUntil,
  withServer,
} from '../helpers.ts';

const DIGESTION = join(ROOT, 'examples', 'digestion-redis.json');
const BAD = join(ROOT, 'examples', 'bad-notation-scope.json');
const env = { PATH: process.env['PATH'] ?? '', CIVCTL_COMPILE_CACHE: '0' };

describe('output that cannot be written', () => {
  test('M-1: a full disk is exit 1 with one line, for every command that prints', () => {
    for (const args of [
      ['encode', 'digestion', DIGESTION, '--format', 'toml'],
      ['lint', DIGESTION],
      ['decode', 'e30='],
    ]) {
      const full = openSync('/dev/full', 'w');
      const r = spawnSync(process.execPath, [BIN, ...args], { stdio: ['ignore', full, 'pipe'], env });
      assert.equal(r.status, 1, args.join(' '));
      assert.equal(r.stderr.toString(), 'civctl: cannot write output: no space left on device\n');
    }
  });
  test('m-18: a closed pipe keeps the command’s own status', () => {
    const r = spawnSync(
      'bash',
      ['-c', `"${process.execPath}" "${BIN}" lint "${BAD}" | true; echo \${PIPESTATUS[0]}`],
      {
        env,
      },
    );
    assert.equal(r.stdout.toString().trim(), '1');
    const ok = spawnSync(
      'bash',
      ['-c', `"${process.execPath}" "${BIN}" lint "${DIGESTION}" | true; echo \${PIPESTATUS[0]}`],
      {
        env,
      },
    );
    assert.equal(ok.stdout.toString().trim(), '0');
  });
});

describe('M-5: a real signal during a write', () => {
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    test(`${signal} while the commit hangs: the transaction is deleted, exit ${code}, said on stderr`, async () => {
      const log: string[] = [];
      const pending = new Set<string>();
      let child: ReturnType<typeof spawn> | undefined;
      const handler = (req: IncomingMessage, res: ServerResponse) => {
        const url = new URL(req.url ?? '/', 'http://x');
        const tx = url.searchParams.get('tx') ?? '';
        log.push(`${req.method} ${url.pathname}`);
        const json = (v: unknown) => {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify(v));
        };
        if (url.pathname === '/os') return json({ variant_id: 'aws-k8s-1.34', version_id: '1.63.0' });
        if (req.method === 'GET' && url.pathname === '/') return json({});
        if (req.method === 'PATCH') {
          pending.add(tx);
          res.writeHead(204);
          return res.end();
        }
        if (req.method === 'DELETE') {
          pending.delete(tx);
          return json([]);
        }
        // The commit never answers: the signal arrives while civctl waits for it.
        if (req.method === 'POST') child?.kill(signal);
      };
      await withServer(handler, async (socket) => {
        child = spawn(process.execPath, [BIN, '-s', socket, 'set', 'digestion', DIGESTION], { env });
        let stderr = '';
        child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
        const exit = await new Promise<number | null>((resolve) => child!.on('close', resolve));
        assert.equal(exit, code, stderr);
        assert.match(stderr, new RegExp(`civctl: interrupted by ${signal} while committing`));
        assert.ok(log.includes('DELETE /tx'), log.join(', '));
        assert.deepEqual([...pending], []);
      });
    });
  }
});

describe('children of the built CLI never crash it or outlive it', () => {
  const DIGEST = `sha256:${'d'.repeat(64)}`;

  /** Runs a built program until it exits, sending `signal` once the child it runs wrote its pid. */
  async function interruptWhenRunning(
    program: string[],
    args: string[],
    childEnv: Record<string, string>,
    pidFile: string,
    signal: 'SIGINT' | 'SIGTERM',
  ) {
    const child = spawn(program[0]!, [...program.slice(1), ...args], { env: { ...env, ...childEnv } });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.stdout.resume();
    const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
      child.on('close', (code, sig) => resolve({ code, signal: sig })),
    );
    const pid = await pidFrom(pidFile);
    child.kill(signal);
    return { ...(await exited), stderr, pid };
  }

  /** A shell script at `path` that records its pid and hangs, with a child of its own. */
  function hangingScript(path: string, pidFile: string) {
    writeFileSync(path, `#!/bin/sh\necho $$ > "${pidFile}"\nsleep 60 & sleep 60\nwait\n`);
    chmodSync(path, 0o755);
  }

  /** A loopback registry that asks for Basic credentials, so that a credential helper runs. */
  async function withBasicRegistry(fn: (host: string) => Promise<void>) {
    const server = createServer((_req, res) => {
      res.writeHead(401, { 'www-authenticate': 'Basic realm="test"' });
      res.end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      await fn(`127.0.0.1:${(server.address() as { port: number }).port}`);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  }

  // The standalone binary (npm test builds it first) gets SIGINT only: the same code as the bundle.
  const builds: [string, string[], ('SIGINT' | 'SIGTERM')[]][] = [
    ['civctl.cjs', [process.execPath, BIN], ['SIGINT', 'SIGTERM']],
    ['civctl.mjs', [process.execPath, BIN_ESM], ['SIGINT', 'SIGTERM']],
    ...(!standaloneMissing()
      ? [['the standalone binary', [STANDALONE], ['SIGINT']] as [string, string[], 'SIGINT'[]]]
      : []),
  ];
  // The ES module runs the same handlers as the package's bin: in CI's full run.
  const skipFor = (file: string) => (file === 'civctl.mjs' ? fullOnly() : undefined);
  for (const [file, bin, signals] of builds)
    for (const signal of signals) {
      const status = signal === 'SIGINT' ? 130 : 143;
      test(`${file}: ${signal} during check --bin-dir kills the verifier's process group, exit ${status}`, {
        skip: skipFor(file),
      }, async () => {
        const dir = scratch();
        try {
          mkdirSync(join(dir.path, 'bin'));
          const pidFile = join(dir.path, 'pid');
          hangingScript(join(dir.path, 'bin', 'a-hang'), pidFile);
          const r = await interruptWhenRunning(
            bin,
            [
              'check',
              '--offline',
              '--bin-dir',
              join(dir.path, 'bin'),
              '--verifier-timeout',
              '60',
              `registry.corp.example/app@${DIGEST}`,
            ],
            {},
            pidFile,
            signal,
          );
          assert.deepEqual([r.code, r.signal], [status, null], r.stderr);
          assert.match(
            r.stderr,
            new RegExp(`civctl: interrupted by ${signal} while the verifier a-hang ran`),
          );
          await waitUntil('the verifier’s group is gone', () => liveInGroup(r.pid).length === 0);
        } finally {
          dir.cleanup();
        }
      });

      test(`${file}: ${signal} while a credential helper runs kills its process group, exit ${status}`, {
        skip: skipFor(file),
      }, async () => {
        await withBasicRegistry(async (host) => {
          const dir = scratch();
          try {
            mkdirSync(join(dir.path, 'bin'));
            const pidFile = join(dir.path, 'pid');
            hangingScript(join(dir.path, 'bin', 'docker-credential-civhang'), pidFile);
            dir.file('config.json', JSON.stringify({ credHelpers: { [host]: 'civhang' } }));
            const r = await interruptWhenRunning(
              bin,
              ['--timeout', '60', 'resolve', `${host}/demo/app:v1`],
              { DOCKER_CONFIG: dir.path, PATH: `${join(dir.path, 'bin')}:${env.PATH}` },
              pidFile,
              signal,
            );
            assert.deepEqual([r.code, r.signal], [status, null], r.stderr);
            assert.match(
              r.stderr,
              new RegExp(
                `civctl: interrupted by ${signal} while the credential helper docker-credential-civhang ran`,
              ),
            );
            await waitUntil('the helper’s group is gone', () => liveInGroup(r.pid).length === 0);
          } finally {
            dir.cleanup();
          }
        });
      });
    }

  test('civctl.cjs: a credential helper that exits without reading its stdin never crashes it (many runs)', async () => {
    await withBasicRegistry(async (host) => {
      const dir = scratch();
      try {
        mkdirSync(join(dir.path, 'bin'));
        const helper = join(dir.path, 'bin', 'docker-credential-civnoread');
        writeFileSync(helper, '#!/bin/sh\necho "credentials not found in native keychain"\nexit 1\n');
        chmodSync(helper, 0o755);
        dir.file('config.json', JSON.stringify({ credHelpers: { [host]: 'civnoread' } }));
        // 12 runs in CI's full run, 4 otherwise: each run is a new chance of the race.
        for (let i = 0; i < (FULL ? 12 : 4); i++) {
          const r = await runBuiltAsync(['resolve', `${host}/demo/app:v1`], {
            env: { DOCKER_CONFIG: dir.path, PATH: `${join(dir.path, 'bin')}:${env.PATH}` },
          });
          assert.equal(r.code, 1);
          assert.ok(isOneCleanLine(r.stderr), r.stderr);
          assert.match(r.stderr, /authentication required/);
        }
      } finally {
        dir.cleanup();
      }
    });
  });
});
