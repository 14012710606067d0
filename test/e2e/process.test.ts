/**
 * The process boundary of the built CLI: output that cannot be written, closed pipes, and real
 * SIGINT/SIGTERM in the middle of a write (review items M-1, M-5, m-18).
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { openSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { BIN, ROOT, withServer } from '../helpers.ts';

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
