import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { main } from '../src/cli/main.ts';
import { exitCodeOf, formatError } from '../src/errors.ts';
import type { Io } from '../src/io.ts';
import { startSimulator } from '../src/sim/server.ts';

export const ROOT = resolve(import.meta.dirname, '..');
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
    await main(args, io);
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

/** Runs the built bundle as a child process. */
export function runBuilt(
  args: string[],
  options: { stdin?: string | Uint8Array; env?: Record<string, string>; cwd?: string } = {},
): RunResult {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    input: options.stdin ?? '',
    cwd: options.cwd ?? ROOT,
    env: { PATH: process.env['PATH'] ?? '', ...options.env },
    maxBuffer: 64 * 1024 * 1024,
  });
  return {
    code: r.status ?? -1,
    stdout: r.stdout.toString('utf8'),
    stderr: r.stderr.toString('utf8'),
    stdoutBytes: r.stdout,
  };
}

/** Runs the built bundle asynchronously (for tests that serve HTTP in this process). */
export function runBuiltAsync(
  args: string[],
  options: { stdin?: string; env?: Record<string, string> } = {},
): Promise<RunResult> {
  return new Promise((resolvePromise) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: ROOT,
      env: { PATH: process.env['PATH'] ?? '', ...options.env },
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.stdin.end(options.stdin ?? '');
    child.on('close', (code) => {
      const stdoutBytes = Buffer.concat(out);
      resolvePromise({
        code: code ?? -1,
        stdout: stdoutBytes.toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        stdoutBytes,
      });
    });
  });
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
