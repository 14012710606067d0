/**
 * The option rules as the built files apply them (dist/civctl.cjs and dist/civctl.mjs): duration
 * options refuse what a Node timer cannot hold, and global options apply only where they mean
 * something. (Every command's --help through the built files, as test/fixtures/help records it:
 * test/e2e/command-table.ts.)
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { BIN, BIN_ESM, isOneCleanLine, ROOT } from '../helpers.ts';

const IMAGE =
  'public.ecr.aws/docker/library/redis@sha256:7aec734b2bb298a1d769fd8729f13b8514a41bf90fcdd1f38ec52267fbaa8ee6';

function runFile(file: string, args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [file, ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { PATH: process.env['PATH'] ?? '', ...env },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

for (const [file, label] of [
  [BIN, 'civctl.cjs'],
  [BIN_ESM, 'civctl.mjs'],
] as const)
  describe(`${label}: option rules`, () => {
    const tooLong: string[][] = [
      ['resolve', '--timeout', '3000000', 'redis:7'],
      ['--timeout=2147484', 'get'],
      ['check', '--offline', '--verifier-timeout', '3000000', IMAGE],
      ['check', '--offline', '--verifier-timeout', '1e9', '--', IMAGE],
    ];
    for (const args of tooLong)
      test(`${args.join(' ')}: a usage error naming the maximum, never a 1 ms timer`, () => {
        const r = runFile(file, args, { CIVCTL_SOCKET_PATH: '/nonexistent/api.sock' });
        assert.equal(r.code, 2, r.stderr);
        assert.equal(r.stdout, '');
        assert.ok(isOneCleanLine(r.stderr), r.stderr);
        assert.match(r.stderr, /must be at most 2147483\.647 seconds/);
        assert.doesNotMatch(r.stderr, /TimeoutOverflowWarning/);
      });

    test('-s before resolve is a usage error (resolve never uses the API); status takes --format and --output', () => {
      const r = runFile(file, ['-s', '/x.sock', 'resolve', 'redis:7']);
      assert.equal(r.code, 2);
      assert.equal(r.stderr, 'civctl: Unknown argument: s (see civctl --help)\n');
      for (const spelling of ['--format', '--output', '-o', '-f']) {
        const status = runFile(file, ['-s', '/nonexistent/api.sock', 'status', spelling, 'json']);
        // No API here: the socket error shows the option was read.
        assert.equal(status.code, 1, `${spelling}: ${status.stderr}`);
        assert.match(status.stderr, /\/nonexistent\/api\.sock/);
      }
    });
  });
