// Bundles civctl into one ESM file that runs without node_modules.
//
// Start-up is dominated by how much JavaScript V8 must parse. Packages that only some commands
// use (yargs for help and errors, undici for the API, ajv for --schema, smol-toml for user-data)
// are each bundled separately and embedded as a string; the string is compiled the first time the
// package is imported, so every other command pays almost nothing for them.
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { build } from 'esbuild';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

/** Lazily compiled chunks: import specifier → chunk name and the chunk's entry source. */
const CHUNKS = {
  // yargs is imported as a default export; Node's CJS interop would hand over the whole namespace.
  yargs: { chunk: 'yargs', source: "export { default } from 'yargs';", unwrapDefault: true },
  // Only the dispatchers and the request API (wired as undici's own index.js does), not fetch,
  // WebSocket, caches, mocks or the stream APIs, which civctl never uses: far less to compile.
  undici: {
    chunk: 'undici',
    source: `const Dispatcher = require('undici/lib/dispatcher/dispatcher.js');
Dispatcher.prototype.request = require('undici/lib/api/api-request.js');
module.exports = { Client: require('undici/lib/dispatcher/client.js'), Dispatcher };`,
  },
  ajv: { chunk: 'ajv', source: "export { Ajv } from 'ajv'; export { Ajv2020 } from 'ajv/dist/2020.js';" },
  // The same chunk as 'ajv' (it exports both classes), reached through the 'ajv' module.
  'ajv/dist/2020.js': { alias: 'ajv' },
  'smol-toml': { chunk: 'smol-toml', source: "export * from 'smol-toml';" },
};

// civctl speaks HTTP/1.1 to the API and never enables HTTP/2, yet undici loads node:http2 up
// front (about 14 ms). Its own fallback for a Node built without http2 is this object.
const noHttp2 = {
  name: 'no-http2',
  setup(b) {
    b.onResolve({ filter: /^(node:)?http2$/ }, () => ({ path: 'http2', namespace: 'civctl-no-http2' }));
    b.onLoad({ filter: /.*/, namespace: 'civctl-no-http2' }, () => ({
      contents: 'module.exports = { constants: {} };',
      loader: 'js',
    }));
  },
};

async function buildChunk(source) {
  const result = await build({
    plugins: [noHttp2],
    stdin: { contents: source, resolveDir: process.cwd(), loader: 'js' },
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    minify: true,
    legalComments: 'none',
    write: false,
    // The chunk runs inside the main bundle; it gets the bundle's URL as __chunk_url.
    define: { 'import.meta.url': '__chunk_url' },
    logLevel: 'warning',
  });
  return result.outputFiles[0].text;
}

const chunkCode = {};
for (const spec of Object.values(CHUNKS))
  if (spec.source) chunkCode[spec.chunk] = await buildChunk(spec.source);

const lazyChunks = {
  name: 'lazy-chunks',
  setup(b) {
    const filter = new RegExp(
      `^(${Object.keys(CHUNKS)
        .map((k) => k.replace(/[./]/g, '\\$&'))
        .join('|')})$`,
    );
    b.onResolve({ filter }, (args) => ({ path: args.path, namespace: 'civctl-chunk' }));
    b.onLoad({ filter: /.*/, namespace: 'civctl-chunk' }, (args) => {
      const { chunk, unwrapDefault, alias } = CHUNKS[args.path];
      if (alias) return { contents: `module.exports = require(${JSON.stringify(alias)});`, loader: 'js' };
      const load = `__civctlChunk(${JSON.stringify(chunk)}, ${JSON.stringify(chunkCode[chunk])})`;
      return { contents: `module.exports = ${load}${unwrapDefault ? '.default' : ''};`, loader: 'js' };
    });
  },
};

// An ESM bundle hoists every `import … from 'node:…'` to the top, so built-ins used only by lazily
// loaded code (node:http and node:net for the simulator, node:crypto for transactions, node:tty
// and node:os for colour) would all load at start-up. Requiring them through CommonJS instead
// keeps each load inside the module that needs it, run only when that module is.
const lazyBuiltins = {
  name: 'lazy-builtins',
  setup(b) {
    b.onResolve({ filter: /^(node:)?[a-z_]+(\/[a-z_]+)?$/ }, (args) => {
      const name = args.path.replace(/^node:/, '');
      if (!builtinModules.includes(name)) return undefined;
      return { path: `node:${name}`, namespace: 'civctl-builtin' };
    });
    b.onLoad({ filter: /.*/, namespace: 'civctl-builtin' }, (args) => ({
      // Not `require`: esbuild would resolve that call back to this very module.
      contents: `module.exports = __civctlRequire(${JSON.stringify(args.path)});`,
      loader: 'js',
    }));
  },
};

const banner = `#!/usr/bin/env node
import { createRequire as __civctlCreateRequire } from 'node:module';
const require = __civctlCreateRequire(import.meta.url);
const __civctlRequire = require;
const __civctlChunkCache = new Map();
function __civctlChunk(name, code) {
  let exports = __civctlChunkCache.get(name);
  if (exports === undefined) {
    const module = { exports: {} };
    new Function('module', 'exports', 'require', '__chunk_url', code)(module, module.exports, require, import.meta.url);
    exports = module.exports;
    __civctlChunkCache.set(name, exports);
  }
  return exports;
}`;

const result = await build({
  entryPoints: ['src/bin.ts'],
  outfile: 'dist/civctl.mjs',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  minify: true,
  legalComments: 'none',
  banner: { js: banner },
  plugins: [lazyChunks, lazyBuiltins],
  metafile: true,
  logLevel: 'warning',
});
chmodSync('dist/civctl.mjs', 0o755);
writeFileSync('dist/meta.json', JSON.stringify(result.metafile));
if (pkg.bin.civctl !== 'dist/civctl.mjs') throw new Error('package.json bin must point at dist/civctl.mjs');
