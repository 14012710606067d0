/**
 * A Bottlerocket API simulator on a Unix socket, answering as apiserver (actix-web) does for the
 * routes civctl uses: plain-text errors, the Content-Type check, the 2 MiB JSON limit, named
 * transactions, merge-only PATCH and the image-verifier-plugins settings model.
 */
import { chmodSync, existsSync, statSync, unlinkSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { createConnection } from 'node:net';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { serdeFromStr } from '../policy/serde.ts';
import { API_BODY_LIMIT } from '../policy/settings.ts';
import { variantModel } from '../policy/variants.ts';
import { Datastore, nest } from './datastore.ts';
import { flattenSettingsPatch, ModelError } from './model.ts';

export interface SimulatorOptions {
  socketPath: string;
  variant: string;
  osVersion: string;
  statePath?: string | undefined;
}

export interface Simulator {
  socketPath: string;
  datastore: Datastore;
  close(): Promise<void>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const DEFAULT_SETTINGS: [string, unknown][] = [['settings.motd', 'Welcome to Bottlerocket!']];

function reply(res: ServerResponse, status: number, body?: unknown): void {
  if (body === undefined) {
    res.writeHead(status, { 'content-length': '0' });
    res.end();
    return;
  }
  if (typeof body === 'string') {
    const buf = Buffer.from(body);
    res.writeHead(status, {
      'content-type': 'text/plain; charset=utf-8',
      'content-length': String(buf.length),
    });
    res.end(buf);
    return;
  }
  const buf = Buffer.from(JSON.stringify(body));
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(buf.length) });
  res.end(buf);
}

function isJsonContentType(header: string | undefined): boolean {
  if (!header) return false;
  const mime = header.split(';')[0]!.trim().toLowerCase();
  const [, subtype] = mime.split('/');
  return subtype !== undefined && (subtype === 'json' || subtype.endsWith('+json'));
}

async function readJsonBody(req: IncomingMessage): Promise<Uint8Array> {
  if (!isJsonContentType(req.headers['content-type'])) throw new HttpError(400, 'Content type error');
  const declared =
    req.headers['content-length'] !== undefined ? Number(req.headers['content-length']) : undefined;
  if (declared !== undefined && declared > API_BODY_LIMIT)
    throw new HttpError(
      413,
      `JSON payload (${declared} bytes) is larger than allowed (limit: ${API_BODY_LIMIT} bytes).`,
    );
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of req) {
    total += (chunk as Buffer).length;
    if (total > API_BODY_LIMIT)
      throw new HttpError(413, `JSON payload has exceeded limit (${API_BODY_LIMIT} bytes).`);
    chunks.push(chunk as Buffer);
  }
  return new Uint8Array(Buffer.concat(chunks));
}

function keyMatches(key: string, prefix: string): boolean {
  return key.startsWith(prefix);
}

/** sockaddr_un holds 108 bytes with the terminating NUL: longer paths are silently cut by bind(2). */
const MAX_SOCKET_PATH_BYTES = 107;

export async function startSimulator(options: SimulatorOptions): Promise<Simulator> {
  const length = Buffer.byteLength(options.socketPath);
  if (length > MAX_SOCKET_PATH_BYTES)
    throw new Error(
      `the socket path is ${length} bytes; Unix sockets allow at most ${MAX_SOCKET_PATH_BYTES}: choose a shorter --socket`,
    );
  if (options.socketPath === '') throw new Error('the socket path is empty');
  const dir = dirname(resolve(options.socketPath));
  if (!existsSync(dir)) throw new Error(`the directory ${dir} does not exist`);
  const datastore = new Datastore(options.statePath);
  for (const [k, v] of DEFAULT_SETTINGS) if (!datastore.live.has(k)) datastore.live.set(k, v);
  const os = {
    arch: 'x86_64', // simulated; fixed so that outputs (and the docs' examples) do not depend on the host
    build_id: 'civctlsim',
    pretty_name: `Bottlerocket OS ${options.osVersion} (${options.variant})`,
    variant_id: options.variant,
    version_id: options.osVersion,
  };
  const model = variantModel(os);
  const osFlat = new Map(Object.entries(os).map(([k, v]) => [`os.${k}`, v]));

  const settingsView = (flat: Map<string, unknown>, prefix: string) => nest(flat, prefix, 'settings.');

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const q = url.searchParams;
    const tx = q.get('tx') ?? 'default';
    const route = `${req.method} ${url.pathname}`;
    switch (route) {
      case 'GET /': {
        const prefix = q.get('prefix');
        if (prefix === '') throw new HttpError(400, "Input 'prefix' cannot be empty");
        const p = prefix ?? '';
        const out: Record<string, unknown> = {};
        const settings = new Map([...datastore.live].filter(([k]) => keyMatches(k, p)));
        if (settings.size > 0) out['settings'] = nest(settings, '', 'settings.');
        const osPart = new Map([...osFlat].filter(([k]) => keyMatches(k, p)));
        if (osPart.size > 0) out['os'] = nest(osPart, '', 'os.');
        if (prefix === null) {
          out['services'] = {};
          out['configuration-files'] = {};
        }
        return reply(res, 200, out);
      }
      case 'GET /settings': {
        const keys = q.get('keys');
        if (keys !== null) {
          const wanted = new Set(keys.split(',').filter(Boolean));
          const picked = new Map([...datastore.live].filter(([k]) => wanted.has(k)));
          return reply(res, 200, settingsView(picked, ''));
        }
        let prefix = q.get('prefix');
        if (prefix === '') throw new HttpError(400, "Input 'prefix' cannot be empty");
        if (prefix !== null && !prefix.startsWith('settings.')) prefix = `settings.${prefix}`;
        return reply(res, 200, settingsView(datastore.live, prefix ?? ''));
      }
      case 'PATCH /settings': {
        const bytes = await readJsonBody(req);
        const parsed = serdeFromStr(bytes, { t: 'content' });
        if (!parsed.ok) throw new HttpError(400, `Json deserialize error: ${parsed.message}`);
        let flat: Map<string, unknown>;
        try {
          flat = flattenSettingsPatch(parsed.value, options.variant, model);
        } catch (err) {
          if (err instanceof ModelError) throw new HttpError(400, `Json deserialize error: ${err.message}`);
          throw err;
        }
        datastore.stage(tx, flat);
        return reply(res, 204);
      }
      case 'GET /tx':
        return reply(res, 200, settingsView(datastore.pending.get(tx) ?? new Map(), ''));
      case 'DELETE /tx':
        return reply(res, 200, datastore.discard(tx));
      case 'GET /tx/list':
        return reply(res, 200, [...datastore.pending.keys()].sort());
      case 'POST /tx/commit':
      case 'POST /tx/commit_and_apply': {
        const keys = datastore.commit(tx);
        if (!keys) throw new HttpError(422, 'Tried to commit with no pending changes');
        return reply(res, 200, keys);
      }
      case 'POST /tx/apply':
        return reply(res, 204);
      case 'GET /os': {
        let prefix = q.get('prefix') ?? 'os.';
        if (!prefix.startsWith('os')) prefix = `os.${prefix}`;
        return reply(res, 200, nest(osFlat, prefix, 'os.'));
      }
      case 'GET /metadata/affected-services': {
        const keys = q.get('keys');
        if (!keys) throw new HttpError(400, "Missing required input 'keys'");
        const out: Record<string, string[]> = {};
        for (const key of keys.split(',')) {
          if (key === 'settings.image-verifier-plugins.enabled')
            out[key] = ['containerd', 'image-verification'];
          else if (key.startsWith('settings.image-verifier-plugins')) out[key] = ['image-verification'];
        }
        return reply(res, 200, out);
      }
      default: {
        const known = [
          '/',
          '/settings',
          '/tx',
          '/tx/list',
          '/tx/commit',
          '/tx/commit_and_apply',
          '/tx/apply',
          '/os',
          '/metadata/affected-services',
        ];
        return reply(res, known.includes(url.pathname) ? 405 : 404);
      }
    }
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (res.headersSent) return;
      if (err instanceof HttpError) {
        reply(res, err.status, err.message);
        // The rest of an oversized body is not read; close so the client sees the answer.
        if (err.status === 413) req.socket.end();
      } else reply(res, 500, `Internal error: ${(err as Error).message}`);
    });
  });

  await removeStaleSocket(options.socketPath);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.socketPath, () => {
      server.off('error', reject);
      resolve();
    });
  });
  try {
    chmodSync(options.socketPath, 0o660);
  } catch {
    // Best effort, as apiserver's chmod; the tests run as the socket's owner anyway.
  }
  return {
    socketPath: options.socketPath,
    datastore,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A socket file left by a crashed run is removed; one with a live listener is an error. */
async function removeStaleSocket(path: string): Promise<void> {
  if (!existsSync(path)) return;
  if (!statSync(path).isSocket())
    throw new Error(`${path} exists and is not a socket; choose another --socket`);
  const alive = await new Promise<boolean>((resolve) => {
    const c = createConnection(path);
    c.once('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => resolve(false));
  });
  if (alive) throw new Error(`something is already listening on ${path}`);
  unlinkSync(path);
}
