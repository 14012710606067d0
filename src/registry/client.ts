/**
 * HTTP to OCI registries over undici, dialled as containerd's Go HTTP client dials them:
 * containerd's host and scheme rules, TLS with the system CAs plus the user's, proxies as Go's
 * ProxyFromEnvironment picks them (proxy.ts), redirects as Go's http.Client follows them, a
 * timeout on every request, bounded retries on 408, 429 and 5xx, and the authentication dance of
 * auth.ts with a per-process token cache. Knows HTTP, not the CLI; never prints.
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
import {
  type ProxyEnvironment,
  type ProxySetting,
  proxyAuthorization,
  proxyEnvironment,
  proxyFor,
  proxyLabel,
} from './proxy.ts';
import { MAX_TIMER_MS, timerMs } from '../timers.ts';
import { type ImageReference, registryHost, schemeFor } from './reference.ts';
import { headerOf, type RegistryResponse } from './response.ts';

export type { RegistryResponse } from './response.ts';

export interface RegistryOptions {
  timeoutSeconds: number;
  /** Plain HTTP for every registry (containerd's rule gives it to loopback hosts only). */
  plainHttp?: boolean;
  /** Extra CA certificates (PEM) trusted besides the system's. */
  caCertificates?: string[];
  /** Credentials for a registry domain; undefined means anonymous. */
  credentials?: (domain: string) => Promise<Credentials | undefined>;
  /** The environment: HTTPS_PROXY, HTTP_PROXY, NO_PROXY (either case) and REQUEST_METHOD. */
  env?: Record<string, string | undefined>;
  /** Tests: a dispatcher of their own, or a host → address mapping for connections. */
  dispatcher?: Dispatcher;
  lookup?: LookupFunction;
}

/** containerd's User-Agent shape; registries log it. */
const USER_AGENT = 'civctl (containerd-compatible resolver)';
const RETRIABLE = new Set([408, 429, 500, 502, 503, 504]);
const RETRY_DELAYS_MS = [200, 600];
/** Bodies civctl reads (manifests, token answers, error bodies) are small; more is refused. */
const MAX_BODY_BYTES = 8 * 1024 * 1024;
/** Go's http.Client (and containerd's CheckRedirect): "stopped after 10 redirects". */
const MAX_REDIRECTS = 10;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);
/** Headers Go drops on a redirect to another domain, and those it drops with the body. */
const SENSITIVE_HEADERS = new Set([
  'authorization',
  'www-authenticate',
  'cookie',
  'cookie2',
  'proxy-authorization',
  'proxy-authenticate',
]);
const BODY_HEADERS = new Set(['content-encoding', 'content-language', 'content-location', 'content-type']);

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

/** What one exchange went through: directly, or a proxy (named in its errors). */
interface Route {
  dispatcher: Dispatcher;
  proxy?: ProxySetting;
}

interface Outgoing {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body?: string;
}

export class RegistryClient {
  /** Dispatchers by route: direct or through one proxy, for http or https. */
  private readonly dispatchers = new Map<string, Dispatcher>();
  private readonly injected: Dispatcher | undefined;
  private proxies: ProxyEnvironment | undefined;
  private certificates: string[] | undefined;
  /** Authorization per host and repository, reused for the whole process (containerd caches tokens too). */
  private readonly authorizations = new Map<string, string>();
  private readonly credentialCache = new Map<string, Promise<Credentials | undefined>>();

  constructor(private readonly options: RegistryOptions) {
    this.injected = options.dispatcher;
  }

  /** The system's CAs (whose bundle costs milliseconds to read and parse), Node's own roots and the user's. */
  private trustedCertificates(): string[] {
    this.certificates ??= [
      ...process.getBuiltinModule('node:tls').rootCertificates,
      ...systemCertificates(),
      ...(this.options.caCertificates ?? []),
    ];
    return this.certificates;
  }

  /**
   * The dispatcher for a request to `url`: Go's proxy choice for its scheme and host (`host` as
   * written, which Go compares case-sensitively with `localhost`), direct otherwise.
   */
  private async route(url: URL, host: string): Promise<Route> {
    if (this.injected) return { dispatcher: this.injected };
    const https = url.protocol === 'https:';
    this.proxies ??= proxyEnvironment(this.options.env ?? {});
    const decision = proxyFor(this.proxies, https ? 'https' : 'http', host);
    if (decision.kind === 'refused') throw new RegistryError('proxy', decision.message);
    const proxy = decision.kind === 'proxy' ? decision.proxy : undefined;
    const key = `${proxy ? proxyLabel(proxy) : 'direct'} ${url.protocol}`;
    let dispatcher = this.dispatchers.get(key);
    if (!dispatcher) {
      const { Agent, Client, ProxyAgent } = await import('./undici-agents.ts');
      const timeout = this.timeoutMs();
      const lookup = this.options.lookup ? { lookup: this.options.lookup } : {};
      // --ca-file trusts the registry the same way with and without a proxy; an https proxy is
      // verified against the same certificates, as Go uses one TLS configuration for both.
      const tls = () => ({ ca: this.trustedCertificates() });
      if (!proxy) {
        dispatcher = new Agent({ connect: { ...(https ? tls() : {}), ...lookup, timeout } });
      } else {
        const { url: proxyUrl } = proxy;
        dispatcher = new ProxyAgent({
          // The proxy without its credentials: they travel only as Proxy-Authorization.
          uri: `${proxyUrl.protocol}//${proxyUrl.host}`,
          ...proxyAuthorization(proxyUrl),
          // Go tunnels https with CONNECT and sends http to the proxy as absolute-form requests.
          proxyTunnel: https,
          proxyTls: { ...(proxyUrl.protocol === 'https:' ? tls() : {}), ...lookup, timeout },
          requestTls: { ...tls(), timeout },
          // The proxy connection that carries CONNECT gives up when --timeout does.
          clientFactory: (origin: URL, opts: object) =>
            new Client(origin, { ...opts, headersTimeout: timeout, bodyTimeout: timeout }),
        });
      }
      this.dispatchers.set(key, dispatcher);
    }
    return { dispatcher, ...(proxy ? { proxy } : {}) };
  }

  /** --timeout in ms, within what Node's timers honour (options refuse more; a caller may not). */
  private timeoutMs(): number {
    return Math.min(MAX_TIMER_MS, timerMs(this.options.timeoutSeconds));
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
  private async exchange(out: Outgoing, host: string): Promise<RegistryResponse> {
    const { url } = out;
    const route = await this.route(url, host);
    const seconds = this.options.timeoutSeconds;
    // undici leaves a request waiting for a proxy's CONNECT answer deaf to its signal: the
    // timer below settles the exchange anyway, and close() ends what is left.
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const error = Object.assign(new Error('timeout'), { name: 'TimeoutError' });
        controller.abort(error);
        reject(error);
      }, this.timeoutMs());
    });
    try {
      return await Promise.race([expired, this.read(route.dispatcher, out, controller.signal)]).then(
        (res) => {
          if (res.status === 407 && route.proxy) throw proxyAuthenticationError(route.proxy);
          return res;
        },
      );
    } catch (err) {
      if (err instanceof RegistryError) throw err;
      throw networkError(url.host, err, seconds, route.proxy);
    } finally {
      clearTimeout(timer);
    }
  }

  private async read(dispatcher: Dispatcher, out: Outgoing, signal: AbortSignal): Promise<RegistryResponse> {
    const { method, url } = out;
    const res = await dispatcher.request({
      origin: url.origin,
      path: url.pathname + url.search,
      method: method as Dispatcher.HttpMethod,
      headers: { 'user-agent': USER_AGENT, ...out.headers },
      ...(out.body !== undefined ? { body: out.body } : {}),
      signal,
    });
    const chunks: Uint8Array[] = [];
    let total = 0;
    for await (const chunk of res.body) {
      total += (chunk as Uint8Array).length;
      if (total > MAX_BODY_BYTES) {
        res.body.destroy();
        throw new RegistryError(
          'too-large',
          `${url.host} answered ${method} ${url.pathname} with more than ${MAX_BODY_BYTES} bytes`,
        );
      }
      chunks.push(chunk as Uint8Array);
    }
    return { status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks), url };
  }

  /**
   * A request and its redirects, followed as Go's http.Client follows them: at most 10; 301, 302
   * and 303 turn a POST into a GET without its body (HEAD and GET stay), 307 and 308 repeat the
   * request; the first request's headers go along, without Authorization (and the like) once a
   * redirect leaves its domain and subdomains, and with the previous URL as Referer.
   */
  private async send(first: Outgoing, host: string): Promise<RegistryResponse> {
    let current = first;
    let currentHost = host;
    let stripSensitive = false;
    let includeBody = true;
    const sent: URL[] = [];
    for (;;) {
      const res = await this.exchange(current, currentHost);
      sent.push(current.url);
      const location = headerOf(res, 'location');
      if (!REDIRECTS.has(res.status) || !location) return res;
      const keepsBody = res.status === 307 || res.status === 308;
      if (!keepsBody) includeBody = false;
      let next: URL;
      try {
        next = new URL(location, current.url);
      } catch {
        throw new RegistryError(
          'protocol',
          `${current.url.host} redirected ${current.method} ${current.url.pathname} to ${JSON.stringify(location)}, which is not a URL`,
        );
      }
      if (sent.length >= MAX_REDIRECTS)
        throw new RegistryError(
          'protocol',
          `${first.url.host} kept redirecting ${first.method} ${first.url.pathname}: stopped after ${MAX_REDIRECTS} redirects, as containerd stops`,
        );
      if (next.protocol !== 'http:' && next.protocol !== 'https:')
        throw new RegistryError(
          'protocol',
          `${current.url.host} redirected ${current.method} ${current.url.pathname} to a ${next.protocol.slice(0, -1)}: URL; only http and https can be followed`,
        );
      if (!stripSensitive && next.host !== first.url.host && !isDomainOrSubdomain(next, first.url))
        stripSensitive = true;
      const method =
        keepsBody || current.method === 'GET' || current.method === 'HEAD' ? current.method : 'GET';
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(first.headers)) {
        const lower = name.toLowerCase();
        if (stripSensitive && SENSITIVE_HEADERS.has(lower)) continue;
        if (!includeBody && BODY_HEADERS.has(lower)) continue;
        headers[name] = value;
      }
      // Go's Referer: the previous URL without credentials, unless https gives way to http.
      if (!(current.url.protocol === 'https:' && next.protocol === 'http:')) {
        const referer = new URL(current.url);
        referer.username = '';
        referer.password = '';
        headers['referer'] = referer.href;
      }
      current = {
        method,
        url: next,
        headers,
        ...(includeBody && first.body !== undefined ? { body: first.body } : {}),
      };
      currentHost = next.host;
    }
  }

  /** A request (with its redirects) retried on 408, 429 and 5xx (bounded; Retry-After honoured up to 2 s). */
  private async withRetries(out: Outgoing, host = out.url.host): Promise<RegistryResponse> {
    for (let attempt = 0; ; attempt++) {
      const res = await this.send(out, host);
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
    const host = registryHost(ref.domain);
    const url = new URL(path, this.origin(ref));
    const key = `${url.host} ${ref.path}`;
    const known = this.authorizations.get(key);
    let res = await this.withRetries(
      { method, url, headers: known ? { ...headers, authorization: known } : headers },
      host,
    );
    if (res.status !== 401) return res;
    const credentials = await this.credentialsFor(ref.domain);
    const authorization = await this.authorize(
      url.host,
      ref.path,
      parseChallenges(res.headers['www-authenticate']),
      credentials,
    );
    this.authorizations.set(key, authorization);
    res = await this.withRetries({ method, url, headers: { ...headers, authorization } }, host);
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
    // Go's client answers any other scheme with "unsupported protocol scheme".
    if (realmUrl.protocol !== 'http:' && realmUrl.protocol !== 'https:')
      throw new RegistryError(
        'protocol',
        `${host} sent a Bearer realm that is not an http or https URL (${JSON.stringify(realm)}); a token cannot be fetched from it`,
      );
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
      const posted = await this.withRetries({
        method: 'POST',
        url: realmUrl,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: form.toString(),
      });
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
    const got = await this.withRetries({ method: 'GET', url, headers });
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
    const owned = [...this.dispatchers.values()];
    this.dispatchers.clear();
    await Promise.all(owned.map((d) => d.destroy().catch(() => undefined)));
  }
}

/** Go's isDomainOrSubdomain on the redirect's host name and the first request's (ports aside). */
export function isDomainOrSubdomain(dest: URL, initial: URL): boolean {
  const unbracket = (hostname: string) => hostname.replace(/^\[(.*)\]$/, '$1');
  const sub = unbracket(dest.hostname);
  const parent = unbracket(initial.hostname);
  if (sub === parent) return true;
  // An IPv6 address (or a zone) is never a subdomain.
  if (/[:%]/.test(sub)) return false;
  return sub.length > parent.length && sub.endsWith(parent) && sub[sub.length - parent.length - 1] === '.';
}

function proxyAuthenticationError(proxy: ProxySetting): RegistryError {
  const label = proxyLabel(proxy);
  const given = proxy.url.username !== '' || proxy.url.password !== '';
  return new RegistryError(
    'proxy',
    given
      ? `the proxy ${label} (${proxy.variable}) refused the credentials in ${proxy.variable} (407 Proxy Authentication Required)`
      : `the proxy ${label} (${proxy.variable}) asks for credentials (407 Proxy Authentication Required); give them in ${proxy.variable} as ${proxy.url.protocol}//USER:PASSWORD@${proxy.url.host}`,
  );
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

/** undici's texts for a proxy's refusal: the CONNECT answer, and a 407 to an absolute-form request. */
const TUNNEL_REFUSED = /^Proxy response \((\d{3})\) !== 200 when HTTP Tunneling$/;
const FORWARD_REFUSED = /^Proxy Authentication Required \(407\)$/;

/** A failure below HTTP, as one kind and one line; through a proxy, the proxy is named (never its credentials). */
export function networkError(
  host: string,
  err: unknown,
  timeoutSeconds: number,
  proxy?: ProxySetting,
): RegistryError {
  const code = String((err as { code?: unknown })?.code ?? '');
  const name = (err as Error)?.name ?? '';
  const message = String((err as Error)?.message ?? '');
  const via = proxy ? ` through the proxy ${proxyLabel(proxy)} (${proxy.variable})` : '';
  if (proxy) {
    // Through a proxy civctl connects to the proxy alone: these name it.
    const label = `the proxy ${proxyLabel(proxy)} (${proxy.variable})`;
    const refused = TUNNEL_REFUSED.exec(message)?.[1];
    if (refused === '407' || FORWARD_REFUSED.test(message)) return proxyAuthenticationError(proxy);
    if (refused !== undefined) {
      // CONNECT always names a port: 443 when the registry's has none.
      const target = /:\d+$/.test(host) ? host : `${host}:443`;
      return new RegistryError('proxy', `${label} answered ${refused} to CONNECT ${target}`);
    }
    if (code === 'ECONNREFUSED') return new RegistryError('proxy', `connection refused by ${label}`);
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_NONAME')
      return new RegistryError('proxy', `cannot find the host of ${label} (DNS: ${code})`);
    if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || code === 'EPIPE')
      return new RegistryError('proxy', `the connection to ${host}${via} was closed before it answered`);
  }
  if (code === 'ECONNREFUSED')
    return new RegistryError('connection-refused', `connection refused by ${host}`);
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_NONAME')
    return new RegistryError('host-not-found', `cannot find the host ${host} (DNS: ${code})`);
  if (TLS_CODES.has(code))
    return new RegistryError(
      'tls',
      `TLS verification failed for ${host}${via} (${code}); trust its CA certificate with --ca-file`,
    );
  if (
    code === 'UND_ERR_CONNECT_TIMEOUT' ||
    code === 'UND_ERR_HEADERS_TIMEOUT' ||
    code === 'UND_ERR_BODY_TIMEOUT' ||
    name === 'TimeoutError' ||
    code === 'ETIMEDOUT' ||
    code === 'UND_ERR_ABORTED'
  )
    return new RegistryError('timeout', `no answer from ${host}${via} within ${timeoutSeconds} s`);
  if (code.startsWith('HPE_') || name === 'HTTPParserError')
    return new RegistryError(
      'protocol',
      `${host}${via} did not answer with valid HTTP (an https registry asked over http?)`,
    );
  if (code === 'EPROTO' || code.startsWith('ERR_SSL'))
    return new RegistryError(
      'tls',
      `TLS with ${host}${via} failed (${code}); is it a plain-HTTP registry? try --plain-http`,
    );
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || code === 'EPIPE')
    return new RegistryError('protocol', `the connection to ${host} was closed before it answered`);
  return new RegistryError(
    'protocol',
    `cannot talk to ${host}${via} (${code || message || 'unknown error'})`,
  );
}
