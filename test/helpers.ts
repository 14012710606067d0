import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { runInThisContext } from 'node:vm';
import { brotliDecompressSync } from 'node:zlib';
import { main } from '../src/cli/main.ts';
import { COMMANDS } from '../src/commands/index.ts';
import { exitCodeOf } from '../src/errors.ts';
import { formatError } from '../src/output/errors.ts';
import type { Io } from '../src/io.ts';
import { startSimulator } from '../src/sim/server.ts';

/**
 * The repository: the first folder above this file with a package.json. Not simply `..`: the
 * runner (scripts/run-tests.mjs) runs this file transformed, from .test-build/test/.
 */
export const ROOT = (() => {
  let dir = resolve(import.meta.dirname, '..');
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = resolve(dir, '..');
    if (parent === dir) throw new Error(`no package.json above ${import.meta.dirname}`);
    dir = parent;
  }
  return dir;
})();

/** A sha256 digest of one repeated hex character: `d('a')` is sha256:aaaa…. */
export const d = (c: string) => `sha256:${c.repeat(64)}`;
/** A digestion allowlist with no digest. */
export const EMPTY_ALLOWLIST = '{"version":"1.0","trustedDigests":[]}';
/** Test vectors kept in the repository: nothing a test reads lies outside it. */
export const CORPUS = join(ROOT, 'test', 'fixtures', 'corpus');
export const BIN = join(ROOT, 'dist', 'civctl.cjs');
/** The same program as an ES module, for those who run dist/civctl.mjs. */
export const BIN_ESM = join(ROOT, 'dist', 'civctl.mjs');

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
  stdoutBytes: Buffer;
}

/** Runs civctl in-process exactly as bin.ts does, capturing stdout and stderr. */
export async function run(
  args: string[],
  options: {
    stdin?: string | Uint8Array;
    env?: Record<string, string>;
    cwd?: string;
    /** Stands for SIGINT/SIGTERM: aborting it interrupts the command's interruptible sections. */
    interrupts?: AbortController;
    /** How registry connections look host names up (maps a test host to 127.0.0.1). */
    lookup?: import('node:net').LookupFunction;
  } = {},
): Promise<RunResult> {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const io: Io = {
    stdout: { write: (c) => out.push(Buffer.from(c)), isTTY: false },
    stderr: { write: (c) => err.push(Buffer.from(c)), isTTY: false },
    readStdin: async () => new Uint8Array(Buffer.from(options.stdin ?? '')),
    env: { ...options.env },
    cwd: options.cwd ?? ROOT,
    ...(options.interrupts ? { interruptible: (fn) => fn(options.interrupts!.signal) } : {}),
    ...(options.lookup ? { connectLookup: options.lookup } : {}),
  };
  let code = 0;
  try {
    await main(args, io, COMMANDS);
  } catch (error) {
    const line = formatError(error);
    if (line !== '') err.push(Buffer.from(line + '\n'));
    code = exitCodeOf(error);
  }
  const stdoutBytes = Buffer.concat(out);
  return {
    code,
    stdout: stdoutBytes.toString('utf8'),
    stderr: Buffer.concat(err).toString('utf8'),
    stdoutBytes,
  };
}

/**
 * The files civctl ships, each run as a user runs it: the package's bin (CommonJS), the same
 * program as an ES module, and the standalone binary (npm run build:standalone).
 */
export type Built = 'cjs' | 'mjs' | 'standalone';
export const STANDALONE = join(ROOT, 'dist', `civctl-linux-${process.arch}`);
export const BUILT_FILES: Record<Built, string> = { cjs: BIN, mjs: BIN_ESM, standalone: STANDALONE };

/**
 * Why the standalone binary's tests cannot run (it was not built), or undefined when they can.
 * CI sets CIVCTL_REQUIRE_STANDALONE=1: then a missing binary fails the test file instead.
 */
export function standaloneMissing(): string | undefined {
  if (existsSync(STANDALONE)) return undefined;
  const missing = `${STANDALONE} was not built (npm run build:standalone)`;
  if (process.env['CIVCTL_REQUIRE_STANDALONE'] === '1')
    throw new Error(`CIVCTL_REQUIRE_STANDALONE=1 but ${missing}`);
  process.stderr.write(`standalone tests skipped: ${missing}\n`);
  return missing;
}

/**
 * CI's longer variants (CIVCTL_FULL=1, set by .ci/run). Whole tests, listed as skipped without it
 * (fullOnly): every command's help and usage error through every built file, the ES module's
 * failure, signal and run-alone cases, the arm64 binary's lint, encode, usage error and set under
 * qemu. Fewer cases of the same tests without it: property tests (propertyRuns), the
 * credential-helper race repetitions (40 → 10, 12 → 4), the concurrency test (12 × 3 → 4 × 2).
 * `npm test` without it stays within a minute on a 2-core machine and still runs every command
 * through every built file.
 */
export const FULL = process.env['CIVCTL_FULL'] === '1';

/** How many cases a property test generates: all of them in CI's full run, a quarter otherwise. */
export function propertyRuns(full: number): number {
  return FULL ? full : Math.max(50, Math.round(full / 4));
}

/** A test's skip reason when it is one of CI's longer variants and this is not a full run. */
export function fullOnly(): string | undefined {
  return FULL ? undefined : 'one of CI’s longer variants: CIVCTL_FULL=1 runs it (.ci/run sets it)';
}

export interface BuiltOptions {
  /** Which built file runs (default: dist/civctl.cjs). */
  built?: Built;
  /** Or a copy of dist/civctl.cjs or .mjs elsewhere, run with node. */
  file?: string;
  stdin?: string | Uint8Array;
  /** The child's whole environment besides PATH (nothing else of this process leaks in). */
  env?: Record<string, string>;
  cwd?: string;
}

function builtCommand(options: BuiltOptions, args: string[]): [string, string[]] {
  if (options.file) return [process.execPath, [options.file, ...args]];
  const built = options.built ?? 'cjs';
  return built === 'standalone' ? [STANDALONE, args] : [process.execPath, [BUILT_FILES[built], ...args]];
}

function builtEnv(options: BuiltOptions): Record<string, string> {
  return { PATH: process.env['PATH'] ?? '', ...options.env };
}

/** Runs a built file as a child process (blocks: no server of this process can answer it). */
export function runBuilt(args: string[], options: BuiltOptions = {}): RunResult {
  const [command, argv] = builtCommand(options, args);
  const r = spawnSync(command, argv, {
    input: options.stdin ?? '',
    cwd: options.cwd ?? ROOT,
    env: builtEnv(options),
    maxBuffer: 64 * 1024 * 1024,
  });
  return {
    code: r.status ?? -1,
    stdout: r.stdout.toString('utf8'),
    stderr: r.stderr.toString('utf8'),
    stdoutBytes: r.stdout,
  };
}

/**
 * Runs a built file asynchronously, so that servers in this process (a registry, a proxy, an API)
 * can answer it. `until`: SIGTERM it once its stderr matches (for `civctl sim`); `timeoutMs`
 * bounds the run (SIGKILL, code -1), so a hung child fails its test instead of the suite.
 */
export function runBuiltAsync(
  args: string[],
  options: BuiltOptions & { until?: RegExp; timeoutMs?: number } = {},
): Promise<RunResult> {
  return new Promise((resolvePromise) => {
    const [command, argv] = builtCommand(options, args);
    const child = spawn(command, argv, { cwd: options.cwd ?? ROOT, env: builtEnv(options) });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
    let signalled = false;
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => {
      err.push(c);
      if (!signalled && options.until?.test(Buffer.concat(err).toString('utf8'))) {
        signalled = true;
        child.kill('SIGTERM');
      }
    });
    child.stdin.on('error', () => {}); // a child that exits without reading its input
    child.stdin.end(options.stdin ?? '');
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const stdoutBytes = Buffer.concat(out);
      resolvePromise({
        code: code ?? (signal === 'SIGKILL' ? -1 : -2),
        stdout: stdoutBytes.toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        stdoutBytes,
      });
    });
  });
}

/** `civctl sim` run from a built file as a process, serving a socket in `dir` for the duration of fn. */
export async function withSimProcess<T>(
  dir: string,
  fn: (socketPath: string) => Promise<T> | T,
  options: Pick<BuiltOptions, 'built' | 'file'> & { variant?: string } = {},
): Promise<T> {
  const socketPath = join(dir, `sim-${process.hrtime.bigint()}.sock`);
  const [command, argv] = builtCommand(options, [
    'sim',
    '--socket',
    socketPath,
    ...(options.variant ? ['--variant', options.variant] : []),
  ]);
  const sim = spawn(command, argv, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'], env: builtEnv({}) });
  const exited = new Promise<void>((r) => sim.once('exit', () => r()));
  let stderr = '';
  await new Promise<void>((resolvePromise, reject) => {
    sim.stderr!.on('data', (c: Buffer) => {
      stderr += c.toString();
      if (stderr.includes('listening on')) resolvePromise();
    });
    sim.once('exit', () => reject(new Error(`the simulator exited: ${stderr}`)));
  });
  try {
    return await fn(socketPath);
  } finally {
    sim.kill('SIGTERM');
    await exited;
  }
}

/** The chunks a run of the bundle compiled (CIVCTL_TRACE_CHUNKS=1), in load order. */
export function tracedChunks(stderr: string): string[] {
  const line = /^civctl chunks: (.*)$/m.exec(stderr);
  return line ? line[1]!.split(' ').filter((c) => c !== '') : [];
}

/**
 * The program's chunks besides `program` itself: a command's own code (`program-get`), code several
 * commands share, code loaded on demand (scripts/program-split.mjs).
 */
export const isProgramSplit = (chunk: string) => chunk.startsWith('program-');

/** The chunks a run compiled besides the program's split ones: `program` and the libraries. */
export const libraryChunks = (stderr: string): string[] =>
  tracedChunks(stderr).filter((c) => !isProgramSplit(c));

/**
 * A built bundle's chunk table (scripts/build.mjs): name → [from end, length, escaped, compressed,
 * data].
 */
type ChunkEntry = [number, number, number, number, number];
function chunkTable(bytes: Buffer, file: string): Record<string, ChunkEntry> {
  const table = /const CHUNKS = (\{.*?\});/.exec(bytes.subarray(0, 4096).toString('latin1'));
  if (!table) throw new Error(`${file} has no chunk table`);
  return JSON.parse(table[1]!) as Record<string, ChunkEntry>;
}

/** The data chunks of a built bundle (undici's WebAssembly HTTP parser): decoded, never compiled. */
export function builtDataChunkNames(file: string): string[] {
  return Object.entries(chunkTable(readFileSync(file), file))
    .filter(([, entry]) => entry[4] === 1)
    .map(([name]) => name);
}

/** The names of the chunks a built bundle holds (the program among them). */
export function builtChunkNames(file: string): string[] {
  return Object.keys(chunkTable(readFileSync(file), file)).sort();
}

/** One chunk of a built bundle as the loader reads it: a script (decompressed or unescaped), or a data chunk's text. */
function storedChunk(file: string, name: string): { text: string; data: boolean } {
  const bytes = readFileSync(file);
  const entry = chunkTable(bytes, file)[name];
  if (!entry) throw new Error(`${file} has no chunk ${name}`);
  const [fromEnd, length, escaped, compressed, data] = entry;
  const start = bytes.length - fromEnd;
  const source = bytes.subarray(start, start + length).toString('latin1');
  if (compressed)
    return { text: brotliDecompressSync(Buffer.from(source, 'base64')).toString('latin1'), data: false };
  return { text: escaped ? source.replaceAll('*\0/', '*/') : source, data: data === 1 };
}

/** The script a built bundle's loader compiles for one chunk (decompressed or unescaped), or a data chunk's text. */
export function builtChunkSource(file: string, name: string): string {
  return storedChunk(file, name).text;
}

/**
 * One chunk of a built bundle, evaluated as scripts/loader.cjs evaluates it: the bytes that ship,
 * found through the file's own chunk table (tests of what the loader would run, without a CLI).
 */
export function builtChunk(file: string, name: string): Record<string, unknown> | Buffer {
  const { text: source, data } = storedChunk(file, name);
  if (data) return Buffer.from(source, 'base64');
  const module = { exports: {} as Record<string, unknown> };
  // The stored text is the whole script: a function of these parameters.
  const wrapper = runInThisContext(source, { filename: `civctl:${name}` }) as (...args: unknown[]) => void;
  const load = (chunk: string) => builtChunk(file, chunk);
  wrapper(module, module.exports, createRequire(file), load, { url: pathToFileURL(file).href });
  return module.exports;
}

/** A private key and a self-signed certificate (PEM) for a host name, made by openssl. */
export function testCertificate(dir: string, host: string): { key: string; cert: string; certFile: string } {
  const keyFile = join(dir, `${host}.key`);
  const certFile = join(dir, `${host}.crt`);
  const r = spawnSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      keyFile,
      '-out',
      certFile,
      '-days',
      '2',
      '-subj',
      `/CN=${host}`,
      '-addext',
      `subjectAltName=DNS:${host}`,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  if (r.status !== 0) throw new Error(`openssl req: ${r.stderr.toString()}`);
  return { key: readFileSync(keyFile, 'utf8'), cert: readFileSync(certFile, 'utf8'), certFile };
}

/** The name the fake registry below stands for: never resolved (a proxied client never looks it up). */
export const FAKE_REGISTRY_HOST = 'registry.test';

export interface FakeRegistry {
  port: number;
  /** 127.0.0.1:port, where test/proxy.ts's startProxy sends `host` (hosts: { [host]: address }). */
  address: string;
  /** `METHOD path` of each request, in order. */
  requests: string[];
  /** The Host header of each request. */
  headers: (string | undefined)[];
  /** FAKE_REGISTRY_HOST:port, the registry as image references name it. */
  host: string;
  /** The manifest of `app:v1`, as containerd resolves it. */
  manifest: { digest: string; mediaType: string; size: number };
  close(): Promise<void>;
}

/**
 * A registry on loopback that serves one image, app:v1 (an OCI image manifest), by tag and by
 * digest, with containerd's 404 codes for anything else; https with `tls`. Enough to resolve
 * through; the full registry rig (test/registry-rig.ts) needs Debian's docker-registry.
 */
export async function startFakeRegistry(
  options: { tls?: { key: string; cert: string } } = {},
): Promise<FakeRegistry> {
  const mediaType = 'application/vnd.oci.image.manifest.v1+json';
  const body = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType,
      config: {
        mediaType: 'application/vnd.oci.image.config.v1+json',
        digest: `sha256:${'0'.repeat(64)}`,
        size: 2,
      },
      layers: [],
    }),
  );
  const digest = `sha256:${createHash('sha256').update(body).digest('hex')}`;
  const requests: string[] = [];
  const headers: (string | undefined)[] = [];
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    requests.push(`${req.method} ${req.url}`);
    headers.push(req.headers.host);
    const json = (status: number, value: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(value));
    };
    const path = (req.url ?? '').split('?')[0]!;
    if (path === '/v2/' || path === '/v2') return json(200, {});
    const manifest = /^\/v2\/(.+)\/manifests\/([^/]+)$/.exec(path);
    if (manifest && manifest[1] === 'app' && (manifest[2] === 'v1' || manifest[2] === digest)) {
      res.writeHead(200, {
        'content-type': mediaType,
        'content-length': body.length,
        'docker-content-digest': digest,
      });
      return res.end(req.method === 'HEAD' ? undefined : body);
    }
    if (path === '/v2/app/tags/list') return json(200, { name: 'app', tags: ['v1'] });
    const code = manifest && manifest[1] === 'app' ? 'MANIFEST_UNKNOWN' : 'NAME_UNKNOWN';
    return json(404, { errors: [{ code, message: code.toLowerCase().replace('_', ' ') }] });
  };
  const server = options.tls ? createHttpsServer(options.tls, handler) : createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    address: `127.0.0.1:${port}`,
    host: `${FAKE_REGISTRY_HOST}:${port}`,
    manifest: { digest, mediaType, size: body.length },
    requests,
    headers,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

export function tempDir(): { path: string; cleanup: () => void } {
  const path = mkdtempSync(join(tmpdir(), 'civctl-test-'));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}

/** A temporary folder that tests write input files into. */
export function scratch(): {
  path: string;
  cleanup: () => void;
  file: (name: string, content: string | Uint8Array) => string;
} {
  const dir = tempDir();
  return {
    ...dir,
    file: (name, content) => {
      const path = join(dir.path, name);
      writeFileSync(path, content);
      return path;
    },
  };
}

export async function withSim<T>(
  fn: (socketPath: string, sim: Awaited<ReturnType<typeof startSimulator>>) => Promise<T>,
  options: { variant?: string; osVersion?: string } = {},
): Promise<T> {
  const dir = tempDir();
  const sim = await startSimulator({
    socketPath: join(dir.path, 'api.sock'),
    variant: options.variant ?? 'aws-k8s-1.34',
    osVersion: options.osVersion ?? '1.63.0',
  });
  try {
    return await fn(sim.socketPath, sim);
  } finally {
    await sim.close();
    dir.cleanup();
  }
}

export type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

/** A real HTTP server on a temporary Unix socket, for fault injection. */
export async function withServer<T>(handler: Handler, fn: (socketPath: string) => Promise<T>): Promise<T> {
  const dir = tempDir();
  const socketPath = join(dir.path, 'api.sock');
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handler(req, res, Buffer.concat(chunks).toString('utf8')));
  });
  await new Promise<void>((r) => server.listen(socketPath, r));
  try {
    return await fn(socketPath);
  } finally {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
    dir.cleanup();
  }
}

/** One non-empty line on stderr, with no stack trace. */
export function isOneCleanLine(stderr: string): boolean {
  const lines = stderr.split('\n').filter((l) => l !== '');
  return lines.length === 1 && !/\n\s+at /.test(stderr) && !stderr.includes('node:internal');
}

/** The rows of a corpus folder's EXPECTED.tsv, without the header; throws when there are none. */
export function corpusRows(dir: string): string[][] {
  const rows = readFileSync(join(dir, 'EXPECTED.tsv'), 'utf8')
    .trimEnd()
    .split('\n')
    .slice(1)
    .map((line) => line.split('\t'));
  if (rows.length === 0) throw new Error(`${dir}/EXPECTED.tsv has no cases`);
  return rows;
}

/**
 * The processes of a process group that are still alive (zombies, which a container's PID 1 may
 * never reap, count as gone), read from /proc.
 */
export function liveInGroup(pgid: number): number[] {
  const live: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // gone while we looked
    }
    // "pid (comm) state ppid pgrp …": comm may hold spaces and parentheses.
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(pgrp) === pgid && state !== 'Z' && state !== 'X') live.push(Number(entry));
  }
  return live;
}

/** Polls until `check` holds (every 20 ms), failing after a generous bound. */
export async function waitUntil(what: string, check: () => boolean, boundMs = 20_000): Promise<void> {
  const deadline = Date.now() + boundMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`gave up waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The process id a child script wrote to `path` (`echo $$ > path`), once it is there. */
export async function pidFrom(path: string): Promise<number> {
  let pid = 0;
  await waitUntil(`${path} holds a process id`, () => {
    try {
      pid = Number(readFileSync(path, 'utf8').trim());
    } catch {
      return false;
    }
    return pid > 0;
  });
  return pid;
}
