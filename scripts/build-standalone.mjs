// npm run build:standalone: dist/civctl-linux-<arch>, a Node single-executable application that
// runs with no Node installed (the admin container has none). Node 20's SEA runs one CommonJS
// script, so the whole program is bundled into one file here (no lazy chunks: there is no file to
// read them from), given a code cache, and injected into a copy of this Node binary with postject.
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { liftoffBanner, startupFacts } from './startup.mjs';

const out = 'dist';
const work = join(out, 'standalone');
rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });

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
  target: 'node20',
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

// useCodeCache: measured in docs/fleet.md (it halves start-up); a start-up
// snapshot would need a separate entry and is not used.
const blob = join(work, 'sea-prep.blob');
writeFileSync(
  join(work, 'sea-config.json'),
  JSON.stringify({
    main,
    output: blob,
    disableExperimentalSEAWarning: true,
    useCodeCache: process.env['CIVCTL_SEA_CODE_CACHE'] !== '0',
  }),
);
const run = (command, args) => {
  const r = spawnSync(command, args, { stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${r.status ?? r.signal})`);
};
run(process.execPath, ['--experimental-sea-config', join(work, 'sea-config.json')]);

const binary = join(out, `civctl-linux-${process.arch}`);
rmSync(binary, { force: true });
copyFileSync(process.execPath, binary);
chmodSync(binary, 0o755);
// Node's symbols are not needed to run it: stripping saves about 12 MB.
if (existsSync('/usr/bin/strip')) run('/usr/bin/strip', [binary]);
run(process.execPath, [
  join('node_modules', 'postject', 'dist', 'cli.js'),
  binary,
  'NODE_SEA_BLOB',
  blob,
  '--sentinel-fuse',
  'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2',
]);
console.log(
  `${binary}: ${(statSync(binary).size / 1e6).toFixed(1)} MB (Node ${process.version}, ${process.arch})`,
);
