/**
 * HTTP over the API's Unix socket with undici. Every request sends Content-Type:
 * application/json (as apiclient does), is bounded by the timeout, and turns failures into
 * typed errors. The dispatcher is injectable so tests can substitute their own.
 */
import type { Dispatcher } from 'undici';
import { CivError } from '../errors.ts';
import { mark } from '../trace.ts';
import { timerMs } from '../timers.ts';
import { ApiResponseError, connectionError } from './errors.ts';

export interface ApiClientOptions {
  socketPath: string;
  timeoutSeconds: number;
  /** Any undici Dispatcher; by default an Agent connected to socketPath. */
  dispatcher?: Dispatcher;
}

export interface ApiResponse {
  status: number;
  body: string;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Answers civctl reads are a few KiB; anything this large is not the Bottlerocket API. */
export const MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

/** Connect errors that mean "busy, try again": nothing was sent, so a retry is always safe. */
const TRANSIENT_CONNECT = new Set(['EAGAIN', 'EWOULDBLOCK', 'EINTR']);
const RETRY_DELAYS_MS = [20, 50, 100, 200, 400, 800];

type Method = 'GET' | 'PATCH' | 'POST' | 'DELETE';

export class ApiClient {
  readonly socketPath: string;
  readonly timeoutSeconds: number;
  private dispatcher: Dispatcher | undefined;
  private readonly ownsDispatcher: boolean;

  constructor(options: ApiClientOptions) {
    this.socketPath = options.socketPath;
    this.timeoutSeconds = options.timeoutSeconds;
    this.dispatcher = options.dispatcher;
    this.ownsDispatcher = options.dispatcher === undefined;
  }

  private async getDispatcher(): Promise<Dispatcher> {
    if (this.dispatcher) return this.dispatcher;
    // One origin, one socket: a Client is all that is needed (no Agent or Pool to set up).
    const { Client } = await import('undici');
    const ms = timerMs(this.timeoutSeconds);
    this.dispatcher = new Client('http://localhost', {
      socketPath: this.socketPath,
      connect: { timeout: ms },
      headersTimeout: ms,
      bodyTimeout: ms,
      // One connection, kept for the whole run: a busy API socket (a full listen backlog gives
      // EAGAIN) is then met once, not once per request. close() ends it.
      pipelining: 1,
      keepAliveTimeout: 10_000,
    });
    return this.dispatcher;
  }

  /** Sends one request; non-2xx answers become ApiResponseError. */
  async request(method: Method, path: string, body?: string, signal?: AbortSignal): Promise<ApiResponse> {
    const response = await this.requestUnchecked(method, path, body, signal);
    if (response.status < 200 || response.status > 299)
      throw new ApiResponseError(method, path, response.status, response.body);
    return response;
  }

  /**
   * One request, bounded as a whole by the timeout (a server that trickles its answer cannot
   * hold civctl longer), retried only when connecting failed transiently. `signal` aborts it.
   */
  async requestUnchecked(
    method: Method,
    path: string,
    body?: string,
    signal?: AbortSignal,
  ): Promise<ApiResponse> {
    const dispatcher = await this.getDispatcher();
    mark(`request ${method} ${path}`);
    const deadline = AbortSignal.timeout(timerMs(this.timeoutSeconds));
    const abort = signal ? AbortSignal.any([signal, deadline]) : deadline;
    let statusCode: number;
    let raw: Uint8Array;
    for (let attempt = 0; ; attempt++) {
      try {
        const res = await dispatcher.request({
          origin: 'http://localhost',
          path,
          method,
          headers: { 'content-type': 'application/json' },
          ...(body !== undefined ? { body } : {}),
          signal: abort,
        });
        statusCode = res.statusCode;
        raw = await readLimited(res.body, method, path);
        break;
      } catch (err) {
        if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : err;
        const code = String((err as { code?: unknown }).code ?? '');
        const delay = RETRY_DELAYS_MS[attempt];
        if (TRANSIENT_CONNECT.has(code) && delay !== undefined && !deadline.aborted) {
          await new Promise((r) => setTimeout(r, delay));
          continue;
        }
        if (err instanceof CivError) throw err;
        throw connectionError(
          this.socketPath,
          method,
          path,
          deadline.aborted ? timeoutCause : err,
          this.timeoutSeconds,
        );
      }
    }
    mark(`answered ${method} ${path}`);
    let text: string;
    try {
      text = utf8.decode(raw);
    } catch {
      throw new CivError(
        'E_API_PROTOCOL',
        `the API answered ${method} ${path} with a body that is not UTF-8`,
      );
    }
    return { status: statusCode, body: text };
  }

  /** A GET whose answer must be JSON. */
  async getJson(path: string, signal?: AbortSignal): Promise<unknown> {
    const { body } = await this.request('GET', path, undefined, signal);
    try {
      return JSON.parse(body) as unknown;
    } catch {
      throw new CivError('E_API_PROTOCOL', `the API answered GET ${path} with something that is not JSON`);
    }
  }

  async close(): Promise<void> {
    if (this.ownsDispatcher && this.dispatcher) {
      const d = this.dispatcher;
      this.dispatcher = undefined;
      await d.destroy().catch(() => undefined);
    }
  }
}

const timeoutCause = { code: 'UND_ERR_HEADERS_TIMEOUT' };

/** Reads a response body, refusing one larger than MAX_RESPONSE_BYTES. */
async function readLimited(
  body: AsyncIterable<Uint8Array> & { destroy?: (err?: Error) => unknown },
  method: string,
  path: string,
): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of body) {
    total += chunk.length;
    if (total > MAX_RESPONSE_BYTES) {
      body.destroy?.();
      throw new CivError(
        'E_API_PROTOCOL',
        `the API answered ${method} ${path} with more than ${MAX_RESPONSE_BYTES} bytes; that is not the Bottlerocket API`,
      );
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
