/** The built single-file CLI, run as a process: exit codes, stream separation, the simulator. */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import {
  BIN,
  BIN_ESM,
  fullOnly,
  CORPUS,
  builtChunkNames,
  builtChunkSource,
  isOneCleanLine,
  ROOT,
  runBuilt,
  runBuiltAsync,
  tempDir,
  isProgramSplit,
  libraryChunks,
  tracedChunks,
  withSimProcess,
} from '../helpers.ts';
import { COMMANDS } from '../../src/commands/index.ts';

const tmp = tempDir();
after(() => tmp.cleanup());
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const DIGESTION = join(ROOT, 'examples', 'digestion-redis.json');

describe('the built bundle', () => {
  test('--version prints the package version', () => {
    const r = runBuilt(['--version']);
    assert.equal(r.code, 0);
    assert.equal(r.stdout, `${pkg.version}\n`);
  });
  // The ES module carries the same chunks behind another wrapper: in CI's full run (every chunk of
  // it is loaded by test/e2e/bundle.test.ts's runs too).
  for (const [built, name] of [
    [BIN, 'civctl.cjs'],
    [BIN_ESM, 'civctl.mjs'],
  ] as const)
    test(`${name} runs alone from an empty directory, every chunk included`, {
      skip: name === 'civctl.mjs' ? fullOnly() : undefined,
    }, async () => {
      const schema = join(tmp.path, `schema-${name}.json`);
      writeFileSync(schema, '{"type":"object"}');
      const dir = join(tmp.path, `alone-${name}`);
      mkdirSync(dir);
      const lonely = join(dir, name);
      copyFileSync(built, lonely);
      const env = { CIVCTL_TRACE_CHUNKS: '1', CIVCTL_COMPILE_CACHE: '0' };
      const chunks = new Set<string>();
      const runAlone = (args: string[], more: Record<string, string> = {}) => {
        const r = runBuilt(args, { file: lonely, cwd: dir, env: { ...env, ...more } });
        for (const c of libraryChunks(r.stderr)) chunks.add(c);
        return r;
      };
      assert.equal(runAlone(['encode', 'digestion', DIGESTION, '--format', 'toml']).code, 0);
      assert.match(runAlone(['--help']).stdout, /Commands:/);
      assert.equal(runAlone(['lint', '--verifier', 'x', '--schema', schema, DIGESTION]).code, 0);
      const eksctl = [
        'encode',
        'notation',
        join(ROOT, 'examples', 'notation-aws-signer.json'),
        '--format',
        'eksctl',
      ];
      assert.equal(runAlone(eksctl).code, 0);
      const pods = join(dir, 'pods.yaml');
      writeFileSync(
        pods,
        `kind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, image: 'r@sha256:${'1'.repeat(64)}'}]}\n`,
      );
      assert.equal(runAlone(['audit', '--offline', '--policy', `digestion=${DIGESTION}`, pods]).code, 1);
      await withSimProcess(
        dir,
        (socket) => {
          assert.equal(runAlone(['-s', socket, 'get']).code, 0);
          assert.equal(runAlone(['-s', socket, 'get'], { UNDICI_NO_WASM_SIMD: '1' }).code, 0);
        },
        { file: lonely },
      );
      const signed = join(CORPUS, 'notation-verify', 'cases', 'dev-valid-001-jws-rsa2048-chain1-ca');
      const verify = runAlone([
        'check',
        '--offline',
        '--oci-layout',
        join(signed, 'layout'),
        '--trust-store',
        join(signed, 'truststore'),
        '--policy',
        `notation=${join(signed, 'trustpolicy.json')}`,
        'localhost:5000/team/api-server@sha256:fc0adf96c1c208259827395b5a24a9cee790b07f06ed1c756c21f8b17a6abe1c',
      ]);
      assert.equal(verify.code, 0, verify.stderr);
      // The program's split chunks: every command through every built file (test/e2e/command-table.ts).
      const libraries = builtChunkNames(built).filter((c) => !isProgramSplit(c));
      assert.deepEqual([...chunks].sort(), libraries, name);
      assert.deepEqual(libraries, [
        'ajv',
        'js-yaml',
        'llhttp-simd',
        'llhttp-wasm',
        'program',
        'signatures',
        'smol-toml',
        'undici',
        'yaml',
        'yargs',
      ]);
    });
  test('only signature verification loads the signature engine: check with a trust store, lint --trust-store', () => {
    const env = { CIVCTL_TRACE_CHUNKS: '1' };
    const policy = join(ROOT, 'examples', 'notation-aws-signer.json');
    const store = join(ROOT, 'test', 'fixtures', 'trust-stores', 'unusable');
    const image = `registry.example.com/app@sha256:${'a'.repeat(64)}`;
    const unverified = runBuilt(['check', '--offline', '--policy', `notation=${policy}`, image], { env });
    assert.equal(unverified.code, 0, unverified.stderr);
    assert.deepEqual(libraryChunks(unverified.stderr), ['program']);
    assert.deepEqual(libraryChunks(runBuilt(['lint', policy], { env }).stderr), ['program']);
    const withStore = runBuilt(['lint', '--trust-store', store, policy], { env });
    assert.equal(withStore.code, 0, withStore.stderr);
    assert.deepEqual(libraryChunks(withStore.stderr), ['program', 'signatures']);
  });
  test('without WebAssembly SIMD (UNDICI_NO_WASM_SIMD=1), get parses the answer with the fallback parser, a chunk of its own', async () => {
    const dir = join(tmp.path, 'no-simd');
    mkdirSync(dir);
    await withSimProcess(dir, (socket) => {
      const env = { CIVCTL_TRACE_CHUNKS: '1' };
      assert.equal(runBuilt(['-s', socket, 'set', 'digestion', DIGESTION, '--enable']).code, 0);
      const simd = runBuilt(['-s', socket, 'get', '--raw'], { env });
      const fallback = runBuilt(['-s', socket, 'get', '--raw'], {
        env: { ...env, UNDICI_NO_WASM_SIMD: '1' },
      });
      assert.equal(fallback.code, 0, fallback.stderr);
      assert.equal(fallback.stdout, simd.stdout);
      assert.match(simd.stdout, /"enabled"/);
      assert.equal(tracedChunks(simd.stderr).includes('llhttp-wasm'), false);
      assert.ok(tracedChunks(simd.stderr).includes('llhttp-simd'), simd.stderr);
      assert.ok(tracedChunks(fallback.stderr).includes('llhttp-wasm'), fallback.stderr);
      assert.equal(tracedChunks(fallback.stderr).includes('llhttp-simd'), false);
    });
  });
  test('get and a one-statement lint load only their own chunk of the program besides the shared ones they need, nothing compressed (a regrouping of the split shows here first)', async () => {
    const dir = join(tmp.path, 'everyday-chunks');
    mkdirSync(dir);
    const env = { CIVCTL_TRACE_CHUNKS: '1' };
    const policy = join(ROOT, 'examples', 'notation-aws-signer.json');
    assert.deepEqual(tracedChunks(runBuilt(['lint', policy], { env }).stderr), [
      'program',
      'program-lint',
      'program-shared',
    ]);
    await withSimProcess(dir, (socket) => {
      assert.equal(runBuilt(['-s', socket, 'set', 'digestion', DIGESTION, '--enable']).code, 0);
      const get = runBuilt(['-s', socket, 'get'], { env });
      assert.equal(get.code, 0, get.stderr);
      assert.deepEqual(tracedChunks(get.stderr), ['program', 'program-get', 'undici', 'llhttp-simd']);
    });
  });
  test('every chunk of the program is strict code, as the ES modules it was made from', () => {
    const program = builtChunkNames(BIN).filter((c) => c === 'program' || isProgramSplit(c));
    assert.ok(program.length > 3, program.join(' '));
    for (const chunk of program)
      assert.ok(
        builtChunkSource(BIN, chunk).startsWith(
          '(function (module, exports, require, __civctlLoad, __civctl_meta) {"use strict";',
        ),
        chunk,
      );
  });
  test("the command table every run compiles holds no help text: the full parser's chunk has them all", () => {
    // esbuild writes ASCII, and picks its quotes: a text without any, as the chunks spell it.
    const spelt = (text: string) =>
      JSON.stringify(text)
        .slice(1, -1)
        .replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
    const program = builtChunkSource(BIN, 'program');
    const usage = builtChunkSource(BIN, 'program-usage');
    const unquoted = (text: string) => !/["'`\\]/.test(text);
    const texts = COMMANDS.flatMap((spec) => [
      spec.describe,
      ...spec.examples.flat(),
      ...spec.positionals.map((p) => p.describe),
      ...Object.values(spec.options).map((o) => o.describe),
    ]).filter(unquoted);
    assert.ok(texts.length > 200, String(texts.length));
    for (const text of texts) {
      assert.ok(usage.includes(spelt(text)), text);
      assert.equal(program.includes(spelt(text)), false, text);
    }
    for (const spec of COMMANDS) assert.ok(program.includes(`name:${JSON.stringify(spec.name)}`), spec.name);
  });
  test('completion prints a shell script', () => {
    const r = runBuilt(['completion']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /civctl/);
    assert.match(r.stdout, /complete -o/);
  });
  test('usage errors exit 2, runtime errors 1, with one line on stderr and nothing on stdout', () => {
    for (const [args, code] of [
      [['frobnicate'], 2],
      [[], 2],
      [['encode', 'notation', DIGESTION, '--bogus'], 2],
      [['encode', 'bad_name', DIGESTION], 2],
      [['encode', 'notation', '/nonexistent.json'], 1],
      [['decode', 'not base64!'], 1],
      [['-s', join(tmp.path, 'none.sock'), 'get'], 1],
    ] as [string[], number][]) {
      const r = runBuilt(args);
      assert.equal(r.code, code, args.join(' '));
      assert.equal(r.stdout, '', args.join(' '));
      assert.ok(isOneCleanLine(r.stderr), `${args.join(' ')}: ${r.stderr}`);
    }
  });
  test('data on stdout, messages on stderr', () => {
    const r = runBuilt(['encode', 'digestion', join(ROOT, 'examples', 'empty-digestion.json')]);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^[A-Za-z0-9+/]+=*\n$/);
    assert.match(r.stderr, /warning/);
  });
  test('colour only on a TTY: never in pipes', () => {
    const r = runBuilt(['lint', join(ROOT, 'examples', 'bad-notation-scope.json')], {
      env: { FORCE_COLOR: '0' },
    });
    assert.equal(r.code, 1);
    assert.equal(r.stdout.includes('\u001b['), false);
    const forced = runBuilt(['lint', join(ROOT, 'examples', 'bad-notation-scope.json')], {
      env: { FORCE_COLOR: '1' },
    });
    assert.ok(forced.stdout.includes('\u001b['));
    const noColor = runBuilt(['lint', join(ROOT, 'examples', 'bad-notation-scope.json')], {
      env: { FORCE_COLOR: '1', NO_COLOR: '1' },
    });
    assert.equal(noColor.stdout.includes('\u001b['), false);
  });
});

describe('civctl sim as a process', () => {
  test('serves until SIGTERM; the built CLI sets and gets through it', async () => {
    const socket = join(tmp.path, 'sim.sock');
    const sim = spawn(process.execPath, [BIN, 'sim', '--socket', socket, '--variant', 'aws-ecs-4'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    await new Promise<void>((resolve, reject) => {
      sim.stderr.on('data', (c: Buffer) => {
        stderr += c.toString();
        if (stderr.includes('listening on')) resolve();
      });
      sim.on('exit', () => reject(new Error(`sim exited: ${stderr}`)));
    });
    const set = await runBuiltAsync(['-s', socket, 'set', 'digestion', DIGESTION, '--enable']);
    assert.equal(set.code, 0, set.stderr);
    const get = await runBuiltAsync(['-s', socket, 'get', 'digestion']);
    assert.equal(get.stdout, readFileSync(DIGESTION, 'utf8'));
    const status = await runBuiltAsync(['-s', socket, 'status']);
    assert.match(status.stdout, /aws-ecs-4/);
    const exited = new Promise<number | null>((resolve) => sim.on('exit', (code) => resolve(code)));
    sim.kill('SIGTERM');
    assert.equal(await exited, 0);
    assert.match(stderr, /stopped \(SIGTERM\)/);
  });
});

describe('the compile cache', () => {
  test('is written per command, reused, and survives corruption', () => {
    const dir = join(tmp.path, 'cache');
    const env = { CIVCTL_CACHE_DIR: dir };
    assert.equal(runBuilt(['encode', 'digestion', DIGESTION], { env }).code, 0);
    const files = readdirSync(dir, { recursive: true }).map(String);
    assert.ok(
      files.some((f) => f.endsWith('program-encode.v8cache')),
      files.join(', '),
    );
    const again = runBuilt(['encode', 'digestion', DIGESTION], { env });
    assert.equal(again.code, 0);
    const cacheFile = join(dir, files.find((f) => f.endsWith('program-encode.v8cache'))!);
    writeFileSync(cacheFile, 'not a code cache');
    const corrupt = runBuilt(['encode', 'digestion', DIGESTION], { env });
    assert.equal(corrupt.code, 0);
    assert.equal(corrupt.stdout, again.stdout);
  });
  test('is not used from a folder others can write to, nor when turned off', () => {
    const open = join(tmp.path, 'open-cache');
    mkdirSync(open, { mode: 0o777 });
    chmodSync(open, 0o777);
    assert.equal(runBuilt(['--version'], { env: { CIVCTL_CACHE_DIR: open } }).code, 0);
    assert.deepEqual(readdirSync(open), []);
    const off = join(tmp.path, 'off-cache');
    assert.equal(
      runBuilt(['--version'], { env: { CIVCTL_CACHE_DIR: off, CIVCTL_COMPILE_CACHE: '0' } }).code,
      0,
    );
    assert.equal(existsSync(off), false);
  });
});

describe('V8 tuned for a large lint', () => {
  /** A notation policy of `count` statements, each its own scope. */
  const policy = (count: number) =>
    JSON.stringify({
      version: '1.0',
      trustPolicies: Array.from({ length: count }, (_, i) => ({
        name: `p${i}`,
        registryScopes: [`registry.example.com/team/app-${i}`],
        signatureVerification: { level: 'strict' },
        trustStores: ['signingAuthority:aws-signer-ts'],
        trustedIdentities: [`arn:aws:signer:us-west-2:123456789012:/signing-profiles/app${i}`],
      })),
    });
  test('a notation policy of 256 KiB or more sets the interrupt budget under Node 20 only (a digest list does not), and every cache it leaves is used', () => {
    const dir = join(tmp.path, 'budget');
    mkdirSync(dir);
    const large = join(dir, 'large.json');
    writeFileSync(large, policy(1500));
    assert.ok(readFileSync(large).length >= 256 * 1024);
    const small = join(dir, 'small.json');
    writeFileSync(small, policy(2));
    const env = { CIVCTL_TRACE_CHUNKS: '1', CIVCTL_CACHE_DIR: join(dir, 'cache') };
    const v8Eleven = Number(process.versions.v8.split('.')[0]) < 12;
    const first = runBuilt(['lint', large], { env });
    assert.equal(first.code, 0, first.stderr);
    assert.match(
      first.stderr,
      v8Eleven ? /^civctl command: lint \(--interrupt-budget\)$/m : /^civctl command: lint$/m,
    );
    // A digest list of that size is not one: its one tight loop is better optimised.
    const digests = join(dir, 'digests.json');
    writeFileSync(
      digests,
      JSON.stringify({
        version: '1.0',
        trustedDigests: Array.from({ length: 4000 }, (_, i) => `sha256:${i.toString(16).padStart(64, '0')}`),
      }),
    );
    assert.ok(readFileSync(digests).length >= 256 * 1024);
    const digestRun = runBuilt(['lint', digests], { env });
    assert.equal(digestRun.code, 0, digestRun.stderr);
    assert.match(digestRun.stderr, /^civctl command: lint$/m);
    const smallRun = runBuilt(['lint', small], { env });
    assert.match(smallRun.stderr, /^civctl command: lint$/m);
    // The caches the large run wrote, with the flag reset, are used by the next runs, large or small.
    assert.match(smallRun.stderr, /^civctl uncached: $/m);
    assert.match(runBuilt(['lint', large], { env }).stderr, /^civctl uncached: $/m);
  });
});

describe('the compile cache stays small and safe', () => {
  test('m-36: a run that writes a cache removes the caches of other builds and Node versions', () => {
    const dir = join(tmp.path, 'prune-cache');
    const stale = join(dir, '0123456789abcdef-v20.0.0');
    mkdirSync(stale, { recursive: true, mode: 0o700 });
    chmodSync(dir, 0o700);
    writeFileSync(join(stale, 'program-encode.v8cache'), 'old');
    const unrelated = join(dir, 'notes');
    mkdirSync(unrelated);
    assert.equal(runBuilt(['encode', 'digestion', DIGESTION], { env: { CIVCTL_CACHE_DIR: dir } }).code, 0);
    const left = readdirSync(dir).sort();
    assert.equal(left.includes('0123456789abcdef-v20.0.0'), false);
    assert.ok(left.includes('notes'));
    assert.ok(left.some((d) => d.endsWith(`-${process.version}`)));
  });
  test('m-31: a cache folder under /proc is skipped, not looped on', () => {
    for (const env of [{ HOME: '/proc' }, { XDG_CACHE_HOME: '/proc/self' }, { CIVCTL_CACHE_DIR: '/proc' }]) {
      const r = spawnSync(process.execPath, [BIN, '--version'], {
        env: { PATH: process.env['PATH'] ?? '', ...env },
        timeout: 10_000,
      });
      assert.equal(r.status, 0, JSON.stringify(env));
    }
  });
});
