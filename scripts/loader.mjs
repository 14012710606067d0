#!/usr/bin/env node
// civctl: a loader around the program below. scripts/build.mjs fills SOURCES and BUILD; this file
// is what V8 parses on every run, so everything in it stays small.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const SOURCES = /* SOURCES */ {};
const BUILD = /* BUILD */ 'dev';
const vm = require('node:vm');
const fs = require('node:fs');
const env = process.env;

// undici parses HTTP with llhttp compiled to WebAssembly. V8 compiles it twice, a quick baseline
// (Liftoff) and an optimised version in the background that the process waits for at exit: for a
// CLI making a few requests the second compile only costs time. The flag is set before anything
// is compiled, so every run has the same V8 flags and the code cache is never rejected for them.
if (env.CIVCTL_WASM_TIERUP !== '1') require('node:v8').setFlagsFromString('--liftoff-only');

const loaded = new Map();
let cacheDir;

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

let cacheBase;
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

const pending = [];
function __civctlLoad(name, cacheName = name) {
  if (loaded.has(name)) return loaded.get(name);
  const file = cacheFile(cacheName);
  let cachedData;
  if (file)
    try {
      cachedData = fs.readFileSync(file);
    } catch {}
  const script = new vm.Script(
    `(function (module, exports, require, __civctlLoad, __civctl_url) {${SOURCES[name]}\n})`,
    { filename: `civctl:${name}`, cachedData },
  );
  if (file && (!cachedData || script.cachedDataRejected)) pending.push({ file, script });
  const module = { exports: {} };
  loaded.set(name, module.exports);
  script.runInThisContext()(module, module.exports, require, __civctlLoad, import.meta.url);
  loaded.set(name, module.exports);
  return module.exports;
}

// Written once, at exit, so that the cache also holds the functions this run compiled. A cache
// that cannot be written is simply not used. A run that wrote a new cache also removes the
// caches of other builds and Node versions, so the folder never grows.
process.once('exit', () => {
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

// Each command runs different code, and a code cache holds only what its run compiled: keep one
// cache per command word for the program itself.
const word = process.argv.slice(2).find((a) => /^[a-z]+$/.test(a)) || 'none';
__civctlLoad('program', `program-${word}`);
