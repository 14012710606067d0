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
  // Registry requests reach several origins, perhaps through a proxy: Agent and EnvHttpProxyAgent,
  // in a chunk of their own so that API commands never compile them.
  './undici-agents.ts': {
    chunk: 'undici-agents',
    source: `const Dispatcher = require('undici/lib/dispatcher/dispatcher.js');
Dispatcher.prototype.request = require('undici/lib/api/api-request.js');
module.exports = {
  Agent: require('undici/lib/dispatcher/agent.js'),
  EnvHttpProxyAgent: require('undici/lib/dispatcher/env-http-proxy-agent.js'),
};`,
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
});
const programCode = program.outputFiles[0].text;

const sources = { program: programCode, ...chunkCode };
const version = createHash('sha256').update(JSON.stringify(sources)).digest('hex').slice(0, 16);

// The loader is a real file (linted and formatted like the rest); only its two placeholders are filled.
const template = readFileSync(new URL('./loader.mjs', import.meta.url), 'utf8');
for (const marker of ['/* SOURCES */ {}', "/* BUILD */ 'dev'"])
  if (!template.includes(marker)) throw new Error(`scripts/loader.mjs has lost its placeholder ${marker}`);
const loader = template
  .replace('/* SOURCES */ {}', () => JSON.stringify(sources))
  .replace("/* BUILD */ 'dev'", () => JSON.stringify(version))
  .replace('// civctl: a loader around', `// civctl ${pkg.version}: a loader around`);
mkdirSync('dist', { recursive: true });
writeFileSync('dist/civctl.mjs', loader);
chmodSync('dist/civctl.mjs', 0o755);
if (pkg.bin.civctl !== 'dist/civctl.mjs') throw new Error('package.json bin must point at dist/civctl.mjs');
