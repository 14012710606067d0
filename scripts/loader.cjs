#!/usr/bin/env node
// civctl: a loader around the program, which follows this code in a comment. scripts/build.mjs
// fills its placeholders (the chunk table, the build, the command declarations). This file is what
// V8 parses on every run, so everything in it stays small; V8 skips a comment far faster than it
// scans the same bytes as a string literal. The standalone binary runs the same loader
// (scripts/build-standalone.mjs sets SEA): its chunks, and code caches made when it was built, are
// the executable's assets.
'use strict';
const CHUNKS = /* CHUNKS */ {};
// The chunk that holds each part of the program (scripts/program-split.mjs).
const PARTS = /* PARTS */ {};
const BUILD = /* BUILD */ 'dev';
const SEA = /* SEA */ false;
const vm = require('node:vm');
const fs = require('node:fs');
const env = process.env;

// CIVCTL_TRACE_PHASES=1 (bench/): named moments of this run, printed at exit.
const marks = env.CIVCTL_TRACE_PHASES === '1' ? [['loader', performance.now()]] : null;
globalThis.__civctlMarks = marks;

// The command (`civctl -s PATH get` runs get) names the code caches.
// scripts/build.mjs fills in how the fast path finds it (src/cli/command-word.ts, with the global
// options declared in src/cli/spec.ts); a word of anything but letters is no cache's name.
const commandWord = /* COMMAND_WORD */ (_argv) => undefined;
const found = commandWord(process.argv.slice(2));
const word = typeof found === 'string' && /^[a-z]+$/.test(found) ? found : 'none';

// V8 flags set while a command runs, only under V8 11 (Node 20), each to spare work a short-lived
// process never profits from (docs/performance.md):
// - liftoff: undici parses HTTP with llhttp compiled to WebAssembly, and V8 11 compiles its hot
//   parser function again, optimised, in the background, and the process waits for that at exit:
//   60 ms for a CLI that makes a few requests (V8 12 and later, in Node 22 and 24, do not). Set once
//   undici and the built-ins it requires are loaded: a built-in compiled after a flag changes no
//   longer matches Node's own code cache and is compiled from source. CIVCTL_WASM_TIERUP=1 leaves
//   it unset.
// - budget: a large policy runs the same few functions thousands of times, and V8 11 optimises
//   them on the second core long after the process could have ended; a larger interrupt budget
//   (8 times the default) leaves them to the baseline tiers. Set when the program says a long run
//   is ahead (src/trace.ts expectLongRun).
// Each chunk is compiled, and the code caches written, with the flags reset, so that the next run,
// which starts without them, accepts the caches.
const V8_11 = Number(process.versions.v8.split('.')[0]) < 12;
const RUN_FLAGS = {
  liftoff: ['--liftoff-only', '--no-liftoff-only --wasm-tier-up --wasm-dynamic-tiering'],
  budget: ['--interrupt-budget=540672', '--interrupt-budget=67584'],
};
const flagsSet = new Set();
const flagsUsed = new Set();
function setFlags(names, on) {
  if (names.length === 0) return;
  require('node:v8').setFlagsFromString(names.map((n) => RUN_FLAGS[n][on ? 0 : 1]).join(' '));
  for (const name of names) {
    if (on) flagsSet.add(name);
    else flagsSet.delete(name);
    if (on) flagsUsed.add(name);
  }
}
globalThis.__civctlLongRun = () => {
  if (V8_11 && !flagsSet.has('budget')) setFlags(['budget'], true);
};

const loaded = new Map();
let cacheDir;
let cacheBase;

// Virtual file systems where Node 20's recursive mkdirSync can loop forever.
const VIRTUAL = /^\/(proc|sys|dev)(\/|$)/;

// The cache holds bytecode, which V8 trusts: use it only from a folder that this user owns and
// nobody else can write to.
function safeDir(dir) {
  if (VIRTUAL.test(dir)) return false;
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const st = fs.statSync(dir);
    return (
      st.isDirectory() &&
      (process.getuid === undefined || st.uid === process.getuid()) &&
      (st.mode & 0o022) === 0
    );
  } catch {
    return false;
  }
}

function cacheFile(name) {
  if (cacheDir === undefined) {
    const uid = process.getuid ? process.getuid() : 'user';
    const home = env.HOME ? `${env.HOME}/.cache` : `/tmp/civctl-${uid}`;
    cacheBase = env.CIVCTL_CACHE_DIR || `${env.XDG_CACHE_HOME || home}/civctl`;
    const dir = `${cacheBase}/${BUILD}-${process.version}`;
    cacheDir = env.CIVCTL_COMPILE_CACHE !== '0' && safeDir(cacheBase) && safeDir(dir) ? dir : null;
  }
  return cacheDir ? `${cacheDir}/${name}.v8cache` : undefined;
}

/** A standalone binary's asset as a Buffer over its bytes (no copy), or undefined. */
function asset(key) {
  try {
    return Buffer.from(require('node:sea').getRawAsset(key));
  } catch {
    return undefined;
  }
}

/**
 * A chunk's stored text, as a slice of this file's source: the chunks are the comment in the
 * function `payload` at the end of the file, and a function's text is a slice of the script's
 * source, which V8 keeps while the script runs. Node has already read the file, so the chunk is
 * neither read again nor copied. Each chunk is counted from the end of the file (the loader's
 * length varies), which is the function's last character and a newline.
 */
function stored(fromEnd, length) {
  const text = payload.toString();
  const start = text.length + 1 - fromEnd;
  return text.slice(start, start + length);
}

/** A chunk's source: from this file, or the standalone binary's asset. */
function source(name) {
  const [fromEnd, length, escaped, compressed] = CHUNKS[name];
  const text = SEA ? asset(`chunk:${name}`).latin1Slice(0, length) : stored(fromEnd, length);
  // Cold chunks are brotli-compressed and base64-encoded; the others are stored as they are (a
  // slice of this file's text, compiled without a copy), or, rarely, with every "*/" written as
  // "*\0/" inside the comment (esbuild's ASCII output has no NUL).
  if (compressed) return require('node:zlib').brotliDecompressSync(Buffer.from(text, 'base64')).latin1Slice();
  return escaped ? text.replaceAll('*\0/', '*/') : text;
}

const pending = [];
// import.meta for the chunks (esbuild writes import.meta.url as __civctl_meta.url): the bundle's URL,
// made when a chunk first reads it (yargs does, for help and usage errors), since making it takes
// 0.4 ms of every run.
let url;
const meta = {
  get url() {
    url ??= require('node:url').pathToFileURL(__filename).href;
    return url;
  },
};
// A code cache holds only the functions its run compiled, and each command takes a different path
// through a chunk (the API's Client, a registry's Agent): one cache per chunk and command word.
function __civctlLoad(name, cacheName = `${name}-${word}`) {
  if (Object.hasOwn(PARTS, name)) return part(name);
  if (loaded.has(name)) return loaded.get(name);
  // A data chunk (undici's WebAssembly HTTP parser with SIMD) is base64 text, decoded rather than
  // compiled.
  if (CHUNKS[name][4] === 1) {
    const bytes = Buffer.from(source(name), 'base64');
    loaded.set(name, bytes);
    return bytes;
  }
  marks?.push([`${name}:start`, performance.now()]);
  // The standalone binary's own cache for this chunk and command, made when it was built; else the
  // user's. One the binary's V8 rejects (V8 flags in NODE_OPTIONS) is replaced in the user's folder.
  const embedded = SEA && env.CIVCTL_COMPILE_CACHE !== '0' ? asset(`cache:${cacheName}`) : undefined;
  let file = embedded ? undefined : cacheFile(cacheName);
  let cachedData = embedded;
  if (file)
    try {
      cachedData = fs.readFileSync(file);
    } catch {}
  // A chunk loaded after a flag is set (smol-toml for `digests add`) is compiled without it, so that
  // its cache matches every run's.
  const flagged = [...flagsSet];
  setFlags(flagged, false);
  // The stored text is the whole script (scripts/build.mjs): a function of these parameters.
  const script = new vm.Script(source(name), { filename: `civctl:${name}`, cachedData });
  setFlags(flagged, true);
  if (embedded && script.cachedDataRejected) file = cacheFile(cacheName);
  if (file && (!cachedData || script.cachedDataRejected)) pending.push({ name, file, script });
  const module = { exports: {} };
  loaded.set(name, module.exports);
  marks?.push([`${name}:compiled`, performance.now()]);
  script.runInThisContext()(module, module.exports, require, __civctlLoad, meta);
  loaded.set(name, module.exports);
  if (name === 'undici' && V8_11 && env.CIVCTL_WASM_TIERUP !== '1' && !flagsSet.has('liftoff'))
    setFlags(['liftoff'], true);
  marks?.push([`${name}:loaded`, performance.now()]);
  return module.exports;
}

/**
 * A part of the program: its chunk compiled (once), then the part run (once). A part that threw
 * throws the same error wherever it is imported again, as an ES module does.
 */
const parts = new Map();
const failedParts = new Map();
function part(name) {
  if (failedParts.has(name)) throw failedParts.get(name);
  if (parts.has(name)) return parts.get(name);
  const module = { exports: {} };
  parts.set(name, module.exports);
  try {
    __civctlLoad(PARTS[name])[name](module, module.exports);
  } catch (error) {
    parts.delete(name);
    failedParts.set(name, error);
    throw error;
  }
  parts.set(name, module.exports);
  return module.exports;
}

// Written once, at exit, so that the cache also holds the functions this run compiled. A cache
// that cannot be written is simply not used. A run that wrote a new cache also removes the
// caches of other builds and Node versions, so the folder never grows.
process.once('exit', () => {
  // For benchmarks and tests: the command this loader saw (and the V8 flags it set), which chunks
  // this run loaded (compiled, or decoded for a data chunk), and which had no code cache it could use.
  if (env.CIVCTL_TRACE_CHUNKS === '1')
    process.stderr.write(
      `civctl command: ${word}${[...flagsUsed].map((n) => ` (${RUN_FLAGS[n][0].split('=')[0]})`).join('')}\ncivctl chunks: ${[...loaded.keys()].join(' ')}\ncivctl uncached: ${pending.map((p) => p.name).join(' ')}\n`,
    );
  if (marks) {
    marks.push(['exit', performance.now()]);
    process.stderr.write(`civctl phases: ${JSON.stringify(marks)}\n`);
  }
  if (pending.length === 0) return;
  setFlags([...flagsSet], false);
  for (const { file, script } of pending) {
    try {
      const tmp = `${file}.${process.pid}`;
      fs.writeFileSync(tmp, script.createCachedData(), { mode: 0o600 });
      fs.renameSync(tmp, file);
    } catch {}
  }
  try {
    const current = `${BUILD}-${process.version}`;
    for (const entry of fs.readdirSync(cacheBase))
      if (entry !== current && /^[0-9a-f]{16}-v\d+\.\d+\.\d+$/.test(entry))
        fs.rmSync(`${cacheBase}/${entry}`, { recursive: true, force: true });
  } catch {}
});

__civctlLoad('main');

// scripts/build.mjs puts the chunks in this function's comment (and the standalone binary, which
// reads them from its assets, keeps it empty).
function payload() {}
