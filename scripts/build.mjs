// Bundles civctl into one file, dist/civctl.mjs, that runs without node_modules.
//
// Start-up is dominated by how much JavaScript V8 must compile, so the file is a small loader
// around the program, which is embedded as a string and compiled with node:vm using a V8 code
// cache kept in the user's cache folder (what Node 22's module.enableCompileCache does; Node 20
// has no such thing). Packages only some commands use (yargs for help and usage errors, undici
// for the API, ajv for --schema, smol-toml for user-data) are separate strings, compiled, also
// with a cache, the first time they are imported.
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { build } from 'esbuild';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

/** Lazily compiled chunks: import specifier → chunk name and the chunk's entry source. */
const CHUNKS = {
  // yargs is imported as a default export; Node's CJS interop would hand over the whole namespace.
  yargs: { chunk: 'yargs', source: "export { default } from 'yargs';", unwrapDefault: true },
  // Only the HTTP/1.1 Client and the request API (wired as undici's own index.js does), not
  // fetch, WebSocket, pools, caches, mocks or the stream APIs, which civctl never uses.
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

const common = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  minify: true,
  legalComments: 'none',
  write: false,
  // Code runs inside the loader; it gets the bundle's URL as __civctl_url.
  define: { 'import.meta.url': '__civctl_url' },
  logLevel: 'warning',
};

const chunkCode = {};
for (const spec of Object.values(CHUNKS)) {
  if (!spec.source) continue;
  const result = await build({
    ...common,
    stdin: { contents: spec.source, resolveDir: process.cwd(), loader: 'js' },
    plugins: [noHttp2],
  });
  chunkCode[spec.chunk] = result.outputFiles[0].text;
}

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
      return {
        contents: `module.exports = __civctlLoad(${JSON.stringify(chunk)})${unwrapDefault ? '.default' : ''};`,
        loader: 'js',
      };
    });
  },
};

const program = await build({
  ...common,
  entryPoints: ['src/bin.ts'],
  plugins: [lazyChunks],
  metafile: true,
});
const programCode = program.outputFiles[0].text;

const sources = { program: programCode, ...chunkCode };
const version = createHash('sha256').update(JSON.stringify(sources)).digest('hex').slice(0, 16);

// The loader. Everything in it must stay small: it is the only code V8 parses on every run.
const loader = `#!/usr/bin/env node
// civctl ${pkg.version}: a loader around the program below (see scripts/build.mjs in the source).
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const SOURCES = ${JSON.stringify(sources)};
const BUILD = ${JSON.stringify(version)};
const vm = require('node:vm');
const fs = require('node:fs');
const loaded = new Map();
let cacheDir;
// The cache holds bytecode, which V8 trusts: use it only from a folder that this user owns and
// nobody else can write to.
function safeDir(dir) {
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const st = fs.statSync(dir);
    return st.isDirectory() && (process.getuid === undefined || st.uid === process.getuid()) && (st.mode & 0o022) === 0;
  } catch {
    return false;
  }
}
function cacheFile(name) {
  if (cacheDir === undefined) {
    const env = process.env;
    const uid = process.getuid ? process.getuid() : 'user';
    const base = env.CIVCTL_CACHE_DIR || (env.XDG_CACHE_HOME || (env.HOME ? env.HOME + '/.cache' : '/tmp/civctl-' + uid)) + '/civctl';
    const dir = base + '/' + BUILD + '-' + process.version;
    cacheDir = env.CIVCTL_COMPILE_CACHE !== '0' && safeDir(base) && safeDir(dir) ? dir : null;
  }
  return cacheDir ? cacheDir + '/' + name + '.v8cache' : undefined;
}
const pending = [];
function __civctlLoad(name, cacheName = name) {
  if (loaded.has(name)) return loaded.get(name);
  const file = cacheFile(cacheName);
  let cachedData;
  if (file) try { cachedData = fs.readFileSync(file); } catch {}
  const script = new vm.Script('(function (module, exports, require, __civctlLoad, __civctl_url) {' + SOURCES[name] + '\\n})', { filename: 'civctl:' + name, cachedData });
  if (file && (!cachedData || script.cachedDataRejected)) pending.push({ file, script });
  const module = { exports: {} };
  loaded.set(name, module.exports);
  script.runInThisContext()(module, module.exports, require, __civctlLoad, import.meta.url);
  loaded.set(name, module.exports);
  return module.exports;
}
// Written once, at exit, so that the cache also holds the functions this run compiled. A cache
// that cannot be written is simply not used.
process.once('exit', () => {
  for (const { file, script } of pending) {
    try {
      const tmp = file + '.' + process.pid;
      fs.writeFileSync(tmp, script.createCachedData(), { mode: 0o600 });
      fs.renameSync(tmp, file);
    } catch {}
  }
});
// Each command runs different code, and a code cache holds only what its run compiled: keep one
// cache per command word for the program itself.
const word = process.argv.slice(2).find((a) => /^[a-z]+$/.test(a)) || 'none';
__civctlLoad('program', 'program-' + word);
`;
mkdirSync('dist', { recursive: true });
writeFileSync('dist/civctl.mjs', loader);
chmodSync('dist/civctl.mjs', 0o755);
writeFileSync('dist/meta.json', JSON.stringify(program.metafile));
if (pkg.bin.civctl !== 'dist/civctl.mjs') throw new Error('package.json bin must point at dist/civctl.mjs');
