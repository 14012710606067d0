/**
 * A forward proxy on loopback for the tests, written with node:http: CONNECT tunnels (https) and
 * absolute-form requests (http), as corporate proxies serve Go clients. Host names are resolved
 * here, from `hosts` (a proxied client never resolves a registry's name itself), so tests can name
 * registries `registry.test:PORT`; anything else that is not loopback is refused (502), so nothing
 * leaves the machine. Optional Basic credentials (407 without them). Every request is logged.
 */
import { createServer, request as httpRequest, type RequestListener, type Server } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import { connect, type Socket } from 'node:net';

export interface ProxyLogEntry {
  method: string;
  /** CONNECT's host:port, or the absolute URL of a forwarded request. */
  target: string;
  proxyAuthorization?: string;
  /** Headers as received (for forwarded requests: what the registry would see). */
  headers: Record<string, string | string[] | undefined>;
}

export interface TestProxy {
  /** 127.0.0.1:PORT */
  address: string;
  log: ProxyLogEntry[];
  stop(): Promise<void>;
}

/** `name:port` → `127.0.0.1:port` of the registry it stands for. */
export type HostMap = Record<string, string>;

function resolveTarget(hosts: HostMap, target: string): string | undefined {
  const mapped = hosts[target];
  if (mapped) return mapped;
  return /^(127\.\d+\.\d+\.\d+|\[::1\]|localhost):\d+$/.test(target) ? target : undefined;
}

export async function startProxy(
  options: {
    hosts?: HostMap;
    credentials?: string;
    /** An https proxy: its key and certificate (PEM). */
    tls?: { key: string; cert: string };
  } = {},
): Promise<TestProxy> {
  const hosts = options.hosts ?? {};
  const expected = options.credentials
    ? `Basic ${Buffer.from(options.credentials).toString('base64')}`
    : undefined;
  const log: ProxyLogEntry[] = [];
  const sockets = new Set<Socket>();
  const record = (method: string, target: string, headers: ProxyLogEntry['headers']) => {
    const auth = headers['proxy-authorization'];
    log.push({ method, target, headers, ...(typeof auth === 'string' ? { proxyAuthorization: auth } : {}) });
    return expected === undefined || auth === expected;
  };

  const forward: RequestListener = (req, res) => {
    if (!record(req.method ?? '', req.url ?? '', req.headers)) {
      res.writeHead(407, { 'proxy-authenticate': 'Basic realm="test proxy"', 'content-length': '0' });
      return res.end();
    }
    let url: URL;
    try {
      url = new URL(req.url ?? '');
    } catch {
      res.writeHead(400);
      return res.end('origin-form request to a proxy');
    }
    const upstream = resolveTarget(hosts, url.host);
    if (!upstream) {
      res.writeHead(502);
      return res.end(`test proxy: no route to ${url.host}`);
    }
    const headers = { ...req.headers };
    delete headers['proxy-authorization'];
    delete headers['proxy-connection'];
    const up = httpRequest(
      `http://${upstream}${url.pathname}${url.search}`,
      { method: req.method, headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    up.on('error', () => {
      res.writeHead(502);
      res.end();
    });
    req.pipe(up);
  };
  const server: Server = options.tls ? createTlsServer(options.tls, forward) : createServer(forward);
  server.on(options.tls ? 'secureConnection' : 'connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('connect', (req, client: Socket, head: Buffer) => {
    sockets.add(client);
    client.on('error', () => undefined);
    if (!record('CONNECT', req.url ?? '', req.headers)) {
      client.end(
        'HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="test proxy"\r\n\r\n',
      );
      return;
    }
    const upstream = resolveTarget(hosts, req.url ?? '');
    if (!upstream) {
      client.end('HTTP/1.1 502 Bad Gateway\r\n\r\n');
      return;
    }
    const colon = upstream.lastIndexOf(':');
    const up = connect(Number(upstream.slice(colon + 1)), upstream.slice(0, colon).replace(/^\[|\]$/g, ''));
    sockets.add(up);
    up.on('error', () => client.destroy());
    up.on('connect', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      up.write(head);
      up.pipe(client);
      client.pipe(up);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    address: `127.0.0.1:${(server.address() as { port: number }).port}`,
    log,
    stop: async () => {
      for (const socket of sockets) socket.destroy();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

/** A port that accepts connections and never answers (a proxy that hangs). */
export async function startSilentListener(): Promise<{ address: string; stop(): Promise<void> }> {
  const { createServer: createNetServer } = await import('node:net');
  const sockets = new Set<Socket>();
  const server = createNetServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    address: `127.0.0.1:${(server.address() as { port: number }).port}`,
    stop: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}
