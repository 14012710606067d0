// npm run build:standalone: dist/civctl-linux-x64 and dist/civctl-linux-arm64, Node single-executable
// applications that run with no Node installed (the admin container has none). They embed the Node
// pinned as "standalone" in scripts/node-runtimes.json (Node 24 LTS, fetched from the npm
// registry's node-linux-<arch> packages), not the Node running this build, and inject it with
// postject (Node 24 still does it this way: it has no --build-sea).
//
// A binary is the bundle (dist/civctl.cjs, from npm run build) in another form: its main script is
// the bundle's own loader, and the chunks the bundle keeps in a trailing comment are the
// executable's assets, byte for byte, so both run the same code, lazily loaded the same way. With
// them go V8 code caches for each chunk and command, made when the binary is built by running the
// commands with the Node it embeds (as the bundle makes them in the user's cache folder on its
// first run): a binary's first run is as quick as its later ones, and it writes nothing.
//
// The arm64 binary is built and checked by running arm64 Node under qemu-user (its code caches must
// come from arm64 V8). Without qemu it is skipped, saying so; CIVCTL_REQUIRE_ARM64=1 makes that an
// error.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nodeBinary, RUNTIMES } from './node-runtimes.mjs';

// V8 flags the binary starts with (SEA's execArgv), which the bundle cannot set: Node has sized the
// heap before any script runs. A young generation of 4 MB from the start instead of 1 MB: `get`
// allocates about 1 MB at start-up, which with 1 MB cost one scavenge (most of it survives and is
// copied, 3-5 ms here), and a large lint fewer of them (docs/performance.md). Only pages used are
// touched, and V8's code caches do not depend on it (the embedded ones are made without it).
const SEA_EXEC_ARGV = ['--min-semi-space-size=4'];

const out = 'dist';
const work = join(out, 'standalone');
rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });
const nodeVersion = RUNTIMES.standalone;
const { version } = JSON.parse(readFileSync('package.json', 'utf8'));

/**
 * The bundle's parts (scripts/build.mjs): the loader before its trailing comment, the chunk table
 * and build id it holds, and each chunk's stored bytes (brotli and base64 for the cold ones).
 */
function readBundle(file) {
  const bytes = readFileSync(file);
  const text = bytes.toString('latin1');
  const table = /^const CHUNKS = (\{.*\});$/m.exec(text);
  const build = /^const BUILD = "([0-9a-f]{16})";$/m.exec(text);
  if (!table || !build || !text.includes('\nconst SEA = false;\n'))
    throw new Error(`${file} is not a bundle this script knows (run npm run build first)`);
  const chunks = JSON.parse(table[1]);
  const start = bytes.length - Math.max(...Object.values(chunks).map(([fromEnd]) => fromEnd));
  const head = text.slice(0, start - '{/*\n'.length);
  if (!head.endsWith('\nfunction payload() ') || text.slice(head.length, start) !== '{/*\n')
    throw new Error(`${file}: the chunks do not start where its table says`);
  const stored = {};
  for (const [name, [fromEnd, length]] of Object.entries(chunks))
    stored[name] = bytes.subarray(bytes.length - fromEnd, bytes.length - fromEnd + length);
  // The binary reads its chunks from its assets: its loader keeps the function empty.
  return { loader: `${head}{}\n`, build: build[1], stored };
}

const bundle = readBundle(join(out, 'civctl.cjs'));
const main = join(work, 'civctl.cjs');
writeFileSync(main, bundle.loader.replace('\nconst SEA = false;\n', '\nconst SEA = true;\n'));
const chunkAssets = {};
for (const [name, bytes] of Object.entries(bundle.stored)) {
  const file = join(work, `chunk-${name}`);
  writeFileSync(file, bytes);
  chunkAssets[`chunk:${name}`] = resolve(file);
}

/** The first of these commands found on PATH. */
function findTool(...names) {
  const dirs = (process.env['PATH'] ?? '').split(delimiter).filter(Boolean);
  for (const name of names) {
    const dir = dirs.find((d) => existsSync(join(d, name)));
    if (dir) return join(dir, name);
  }
  return undefined;
}

const GNU = { x64: 'x86_64-linux-gnu', arm64: 'aarch64-linux-gnu' };
const DEB = { x64: 'amd64', arm64: 'arm64' };
const QEMU = { x64: 'x86_64', arm64: 'aarch64' };
const LOADER = { x64: 'ld-linux-x86-64.so.2', arm64: 'ld-linux-aarch64.so.1' };

/**
 * How to run a linux-`arch` Node here: directly on the same architecture, else through qemu-user
 * with Debian's cross C/C++ libraries as its root (Node links glibc and libstdc++ dynamically);
 * undefined when that is not installed.
 */
function runnerFor(arch) {
  if (arch === process.arch) return [];
  const qemu = findTool(`qemu-${QEMU[arch]}-static`, `qemu-${QEMU[arch]}`);
  const sysroot = `/usr/${GNU[arch]}`;
  const complete = ['lib/' + LOADER[arch], 'lib/libstdc++.so.6'].every((f) => existsSync(join(sysroot, f)));
  return qemu && complete ? [qemu, '-L', sysroot] : undefined;
}

const run = (command, args) => {
  const r = spawnSync(command, args, { stdio: 'inherit' });
  if (r.status !== 0)
    throw new Error(`${command} ${args.join(' ')} failed (${r.error?.message ?? r.status ?? r.signal})`);
};

// postject (LIEF) warns about two kinds of note sections it cannot name when it rewrites the section
// header table, and neither matters to the binary:
// - '.note.100' (about a dozen): GNU build-attribute notes (type 0x100, in .gnu.build.attributes)
//   that Node's x64 builds carry as build metadata; they are removed with strip below, so these no
//   longer appear.
// - '.note': the note postject itself adds for the blob. Node finds the blob through the program
//   headers (the PT_NOTE segment), never by section name; the section is left unnamed.
// Exactly those lines are dropped; any other output is shown, and a failed injection fails the build.
const KNOWN_POSTJECT_LINES = [
  /^\u001b\[36mStart injection of NODE_SEA_BLOB in .*\.\.\.\u001b\[0m$/,
  /^warning: Can't find string offset for section name '\.note(\.100)?'$/,
  /^\u001b\[32m💉 Injection done!\u001b\[0m$/,
];
function inject(binary, blob) {
  const r = spawnSync(
    process.execPath,
    [
      join('node_modules', 'postject', 'dist', 'cli.js'),
      binary,
      'NODE_SEA_BLOB',
      blob,
      '--sentinel-fuse',
      'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2',
    ],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const lines = `${r.stdout}${r.stderr}`.split('\n').filter((l) => l !== '');
  if (r.status !== 0) {
    process.stderr.write(`${lines.join('\n')}\n`);
    throw new Error(
      `postject could not inject ${blob} into ${binary} (${r.error?.message ?? r.status ?? r.signal})`,
    );
  }
  for (const line of lines)
    if (!KNOWN_POSTJECT_LINES.some((known) => known.test(line))) process.stderr.write(`postject: ${line}\n`);
}

/**
 * The commands run at build time to make the code caches, from the bundle's directory: each names
 * its caches (program-get, undici-get, …) and leaves the functions it ran compiled in them. The API
 * commands talk to the simulator; the registry commands go to a closed loopback port (their caches
 * hold everything up to the connection; what follows compiles when a run needs it).
 */
function warmUps(socket, closedPort) {
  const registry = `127.0.0.1:${closedPort}/civctl/warm-up:v1`;
  const digestion = 'examples/digestion-redis.json';
  return [
    ['--version'],
    ['encode', 'digestion', digestion],
    ['decode', readFileSync(digestion).toString('base64')],
    ['lint', 'examples/notation-aws-signer.json', digestion],
    ['-s', socket, 'set', 'digestion', digestion, '--enable'],
    ['-s', socket, 'get'],
    ['-s', socket, 'status'],
    ['-s', socket, 'disable'],
    ['-s', socket, 'enable'],
    ['-s', socket, 'apply', 'docs/examples/saved-settings.json'],
    ['digests', 'list', '--file', digestion],
    ['resolve', '--plain-http', registry],
    ['check', '--plain-http', '--policy', `digestion=${digestion}`, registry],
  ];
}

/** A loopback TCP port nothing listens on (one the system just handed out, closed again). */
async function closedPort() {
  const { createServer } = await import('node:net');
  const server = createServer();
  await new Promise((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address();
  await new Promise((done) => server.close(done));
  return port;
}

/**
 * The code caches a linux-`arch` Node makes for the bundle's chunks when it runs the warm-up
 * commands (under qemu for arm64: a cache only loads on the V8 and platform that made it), as SEA
 * assets: cache:<chunk>-<command> → file.
 */
async function makeCaches(arch, node, runner) {
  const temp = mkdtempSync(join(tmpdir(), `civctl-caches-${arch}-`));
  const socket = join(temp, 'api.sock');
  const sim = spawn(process.execPath, [join(out, 'civctl.cjs'), 'sim', '--socket', socket], {
    stdio: 'ignore',
  });
  try {
    for (let i = 0; i < 200 && !existsSync(socket); i++) await new Promise((r) => setTimeout(r, 50));
    if (!existsSync(socket)) throw new Error('the API simulator did not start for the warm-up runs');
    const env = {
      PATH: process.env['PATH'] ?? '',
      HOME: temp,
      LANG: 'C',
      CIVCTL_CACHE_DIR: join(temp, 'cache'),
    };
    const [command = node, ...prefix] = [...runner, node];
    for (const args of warmUps(socket, await closedPort()))
      spawnSync(command, [...prefix, join(out, 'civctl.cjs'), ...args], {
        env,
        stdio: 'ignore',
        timeout: 120_000,
      });
    const dir = join(temp, 'cache', `${bundle.build}-v${nodeVersion}`);
    const assets = {};
    for (const file of existsSync(dir) ? readdirSync(dir) : []) {
      if (!file.endsWith('.v8cache')) continue;
      const kept = join(work, `cache-${arch}-${file}`);
      copyFileSync(join(dir, file), kept);
      assets[`cache:${file.slice(0, -'.v8cache'.length)}`] = resolve(kept);
    }
    for (const needed of ['program-get', 'undici-get', 'program-lint'])
      if (!assets[`cache:${needed}`])
        throw new Error(`the ${arch} warm-up runs made no ${needed} code cache (in ${dir})`);
    return assets;
  } finally {
    sim.kill('SIGTERM');
    await new Promise((r) => sim.once('exit', r));
    rmSync(temp, { recursive: true, force: true });
  }
}

/** Builds dist/civctl-linux-<arch>, or says why not when this machine cannot run that architecture's Node. */
async function buildFor(arch) {
  const binary = join(out, `civctl-linux-${arch}`);
  // A binary made from exactly these inputs is kept (npm test runs this script every time; a
  // build takes minutes, arm64 under qemu): the bundle, this script, the loader, the embedded
  // Node and the switches that change what goes in. Anything else rebuilds it.
  const stamp = `${binary}.inputs`;
  const inputs = createHash('sha256')
    .update(readFileSync(join(out, 'civctl.cjs')))
    .update(readFileSync(fileURLToPath(import.meta.url)))
    .update(readFileSync('scripts/loader.cjs'))
    .update(JSON.stringify({ arch, nodeVersion, cache: process.env['CIVCTL_SEA_CODE_CACHE'] ?? '' }))
    .digest('hex');
  if (existsSync(binary) && existsSync(stamp) && readFileSync(stamp, 'utf8') === inputs) {
    console.log(`${binary}: up to date (same bundle, script and Node v${nodeVersion})`);
    return true;
  }
  rmSync(binary, { force: true });
  rmSync(stamp, { force: true });
  const runner = runnerFor(arch);
  if (!runner) {
    const why = `running linux-${arch} Node here needs qemu-user and ${arch} C/C++ libraries (apt-get install qemu-user-static libc6-${DEB[arch]}-cross libstdc++6-${DEB[arch]}-cross)`;
    if (arch === 'arm64' && process.env['CIVCTL_REQUIRE_ARM64'] === '1')
      throw new Error(`CIVCTL_REQUIRE_ARM64=1, but ${binary} cannot be built: ${why}`);
    console.log(`skipped ${binary}: ${why}`);
    return;
  }
  const node = nodeBinary(nodeVersion, arch);
  const caches = process.env['CIVCTL_SEA_CODE_CACHE'] === '0' ? {} : await makeCaches(arch, node, runner);

  // The blob is made by the Node it goes into, on its own architecture (under qemu for arm64).
  // useCodeCache covers the loader itself.
  const config = join(work, `sea-config-${arch}.json`);
  const blob = join(work, `sea-prep-${arch}.blob`);
  writeFileSync(
    config,
    JSON.stringify({
      main,
      output: blob,
      disableExperimentalSEAWarning: true,
      useCodeCache: process.env['CIVCTL_SEA_CODE_CACHE'] !== '0',
      execArgv: SEA_EXEC_ARGV,
      assets: { ...chunkAssets, ...caches },
    }),
  );
  const [command = node, ...prefix] = [...runner, node];
  const sea = spawnSync(command, [...prefix, '--experimental-sea-config', config], { encoding: 'utf8' });
  if (sea.status !== 0 || !existsSync(blob))
    throw new Error(
      `the ${arch} SEA blob was not written (${sea.error?.message ?? sea.status}): ${sea.stderr}`,
    );

  copyFileSync(node, binary);
  chmodSync(binary, 0o755);
  // Node's symbols are not needed to run it (stripping saves about 20 MB), nor its build notes.
  const strip = findTool(`${GNU[arch]}-strip`, ...(arch === process.arch ? ['strip'] : []), 'llvm-strip');
  if (strip) run(strip, ['--strip-all', '--remove-section=.gnu.build.attributes', binary]);
  else
    console.log(
      `note: ${binary} is not stripped (about 20 MB larger): no strip for ${arch} here (apt-get install binutils-${GNU[arch]})`,
    );
  inject(binary, blob);

  // The binary must answer as civctl, not as Node (which is what a blob that failed to load gives).
  const [check = binary, ...checkArgs] = [...runner, binary, '--version'];
  const answer = spawnSync(check, checkArgs, { encoding: 'utf8' });
  if (answer.status !== 0 || answer.stdout !== `${version}\n`)
    throw new Error(
      `${binary} --version answered ${JSON.stringify(answer.stdout)} (exit ${answer.status}), not ${version}: ${answer.stderr}`,
    );
  console.log(
    `${binary}: ${(statSync(binary).size / 1e6).toFixed(1)} MB (Node v${nodeVersion}, linux-${arch}, ${Object.keys(caches).length} code caches${runner.length > 0 ? ', checked under qemu' : ''})`,
  );
  writeFileSync(stamp, inputs);
  return true;
}

for (const arch of ['x64', 'arm64']) await buildFor(arch);
