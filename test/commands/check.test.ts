/**
 * check: the node's decision per image, with containerd's texts — from the simulator's live
 * policies and from offline ones — and verifier binaries run as containerd's bindir plugin runs
 * them, fault cases included.
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { goDuration } from '../../src/verifiers/bindir.ts';
import { liveInGroup, pidFrom, ROOT, run, scratch, waitUntil, withSim } from '../helpers.ts';

const DIGESTION = join(ROOT, 'examples', 'digestion-redis.json');
const NOTATION = join(ROOT, 'examples', 'notation-aws-signer.json');
const ALLOWED = 'sha256:7aec734b2bb298a1d769fd8729f13b8514a41bf90fcdd1f38ec52267fbaa8ee6';
const OTHER = 'sha256:77697a75da9f94e9357b61fcaf8345f69e3d9d32e9d15032c8415c21263977dc';

/** Whether a process exists and is not a zombie. */
function isAlive(pid: number): boolean {
  try {
    return !/^\S+ \(.*\) [ZX] /s.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** A folder of verifier scripts; each is a shell script body. */
function binDir(scripts: Record<string, string>) {
  const dir = scratch();
  const bin = join(dir.path, 'bin');
  mkdirSync(bin);
  for (const [name, body] of Object.entries(scripts)) {
    const path = join(bin, name);
    writeFileSync(path, `#!/bin/sh\n${body}\n`);
    chmodSync(path, 0o755);
  }
  return { ...dir, bin };
}

describe('check with the built-in verifiers, offline', () => {
  test('the digestion allowlist: allowed, and blocked with the upstream transcript’s text', async () => {
    const r = await run([
      'check',
      '--offline',
      '--policy',
      `digestion=${DIGESTION}`,
      `public.ecr.aws/docker/library/redis:7.4.8-alpine3.21@${ALLOWED}`,
      `public.ecr.aws/docker/library/redis:6.2.20-alpine3.21@${OTHER}`,
    ]);
    assert.equal(r.code, 1);
    const [allowed, blocked] = r.stdout.trimEnd().split('\n');
    assert.equal(
      allowed,
      `ALLOWED public.ecr.aws/docker/library/redis@${ALLOWED} digestion-image-verifier => , notation-image-verifier =>`,
    );
    assert.equal(
      blocked,
      `BLOCKED public.ecr.aws/docker/library/redis@${OTHER} image verifier bindir blocked pull of public.ecr.aws/docker/library/redis@${OTHER} with digest ${OTHER} for reason: verifier digestion-image-verifier rejected image (exit code 1): image verification failed: digest not in allowlist`,
    );
    assert.match(r.stderr, /--offline: the registry is not asked/);
  });

  test('--name/--digest replays a pull exactly as containerd names it (the upstream text, byte for byte)', async () => {
    const r = await run([
      'check',
      '--policy',
      `digestion=${DIGESTION}`,
      '--name',
      'public.ecr.aws/docker/library/redis:6.2.20-alpine3.21',
      '--digest',
      OTHER,
      '--format',
      'json',
    ]);
    assert.equal(r.code, 1);
    const [result] = JSON.parse(r.stdout).results;
    assert.equal(
      result.error,
      `image verifier bindir blocked pull of public.ecr.aws/docker/library/redis:6.2.20-alpine3.21 with digest ${OTHER} for reason: verifier digestion-image-verifier rejected image (exit code 1): image verification failed: digest not in allowlist`,
    );
    assert.equal(result.decision, 'blocked');
    assert.deepEqual(
      result.verifiers.map((v: { verifier: string; decision: string }) => [v.verifier, v.decision]),
      [['digestion-image-verifier', 'blocked']],
    );
  });

  test('notation: the example policy (scope *) needs a signature for any image; a path notation refuses is blocked', async () => {
    const d = `sha256:${'b'.repeat(64)}`;
    const r = await run([
      'check',
      '--offline',
      '--format',
      'json',
      '--policy',
      `notation=${NOTATION}`,
      `nginx@${d}`,
      `[::1]:5000/app@${d}`,
    ]);
    assert.equal(r.code, 1);
    const [inScope, refused] = JSON.parse(r.stdout).results;
    assert.equal(inScope.decision, 'signature-required');
    const notation = inScope.verifiers[1];
    assert.equal(notation.statement, 'aws-signer-tp');
    assert.equal(notation.level, 'custom');
    assert.deepEqual(notation.actions, {
      integrity: 'enforce',
      authenticity: 'enforce',
      authenticTimestamp: 'enforce',
      expiry: 'enforce',
      revocation: 'skip',
    });
    assert.equal(refused.decision, 'blocked');
    assert.match(
      refused.error,
      /rejected image \(exit code 1\): image verification failed: Error: signature verification failed: registry scope "\[::1\]:5000\/app" is not valid/,
    );
  });

  test('out of scope: no applicable statement is notation’s exact text', async () => {
    const dir = scratch();
    try {
      const policy = dir.file(
        'p.json',
        JSON.stringify({
          version: '1.0',
          trustPolicies: [
            {
              name: 'apps',
              registryScopes: ['registry.corp.example/apps/web'],
              signatureVerification: { level: 'skip' },
            },
          ],
        }),
      );
      const d = `sha256:${'c'.repeat(64)}`;
      const r = await run([
        'check',
        '--offline',
        '--policy',
        `notation=${policy}`,
        `registry.corp.example/apps/web@${d}`,
        `registry.corp.example/apps/api@${d}`,
      ]);
      const [inScope, outOfScope] = r.stdout.trimEnd().split('\n');
      assert.match(
        inScope!,
        /^ALLOWED registry\.corp\.example\/apps\/web@sha256:c+ digestion-image-verifier => , notation-image-verifier =>$/,
      );
      assert.equal(
        outOfScope,
        `BLOCKED registry.corp.example/apps/api@${d} image verifier bindir blocked pull of registry.corp.example/apps/api@${d} with digest ${d} for reason: verifier notation-image-verifier rejected image (exit code 1): image verification failed: Error: signature verification failed: artifact "registry.corp.example/apps/api@${d}" has no applicable trust policy statement. Trust policy applicability for a given artifact is determined by registryScopes. To create a trust policy, see: https://notaryproject.dev/docs/quickstart/#create-a-trust-policy`,
      );
    } finally {
      dir.cleanup();
    }
  });

  test('user-data without enabled = true: every image is allowed, and said', async () => {
    const dir = scratch();
    try {
      const toml = await run(['encode', 'digestion', DIGESTION, '--format', 'toml']);
      const file = dir.file('ud.toml', toml.stdout);
      const r = await run(['check', '--offline', '--user-data', file, `redis@${OTHER}`]);
      assert.equal(r.code, 0);
      assert.match(r.stdout, /^ALLOWED .* image verification is disabled/);
      assert.match(r.stderr, /does not set enabled = true/);
      const enabled = dir.file(
        'on.toml',
        (await run(['encode', 'digestion', DIGESTION, '--format', 'toml', '--enable'])).stdout,
      );
      const blocked = await run(['check', '--offline', '--user-data', enabled, `redis@${OTHER}`]);
      assert.equal(blocked.code, 1);
    } finally {
      dir.cleanup();
    }
  });

  test('usage errors exit 2', async () => {
    for (const args of [
      ['check', '--offline', 'redis:7'],
      ['check', '--offline', 'Redis@sha256:x'],
      ['check', '--name', 'x'],
      ['check', '--name', 'x', '--digest', 'sha256:abc'],
      ['check', '--verifier-timeout', '0', '--offline', `redis@${OTHER}`],
      ['check', '--policy', 'digestion', '--offline', `redis@${OTHER}`],
      ['check'],
    ]) {
      const r = await run(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stdout, '');
    }
  });
});

describe('check against the node (the simulator)', () => {
  test('the live policies decide; enabled = false allows everything, and says so', () =>
    withSim(async (socket) => {
      const s = ['-s', socket];
      assert.equal((await run([...s, 'set', 'digestion', DIGESTION])).code, 0);
      const off = await run([...s, 'check', '--offline', `redis@${OTHER}`]);
      assert.equal(off.code, 0);
      assert.match(off.stdout, /ALLOWED .* image verification is disabled/);
      assert.equal((await run([...s, 'enable'])).code, 0);
      const on = await run([...s, 'check', '--offline', `redis@${OTHER}`, `redis@${ALLOWED}`]);
      assert.equal(on.code, 1);
      assert.match(
        on.stdout,
        /^BLOCKED docker\.io\/library\/redis@sha256:77697a.* digest not in allowlist\nALLOWED docker\.io\/library\/redis@sha256:7aec/,
      );
    }));
  test('custom verifiers configured on the node are named as not run without --bin-dir', () =>
    withSim(async (socket) => {
      const s = ['-s', socket];
      assert.equal(
        (
          await run([
            ...s,
            'set',
            'my-verifier',
            join(ROOT, 'docs', 'examples', 'custom-policy.json'),
            '--enable',
          ])
        ).code,
        0,
      );
      const r = await run([...s, 'check', '--offline', `redis@${OTHER}`]);
      assert.equal(r.code, 0);
      assert.match(r.stderr, /custom verifiers \(my-verifier\) are not run without --bin-dir/);
    }));
});

describe('--bin-dir: containerd’s bindir plugin, faithfully', () => {
  const d = `sha256:${'d'.repeat(64)}`;
  const check = (bin: string, extra: string[] = []) =>
    run([
      'check',
      '--offline',
      '--bin-dir',
      bin,
      '--format',
      'json',
      ...extra,
      `registry.corp.example/app@${d}`,
    ]);

  test('the upstream scenario: a verifier that passes only when its config file exists', async () => {
    const dir = binDir({});
    try {
      const config = join(dir.path, 'civ-config');
      writeFileSync(
        join(dir.bin, 'custom-verifier'),
        `#!/bin/sh\nif [ -e ${config} ]; then exit 0; fi\nexit 1\n`,
      );
      chmodSync(join(dir.bin, 'custom-verifier'), 0o755);
      writeFileSync(config, 'civ-test-config\n');
      const allowed = JSON.parse((await check(dir.bin)).stdout).results[0];
      assert.equal(allowed.decision, 'allowed');
      assert.equal(allowed.reason, 'custom-verifier => ');
      rmSync(config);
      const blocked = await check(dir.bin);
      assert.equal(blocked.code, 1);
      assert.equal(
        JSON.parse(blocked.stdout).results[0].error,
        `image verifier bindir blocked pull of registry.corp.example/app@${d} with digest ${d} for reason: verifier custom-verifier rejected image (exit code 1): `,
      );
    } finally {
      dir.cleanup();
    }
  });

  test('argv, stdin, name order, reasons joined, and a stop at the first rejection', async () => {
    const dir = binDir({
      'a-first':
        'echo "$@" > "$(dirname "$0")/../argv"; cat > "$(dirname "$0")/../stdin"; echo "  first ok  "',
      'b-second': 'echo second; exit 3',
      'c-third': 'touch "$(dirname "$0")/../third-ran"',
    });
    try {
      const r = await check(dir.bin);
      const result = JSON.parse(r.stdout).results[0];
      assert.equal(
        readFileSync(join(dir.path, 'argv'), 'utf8'),
        `-name registry.corp.example/app@${d} -digest ${d} -stdin-media-type application/vnd.oci.descriptor.v1+json\n`,
      );
      assert.equal(
        readFileSync(join(dir.path, 'stdin'), 'utf8'),
        `{"mediaType":"application/vnd.oci.image.index.v1+json","digest":"${d}","size":0}\n`,
      );
      assert.equal(result.decision, 'blocked');
      assert.match(result.error, /verifier b-second rejected image \(exit code 3\): second$/);
      assert.deepEqual(
        result.verifiers.map((v: { verifier: string; output: string }) => [v.verifier, v.output]),
        [
          ['a-first', 'first ok'],
          ['b-second', 'second'],
        ],
      );
      assert.throws(() => readFileSync(join(dir.path, 'third-ran')));
      rmSync(join(dir.bin, 'b-second'));
      const allowed = JSON.parse((await check(dir.bin)).stdout).results[0];
      assert.equal(allowed.reason, 'a-first => first ok, c-third => ');
    } finally {
      dir.cleanup();
    }
  });

  test('a timeout ends the whole process group, even one that forks, and blocks the pull', async () => {
    const dir = binDir({ slow: 'sleep 30 & sleep 30 & echo started; wait' });
    try {
      const started = Date.now();
      const r = await check(dir.bin, ['--verifier-timeout', '0.5']);
      assert.ok(Date.now() - started < 10_000);
      const result = JSON.parse(r.stdout).results[0];
      assert.equal(result.decision, 'blocked');
      assert.match(
        result.error,
        /^blocking pull of registry\.corp\.example\/app@sha256:d+ with digest sha256:d+: image verifier bindir returned error: failed to call verifier slow \(runtime [\d.]+(ms|s)\): waiting on command to exit: signal: killed$/,
      );
    } finally {
      dir.cleanup();
    }
  });

  test('a child holding stdout past an exit 0: judged at the deadline, as containerd judges it — an error that blocks, the printed text dropped', async () => {
    const dir = binDir({
      escapes: `sleep 30 & echo $! > "$(dirname "$0")/../grandchild"; echo "approved by parent"; exit 0`,
    });
    try {
      const started = Date.now();
      const r = await check(dir.bin, ['--verifier-timeout', '1']);
      // Not before the deadline (the pipe is held), and not long after it.
      assert.ok(Date.now() - started >= 900, `${Date.now() - started} ms`);
      assert.ok(Date.now() - started < 15_000);
      assert.equal(r.code, 1, r.stderr);
      const result = JSON.parse(r.stdout).results[0];
      assert.equal(result.decision, 'blocked');
      assert.match(
        result.error,
        /: image verifier bindir returned error: failed to call verifier escapes \(runtime [\d.]+m?s\): waiting on command to exit: context deadline exceeded$/,
      );
      assert.doesNotMatch(r.stdout, /approved by parent/);
      // The child was in the verifier's process group: killed with it.
      const grandchild = Number(readFileSync(join(dir.path, 'grandchild'), 'utf8'));
      await waitUntil('the grandchild is gone', () => !isAlive(grandchild));
    } finally {
      dir.cleanup();
    }
  });

  test('a child holding stdout past a non-zero exit: a rejection with no text, at the deadline', async () => {
    const dir = binDir({ escapes: '(sleep 30) & echo "denied by parent"; exit 3' });
    try {
      const r = await check(dir.bin, ['--verifier-timeout', '1']);
      const result = JSON.parse(r.stdout).results[0];
      assert.equal(result.decision, 'blocked');
      assert.match(result.error, /: verifier escapes rejected image \(exit code 3\): $/);
      assert.equal(result.verifiers[0].output, '');
    } finally {
      dir.cleanup();
    }
  });

  test('a child holding only stderr: the text read before the deadline is kept for a rejection; an exit 0 is still an error', async () => {
    const dir = binDir({ held: '(sleep 30 >/dev/null) & echo "denied, said in time"; exit 4' });
    try {
      const rejected = JSON.parse((await check(dir.bin, ['--verifier-timeout', '1'])).stdout).results[0];
      assert.match(rejected.error, /: verifier held rejected image \(exit code 4\): denied, said in time$/);
      writeFileSync(join(dir.bin, 'held'), '#!/bin/sh\n(sleep 30 >/dev/null) & echo "approved"; exit 0\n');
      const errored = JSON.parse((await check(dir.bin, ['--verifier-timeout', '1'])).stdout).results[0];
      assert.match(errored.error, /waiting on command to exit: context deadline exceeded$/);
    } finally {
      dir.cleanup();
    }
  });

  test('a child that closes its pipes does not hold the judgement', async () => {
    const dir = binDir({ tidy: 'sleep 30 >/dev/null 2>&1 & echo "approved"; exit 0' });
    try {
      const started = Date.now();
      const r = await check(dir.bin, ['--verifier-timeout', '20']);
      assert.ok(Date.now() - started < 15_000);
      assert.equal(JSON.parse(r.stdout).results[0].reason, 'tidy => approved');
    } finally {
      dir.cleanup();
    }
  });

  for (const signal of ['SIGINT', 'SIGTERM'] as const)
    test(`${signal} while a verifier runs: its whole process group is killed, exit ${signal === 'SIGINT' ? 130 : 143}, and no later verifier runs`, async () => {
      const dir = binDir({
        'a-hang': 'echo $$ > "$(dirname "$0")/../pid"; sleep 30 & sleep 30; wait',
        'b-later': 'touch "$(dirname "$0")/../later-ran"',
      });
      try {
        const interrupts = new AbortController();
        const running = run(
          [
            'check',
            '--offline',
            '--bin-dir',
            dir.bin,
            '--verifier-timeout',
            '60',
            `registry.corp.example/app@${d}`,
          ],
          { interrupts },
        );
        const pid = await pidFrom(join(dir.path, 'pid'));
        assert.ok(liveInGroup(pid).length >= 2, 'the verifier and its children run in a group of their own');
        interrupts.abort(signal);
        const r = await running;
        assert.equal(r.code, signal === 'SIGINT' ? 130 : 143, r.stderr);
        assert.match(
          r.stderr,
          new RegExp(
            `civctl: interrupted by ${signal} while the verifier a-hang ran; its process group was killed\n$`,
          ),
        );
        assert.equal(r.stdout, '');
        await waitUntil('the verifier’s group is gone', () => liveInGroup(pid).length === 0);
        assert.throws(() => readFileSync(join(dir.path, 'later-ran')));
      } finally {
        dir.cleanup();
      }
    });

  test('huge outputs on both streams: stdout capped at 32 KiB and marked, stderr captured', async () => {
    const dir = binDir({
      loud: 'head -c 10000000 /dev/zero | tr "\\0" x; head -c 10000000 /dev/zero | tr "\\0" y >&2; exit 1',
    });
    try {
      const r = await check(dir.bin);
      const result = JSON.parse(r.stdout).results[0];
      assert.equal(result.verifiers[0].output, `${'x'.repeat(32768)}(stdout truncated)`);
      assert.ok(result.error.endsWith('x(stdout truncated)'));
    } finally {
      dir.cleanup();
    }
  });

  test('a verifier that never reads stdin is fine', async () => {
    const dir = binDir({ deaf: 'exec 0<&-; echo fine' });
    try {
      assert.equal(JSON.parse((await check(dir.bin)).stdout).results[0].reason, 'deaf => fine');
    } finally {
      dir.cleanup();
    }
  });

  test('files that cannot be executed, and folders, are errors that block', async () => {
    const dir = binDir({});
    try {
      writeFileSync(join(dir.bin, 'notexec'), '#!/bin/sh\nexit 0\n');
      const r = JSON.parse((await check(dir.bin)).stdout).results[0];
      assert.match(
        r.error,
        new RegExp(
          `failed to call verifier notexec \\(runtime [^)]+\\): fork/exec ${dir.bin}/notexec: permission denied$`,
        ),
      );
      rmSync(join(dir.bin, 'notexec'));
      mkdirSync(join(dir.bin, 'sub'));
      const folder = JSON.parse((await check(dir.bin)).stdout).results[0];
      assert.match(folder.error, /failed to call verifier sub .*: permission denied$/);
    } finally {
      dir.cleanup();
    }
  });

  test('a verifier killed by a signal is an error with Go’s text', async () => {
    const dir = binDir({ crash: 'kill -SEGV $$' });
    try {
      const r = JSON.parse((await check(dir.bin)).stdout).results[0];
      assert.match(r.error, /waiting on command to exit: signal: segmentation fault$/);
    } finally {
      dir.cleanup();
    }
  });

  test('a missing or empty directory allows the pull with containerd’s reasons; --max-verifiers skips the rest', async () => {
    const dir = binDir({ a: 'echo a', b: 'exit 1' });
    try {
      const missing = JSON.parse((await check(join(dir.path, 'nope'))).stdout).results[0];
      assert.equal(missing.reason, `image verifier directory ${join(dir.path, 'nope')} does not exist`);
      const empty = join(dir.path, 'empty');
      mkdirSync(empty);
      assert.equal(
        JSON.parse((await check(empty)).stdout).results[0].reason,
        `no image verifier binaries found in ${empty}`,
      );
      const limited = await check(dir.bin, ['--max-verifiers', '1']);
      assert.equal(JSON.parse(limited.stdout).results[0].reason, 'a => a');
      assert.match(
        limited.stderr,
        /image verifiers are being skipped since directory .* has 2 entries, more than configured max of 1 verifiers/,
      );
    } finally {
      dir.cleanup();
    }
  });
});

describe("Go's duration text", () => {
  test('as time.Duration.String()', () => {
    assert.equal(goDuration(0n), '0s');
    assert.equal(goDuration(850n), '850ns');
    assert.equal(goDuration(1500n), '1.5µs');
    assert.equal(goDuration(12_345_000n), '12.345ms');
    assert.equal(goDuration(10_001_234_567n), '10.001234567s');
    assert.equal(goDuration(62_500_000_000n), '1m2.5s');
    assert.equal(goDuration(3_600_000_000_000n), '1h0m0s');
  });
});

describe('an allowed image says why in words (containerd’s reason is often empty)', () => {
  const IMAGE = `public.ecr.aws/docker/library/redis@${ALLOWED}`;
  const whyLine = (stderr: string) => stderr.split('\n').find((l) => l.startsWith('civctl: note: '));

  test('the digestion allowlist lists it; notation has no policy: containerd’s text kept, the why on stderr', async () => {
    const r = await run(['check', '--offline', '--policy', `digestion=${DIGESTION}`, IMAGE]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      r.stdout,
      `ALLOWED ${IMAGE} digestion-image-verifier => , notation-image-verifier =>\n`,
      'stdout keeps one line per image, with containerd’s exact reason',
    );
    assert.equal(
      whyLine(r.stderr),
      `civctl: note: ${IMAGE} is allowed because digestion-image-verifier lists the digest; notation-image-verifier has no trust policy or an empty one, so it allows every image`,
    );
  });

  test('a notation statement with level skip, and an empty allowlist', async () => {
    const dir = scratch();
    try {
      const skip = dir.file(
        'skip.json',
        JSON.stringify({
          version: '1.0',
          trustPolicies: [
            { name: 'skip-all', registryScopes: ['*'], signatureVerification: { level: 'skip' } },
          ],
        }),
      );
      const empty = dir.file('empty.json', '{"version":"1.0","trustedDigests":[]}');
      const r = await run([
        'check',
        '--offline',
        '--policy',
        `notation=${skip}`,
        '--policy',
        `digestion=${empty}`,
        IMAGE,
      ]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(
        whyLine(r.stderr),
        `civctl: note: ${IMAGE} is allowed because digestion-image-verifier has no trust policy or an empty allowlist, so it allows every image; notation-image-verifier's statement "skip-all" has level skip: no signature is needed`,
      );
    } finally {
      dir.cleanup();
    }
  });

  test('a verifier binary that exits 0; no note for a blocked image, nor in JSON', async () => {
    const dir = binDir({ 'a-ok': 'cat >/dev/null; exit 0', 'b-no': 'cat >/dev/null; echo nope; exit 1' });
    try {
      const ud = dir.file('ud.toml', '[settings.image-verifier-plugins]\nenabled = true\n');
      const ok = await run(['check', '--offline', '--user-data', ud, '--bin-dir', dir.bin, IMAGE]);
      assert.equal(ok.code, 1, ok.stderr);
      assert.equal(whyLine(ok.stderr), undefined, 'b-no blocks: nothing to explain');
      rmSync(join(dir.bin, 'b-no'));
      const allowed = await run(['check', '--offline', '--user-data', ud, '--bin-dir', dir.bin, IMAGE]);
      assert.equal(allowed.code, 0, allowed.stderr);
      assert.equal(whyLine(allowed.stderr), `civctl: note: ${IMAGE} is allowed because a-ok exited 0`);
      const json = await run([
        'check',
        '--offline',
        '--format',
        'json',
        '--user-data',
        ud,
        '--bin-dir',
        dir.bin,
        IMAGE,
      ]);
      assert.equal(whyLine(json.stderr), undefined);
    } finally {
      dir.cleanup();
    }
  });
});
