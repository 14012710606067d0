// Bundles civctl into one ESM file that runs without node_modules.
import { chmodSync, readFileSync } from 'node:fs';
import { build } from 'esbuild';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

await build({
  entryPoints: ['src/bin.ts'],
  outfile: 'dist/civctl.mjs',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  minify: true,
  legalComments: 'none',
  // undici is CommonJS and calls require() for node built-ins.
  banner: {
    js: "#!/usr/bin/env node\nimport { createRequire as __civctlCreateRequire } from 'node:module'; const require = __civctlCreateRequire(import.meta.url);",
  },
  logLevel: 'warning',
});
chmodSync('dist/civctl.mjs', 0o755);
if (pkg.bin.civctl !== 'dist/civctl.mjs') throw new Error('package.json bin must point at dist/civctl.mjs');
