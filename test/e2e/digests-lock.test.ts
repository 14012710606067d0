/**
 * m1: no lock is left behind by an interrupted `digests` edit of the node, whatever the moment of
 * the SIGINT/SIGTERM (waiting for the lock, reading, PATCH, commit, the read-back after the commit);
 * and a holder killed with SIGKILL does not block the next run. The built CLI, real signals.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { basename, dirname } from 'node:path';
import { describe, test } from 'node:test';
import { apiLockPath, withLock } from '../../src/inputs/lock.ts';
import type { Io } from '../../src/io.ts';
import { BIN, ROOT, run, withServer, d } from '../helpers.ts';

const env = { PATH: process.env['PATH'] ?? '', CIVCTL_COMPILE_CACHE: '0' };
const io: Io = {
  stdout: { write: () => true },
  stderr: { write: () => true },
  readStdin: async () => new Uint8Array(),
  env,
  cwd: ROOT,
};
/** This lock's files: the lock and any claim beside it. */
const lockFiles = (lock: string) =>
  readdirSync(dirname(lock)).filter((n) => n === basename(lock) || n.startsWith(`${basename(lock)}~`));

type Stage = 'reading' | 'PATCH' | 'commit' | 'read-back';

/** A node API that answers everything, except the first request of `stage`, which never gets an answer. */
function api(stage: Stage | undefined, onHang: () => void) {
  let hung = false;
  let stored: string | undefined;
  let committed = false;
  const pending = new Map<string, string>();
  return (req: IncomingMessage, res: ServerResponse, body: string) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const tx = url.searchParams.get('tx') ?? '';
    const json = (v: unknown) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(v));
    };
    const hang =
      (stage === 'reading' && url.pathname === '/os') ||
      (stage === 'PATCH' && req.method === 'PATCH') ||
      (stage === 'commit' && req.method === 'POST') ||
      (stage === 'read-back' && committed && req.method === 'GET' && url.pathname === '/');
    if (hang && !hung) {
      hung = true;
      return onHang();
    }
    if (url.pathname === '/os') return json({ variant_id: 'aws-k8s-1.34', version_id: '1.63.0' });
    if (req.method === 'GET' && url.pathname === '/')
      return json(
        stored ? { settings: { 'image-verifier-plugins': { digestion: { trustpolicy: stored } } } } : {},
      );
    if (req.method === 'PATCH') {
      pending.set(tx, JSON.parse(body)['image-verifier-plugins'].digestion.trustpolicy);
      res.writeHead(204);
      return res.end();
    }
    if (req.method === 'POST') {
      stored = pending.get(tx);
      committed = true;
      return json(['settings.image-verifier-plugins.digestion.trustpolicy']);
    }
    if (req.method === 'DELETE') {
      pending.delete(tx);
      return json([]);
    }
    res.writeHead(404);
    res.end();
  };
}

function civctl(args: string[]) {
  const child = spawn(process.execPath, [BIN, ...args], { env, cwd: ROOT });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  child.stdout.resume();
  const exit = new Promise<number | null>((resolve) => child.on('close', resolve));
  return { child, exit, stderr: () => stderr };
}

describe('m1: an interrupted digests edit of the node leaves no lock', () => {
  const cases: [Stage, 'SIGINT' | 'SIGTERM', RegExp][] = [
    ['reading', 'SIGINT', /interrupted by SIGINT before anything was sent; nothing changed/],
    ['PATCH', 'SIGINT', /interrupted by SIGINT before the change was committed/],
    ['commit', 'SIGTERM', /interrupted by SIGTERM while committing/],
    ['read-back', 'SIGINT', /interrupted by SIGINT after the change was committed, before it was read back/],
  ];
  for (const [stage, signal, message] of cases)
    test(`${signal} while ${stage === 'read-back' ? 'reading back after the commit' : stage}: exit ${signal === 'SIGINT' ? 130 : 143}, lock released`, async () => {
      let run: ReturnType<typeof civctl> | undefined;
      await withServer(
        api(stage, () => run?.child.kill(signal)),
        async (socket) => {
          const lock = apiLockPath(io, socket);
          run = civctl(['-s', socket, 'digests', 'add', d('a')]);
          const code = await run.exit;
          assert.equal(code, signal === 'SIGINT' ? 130 : 143, run.stderr());
          assert.match(run.stderr(), message);
          assert.deepEqual(lockFiles(lock), []);
        },
      );
    });

  test('SIGINT while waiting for another holder: exit 130, the holder’s lock untouched, nothing of its own left', async () => {
    await withServer(
      api(undefined, () => undefined),
      async (socket) => {
        const lock = apiLockPath(io, socket);
        await withLock(io, lock, 'the test', async () => {
          const waiting = civctl(['-s', socket, 'digests', 'add', d('a')]);
          // It says it waits (after two seconds), naming this process.
          await new Promise<void>((resolve) => {
            const check = setInterval(() => {
              if (/waiting for the lock/.test(waiting.stderr())) {
                clearInterval(check);
                resolve();
              }
            }, 20);
          });
          assert.match(waiting.stderr(), new RegExp(`PID ${process.pid} \\(`));
          waiting.child.kill('SIGINT');
          assert.equal(await waiting.exit, 130, waiting.stderr());
          assert.match(
            waiting.stderr(),
            /interrupted by SIGINT while waiting for the lock on the node's digestion policy/,
          );
          // Only this process's lock and claim remain.
          const left = lockFiles(lock).sort();
          assert.equal(left.length, 2, left.join(', '));
          assert.equal(left[0], basename(lock));
          assert.ok(left[1]!.startsWith(`${basename(lock)}~${process.pid}.`), left[1]);
        });
        assert.deepEqual(lockFiles(lock), []);
      },
    );
  });

  test('a holder killed with SIGKILL does not hold up the next run', async () => {
    let held: ReturnType<typeof civctl> | undefined;
    await withServer(
      api('PATCH', () => held?.child.kill('SIGKILL')),
      async (socket) => {
        const lock = apiLockPath(io, socket);
        held = civctl(['-s', socket, 'digests', 'add', d('a')]);
        await held.exit;
        assert.ok(existsSync(lock), 'SIGKILL leaves the lock file');
        const started = Date.now();
        const next = await run(['-s', socket, 'digests', 'add', '--dry-run', d('b')], { env });
        assert.equal(next.code, 0, next.stderr);
        // --dry-run takes no lock; a real edit takes the dead holder's over at once.
        const r = await run(['-s', socket, 'digests', 'add', d('b')], { env });
        assert.equal(r.code, 0, r.stderr);
        assert.doesNotMatch(r.stderr, /waiting for the lock/);
        assert.ok(Date.now() - started < 10_000);
        assert.deepEqual(lockFiles(lock), []);
      },
    );
  });
});
