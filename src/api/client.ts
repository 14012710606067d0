/**
 * HTTP over the API's Unix socket with undici. Every request sends Content-Type:
 * application/json (as apiclient does), is bounded by the timeout, and turns failures into
 * typed errors. The dispatcher is injectable so tests can substitute their own.
 */
import { setFlagsFromString } from 'node:v8';
import type { Dispatcher } from 'undici';
import { CivError } from '../errors.ts';
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

/**
 * undici parses HTTP with llhttp compiled to WebAssembly. V8 compiles it twice: a quick baseline
 * (Liftoff), then an optimised version in the background, which the process waits for at exit.
 * For a CLI making a few requests that second compile only costs time (measured: ~110 ms per
 * run on the 2-core CI machine), so keep the baseline. It affects only WebAssembly compiled
 * after this call, and civctl compiles none before undici. CIVCTL_WASM_TIERUP=1 turns it off.
 */
let wasmFlagSet = false;
function preferBaselineWasm(): void {
  if (wasmFlagSet || process.env['CIVCTL_WASM_TIERUP'] === '1') return;
  wasmFlagSet = true;
  setFlagsFromString('--liftoff-only');
}

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
    preferBaselineWasm();
    // One origin, one socket: a Client is all that is needed (no Agent or Pool to set up).
    const { Client } = await import('undici');
    const ms = Math.max(1, Math.round(this.timeoutSeconds * 1000));
    this.dispatcher = new Client('http://localhost', {
      socketPath: this.socketPath,
      connect: { timeout: ms },
      headersTimeout: ms,
      bodyTimeout: ms,
      // One CLI run makes a handful of requests; do not hold sockets open after it.
      keepAliveTimeout: 1000,
      pipelining: 0,
    });
    return this.dispatcher;
  }

  /** Sends one request; non-2xx answers become ApiResponseError. */
  async request(
    method: 'GET' | 'PATCH' | 'POST' | 'DELETE',
    path: string,
    body?: string,
  ): Promise<ApiResponse> {
    const response = await this.requestUnchecked(method, path, body);
    if (response.status < 200 || response.status > 299)
      throw new ApiResponseError(method, path, response.status, response.body);
    return response;
  }

  async requestUnchecked(
    method: 'GET' | 'PATCH' | 'POST' | 'DELETE',
    path: string,
    body?: string,
  ): Promise<ApiResponse> {
    const dispatcher = await this.getDispatcher();
    let statusCode: number;
    let raw: Uint8Array;
    try {
      const res = await dispatcher.request({
        origin: 'http://localhost',
        path,
        method,
        headers: { 'content-type': 'application/json' },
        ...(body !== undefined ? { body } : {}),
        headersTimeout: this.timeoutSeconds * 1000,
        bodyTimeout: this.timeoutSeconds * 1000,
      });
      statusCode = res.statusCode;
      raw = new Uint8Array(await res.body.arrayBuffer());
    } catch (err) {
      throw connectionError(this.socketPath, method, path, err, this.timeoutSeconds);
    }
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

  /** GET and parse JSON. */
  async getJson<T>(path: string): Promise<T> {
    const { body } = await this.request('GET', path);
    try {
      return JSON.parse(body) as T;
    } catch {
      throw new CivError('E_API_PROTOCOL', `the API answered GET ${path} with something that is not JSON`);
    }
  }

  async close(): Promise<void> {
    if (this.ownsDispatcher && this.dispatcher) {
      const d = this.dispatcher;
      this.dispatcher = undefined;
      await d.close().catch(() => undefined);
    }
  }
}
