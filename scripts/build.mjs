// Bundles civctl into one file, dist/civctl.cjs (and the same as an ES module, dist/civctl.mjs), that
// runs without node_modules.
//
// Start-up is dominated by how much JavaScript V8 must compile, so the file is a small loader
// around chunks of code, kept in a comment, each compiled with node:vm the first time it is needed,
// using a V8 code cache kept in the user's cache folder (what Node 22's module.enableCompileCache
// does; Node 20 has no such thing). The program is split by command (scripts/program-split.mjs), so
// that a run compiles its own command's code; packages only some commands use (yargs for help and
// usage errors, undici for the API and registries, ajv for --schema, smol-toml for user-data, …)
// are chunks of their own.
//
// The undici chunk is built from undici's internal files, with stubs of built-ins it requires:
// undici, yargs and yargs-parser are pinned exactly in package.json, and scripts/UPGRADING.md says
// what this build relies on inside them and how to upgrade them.
import { createHash } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { brotliCompressSync, brotliDecompressSync, constants as zlibConstants } from 'node:zlib';
import { build } from 'esbuild';
import { withoutCommentEnd } from './comment-safe.mjs';
import { splitProgram } from './program-split.mjs';
import { startupFacts } from './startup.mjs';

/** undici's files, as this script resolves them. */
const requireHere = createRequire(import.meta.url);

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

/** Lazily compiled chunks: import specifier → chunk name and the chunk's entry source. */
const CHUNKS = {
  // yargs is imported as a default export (the chunk's `default`).
  yargs: { chunk: 'yargs', source: "export { default } from 'yargs';" },
  // undici's HTTP/1.1 dispatchers, wired as undici's own index.js wires them: the whole Dispatcher
  // API (request, stream, pipeline, upgrade and connect, which ProxyAgent's CONNECT tunnel calls)
  // on Dispatcher.prototype. The Client for the API socket; Agent, ProxyAgent and EnvHttpProxyAgent
  // for registries (several origins, perhaps a proxy); Pool, buildConnector and errors cost nothing
  // more (the dispatchers require them). Not fetch, WebSocket, caches, mocks or interceptors, which
  // civctl never uses: bundling undici whole costs a registry command milliseconds (see
  // docs/performance.md). Each dispatcher is loaded when it is first read (the API's get runs the
  // Client's modules only, not the Agent's or the proxies'). The paths inside undici are
  // internal: scripts/UPGRADING.md.
  undici: {
    chunk: 'undici',
    source: `const Dispatcher = require('undici/lib/dispatcher/dispatcher.js');
Object.assign(Dispatcher.prototype, require('undici/lib/api/index.js'));
module.exports = {
  Dispatcher,
  get Client() { return require('undici/lib/dispatcher/client.js'); },
  get Pool() { return require('undici/lib/dispatcher/pool.js'); },
  get Agent() { return require('undici/lib/dispatcher/agent.js'); },
  get ProxyAgent() { return require('undici/lib/dispatcher/proxy-agent.js'); },
  get EnvHttpProxyAgent() { return require('undici/lib/dispatcher/env-http-proxy-agent.js'); },
  get buildConnector() { return require('undici/lib/core/connect.js'); },
  get errors() { return require('undici/lib/core/errors.js'); },
};`,
  },
  // src/registry/undici-agents.ts: the same chunk, reached through the registry's own module.
  './undici-agents.ts': { alias: 'undici' },
  // Reached only from the undici chunk (stubBuiltins).
  'llhttp-wasm': {
    chunk: 'llhttp-wasm',
    source: "module.exports = require('undici/lib/llhttp/llhttp-wasm.js');",
  },
  ajv: { chunk: 'ajv', source: "export { Ajv } from 'ajv'; export { Ajv2020 } from 'ajv/dist/2020.js';" },
  // The same chunk as 'ajv' (it exports both classes), reached through the 'ajv' module.
  'ajv/dist/2020.js': { alias: 'ajv' },
  'smol-toml': { chunk: 'smol-toml', source: "export * from 'smol-toml';" },
  // eksctl and Karpenter files only.
  yaml: { chunk: 'yaml', source: "export * from 'yaml';" },
  // The notation signature engine and its ASN.1/X.509/CMS and CBOR libraries (@peculiar/asn1-*,
  // asn1js, cbor2): only check with a trust store or --signatures, and lint --trust-store, load it
  // (src/verifiers/signature-check.ts imports it by this name).
  './signatures/index.ts': {
    chunk: 'signatures',
    source: "export * from './src/verifiers/signatures/index.ts';",
  },
  // The same chunk, reached from src/registry/signatures.ts (check --signatures).
  '../verifiers/signatures/index.ts': { alias: './signatures/index.ts' },
  // audit and digests --from only: large kubectl YAML (src/inputs/workload-files.ts).
  'js-yaml': { chunk: 'js-yaml', source: "export { CORE_SCHEMA, loadAll, types } from 'js-yaml';" },
};

// Built-ins undici requires at load but never uses on civctl's paths, each replaced by exactly what
// undici reads of it (`reads`). node:http2 (about 14 ms to load): civctl speaks HTTP/1.1 and never
// sets allowH2, so no connection negotiates HTTP/2; the stub is undici's own fallback for a Node
// built without http2. node:http (about 5 ms with its _http_* modules): undici reads only
// http.maxHeaderSize (Node's default; civctl never changes it) and compares a request body's
// constructor with IncomingMessage (civctl's bodies are strings). node:assert (with its error
// formatting): undici calls only assert(value). The build checks every undici file against
// `reads` (checkStubContract), so an undici that reads more of them fails here, not in the bundle.
// test/e2e/undici-chunk.test.ts runs the shipped chunk over every path civctl takes.
const STUBS = {
  // constants at load; connect only for HTTP/2, which civctl never negotiates.
  http2: { reads: ['constants', 'connect'], contents: 'module.exports = { constants: {} };' },
  http: {
    reads: ['maxHeaderSize', 'IncomingMessage'],
    contents: 'module.exports = { maxHeaderSize: 16384, IncomingMessage: class IncomingMessage {} };',
  },
  assert: {
    reads: ['ok'],
    contents:
      "function assert(value, message) { if (!value) throw new Error(message || 'assertion failed'); }\nmodule.exports = assert;\nassert.ok = assert;",
  },
};

/** What an undici source file reads of the stubbed built-ins beyond STUBS[...].reads. */
function checkStubContract(file, text) {
  const problems = [];
  const requires = /require\('(?:node:)?(http2|http|assert)'\)/g;
  const bindings = /(\{[^}]*\}|[\w$]+)\s*=\s*require\('(?:node:)?(http2|http|assert)'\)/g;
  const bound = [...text.matchAll(bindings)];
  if (bound.length !== [...text.matchAll(requires)].length)
    problems.push('requires a stubbed built-in in a form the check cannot follow');
  for (const [, binding, builtin] of bound) {
    const names = binding.startsWith('{')
      ? binding
          .slice(1, -1)
          .split(',')
          .map((n) => n.split(':')[0].trim())
          .filter(Boolean)
      : [...text.matchAll(new RegExp(`(?<![\\w$.])${binding.replace('$', '\\$')}\\.([\\w$]+)`, 'g'))].map(
          (m) => m[1],
        );
    for (const name of names)
      if (!STUBS[builtin].reads.includes(name)) problems.push(`reads ${builtin}.${name}`);
  }
  if (problems.length > 0)
    throw new Error(
      `${file} ${[...new Set(problems)].join(', ')}: the node:${Object.keys(STUBS).join('/')} stubs in scripts/build.mjs do not have it (scripts/UPGRADING.md)`,
    );
}

/**
 * undici's own files replaced in its chunk by what civctl's paths use of them, so that every run
 * reads less of the bundle and every API command runs less of undici (docs/performance.md). Each
 * names the undici files that may require it (checked on every import esbuild resolves, however it
 * is spelt) and checks, on each one's text, that it uses no more than the replacement holds
 * (`check`, which returns a problem or undefined); `contents` may look at those texts. An undici
 * that requires or uses one otherwise fails the build, naming the file (scripts/UPGRADING.md).
 */
const UNDICI_REPLACED = {
  // llhttp's constants: about 10 KB of tables, about 100 KB of objects made whenever undici loads.
  // client-h1.js reads a few numbers of it, and the ERROR table by a computed key (for a parse
  // error's message); the replacement holds what it reads, taken from the module itself.
  'lib/llhttp/constants.js': {
    requiredBy: ['lib/dispatcher/client-h1.js'],
    check(text) {
      const binding = constantsBinding(text);
      if (!binding) return 'requires it in a form the check cannot follow';
      // Every mention but the declaration (a spread or a property of that name included).
      const uses = [
        ...text.matchAll(
          new RegExp(`(?<![\\w$'"])(?<!(?<!\\.)\\.)${binding.replaceAll('$', '\\$')}\\b(.{0,40})`, 'g'),
        ),
      ];
      if (uses.length < 2 || !uses[0][0].startsWith(`${binding} = require(`))
        return 'requires it in a form the check cannot follow';
      if (
        uses.slice(1).some(([, after]) => !/^\.[A-Z_]+(\.[A-Z_]+\b|\[[\w$]+\])(?!\s*(\(|=[^=]))/.test(after))
      )
        return `uses ${binding} other than to read ${binding}.GROUP.NAME or ${binding}.GROUP[key]`;
      return undefined;
    },
    contents(texts) {
      const real = requireHere('undici/lib/llhttp/constants.js');
      const read = {};
      const whole = new Set();
      for (const text of texts)
        for (const [, group, name] of text.matchAll(
          new RegExp(`(?<![\\w$.'"])${constantsBinding(text)}\\.([A-Z_]+)(?:\\.([A-Z_]+)\\b|\\[)`, 'g'),
        )) {
          if (name === undefined) whole.add(group);
          else if (typeof real[group]?.[name] === 'number') {
            read[group] ??= {};
            read[group][name] = real[group][name];
          } else throw new Error(`undici reads constants.${group}.${name}, which is not a number`);
        }
      for (const group of whole) {
        const copy = JSON.parse(JSON.stringify(real[group]));
        if (!isDeepStrictEqual(copy, { ...real[group] }))
          throw new Error(`undici reads constants.${group}, which is not plain data`);
        read[group] = copy;
      }
      if (Object.keys(read).length === 0)
        throw new Error("undici's client-h1.js reads nothing of llhttp's constants the build can find");
      return `module.exports = ${JSON.stringify(read)};`;
    },
  },
  // The HTTP/2 client (10 KB), which client.js calls only for a connection whose protocol is h2:
  // connect.js offers h2 only when a dispatcher is made with allowH2, and marks a connection h2
  // without asking only with useH2c (H2CClient); civctl sets neither (the build fails if src/
  // names one), so no connection is h2 (node:http2 is stubbed on the same grounds).
  'lib/dispatcher/client-h2.js': {
    requiredBy: ['lib/dispatcher/client.js'],
    check(text) {
      const calls = text.match(/\bconnectH2\b/g)?.length ?? 0;
      return calls === 2 && /socket\.alpnProtocol === 'h2'\s*\?\s*connectH2\(client, socket\)/.test(text)
        ? undefined
        : 'calls it other than for a connection that negotiated h2';
    },
    contents: () =>
      "module.exports = function connectH2() { throw new Error('civctl never offers HTTP/2 (allowH2): its undici has no HTTP/2 client'); };",
  },
  // The SOCKS5 proxy agent, with its client (11 KB), which proxy-agent.js makes only for a socks5:
  // or socks: proxy URL; civctl hands ProxyAgent http and https proxies only (src/registry/proxy.ts
  // reports a SOCKS proxy as one it cannot use, as the tests check).
  'lib/dispatcher/socks5-proxy-agent.js': {
    requiredBy: ['lib/dispatcher/proxy-agent.js'],
    check(text) {
      // Whole-line comments only: a URL in a string ('socks5://…') must not hide what follows it.
      const code = text.replace(/^\s*\/\/.*$/gm, '');
      return (code.match(/\bSocks5ProxyAgent\b/g) ?? []).length === 2 &&
        (text.match(/require\(['"]\.\/socks5-proxy-agent(\.js)?['"]\)/g) ?? []).length === 1 &&
        /^const Socks5ProxyAgent = require\('\.\/socks5-proxy-agent(\.js)?'\)$/m.test(text) &&
        // The protocol the branch tests is the proxy URL's own (ProxyAgent's constructor).
        /\bconst \{ href, origin, port, protocol, username, password, hostname: proxyHostname \} = url\b/.test(
          text,
        ) &&
        /this\[kProxy\] = \{ uri: href, protocol \}/.test(text) &&
        /if \(this\[kProxy\]\.protocol === 'socks5:' \|\| this\[kProxy\]\.protocol === 'socks:'\) \{\s*return new Socks5ProxyAgent\(/.test(
          text,
        )
        ? undefined
        : 'uses it other than for a socks5: or socks: proxy URL';
    },
    contents: () =>
      "module.exports = class Socks5ProxyAgent { constructor() { throw new Error('civctl proxies through http and https proxies only: its undici has no SOCKS5 agent'); } };",
  },
  // fetch's body extraction (with WebIDL, FormData and its parser: about 45 KB), which client-h1.js
  // requires only to send a FormData body; civctl sends strings (the build fails if src/ names
  // FormData).
  'lib/web/fetch/body.js': {
    requiredBy: ['lib/dispatcher/client-h1.js'],
    check(text) {
      const requires = [...text.matchAll(/require\(['"][^'"]*body(\.js)?['"]\)/g)];
      return requires.length === 1 &&
        (text.match(/\bextractBody\(/g) ?? []).length === 1 &&
        /if \(util\.isFormDataLike\(body\)\) \{\s*if \(!extractBody\) \{\s*extractBody = require\('\.\.\/web\/fetch\/body\.js'\)\.extractBody\s*\}/.test(
          text,
        )
        ? undefined
        : 'requires it other than to send a FormData body';
    },
    // A body that fails when sent: the request is rejected (a throw here would escape undici).
    contents: () =>
      "module.exports = { extractBody() { return [{ stream: (async function* () { throw new Error('civctl sends no FormData body: its undici cannot'); })(), length: null }, 'multipart/form-data']; } };",
  },
};

/** src/ files that name what UNDICI_REPLACED relies on civctl never using. */
function checkSourcesAvoidReplaced() {
  const named = readdirSync('src', { recursive: true })
    .filter((file) => file.endsWith('.ts'))
    .map((file) => join('src', file))
    .filter((path) =>
      /\b(allowH2|useH2c|H2CClient|FormData|Socks5ProxyAgent)\b/.test(readFileSync(path, 'utf8')),
    );
  if (named.length > 0)
    throw new Error(
      `${named.join(', ')} name allowH2, useH2c, H2CClient, FormData or Socks5ProxyAgent, which civctl's undici chunk does not carry (UNDICI_REPLACED in scripts/build.mjs)`,
    );
}

/** An undici file's text, read once however many of its imports the build checks. */
const undiciTexts = new Map();
function undiciText(inUndici) {
  if (!undiciTexts.has(inUndici))
    undiciTexts.set(inUndici, readFileSync(requireHere.resolve(`undici/${inUndici}`), 'utf8'));
  return undiciTexts.get(inUndici);
}

/** The name client-h1.js gives llhttp's constants (`const NAME = require('../llhttp/constants.js')`). */
function constantsBinding(text) {
  return /^const ([\w$]+) = require\(['"]\.\.\/llhttp\/constants(\.js)?['"]\)$/m.exec(text)?.[1];
}

/** Fails the build when an undici file may not require a file of UNDICI_REPLACED, or uses it otherwise. */
function checkReplacedContract(importer, required) {
  const replaced = UNDICI_REPLACED[required];
  if (!replaced) return;
  const problem = replaced.requiredBy.includes(importer)
    ? replaced.check(undiciText(importer))
    : 'requires it';
  if (problem)
    throw new Error(
      `undici's ${importer} ${problem}: ${required} is replaced in civctl's undici chunk (UNDICI_REPLACED in scripts/build.mjs, scripts/UPGRADING.md)`,
    );
}

/** A path inside undici (lib/…), or undefined for a path outside it. */
function inUndici(path) {
  const m = /[\\/]node_modules[\\/]undici[\\/](.*)$/.exec(path);
  return m ? m[1].replaceAll('\\', '/') : undefined;
}

/**
 * undici's HTTP parser with WebAssembly SIMD, the base64 text of lib/llhttp/llhttp_simd-wasm.js
 * (72 KB): stored as data, not code. As a string literal in the undici chunk it was part of that
 * chunk's code cache, read and deserialized by every API command; as data, the loader decodes a
 * slice of the bundle's own text when client-h1.js first requires it.
 */
function llhttpSimdBase64() {
  const file = requireHere.resolve('undici/lib/llhttp/llhttp_simd-wasm.js');
  const text = readFileSync(file, 'utf8');
  const base64 = /\nconst wasmBase64 = '([A-Za-z0-9+/]+=*)'\n/.exec(text)?.[1];
  // The module's export is that text decoded, and nothing else.
  if (
    !base64 ||
    !text.includes("wasmBuffer = Buffer.from(wasmBase64, 'base64')") ||
    /require\('(?!node:buffer')/.test(text)
  )
    throw new Error(
      `${file} no longer exports its base64 text decoded: see llhttpSimdBase64 in scripts/build.mjs`,
    );
  if (!Buffer.from(base64, 'base64').subarray(0, 4).equals(Buffer.from('\0asm')))
    throw new Error(`${file} does not hold a WebAssembly module`);
  return base64;
}
const DATA_CHUNKS = { 'llhttp-simd': llhttpSimdBase64() };

/**
 * undici's HTTP parser files → the chunk that stands for each in the undici chunk:
 * - without WebAssembly SIMD (72 KB of base64), which undici compiles only where SIMD fails or
 *   UNDICI_NO_WASM_SIMD=1: a compressed chunk of its own, which every run reads instead of the text;
 * - with SIMD: the data chunk above.
 */
const LLHTTP_CHUNKS = {
  'lib/llhttp/llhttp-wasm.js': 'llhttp-wasm',
  'lib/llhttp/llhttp_simd-wasm.js': 'llhttp-simd',
};

const stubBuiltins = {
  name: 'stub-builtins',
  setup(b) {
    b.onResolve({ filter: /^(node:)?(http2|http|assert)$/ }, (args) => ({
      path: args.path.replace(/^node:/, ''),
      namespace: 'civctl-stub',
    }));
    b.onLoad({ filter: /.*/, namespace: 'civctl-stub' }, (args) => ({
      contents: STUBS[args.path].contents,
      loader: 'js',
    }));
    // undici's two HTTP parsers, each a chunk of its own that the undici chunk loads when it
    // requires the file (LLHTTP_CHUNKS).
    b.onLoad(
      { filter: /[\\/]node_modules[\\/]undici[\\/]lib[\\/]llhttp[\\/]llhttp(_simd)?-wasm\.js$/ },
      (args) => ({
        contents: `module.exports = __civctlLoad(${JSON.stringify(LLHTTP_CHUNKS[inUndici(args.path)])});`,
        loader: 'js',
      }),
    );
    // Every import of an undici file that UNDICI_REPLACED replaces, whoever makes it and however it
    // is spelt: only the files it names may, and only as it checks.
    b.onResolve({ filter: /.*/ }, async (args) => {
      const importer = inUndici(args.importer);
      if (!importer || args.pluginData?.replacedCheck || /^node:/.test(args.path)) return undefined;
      const resolved = await b.resolve(args.path, {
        kind: args.kind,
        importer: args.importer,
        resolveDir: args.resolveDir,
        pluginData: { replacedCheck: true },
      });
      const required = inUndici(resolved.path);
      if (required) checkReplacedContract(importer, required);
      return undefined;
    });
    b.onLoad({ filter: /[\\/]node_modules[\\/]undici[\\/].*\.js$/ }, (args) => {
      const replaced = UNDICI_REPLACED[inUndici(args.path)];
      if (replaced) return { contents: replaced.contents(replaced.requiredBy.map(undiciText)), loader: 'js' };
      const contents = readFileSync(args.path, 'utf8');
      checkStubContract(args.path.slice(args.path.lastIndexOf('node_modules')), contents);
      return { contents, loader: 'js', resolveDir: dirname(args.path) };
    });
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
  // Code runs inside the loader; it gets import.meta as __civctl_meta, whose url (the bundle's) the
  // loader makes when it is first read.
  define: { 'import.meta': '__civctl_meta' },
  // ASCII output: no NUL or multi-byte character can end up in the payload comment.
  charset: 'ascii',
  logLevel: 'warning',
};

checkSourcesAvoidReplaced();
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

// yargs-parser (the fast path, in every run) calls createRequire(import.meta.url) when it loads, for
// the require it uses only to read a JSON config file, which civctl never asks it to. Loading
// node:module loads Node's ES module loader with it (about 2 ms), and making the bundle's URL takes
// 0.4 ms: the program gets a createRequire that loads node:module, and reads import.meta.url, only
// when its require is called (yargs-parser's call is given the URL as a function). The build checks
// that yargs-parser imports nothing else from node:module and makes that one call.
const YARGS_PARSER_MODULE_IMPORT = "import { createRequire } from 'node:module';";
const YARGS_PARSER_CALL = 'createRequire(import.meta.url)';
const YARGS_PARSER_INDEX = /[\\/]node_modules[\\/]yargs-parser[\\/]build[\\/]lib[\\/]index\.js$/;
const lateModule = {
  name: 'late-node-module',
  setup(b) {
    b.onLoad({ filter: YARGS_PARSER_INDEX }, (args) => {
      const text = readFileSync(args.path, 'utf8');
      if (
        text.split(YARGS_PARSER_CALL).length !== 2 ||
        text.split('createRequire(').length !== 2 ||
        text.split('import.meta').length !== 2
      )
        throw new Error(
          `${args.path} no longer calls ${YARGS_PARSER_CALL} once and reads import.meta nowhere else: see the late node:module in scripts/build.mjs`,
        );
      return {
        contents: text.replace(YARGS_PARSER_CALL, 'createRequire(() => import.meta.url)'),
        loader: 'js',
      };
    });
    b.onResolve({ filter: /^(node:)?module$/ }, (args) => {
      if (!/[\\/]node_modules[\\/]yargs-parser[\\/]/.test(args.importer)) return undefined;
      // Only the file whose call is rewritten above gets the stub, which takes the URL as a function.
      if (!YARGS_PARSER_INDEX.test(args.importer))
        throw new Error(
          `${args.importer} imports node:module: the late node:module in scripts/build.mjs knows only yargs-parser's build/lib/index.js`,
        );
      const text = readFileSync(args.importer, 'utf8');
      const imports = text.match(/^import .* from ['"](node:)?module['"];?$/gm) ?? [];
      if (imports.length !== 1 || imports[0] !== YARGS_PARSER_MODULE_IMPORT)
        throw new Error(
          `${args.importer} imports ${imports.join(' ') || 'node:module in a form the build does not know'}: the late node:module in scripts/build.mjs provides only createRequire`,
        );
      return { path: 'module', namespace: 'civctl-late-module' };
    });
    b.onLoad({ filter: /.*/, namespace: 'civctl-late-module' }, () => ({
      contents:
        "export const createRequire = (url) => (id) => process.getBuiltinModule('node:module').createRequire(url())(id);",
      loader: 'js',
    }));
  },
};

// The program, split by command into chunks the loader compiles as a run needs them
// (scripts/program-split.mjs); its imports of the libraries above load their chunks.
const libraries = Object.fromEntries(
  Object.entries(CHUNKS).map(([specifier, spec]) => [
    specifier,
    (spec.alias ? CHUNKS[spec.alias] : spec).chunk,
  ]),
);
const program = await splitProgram({ ...common, plugins: [lateModule] }, libraries);
if (!program.chunks.program) throw new Error('the split build made no program chunk');

// Each chunk is stored as the whole script the loader compiles: the function it calls, around the
// chunk's code. Stored as it is, the script is a slice of the bundle's own text that V8 compiles
// without a copy.
// Data chunks (DATA_CHUNKS) are stored as their text, which the loader decodes from base64.
const sources = Object.fromEntries([
  ...Object.entries({ ...program.chunks, ...chunkCode }).map(([name, code]) => [
    name,
    `(function (module, exports, require, __civctlLoad, __civctl_meta) {${code}\n})`,
  ]),
  ...Object.entries(DATA_CHUNKS),
]);
const version = createHash('sha256').update(JSON.stringify(sources)).digest('hex').slice(0, 16);

// The loader is a real file (linted and formatted like the rest); only its placeholders are
// filled: the chunk table, the build's hash, and what it must know of the command declarations
// (scripts/startup.mjs). The chunks are the comment in its last function, `payload`, whose text the
// loader slices them from; each is found by its distance from the end of the file, so the same
// payload serves the CommonJS file and the ESM one.
const template = readFileSync(new URL('./loader.cjs', import.meta.url), 'utf8');
const EMPTY_PAYLOAD = 'function payload() {}\n';
// One character outside ASCII would make Node read the whole file as a two-byte string.
if (/[^\x00-\x7f]/.test(template))
  throw new Error('scripts/loader.cjs must be ASCII: Node reads it as UTF-8');
if (!template.endsWith(EMPTY_PAYLOAD)) throw new Error(`scripts/loader.cjs must end with ${EMPTY_PAYLOAD}`);
const startup = await startupFacts();
const table = {};
const placeholders = {
  '/* CHUNKS */ {}': () => JSON.stringify(table),
  '/* PARTS */ {}': () => JSON.stringify(program.parts),
  "/* BUILD */ 'dev'": () => JSON.stringify(version),
  '/* COMMAND_WORD */ (_argv) => undefined': () => startup.commandWord,
  // scripts/build-standalone.mjs turns this on in the standalone binary's copy of the loader.
  '/* SEA */ false': () => 'false',
};
for (const marker of Object.keys(placeholders))
  if (!template.includes(marker)) throw new Error(`scripts/loader.cjs has lost its placeholder ${marker}`);
/**
 * A chunk brotli-compressed at quality 11, as base64. Kept by content in node_modules/.cache (about
 * a second a build, most of a rebuild when nothing changed); brotli's output depends only on its
 * input and the quality, so a kept one is the one this build would make. A kept one is used only
 * when it decompresses to the very source (a build stopped while writing one leaves no half file
 * behind: it is written beside and renamed, and a damaged one is made again).
 */
const BROTLI_CACHE = join('node_modules', '.cache', 'civctl', 'brotli');
const brotliUsed = new Set();
function compressedChunk(source) {
  const hash = createHash('sha256').update(source).digest('hex');
  const key = `${hash}.b64`;
  brotliUsed.add(key);
  const kept = join(BROTLI_CACHE, key);
  if (existsSync(kept)) {
    const text = readFileSync(kept, 'utf8');
    try {
      const back = brotliDecompressSync(Buffer.from(text, 'base64'));
      if (createHash('sha256').update(back).digest('hex') === hash) return text;
    } catch {}
  }
  const text = brotliCompressSync(Buffer.from(source), {
    params: { [zlibConstants.BROTLI_PARAM_QUALITY]: 11 },
  }).toString('base64');
  mkdirSync(BROTLI_CACHE, { recursive: true });
  writeFileSync(`${kept}.${process.pid}`, text);
  renameSync(`${kept}.${process.pid}`, kept);
  return text;
}

// Chunks few runs load (yargs for help and usage errors, ajv, smol-toml, …, and the program's
// on-demand and help chunks) are stored brotli-compressed (as base64, which has no "*/"): every run
// reads this whole file, and a smaller one starts faster. The program's other chunks and undici
// are stored as they are: a run that needs one would pay for node:zlib (about 5 ms) to save
// reading it.
const RAW_CHUNKS = new Set([
  ...Object.keys(program.chunks).filter((c) => !program.compressible.includes(c)),
  'undici',
  ...Object.keys(DATA_CHUNKS),
]);
const parts = [];
let tail = '\n*/}\n';
for (const name of Object.keys(sources).reverse()) {
  if (sources[name].includes('\0'))
    throw new Error(`chunk ${name} holds a NUL byte; the comment escape needs none`);
  if (/[^\x00-\x7f]/.test(sources[name]))
    throw new Error(`chunk ${name} is not ASCII; build with charset ascii`);
  // A chunk stored as it is has its literals that hold "*/" written again (scripts/comment-safe.mjs);
  // one it cannot do so for has every "*/" written "*\0/", which the loader undoes (with a copy).
  const compressed = !RAW_CHUNKS.has(name);
  const safe = compressed ? undefined : withoutCommentEnd(sources[name]);
  const escaped = !compressed && safe === undefined;
  const text = compressed
    ? compressedChunk(sources[name])
    : escaped
      ? sources[name].replaceAll('*/', '*\0/')
      : safe;
  const chunk = `${text}\n`;
  parts.unshift(chunk);
  const fromEnd = Buffer.byteLength(chunk) + Buffer.byteLength(tail);
  table[name] = [
    fromEnd,
    Buffer.byteLength(text),
    escaped ? 1 : 0,
    compressed ? 1 : 0,
    Object.hasOwn(DATA_CHUNKS, name) ? 1 : 0,
  ];
  tail = chunk + tail;
}
// Only this build's chunks are kept.
for (const key of readdirSync(BROTLI_CACHE)) if (!brotliUsed.has(key)) rmSync(join(BROTLI_CACHE, key));
// The function's body: the chunks in a comment (the file ends with the function and a newline).
const payload = `{/*\n${tail}`;
let loader = template
  .slice(0, -'{}\n'.length)
  .replace('// civctl: a loader around', `// civctl ${pkg.version}: a loader around`);
for (const [marker, value] of Object.entries(placeholders)) loader = loader.replace(marker, value);
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
