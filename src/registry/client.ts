/**
 * HTTP to OCI registries over undici: containerd's host and scheme rules, TLS with the system CAs
 * plus the user's, HTTPS_PROXY/NO_PROXY, a timeout on every request, bounded retries on 408, 429
 * and 5xx, and the authentication dance of auth.ts with a per-process token cache. Knows HTTP,
 * not the CLI; never prints.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { LookupFunction } from 'node:net';
import type { Dispatcher } from 'undici';
import {
  basicAuthorization,
  type Challenge,
  type Credentials,
  parseChallenges,
  tokenFromAnswer,
  tokenScopes,
} from './auth.ts';
import { RegistryError } from './errors.ts';
import { type ImageReference, registryHost, schemeFor } from './reference.ts';

export interface RegistryOptions {
  timeoutSeconds: number;
  /** Plain HTTP for every registry (containerd's rule gives it to loopback hosts only). */
  plainHttp?: boolean;
  /** Extra CA certificates (PEM) trusted besides the system's. */
  caCertificates?: string[];
  /** Credentials for a registry domain; undefined means anonymous. */
  credentials?: (domain: string) => Promise<Credentials | undefined>;
  /** Proxy settings and the like (HTTPS_PROXY, NO_PROXY). */
  env?: Record<string, string | undefined>;
  /** Tests: a dispatcher of their own, or a host → address mapping for connections. */
  dispatcher?: Dispatcher;
  lookup?: LookupFunction;
}

export interface RegistryResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Uint8Array;
}

/** containerd's User-Agent shape; registries log it. */
const USER_AGENT = 'civctl (containerd-compatible resolver)';
const RETRIABLE = new Set([408, 429, 500, 502, 503, 504]);
const RETRY_DELAYS_MS = [200, 600];
/** Bodies civctl reads (manifests, token answers, error bodies) are small; more is refused. */
const MAX_BODY_BYTES = 8 * 1024 * 1024;

const SYSTEM_CA_FILES = [
  '/etc/ssl/certs/ca-certificates.crt',
  '/etc/pki/tls/certs/ca-bundle.crt',
  '/etc/ssl/cert.pem',
];

/** The system's CA bundle (the first that exists), read only when an https request is made. */
function systemCertificates(): string[] {
  for (const file of SYSTEM_CA_FILES)
    if (existsSync(file))
      try {
        return [readFileSync(file, 'utf8')];
      } catch {
        // unreadable: fall back to Node's own roots
      }
  return [];
}

export class RegistryClient {
  /** One dispatcher for plain HTTP and one for https: certificates are read only for https. */
  private dispatchers: { http?: Dispatcher; https?: Dispatcher } = {};
  private readonly injected: Dispatcher | undefined;
  /** Authorization per host and repository, reused for the whole process (containerd caches tokens too). */
  private readonly authorizations = new Map<string, string>();
  private readonly credentialCache = new Map<string, Promise<Credentials | undefined>>();

  constructor(private readonly options: RegistryOptions) {
    this.injected = options.dispatcher;
  }

  private async getDispatcher(https: boolean): Promise<Dispatcher> {
    if (this.injected) return this.injected;
    const existing = https ? this.dispatchers.https : this.dispatchers.http;
    if (existing) return existing;
    const { Agent, EnvHttpProxyAgent } = await import('./undici-agents.ts');
    const env = this.options.env ?? {};
    const connect = {
      // The system's CAs (whose bundle costs milliseconds to read and parse), Node's own roots
      // and the user's: only for https.
      ...(https
        ? {
            ca: [
              ...process.getBuiltinModule('node:tls').rootCertificates,
              ...systemCertificates(),
              ...(this.options.caCertificates ?? []),
            ],
          }
        : {}),
      ...(this.options.lookup ? { lookup: this.options.lookup } : {}),
      timeout: this.timeoutMs(),
    };
    const httpProxy = env['HTTP_PROXY'] ?? env['http_proxy'];
    const httpsProxy = env['HTTPS_PROXY'] ?? env['https_proxy'];
    const noProxy = env['NO_PROXY'] ?? env['no_proxy'];
    const dispatcher =
      httpProxy || httpsProxy
        ? new EnvHttpProxyAgent({
            ...(httpProxy ? { httpProxy } : {}),
            ...(httpsProxy ? { httpsProxy } : {}),
            ...(noProxy ? { noProxy } : {}),
            connect,
          })
        : new Agent({ connect });
    this.dispatchers[https ? 'https' : 'http'] = dispatcher;
    return dispatcher;
  }

  private timeoutMs(): number {
    return Math.max(1, Math.round(this.options.timeoutSeconds * 1000));
  }

  /** scheme://host for a reference: docker.io → registry-1.docker.io, http only on loopback. */
  origin(ref: ImageReference): string {
    const host = registryHost(ref.domain);
    return `${schemeFor(host, this.options.plainHttp)}://${host}`;
  }

  private credentialsFor(domain: string): Promise<Credentials | undefined> {
    let cached = this.credentialCache.get(domain);
    if (!cached) {
      cached = this.options.credentials ? this.options.credentials(domain) : Promise.resolve(undefined);
      this.credentialCache.set(domain, cached);
    }
    return cached;
  }

  /** One HTTP exchange, body read (bounded), network failures as RegistryError. */
  private async exchange(
    method: string,
    url: URL,
    headers: Record<string, string>,
    body?: string,
  ): Promise<RegistryResponse> {
    const dispatcher = await this.getDispatcher(url.protocol === 'https:');
    const host = url.host;
    try {
      const res = await dispatcher.request({
        origin: url.origin,
        path: url.pathname + url.search,
        method: method as Dispatcher.HttpMethod,
        headers: { 'user-agent': USER_AGENT, ...headers },
        ...(body !== undefined ? { body } : {}),
        signal: AbortSignal.timeout(this.timeoutMs()),
      });
      const chunks: Uint8Array[] = [];
      let total = 0;
      for await (const chunk of res.body) {
        total += (chunk as Uint8Array).length;
        if (total > MAX_BODY_BYTES) {
          res.body.destroy();
          throw new RegistryError(
            'too-large',
            `${host} answered ${method} ${url.pathname} with more than ${MAX_BODY_BYTES} bytes`,
          );
        }
        chunks.push(chunk as Uint8Array);
      }
      return { status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) };
    } catch (err) {
      if (err instanceof RegistryError) throw err;
      throw networkError(host, err, this.options.timeoutSeconds);
    }
  }

  /** An exchange retried on 408, 429 and 5xx (bounded; Retry-After honoured up to 2 s). */
  private async withRetries(
    method: string,
    url: URL,
    headers: Record<string, string>,
    body?: string,
  ): Promise<RegistryResponse> {
    for (let attempt = 0; ; attempt++) {
      const res = await this.exchange(method, url, headers, body);
      const delay = RETRY_DELAYS_MS[attempt];
      if (!RETRIABLE.has(res.status) || delay === undefined) return res;
      const retryAfter = Number(res.headers['retry-after']);
      await new Promise((r) =>
        setTimeout(r, Number.isFinite(retryAfter) ? Math.min(retryAfter * 1000, 2000) : delay),
      );
    }
  }

  /**
   * A request to the registry of `ref` (path under /v2/…), authenticated as containerd would: the
   * first 401 is answered from its challenge, and the answer is remembered for the repository.
   */
  async request(
    ref: ImageReference,
    method: 'GET' | 'HEAD',
    path: string,
    headers: Record<string, string> = {},
  ): Promise<RegistryResponse> {
    const url = new URL(path, this.origin(ref));
    const key = `${url.host} ${ref.path}`;
    const known = this.authorizations.get(key);
    let res = await this.withRetries(method, url, known ? { ...headers, authorization: known } : headers);
    if (res.status !== 401) return res;
    const credentials = await this.credentialsFor(ref.domain);
    const authorization = await this.authorize(
      url.host,
      ref.path,
      parseChallenges(res.headers['www-authenticate']),
      credentials,
    );
    this.authorizations.set(key, authorization);
    res = await this.withRetries(method, url, { ...headers, authorization });
    if (res.status === 401)
      throw credentials
        ? new RegistryError(
            'wrong-credentials',
            `${url.host} refused the credentials for ${ref.path} (wrong user or password, or no pull access)`,
          )
        : authenticationRequired(url.host, ref.path);
    return res;
  }

  /** The Authorization header a challenge asks for. */
  private async authorize(
    host: string,
    repository: string,
    challenges: Challenge[],
    credentials: Credentials | undefined,
  ): Promise<string> {
    const bearer = challenges.find((c) => c.scheme === 'bearer');
    if (bearer) return `Bearer ${await this.fetchToken(host, repository, bearer, credentials)}`;
    if (challenges.some((c) => c.scheme === 'basic')) {
      if (!credentials) throw authenticationRequired(host, repository);
      return basicAuthorization(credentials);
    }
    throw new RegistryError(
      'protocol',
      `${host} asked for authentication without a challenge civctl knows (${challenges.map((c) => c.scheme).join(', ') || 'none'})`,
    );
  }

  /** A token from the challenge's realm: OAuth2 POST with credentials (GET + Basic as fallback), else anonymous GET. */
  private async fetchToken(
    host: string,
    repository: string,
    challenge: Challenge,
    credentials: Credentials | undefined,
  ): Promise<string> {
    const realm = challenge.params['realm'];
    if (!realm) throw new RegistryError('protocol', `${host} sent a Bearer challenge without a realm`);
    let realmUrl: URL;
    try {
      realmUrl = new URL(realm);
    } catch {
      throw new RegistryError('protocol', `${host} sent a Bearer realm that is not a URL`);
    }
    const service = challenge.params['service'];
    const scopes = tokenScopes(challenge.params['scope'], repository);
    if (credentials) {
      const form = new URLSearchParams();
      if (credentials.username === '') {
        form.set('grant_type', 'refresh_token');
        form.set('refresh_token', credentials.secret);
      } else {
        form.set('grant_type', 'password');
        form.set('username', credentials.username);
        form.set('password', credentials.secret);
      }
      form.set('client_id', 'containerd-client');
      if (service) form.set('service', service);
      form.set('scope', scopes.join(' '));
      const posted = await this.withRetries(
        'POST',
        realmUrl,
        { 'content-type': 'application/x-www-form-urlencoded' },
        form.toString(),
      );
      if (posted.status === 200) return this.tokenOf(posted, realmUrl);
      // Registries without the OAuth2 endpoint answer 404, 401, 400 (or 405): containerd then uses GET.
      if (![400, 401, 404, 405].includes(posted.status))
        throw new RegistryError(
          'server',
          `the token service ${realmUrl.host} answered ${posted.status} to POST`,
        );
    }
    const url = new URL(realmUrl);
    if (service) url.searchParams.set('service', service);
    for (const scope of scopes) url.searchParams.append('scope', scope);
    const headers: Record<string, string> =
      credentials && credentials.username !== '' ? { authorization: basicAuthorization(credentials) } : {};
    const got = await this.withRetries('GET', url, headers);
    if (got.status === 401 || got.status === 403)
      throw credentials
        ? new RegistryError(
            'wrong-credentials',
            `the token service ${url.host} refused the credentials (wrong user or password)`,
          )
        : authenticationRequired(host, repository);
    if (got.status !== 200)
      throw new RegistryError('server', `the token service ${url.host} answered ${got.status}`);
    return this.tokenOf(got, url);
  }

  private tokenOf(res: RegistryResponse, url: URL): string {
    let body: unknown;
    try {
      body = JSON.parse(Buffer.from(res.body).toString('utf8'));
    } catch {
      throw new RegistryError('protocol', `the token service ${url.host} did not answer with JSON`);
    }
    const token = tokenFromAnswer(body);
    if (!token) throw new RegistryError('protocol', `the token service ${url.host} answered without a token`);
    return token.token;
  }

  async close(): Promise<void> {
    const owned = Object.values(this.dispatchers);
    this.dispatchers = {};
    await Promise.all(owned.map((d) => d.destroy().catch(() => undefined)));
  }
}

function authenticationRequired(host: string, repository: string): RegistryError {
  return new RegistryError(
    'authentication-required',
    `authentication required: ${host} refused anonymous pull of ${repository} (pull access denied, the repository does not exist or may require authorization)`,
  );
}

const TLS_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
]);

/** A failure below HTTP, as one kind and one line. */
export function networkError(host: string, err: unknown, timeoutSeconds: number): RegistryError {
  const code = String((err as { code?: unknown })?.code ?? '');
  const name = (err as Error)?.name ?? '';
  if (code === 'ECONNREFUSED')
    return new RegistryError('connection-refused', `connection refused by ${host}`);
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_NONAME')
    return new RegistryError('host-not-found', `cannot find the host ${host} (DNS: ${code})`);
  if (TLS_CODES.has(code))
    return new RegistryError(
      'tls',
      `TLS verification failed for ${host} (${code}); trust its CA certificate with --ca-file`,
    );
  if (
    code === 'UND_ERR_CONNECT_TIMEOUT' ||
    code === 'UND_ERR_HEADERS_TIMEOUT' ||
    code === 'UND_ERR_BODY_TIMEOUT' ||
    name === 'TimeoutError' ||
    code === 'ETIMEDOUT' ||
    code === 'UND_ERR_ABORTED'
  )
    return new RegistryError('timeout', `no answer from ${host} within ${timeoutSeconds} s`);
  if (code.startsWith('HPE_') || name === 'HTTPParserError')
    return new RegistryError(
      'protocol',
      `${host} did not answer with valid HTTP (an https registry asked over http?)`,
    );
  if (code === 'EPROTO' || code.startsWith('ERR_SSL'))
    return new RegistryError(
      'tls',
      `TLS with ${host} failed (${code}); is it a plain-HTTP registry? try --plain-http`,
    );
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || code === 'EPIPE')
    return new RegistryError('protocol', `the connection to ${host} was closed before it answered`);
  return new RegistryError(
    'protocol',
    `cannot talk to ${host} (${code || (err as Error)?.message || 'unknown error'})`,
  );
}
