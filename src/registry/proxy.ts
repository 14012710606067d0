/**
 * Which proxy a registry request goes through, decided as containerd's Go HTTP client decides it:
 * net/http's ProxyFromEnvironment, which is golang.org/x/net/http/httpproxy (FromEnvironment,
 * ProxyFunc, useProxy). Written out rather than taken from undici's EnvHttpProxyAgent, whose
 * NO_PROXY rules differ from Go's (no CIDR ranges, no `.name`-only-subdomains, no loopback rule,
 * lower case first). Pure: the environment is passed in; no I/O.
 */
import type { BlockList } from 'node:net';

/** A proxy variable's value, read as Go reads it, and the variable it came from. */
export interface ProxySetting {
  /** The proxy URL, credentials included (they go into Proxy-Authorization, never into a message). */
  url: URL;
  variable: string;
  /** Set when civctl cannot use the URL's scheme for a proxy: requests it serves fail. */
  unusableScheme?: string;
}

export interface ProxyEnvironment {
  http?: ProxySetting;
  https?: ProxySetting;
  noProxy: NoProxyRule[];
  /** REQUEST_METHOD is set: Go refuses HTTP_PROXY there (golang.org/s/cgihttpproxy). */
  cgi: boolean;
}

export type NoProxyRule =
  | { kind: 'all' }
  | { kind: 'cidr'; range: BlockList }
  | { kind: 'ip'; address: BlockList; port: string }
  /** `suffix` starts with a dot; `matchHost` also matches the name without it (`name`, not `.name`). */
  | { kind: 'domain'; suffix: string; port: string; matchHost: boolean };

export type ProxyDecision =
  | { kind: 'direct' }
  | { kind: 'proxy'; proxy: ProxySetting }
  | { kind: 'refused'; message: string };

/** The proxy schemes civctl speaks: Go's Transport also speaks socks5 and socks5h. */
const PROXY_SCHEMES = new Set(['http:', 'https:']);
const GO_SOCKS_SCHEMES = new Set(['socks5', 'socks5h']);

const net = () => process.getBuiltinModule('node:net');

/** getEnvAny: the first of the names whose value is not empty (upper case first). */
function envAny(env: Record<string, string | undefined>, ...names: string[]): [string, string] | undefined {
  for (const name of names) {
    const value = env[name];
    if (value !== undefined && value !== '') return [value, name];
  }
  return undefined;
}

function tryUrl(text: string): URL | undefined {
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
}

/**
 * parseProxy: a full URL, or `host[:port]` read as `http://host[:port]`. A value that parses
 * neither way is ignored, as Go ignores it.
 */
export function parseProxyValue(value: string): URL | undefined {
  const direct = tryUrl(value);
  if (direct && direct.protocol !== '' && direct.host !== '') return direct;
  return tryUrl(`http://${value}`);
}

/** net.SplitHostPort: host and port of `host:port` or `[v6]:port`, or undefined where Go errs. */
export function splitHostPort(hostport: string): { host: string; port: string } | undefined {
  const i = hostport.lastIndexOf(':');
  if (i < 0) return undefined;
  let host: string;
  let j = 0;
  let k = 0;
  if (hostport.startsWith('[')) {
    const end = hostport.indexOf(']');
    if (end < 0 || end + 1 !== i) return undefined;
    host = hostport.slice(1, end);
    j = 1;
    k = end + 1;
  } else {
    host = hostport.slice(0, i);
    if (host.includes(':')) return undefined;
  }
  if (hostport.slice(j).includes('[') || hostport.slice(k).includes(']')) return undefined;
  return { host, port: hostport.slice(i + 1) };
}

/** An IP address as Go's parsers take one (no zone, no brackets): 4 or 6, else 0. */
function ipFamily(text: string): 0 | 4 | 6 {
  if (text.includes('%')) return 0;
  return net().isIP(text) as 0 | 4 | 6;
}

function addressList(address: string, family: 4 | 6): BlockList {
  const list = new (net().BlockList)();
  list.addAddress(address, family === 4 ? 'ipv4' : 'ipv6');
  return list;
}

/** ParseCIDR: `addr/bits`, bits in decimal (leading zeros allowed), within the address's length. */
function cidrRange(entry: string): BlockList | undefined {
  const slash = entry.indexOf('/');
  if (slash < 0) return undefined;
  const address = entry.slice(0, slash);
  const bits = entry.slice(slash + 1);
  const family = ipFamily(address);
  if (family === 0 || !/^\d+$/.test(bits)) return undefined;
  const prefix = Number(bits);
  if (prefix > (family === 4 ? 32 : 128)) return undefined;
  const list = new (net().BlockList)();
  list.addSubnet(address, prefix, family === 4 ? 'ipv4' : 'ipv6');
  return list;
}

function isAscii(text: string): boolean {
  return !/[^\x00-\x7f]/.test(text);
}

/** idnaASCII: non-ASCII names in punycode; an unconvertible name stays as it is. */
function idnaAscii(name: string): string {
  if (isAscii(name)) return name;
  const dot = name.startsWith('.') ? '.' : '';
  const ascii = process.getBuiltinModule('node:url').domainToASCII(name.slice(dot.length));
  return ascii === '' ? name : dot + ascii;
}

/** config.init: NO_PROXY's comma-separated entries as matchers. `*` alone matches everything. */
export function parseNoProxy(value: string): NoProxyRule[] {
  const rules: NoProxyRule[] = [];
  for (const raw of value.split(',')) {
    const entry = raw.trim().toLowerCase();
    if (entry === '') continue;
    if (entry === '*') return [{ kind: 'all' }];
    const range = cidrRange(entry);
    if (range) {
      rules.push({ kind: 'cidr', range });
      continue;
    }
    let host = entry;
    let port = '';
    const split = splitHostPort(entry);
    if (split) {
      if (split.host === '') continue; // no host: malformed, ignored
      host = split.host;
      port = split.port;
      if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
    }
    const family = ipFamily(host);
    if (family !== 0) {
      rules.push({ kind: 'ip', address: addressList(host, family), port });
      continue;
    }
    if (host === '') continue;
    // `*.name` is `.name`; a bare name also matches itself.
    if (host.startsWith('*.')) host = host.slice(1);
    const matchHost = !host.startsWith('.');
    if (matchHost) host = `.${host}`;
    rules.push({ kind: 'domain', suffix: idnaAscii(host), port, matchHost });
  }
  return rules;
}

/** FromEnvironment + ProxyFunc's preprocessing, for one environment. */
export function proxyEnvironment(env: Record<string, string | undefined>): ProxyEnvironment {
  const out: ProxyEnvironment = {
    noProxy: parseNoProxy(envAny(env, 'NO_PROXY', 'no_proxy')?.[0] ?? ''),
    cgi: (env['REQUEST_METHOD'] ?? '') !== '',
  };
  for (const [key, names] of [
    ['http', ['HTTP_PROXY', 'http_proxy']],
    ['https', ['HTTPS_PROXY', 'https_proxy']],
  ] as const) {
    const found = envAny(env, ...names);
    if (!found) continue;
    const url = parseProxyValue(found[0]);
    if (!url) continue;
    out[key] = {
      url,
      variable: found[1],
      ...(PROXY_SCHEMES.has(url.protocol) ? {} : { unusableScheme: url.protocol.slice(0, -1) }),
    };
  }
  return out;
}

/** Whether an address is a loopback address (127.0.0.0/8, ::1, or either mapped into IPv6). */
export function isLoopbackAddress(text: string): boolean {
  const family = ipFamily(text);
  if (family === 0) return false;
  const loopback = new (net().BlockList)();
  loopback.addSubnet('127.0.0.0', 8, 'ipv4');
  loopback.addAddress('::1', 'ipv6');
  return loopback.check(text, family === 4 ? 'ipv4' : 'ipv6');
}

/** `host` and `port` of a URL's host as Go's url.Hostname() and Port() give them (brackets off). */
function hostAndPort(host: string): { hostname: string; port: string } {
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    return { hostname: host.slice(1, end), port: host.slice(end + 1).replace(/^:/, '') };
  }
  const colon = host.lastIndexOf(':');
  return colon < 0
    ? { hostname: host, port: '' }
    : { hostname: host.slice(0, colon), port: host.slice(colon + 1) };
}

/** useProxy: false when the target is localhost, a loopback address, or NO_PROXY covers it. */
export function useProxy(rules: NoProxyRule[], scheme: 'http' | 'https', targetHost: string): boolean {
  const { hostname, port: given } = hostAndPort(targetHost);
  // canonicalAddr: the name in ASCII, the scheme's port when none is given.
  const host = idnaAscii(hostname);
  const port = given === '' ? (scheme === 'https' ? '443' : '80') : given;
  if (host === 'localhost') return false;
  const family = ipFamily(host);
  if (family !== 0 && isLoopbackAddress(host)) return false;
  const name = host.trim().toLowerCase();
  const ipType = family === 4 ? 'ipv4' : 'ipv6';
  for (const rule of rules) {
    switch (rule.kind) {
      case 'all':
        return false;
      case 'cidr':
        if (family !== 0 && rule.range.check(name, ipType)) return false;
        break;
      case 'ip':
        if (family !== 0 && rule.address.check(name, ipType) && (rule.port === '' || rule.port === port))
          return false;
        break;
      case 'domain':
        // Domain entries never match an IP address.
        if (
          family === 0 &&
          (name.endsWith(rule.suffix) || (rule.matchHost && name === rule.suffix.slice(1))) &&
          (rule.port === '' || rule.port === port)
        )
          return false;
        break;
    }
  }
  return true;
}

/**
 * proxyForURL: the proxy for a request to `scheme://targetHost` (targetHost as written in the
 * URL: `name[:port]` or `[v6][:port]`). HTTPS_PROXY serves https, HTTP_PROXY serves http.
 */
export function proxyFor(
  environment: ProxyEnvironment,
  scheme: 'http' | 'https',
  targetHost: string,
): ProxyDecision {
  const proxy = scheme === 'https' ? environment.https : environment.http;
  if (proxy && scheme === 'http' && environment.cgi)
    return {
      kind: 'refused',
      message: `refusing to use ${proxy.variable} in a CGI environment (REQUEST_METHOD is set), as Go does; see golang.org/s/cgihttpproxy`,
    };
  if (!proxy || !useProxy(environment.noProxy, scheme, targetHost)) return { kind: 'direct' };
  if (proxy.unusableScheme !== undefined)
    return {
      kind: 'refused',
      // SOCKS: undici's SOCKS5 agent is experimental (it prints a warning), and civctl's undici chunk
      // has none (UNDICI_REPLACED in scripts/build.mjs); containerd's Go would use it.
      message: GO_SOCKS_SCHEMES.has(proxy.unusableScheme)
        ? `${proxy.variable} names a ${proxy.unusableScheme} proxy, which civctl does not speak (containerd would); give an http or https proxy, or exempt the registry with NO_PROXY`
        : `${proxy.variable} names a ${proxy.unusableScheme} proxy; Go clients such as containerd use http, https, socks5 and socks5h proxies`,
    };
  return { kind: 'proxy', proxy };
}

/** How a proxy is named in messages: scheme, host and port, never its credentials or path. */
export function proxyLabel(proxy: ProxySetting): string {
  return `${proxy.url.protocol}//${proxy.url.host}`;
}

/** A proxy URL's credentials as Proxy-Authorization (Basic, percent-decoded as Go decodes them). */
export function proxyAuthorization(url: URL): { token?: string } {
  if (url.username === '' && url.password === '') return {};
  const decode = (text: string) => {
    try {
      return decodeURIComponent(text);
    } catch {
      return text;
    }
  };
  return {
    token: `Basic ${Buffer.from(`${decode(url.username)}:${decode(url.password)}`).toString('base64')}`,
  };
}
