#!/usr/bin/env node
// civctl: a loader around the program, which follows this code in a comment. scripts/build.mjs
// fills its placeholders (the chunk table, the build, the command declarations). This file is what V8 parses on every run, so everything in it stays
// small; V8 skips a comment far faster than it scans the same bytes as a string literal.
'use strict';
const CHUNKS = /* CHUNKS */ {};
const BUILD = /* BUILD */ 'dev';
const vm = require('node:vm');
const fs = require('node:fs');
const env = process.env;

// CIVCTL_TRACE_PHASES=1 (bench/): named moments of this run, printed at exit.
const marks = env.CIVCTL_TRACE_PHASES === '1' ? [['loader', performance.now()]] : null;
globalThis.__civctlMarks = marks;

// The command (`civctl -s PATH get` runs get) names the code caches and decides the V8 flags below.
// scripts/build.mjs fills in how the fast path finds it (src/cli/command-word.ts, with the global
// options declared in src/cli/spec.ts); a word of anything but letters is no cache's name.
const commandWord = /* COMMAND_WORD */ (_argv) => undefined;
const found = commandWord(process.argv.slice(2));
const word = typeof found === 'string' && /^[a-z]+$/.test(found) ? found : 'none';

// undici parses HTTP with llhttp compiled to WebAssembly. V8 compiles it twice, a quick baseline
// (Liftoff) and an optimised version in the background that the process waits for at exit: for a
// CLI making a few requests the second compile only costs time. The flag is set before anything
// is compiled, and only for the commands that speak HTTP (those whose declaration in src/commands/
// talks to the API or a registry, filled in by scripts/build.mjs), so each command's code cache
// always meets the same V8 flags and is never rejected for them.
const HTTP_COMMANDS = /* HTTP_COMMANDS */ [];
const liftoffOnly = HTTP_COMMANDS.includes(word) && env.CIVCTL_WASM_TIERUP !== '1';
if (liftoffOnly) require('node:v8').setFlagsFromString('--liftoff-only');

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

/** A chunk's source: its bytes, counted from the end of this file (the loader's length varies). */
function source(name) {
  const [fromEnd, length, escaped, compressed] = CHUNKS[name];
  const fd = fs.openSync(__filename, 'r');
  try {
    const buffer = Buffer.allocUnsafe(length);
    fs.readSync(fd, buffer, 0, length, fs.fstatSync(fd).size - fromEnd);
    // Cold chunks are brotli-compressed and base64-encoded; the program is stored as it is, with
    // every "*/" written as "*\0/" inside the comment (esbuild's ASCII output has no NUL).
    if (compressed)
      return require('node:zlib')
        .brotliDecompressSync(Buffer.from(buffer.latin1Slice(0, length), 'base64'))
        .latin1Slice();
    const text = buffer.latin1Slice(0, length);
    return escaped ? text.replaceAll('*\0/', '*/') : text;
  } finally {
    fs.closeSync(fd);
  }
}

const pending = [];
const url = require('node:url').pathToFileURL(__filename).href;
// A code cache holds only the functions its run compiled, and each command takes a different path
// through a chunk (the API's Client, a registry's Agent): one cache per chunk and command word.
function __civctlLoad(name, cacheName = `${name}-${word}`) {
  if (loaded.has(name)) return loaded.get(name);
  marks?.push([`${name}:start`, performance.now()]);
  const file = cacheFile(cacheName);
  let cachedData;
  if (file)
    try {
      cachedData = fs.readFileSync(file);
    } catch {}
  const script = new vm.Script(
    `(function (module, exports, require, __civctlLoad, __civctl_url) {${source(name)}\n})`,
    { filename: `civctl:${name}`, cachedData },
  );
  if (file && (!cachedData || script.cachedDataRejected)) pending.push({ file, script });
  const module = { exports: {} };
  loaded.set(name, module.exports);
  marks?.push([`${name}:compiled`, performance.now()]);
  script.runInThisContext()(module, module.exports, require, __civctlLoad, url);
  loaded.set(name, module.exports);
  marks?.push([`${name}:loaded`, performance.now()]);
  return module.exports;
}

// Written once, at exit, so that the cache also holds the functions this run compiled. A cache
// that cannot be written is simply not used. A run that wrote a new cache also removes the
// caches of other builds and Node versions, so the folder never grows.
process.once('exit', () => {
  // For benchmarks and tests: the command this loader saw, and which chunks this run compiled.
  if (env.CIVCTL_TRACE_CHUNKS === '1')
    process.stderr.write(
      `civctl command: ${word}${liftoffOnly ? ' (--liftoff-only)' : ''}\ncivctl chunks: ${[...loaded.keys()].join(' ')}\n`,
    );
  if (marks) {
    marks.push(['exit', performance.now()]);
    process.stderr.write(`civctl phases: ${JSON.stringify(marks)}\n`);
  }
  if (pending.length === 0) return;
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

__civctlLoad('program');
