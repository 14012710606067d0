/**
 * Duration options (seconds) refuse what a Node timer cannot hold: above 2^31−1 ms a timer fires
 * after 1 ms, which killed every verifier and gave up on every request at once. Declared once in
 * the option spec (range 'duration'), so every such option on both parse paths gets the rule.
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fastParse } from '../../src/cli/fast-path.ts';
import { markArguments } from '../../src/cli/main.ts';
import { runCli } from '../../src/cli/program.ts';
import { COMMANDS } from '../../src/commands/index.ts';
import { checkArgs, commandOptions } from '../../src/cli/spec.ts';
import { UsageError } from '../../src/errors.ts';
import type { Io } from '../../src/io.ts';
import { MAX_TIMER_MS, MAX_TIMER_SECONDS, timerMs } from '../../src/timers.ts';
import { isOneCleanLine, run, scratch, withSim } from '../helpers.ts';

const IMAGE =
  'public.ecr.aws/docker/library/redis@sha256:7aec734b2bb298a1d769fd8729f13b8514a41bf90fcdd1f38ec52267fbaa8ee6';
const MAXIMUM = /at most 2147483\.647 seconds/;

/** Every duration option of every command, globals included. */
const DURATIONS = COMMANDS.flatMap((spec) =>
  Object.entries(commandOptions(spec, {}))
    .filter(([, option]) => option.range === 'duration')
    .map(([name]) => ({ spec, name })),
);

describe('duration options refuse what a Node timer cannot hold', () => {
  test('the longest timer is 2^31−1 ms, and seconds round to at least 1 ms', () => {
    assert.equal(MAX_TIMER_MS, 2147483647);
    assert.equal(MAX_TIMER_SECONDS, 2147483.647);
    assert.equal(timerMs(MAX_TIMER_SECONDS), MAX_TIMER_MS);
    assert.equal(timerMs(0.0001), 1, 'a tiny timeout is 1 ms, never 0 (undici reads 0 as no timeout)');
    assert.equal(timerMs(0.0015), 2);
    assert.equal(timerMs(30), 30000);
  });

  test('--timeout and --verifier-timeout are duration options, and every option in seconds is one', () => {
    const names = new Set(DURATIONS.map((d) => `${d.spec.name} --${d.name}`));
    assert.ok(names.has('check --verifier-timeout'));
    assert.ok(names.has('resolve --timeout'));
    assert.ok(names.has('get --timeout'));
    for (const spec of COMMANDS)
      for (const [name, option] of Object.entries(commandOptions(spec, {})))
        if (/\bseconds?\b/i.test(option.describe) || name.endsWith('timeout'))
          assert.equal(option.range, 'duration', `${spec.name} --${name}`);
  });

  for (const { spec, name } of DURATIONS)
    test(`${spec.name} --${name}: above the maximum, a usage error naming it; at the maximum, accepted`, () => {
      const options = commandOptions(spec, {});
      for (const tooLong of ['3000000', '2147484', '2147483.648', '1e9'])
        assert.throws(
          () => checkArgs(spec, { [name]: tooLong }, options),
          (err: unknown) =>
            err instanceof UsageError && MAXIMUM.test(err.message) && err.message.includes(`--${name}`),
          tooLong,
        );
      for (const fine of ['2147483', '2147483.647', '0.0001', '30'])
        assert.equal(checkArgs(spec, { [name]: fine }, options)[name], Number(fine));
      assert.throws(() => checkArgs(spec, { [name]: '0' }, options), /above 0/);
    });

  const refused: [string, string[]][] = [
    ['--timeout before the command', ['--timeout', '3000000', 'resolve', 'redis:7']],
    ['resolve --timeout', ['resolve', '--timeout', '2147484', 'redis:7']],
    ['get --timeout=1e9', ['get', '--timeout=1e9']],
    ['check --verifier-timeout', ['check', '--offline', '--verifier-timeout', '3000000', IMAGE]],
  ];
  for (const [subject, argv] of refused) {
    test(`${subject}, fast path: exit 2, one line naming the maximum, nothing contacted`, async () => {
      assert.ok(fastParse(markArguments(argv), {}, COMMANDS), 'the fast path reads it');
      const r = await run(argv, { env: { CIVCTL_SOCKET_PATH: '/nonexistent/api.sock' } });
      assert.equal(r.code, 2, r.stderr);
      assert.equal(r.stdout, '');
      assert.ok(isOneCleanLine(r.stderr), r.stderr);
      assert.match(r.stderr, MAXIMUM);
    });
    test(`${subject}, through yargs: the same usage error`, async () => {
      const io: Io = {
        stdout: { write: () => true },
        stderr: { write: () => true },
        readStdin: async () => new Uint8Array(),
        env: { CIVCTL_SOCKET_PATH: '/nonexistent/api.sock' },
        cwd: '/',
      };
      await assert.rejects(
        runCli(markArguments(argv), io, COMMANDS),
        (err: unknown) => err instanceof UsageError && MAXIMUM.test(err.message),
      );
    });
  }

  test('a verifier that allows, under the longest --verifier-timeout, is allowed (it was killed after 1 ms)', async () => {
    const dir = scratch();
    try {
      mkdirSync(join(dir.path, 'bin'));
      const verifier = dir.file('bin/a-ok', '#!/bin/sh\ncat >/dev/null\necho ok fine\n');
      chmodSync(verifier, 0o755);
      const userData = dir.file('ud.toml', '[settings.image-verifier-plugins]\nenabled = true\n');
      const r = await run([
        'check',
        '--offline',
        '--user-data',
        userData,
        '--bin-dir',
        join(dir.path, 'bin'),
        '--verifier-timeout',
        '2147483',
        IMAGE,
      ]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^ALLOWED .* a-ok => ok fine\n/);
      assert.doesNotMatch(r.stderr, /TimeoutOverflow/);
    } finally {
      dir.cleanup();
    }
  });

  test('the longest --timeout is kept for API requests', () =>
    withSim(async (socket) => {
      const r = await run(['-s', socket, 'get', '--timeout', '2147483.647']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, '{}\n');
    }));
});
