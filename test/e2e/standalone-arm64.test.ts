/**
 * The linux-arm64 standalone binary (Graviton nodes), run here under Debian's qemu-user-static with
 * the arm64 C/C++ libraries as its root: it must answer exactly as the bundle does, and reach the
 * API simulator (running natively in this process) over its Unix socket. Skipped, saying so, when
 * the binary was not built or qemu is missing; CI sets CIVCTL_REQUIRE_ARM64=1, and then that fails.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { after, describe, test } from 'node:test';
import { FULL, fullOnly, ROOT, type RunResult, runBuiltAsync, tempDir, withSim } from '../helpers.ts';

const BINARY = join(ROOT, 'dist', 'civctl-linux-arm64');
const SYSROOT = '/usr/aarch64-linux-gnu';
const APT = 'apt-get install qemu-user-static libc6-arm64-cross libstdc++6-arm64-cross';

/** How to run an arm64 program here: directly on arm64, else qemu-user (as scripts/build-standalone.mjs). */
function arm64Runner(): { runner: string[] } | { missing: string } {
  if (process.arch === 'arm64') return { runner: [] };
  const dirs = (process.env['PATH'] ?? '').split(delimiter).filter(Boolean);
  const qemu = ['qemu-aarch64-static', 'qemu-aarch64']
    .flatMap((name) => dirs.map((dir) => join(dir, name)))
    .find((path) => existsSync(path));
  if (!qemu) return { missing: `no qemu-aarch64-static on PATH (${APT})` };
  const libs = ['lib/ld-linux-aarch64.so.1', 'lib/libstdc++.so.6'];
  if (!libs.every((lib) => existsSync(join(SYSROOT, lib))))
    return { missing: `no arm64 C/C++ libraries in ${SYSROOT} (${APT})` };
  return { runner: [qemu, '-L', SYSROOT] };
}

const found = arm64Runner();
const missing =
  'missing' in found
    ? found.missing
    : existsSync(BINARY)
      ? undefined
      : `${BINARY} was not built (npm run build:standalone builds it when qemu is installed)`;
if (missing && process.env['CIVCTL_REQUIRE_ARM64'] === '1')
  throw new Error(`CIVCTL_REQUIRE_ARM64=1 but ${missing}`);
if (missing) process.stderr.write(`arm64 standalone tests skipped: ${missing}\n`);
const runner = 'runner' in found ? found.runner : [];

describe('the linux-arm64 standalone binary, under qemu', { skip: missing, timeout: 300_000 }, () => {
  const home = tempDir();
  after(() => home.cleanup());
  const env = { PATH: '/usr/bin:/bin', HOME: home.path, LANG: 'C' };

  /** Runs the arm64 binary (asynchronously: the simulator answers from this process). */
  function runArm64(args: string[]): Promise<RunResult> {
    const [command = BINARY, ...prefix] = [...runner, BINARY];
    return new Promise((resolve, reject) => {
      const child = spawn(command, [...prefix, ...args], { cwd: ROOT, env });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on('data', (c: Buffer) => out.push(c));
      child.stderr.on('data', (c: Buffer) => err.push(c));
      child.stdin.end();
      child.on('error', reject);
      child.on('close', (code) => {
        const stdoutBytes = Buffer.concat(out);
        resolve({
          code: code ?? -1,
          stdout: stdoutBytes.toString('utf8'),
          stderr: Buffer.concat(err).toString('utf8'),
          stdoutBytes,
        });
      });
    });
  }

  /** The arm64 binary and the bundle give the same exit code, stdout and stderr. */
  async function assertSameAsBundle(args: string[], expectedCode: number): Promise<RunResult> {
    const [arm64, bundle] = await Promise.all([runArm64(args), runBuiltAsync(args, { env })]);
    assert.equal(arm64.code, expectedCode, arm64.stderr);
    assert.deepEqual(
      { code: arm64.code, stdout: arm64.stdout, stderr: arm64.stderr },
      { code: bundle.code, stdout: bundle.stdout, stderr: bundle.stderr },
    );
    return arm64;
  }

  test('it is a linux-arm64 executable with the pinned Node inside', () => {
    const binary = readFileSync(BINARY);
    assert.equal(binary.readUInt16LE(18), 183, 'ELF e_machine is EM_AARCH64');
    // process.release's headers URL, compiled into Node, names its version.
    const { standalone } = JSON.parse(readFileSync(join(ROOT, 'scripts', 'node-runtimes.json'), 'utf8'));
    assert.ok(binary.includes(`/v${standalone}/node-v${standalone}-headers`), `Node ${standalone} inside`);
  });

  test('--version', async () => {
    const version = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version;
    const v = await runArm64(['--version']);
    assert.deepEqual(
      { code: v.code, stdout: v.stdout, stderr: v.stderr },
      { code: 0, stdout: `${version}\n`, stderr: '' },
    );
  });

  test('a usage error exits 2, as the bundle says it', { skip: fullOnly() }, async () => {
    await assertSameAsBundle(['frobnicate'], 2);
  });

  test('encode gives the bundle’s bytes', { skip: fullOnly() }, async () => {
    const r = await assertSameAsBundle(
      [
        'encode',
        'notation=examples/notation-aws-signer.json',
        'digestion=examples/digestion-redis.json',
        '--enable',
        '--format',
        'userdata',
      ],
      0,
    );
    assert.match(r.stdout, /\[settings\.image-verifier-plugins\.notation\]/);
  });

  // Under qemu each run costs one to two seconds of CPU: --version (the binary starts, its program's
  // code cache is taken) and get (the undici chunk, the socket) run always; the rest in CI's full run.
  test('lint: the same verdicts as the bundle', { skip: fullOnly() }, async () => {
    await assertSameAsBundle(
      ['lint', 'examples/notation-aws-signer.json', 'examples/digestion-redis.json'],
      0,
    );
  });

  test('lint: the same findings as the bundle for a bad policy', { skip: fullOnly() }, async () => {
    const bad = await assertSameAsBundle(['lint', 'examples/bad-notation-scope.json', '--format', 'json'], 1);
    assert.match(bad.stdout, /"severity": ?"error"/);
  });

  test('get (set too, in CI’s full run) against the simulator over its Unix socket', async () => {
    await withSim(async (socket) => {
      const setArgs = ['-s', socket, 'set', 'digestion', 'examples/digestion-redis.json', '--enable'];
      const set = FULL ? await runArm64(setArgs) : await runBuiltAsync(setArgs, { env });
      assert.equal(set.code, 0, set.stderr);
      const get = await runArm64(['-s', socket, 'get', 'digestion']);
      assert.equal(get.code, 0, get.stderr);
      assert.equal(get.stdout, readFileSync(join(ROOT, 'examples', 'digestion-redis.json'), 'utf8'));
    });
  });
});
