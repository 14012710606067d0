// Node binaries pinned in scripts/node-runtimes.json, fetched from the npm registry's
// node-linux-<arch> packages (the official builds, repackaged; this machine reaches no other
// download) into node_modules/.cache/civctl-node/<package>-<version>/node.
//
// `npm pack`, not an install through the lockfile: the packages' os/cpu fields refuse arm64 on an
// x64 machine, and an installed package's `node` bin would shadow the developer's own node in
// node_modules/.bin for every npm script. npm pack goes through npm's cache (a second fetch does not
// download again) and npm checks the registry's integrity; the tarball is also checked here against
// the pin, so a version is only ever what the pin says.
//
//   node scripts/node-runtimes.mjs VERSION [ARCH]   prints the binary's path, fetching it if needed
//   node scripts/node-runtimes.mjs --ci             prints the versions CI runs the suite under
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const ROOT = resolve(import.meta.dirname, '..');
/** @type {{ standalone: string, ci: string[], integrity: Record<string, string> }} */
export const RUNTIMES = JSON.parse(readFileSync(join(ROOT, 'scripts', 'node-runtimes.json'), 'utf8'));
const CACHE = join(ROOT, 'node_modules', '.cache', 'civctl-node');

/** The path of the pinned Node `version` for linux-`arch`, fetched and checked on first use. */
export function nodeBinary(version, arch = 'x64') {
  const name = `node-linux-${arch}`;
  const spec = `${name}@${version}`;
  const integrity = RUNTIMES.integrity[spec];
  if (!integrity) throw new Error(`${spec} is not pinned in scripts/node-runtimes.json`);
  const dir = join(CACHE, `${name}-${version}`);
  const binary = join(dir, 'node');
  const stamp = join(dir, 'integrity');
  const cached = () => existsSync(binary) && existsSync(stamp) && readFileSync(stamp, 'utf8') === integrity;
  if (cached()) return binary;

  mkdirSync(CACHE, { recursive: true });
  const work = mkdtempSync(join(CACHE, '.fetch-'));
  try {
    const packed = spawnSync('npm', ['pack', spec, '--pack-destination', work, '--loglevel=error'], {
      cwd: work,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (packed.status !== 0)
      throw new Error(
        `could not fetch ${spec} from the npm registry (npm pack: ${packed.error?.message ?? `exit ${packed.status}`}):\n${packed.stderr.trim()}`,
      );
    const tarball = join(work, `${name}-${version}.tgz`);
    const actual = `sha512-${createHash('sha512').update(readFileSync(tarball)).digest('base64')}`;
    if (actual !== integrity)
      throw new Error(
        `${spec}: the tarball's integrity is ${actual}, not ${integrity} as pinned in scripts/node-runtimes.json`,
      );
    const untar = spawnSync('tar', ['-xzf', tarball, '-C', work, 'package/bin/node'], { encoding: 'utf8' });
    if (untar.status !== 0)
      throw new Error(`${spec}: tar could not extract bin/node: ${untar.stderr.trim()}`);
    const ready = join(work, 'ready');
    mkdirSync(ready);
    renameSync(join(work, 'package', 'bin', 'node'), join(ready, 'node'));
    writeFileSync(join(ready, 'integrity'), integrity);
    rmSync(dir, { recursive: true, force: true });
    try {
      renameSync(ready, dir);
    } catch (error) {
      // Another build fetched the same version at the same time: its copy is as good as ours.
      if (!cached()) throw error;
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return binary;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [first, arch] = process.argv.slice(2);
  if (first === '--ci') {
    console.log(RUNTIMES.ci.join('\n'));
  } else if (first && /^\d+\.\d+\.\d+$/.test(first)) {
    try {
      console.log(nodeBinary(first, arch));
    } catch (error) {
      console.error(`node-runtimes: ${error.message}`);
      process.exit(1);
    }
  } else {
    console.error('usage: node scripts/node-runtimes.mjs VERSION [x64|arm64] | --ci');
    process.exit(2);
  }
}
