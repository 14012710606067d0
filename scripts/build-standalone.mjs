// npm run build:standalone: dist/civctl-linux-x64 and dist/civctl-linux-arm64, Node single-executable
// applications that run with no Node installed (the admin container has none). They embed the Node
// pinned as "standalone" in scripts/node-runtimes.json (Node 24 LTS, fetched from the npm
// registry's node-linux-<arch> packages), not the Node running this build. A SEA runs one CommonJS
// script, so the whole program is bundled into one file here (no lazy chunks: there is no file to
// read them from), given a code cache, and injected into a stripped copy of that Node with postject
// (Node 24 still does it this way: it has no --build-sea).
//
// The arm64 binary is built and checked by running arm64 Node under qemu-user (its code cache must
// come from arm64 V8). Without qemu it is skipped, saying so; CIVCTL_REQUIRE_ARM64=1 makes that an
// error.
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { delimiter, join } from 'node:path';
import { build } from 'esbuild';
import { nodeBinary, RUNTIMES } from './node-runtimes.mjs';
import { liftoffBanner, startupFacts } from './startup.mjs';

const out = 'dist';
const work = join(out, 'standalone');
rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });
const nodeVersion = RUNTIMES.standalone;
const { version } = JSON.parse(readFileSync('package.json', 'utf8'));

// The bundle's loader sets --liftoff-only for the commands that speak HTTP (undici's WebAssembly
// parser; see scripts/loader.cjs): the same decision here, from the same declarations
// (scripts/startup.mjs), made before any code runs.
const liftoff = liftoffBanner(await startupFacts());

const main = join(work, 'civctl.cjs');
await build({
  entryPoints: ['src/bin.ts'],
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: `node${nodeVersion}`,
  minify: true,
  legalComments: 'none',
  outfile: main,
  // yargs reads import.meta.url when it loads; a CommonJS bundle has none of its own.
  define: { 'import.meta.url': '__civctl_url' },
  banner: {
    js: `${liftoff}const __civctl_url = require('node:url').pathToFileURL(process.execPath).href;`,
  },
  logLevel: 'warning',
});

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

/** Builds dist/civctl-linux-<arch>, or says why not when this machine cannot run that architecture's Node. */
function buildFor(arch) {
  const binary = join(out, `civctl-linux-${arch}`);
  rmSync(binary, { force: true });
  const runner = runnerFor(arch);
  if (!runner) {
    const why = `running linux-${arch} Node here needs qemu-user and ${arch} C/C++ libraries (apt-get install qemu-user-static libc6-${DEB[arch]}-cross libstdc++6-${DEB[arch]}-cross)`;
    if (arch === 'arm64' && process.env['CIVCTL_REQUIRE_ARM64'] === '1')
      throw new Error(`CIVCTL_REQUIRE_ARM64=1, but ${binary} cannot be built: ${why}`);
    console.log(`skipped ${binary}: ${why}`);
    return;
  }
  const node = nodeBinary(nodeVersion, arch);

  // The blob is made by the Node it goes into, on its own architecture (under qemu for arm64): a code
  // cache only loads on the platform that compiled it. useCodeCache halves start-up (measured in
  // docs/fleet.md); a start-up snapshot would need a separate entry and is not used.
  const config = join(work, `sea-config-${arch}.json`);
  const blob = join(work, `sea-prep-${arch}.blob`);
  writeFileSync(
    config,
    JSON.stringify({
      main,
      output: blob,
      disableExperimentalSEAWarning: true,
      useCodeCache: process.env['CIVCTL_SEA_CODE_CACHE'] !== '0',
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
    `${binary}: ${(statSync(binary).size / 1e6).toFixed(1)} MB (Node v${nodeVersion}, linux-${arch}${runner.length > 0 ? ', checked under qemu' : ''})`,
  );
  return true;
}

for (const arch of ['x64', 'arm64']) buildFor(arch);
