// Bundles civctl into one file, dist/civctl.cjs (and the same as an ES module, dist/civctl.mjs), that
// runs without node_modules.
//
// Start-up is dominated by how much JavaScript V8 must compile, so the file is a small loader
// around the program, which is embedded as a string and compiled with node:vm using a V8 code
// cache kept in the user's cache folder (what Node 22's module.enableCompileCache does; Node 20
// has no such thing). Packages only some commands use (yargs for help and usage errors, undici
// for the API, ajv for --schema, smol-toml for user-data) are separate strings, compiled, also
// with a cache, the first time they are imported.
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { brotliCompressSync, constants as zlibConstants } from 'node:zlib';
import { build } from 'esbuild';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

/** Lazily compiled chunks: import specifier → chunk name and the chunk's entry source. */
const CHUNKS = {
  // yargs is imported as a default export; Node's CJS interop would hand over the whole namespace.
  yargs: { chunk: 'yargs', source: "export { default } from 'yargs';", unwrapDefault: true },
  // undici's HTTP/1.1 dispatchers and the request API only (wired as undici's own index.js does):
  // the Client for the API socket, Agent and EnvHttpProxyAgent for registries (several origins,
  // perhaps a proxy). Not fetch, WebSocket, caches, mocks or the stream APIs, which civctl never uses.
  undici: {
    chunk: 'undici',
    source: `const Dispatcher = require('undici/lib/dispatcher/dispatcher.js');
Dispatcher.prototype.request = require('undici/lib/api/api-request.js');
module.exports = {
  Client: require('undici/lib/dispatcher/client.js'),
  Agent: require('undici/lib/dispatcher/agent.js'),
  ProxyAgent: require('undici/lib/dispatcher/proxy-agent.js'),
  Dispatcher,
};`,
  },
  // src/registry/undici-agents.ts: the same chunk, reached through the registry's own module.
  './undici-agents.ts': { alias: 'undici' },
  ajv: { chunk: 'ajv', source: "export { Ajv } from 'ajv'; export { Ajv2020 } from 'ajv/dist/2020.js';" },
  // The same chunk as 'ajv' (it exports both classes), reached through the 'ajv' module.
  'ajv/dist/2020.js': { alias: 'ajv' },
  'smol-toml': { chunk: 'smol-toml', source: "export * from 'smol-toml';" },
  // eksctl and Karpenter files only.
  yaml: { chunk: 'yaml', source: "export * from 'yaml';" },
};

// Built-ins undici requires at load but never uses on civctl's paths, each replaced by what it
// reads of them. node:http2 (about 14 ms to load): civctl speaks HTTP/1.1 and never enables
// HTTP/2, and undici's own fallback for a Node built without http2 is this object. node:http
// (about 5 ms with its _http_* modules): undici reads only http.maxHeaderSize and compares a
// request body's constructor with IncomingMessage. node:assert (with its error formatting): undici
// calls only assert(value).
const STUBS = {
  http2: 'module.exports = { constants: {} };',
  http: 'module.exports = { maxHeaderSize: 16384, IncomingMessage: class IncomingMessage {} };',
  assert:
    "function assert(value, message) { if (!value) throw new Error(message || 'assertion failed'); }\nmodule.exports = assert;\nassert.ok = assert;",
};
const stubBuiltins = {
  name: 'stub-builtins',
  setup(b) {
    b.onResolve({ filter: /^(node:)?(http2|http|assert)$/ }, (args) => ({
      path: args.path.replace(/^node:/, ''),
      namespace: 'civctl-stub',
    }));
    b.onLoad({ filter: /.*/, namespace: 'civctl-stub' }, (args) => ({
      contents: STUBS[args.path],
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
  // ASCII output: no NUL or multi-byte character can end up in the payload comment.
  charset: 'ascii',
  logLevel: 'warning',
};

const chunkCode = {};
for (const spec of Object.values(CHUNKS)) {
  if (!spec.source) continue;
  const result = await build({
    ...common,
    stdin: { contents: spec.source, resolveDir: process.cwd(), loader: 'js' },
    // Only undici gets the stubs: yargs, for one, uses node:assert in earnest.
    plugins: spec.chunk === 'undici' ? [stubBuiltins] : [],
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
});
const programCode = program.outputFiles[0].text;

const sources = { program: programCode, ...chunkCode };
const version = createHash('sha256').update(JSON.stringify(sources)).digest('hex').slice(0, 16);

// The loader is a real file (linted and formatted like the rest); only its two placeholders are
// filled. The chunks follow it in one trailing comment; each is found by its distance from the end
// of the file, so the same payload serves the CommonJS file and the ESM one.
const template = readFileSync(new URL('./loader.cjs', import.meta.url), 'utf8');
for (const marker of ['/* CHUNKS */ {}', "/* BUILD */ 'dev'"])
  if (!template.includes(marker)) throw new Error(`scripts/loader.cjs has lost its placeholder ${marker}`);
const parts = [];
const table = {};
let tail = '\n*/\n';
for (const name of Object.keys(sources).reverse()) {
  if (sources[name].includes('\0'))
    throw new Error(`chunk ${name} holds a NUL byte; the comment escape needs none`);
  if (/[^\x00-\x7f]/.test(sources[name]))
    throw new Error(`chunk ${name} is not ASCII; build with charset ascii`);
  // Chunks few runs load (yargs for help and usage errors, ajv, smol-toml) are stored
  // brotli-compressed (as base64, which has no "*/"): every run reads and scans this file, and a
  // smaller one starts faster. The program and undici (every API command) are stored as they are:
  // decompressing undici would cost an API command about 2 ms.
  const compressed = name !== 'program' && name !== 'undici';
  const escaped = !compressed && sources[name].includes('*/');
  const text = compressed
    ? brotliCompressSync(Buffer.from(sources[name]), {
        params: { [zlibConstants.BROTLI_PARAM_QUALITY]: 11 },
      }).toString('base64')
    : escaped
      ? sources[name].replaceAll('*/', '*\0/')
      : sources[name];
  const chunk = `${text}\n`;
  parts.unshift(chunk);
  const fromEnd = Buffer.byteLength(chunk) + Buffer.byteLength(tail);
  table[name] = [fromEnd, Buffer.byteLength(text), escaped ? 1 : 0, compressed ? 1 : 0];
  tail = chunk + tail;
}
const payload = `\n/*\n${tail}`;
const loader = template
  .replace('/* CHUNKS */ {}', () => JSON.stringify(table))
  .replace("/* BUILD */ 'dev'", () => JSON.stringify(version))
  .replace('// civctl: a loader around', `// civctl ${pkg.version}: a loader around`);
// The same loader as an ES module, for those who run dist/civctl.mjs (a CommonJS entry starts
// about 5 ms faster, so the package's bin is the .cjs file).
const esm = loader
  .replace('#!/usr/bin/env node\n', '')
  .replace("'use strict';\n", '')
  .replace(
    /^/,
    "#!/usr/bin/env node\nimport { createRequire } from 'node:module';\nimport { fileURLToPath } from 'node:url';\nconst require = createRequire(import.meta.url);\nconst __filename = fileURLToPath(import.meta.url);\n",
  );
mkdirSync('dist', { recursive: true });
for (const [file, text] of [
  ['dist/civctl.cjs', loader + payload],
  ['dist/civctl.mjs', esm + payload],
]) {
  writeFileSync(file, text);
  chmodSync(file, 0o755);
}
if (pkg.bin.civctl !== 'dist/civctl.cjs') throw new Error('package.json bin must point at dist/civctl.cjs');
