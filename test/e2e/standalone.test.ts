/**
 * The standalone binary (npm run build:standalone, which npm test runs first): the demo flow
 * against the simulator with no Node on PATH, as in the admin container. Skipped, saying so,
 * when the binary was not built; CI sets CIVCTL_REQUIRE_STANDALONE=1, and then that fails.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { ROOT, STANDALONE, standaloneMissing, tempDir } from '../helpers.ts';

const BINARY = STANDALONE;
const missing = standaloneMissing();

test('the docs name the Node the standalone binaries embed', () => {
  const { standalone } = JSON.parse(readFileSync(join(ROOT, 'scripts', 'node-runtimes.json'), 'utf8'));
  const fleet = readFileSync(join(ROOT, 'docs', 'fleet.md'), 'utf8');
  for (const arch of ['x64', 'arm64'])
    assert.match(fleet, new RegExp(`\\| \`dist/civctl-linux-${arch}\` \\| .* \\| Node ${standalone} `));
  assert.match(
    readFileSync(join(ROOT, 'README.md'), 'utf8'),
    new RegExp(`with Node ${standalone} \\(LTS\\) inside`),
  );
});

describe('the standalone binary, with no Node installed', { skip: missing }, () => {
  const dir = tempDir();
  after(() => dir.cleanup());
  // A PATH with the shell tools the demo uses and no node.
  const tools = join(dir.path, 'bin');
  mkdirSync(tools);
  for (const tool of ['bash', 'grep', 'sleep', 'seq', 'mktemp', 'rm', 'cat', 'dirname', 'sh'])
    for (const where of ['/usr/bin', '/bin'])
      if (existsSync(join(where, tool)) && !existsSync(join(tools, tool)))
        symlinkSync(join(where, tool), join(tools, tool));
  const env = { PATH: tools, HOME: dir.path, LANG: 'C' };

  test('no node is reachable on that PATH', () => {
    const r = spawnSync('bash', ['-c', 'command -v node'], { env, encoding: 'utf8' });
    assert.notEqual(r.status, 0, r.stdout);
  });

  test('the demo flow against civctl sim', () => {
    const r = spawnSync(join(tools, 'bash'), [join(ROOT, 'scripts', 'demo.sh')], {
      env: { ...env, CIVCTL_BIN: BINARY },
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /API simulator \(aws-k8s-1\.34, 1\.63\.0\) listening on/);
    assert.match(r.stdout, /Verification: enabled/);
    assert.match(r.stdout, /\(exit 1: refused; the live policy is unchanged\)/);
    assert.match(r.stdout, /demo: done/);
    assert.match(r.stderr, /committed settings\.image-verifier-plugins\.digestion\.trustpolicy/);
  });

  test('it embeds the Node pinned for it, not the Node running the build', () => {
    // process.release's headers URL, compiled into Node, names its version.
    const { standalone } = JSON.parse(readFileSync(join(ROOT, 'scripts', 'node-runtimes.json'), 'utf8'));
    const binary = readFileSync(BINARY);
    assert.ok(binary.includes(`/v${standalone}/node-v${standalone}-headers`), `Node ${standalone} inside`);
  });

  test('it starts Node with a 4 MB young generation (execArgv in its SEA blob, scripts/build-standalone.mjs)', () => {
    const binary = readFileSync(BINARY);
    assert.ok(binary.includes('--min-semi-space-size=4'), 'the flag in the SEA blob');
    // It starts, and the code caches embedded when it was built (made without the flag) load
    // under it: a first run, with an empty cache folder, compiles nothing from source.
    const run = spawnSync(BINARY, ['--version'], {
      env: { ...env, CIVCTL_TRACE_CHUNKS: '1', CIVCTL_CACHE_DIR: join(dir.path, 'flag-cache') },
      encoding: 'utf8',
    });
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stderr, /^civctl chunks: program$/m);
    assert.match(run.stderr, /^civctl uncached: $/m);
  });

  test('version, usage and runtime exit codes, no warnings', () => {
    const version = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version;
    const v = spawnSync(BINARY, ['--version'], { env, encoding: 'utf8' });
    assert.equal(v.status, 0);
    assert.equal(v.stdout, `${version}\n`);
    assert.equal(v.stderr, '');
    const usage = spawnSync(BINARY, ['frobnicate'], { env, encoding: 'utf8' });
    assert.equal(usage.status, 2);
    assert.equal(usage.stderr, 'civctl: Unknown argument: frobnicate (see civctl --help)\n');
    const runtime = spawnSync(BINARY, ['lint', join(ROOT, 'examples', 'bad-notation-scope.json')], {
      env,
      encoding: 'utf8',
    });
    assert.equal(runtime.status, 1);
    const yaml = spawnSync(
      BINARY,
      ['encode', 'notation', join(ROOT, 'examples', 'notation-aws-signer.json'), '--format', 'eksctl'],
      { env, encoding: 'utf8' },
    );
    assert.equal(yaml.status, 0, yaml.stderr);
    assert.match(yaml.stdout, /image-verifier-plugins:/);
  });
});
