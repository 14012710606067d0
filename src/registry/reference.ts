/**
 * Image references exactly as CRI normalises them before containerd sees a name:
 * distribution/reference's ParseDockerRef (normalize.go, regexp.go, reference.go) with go-digest's
 * validation. `nginx` → `docker.io/library/nginx:latest`; a tag and a digest → the digest only.
 * Pure: no I/O.
 */
import { digestError } from '../policy/digest-rule.ts';
import { isLoopbackAddress, splitHostPort } from './proxy.ts';

/** Which digests containerd can present: one rule for every command (policy/digest-rule.ts). */
export { digestError };

/** A reference CRI would refuse, with distribution/reference's message. */
export class InvalidReferenceError extends Error {
  override readonly name = 'InvalidReferenceError';
}

export interface ImageReference {
  /** The registry's domain as written in the name (`docker.io`, `localhost:5000`, …). */
  domain: string;
  /** The repository path inside the registry (`library/nginx`). */
  path: string;
  tag?: string;
  digest?: string;
  /** The whole normalised name, the `-name` containerd passes to verifiers. */
  name: string;
}

// distribution/reference regexp.go, transcribed.
const alphanumeric = '[a-z0-9]+';
const separator = '(?:[._]|__|[-]+)';
const pathComponent = `${alphanumeric}(?:${separator}${alphanumeric})*`;
const domainNameComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const ipv6address = '\\[(?:[a-fA-F0-9:]+)\\]';
const domainName = `${domainNameComponent}(?:\\.${domainNameComponent})*`;
const host = `(?:${domainName}|${ipv6address})`;
const domainAndPort = `${host}(?::[0-9]+)?`;
const tag = '[\\w][\\w.-]{0,127}';
const digestPattern = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9a-fA-F]{32,}';
const namePattern = `(?:${domainAndPort}/)?${pathComponent}(?:/${pathComponent})*`;
const REFERENCE = new RegExp(`^(${namePattern})(?::(${tag}))?(?:@(${digestPattern}))?$`);
const ANCHORED_IDENTIFIER = /^[a-f0-9]{64}$/;
const NAME_TOTAL_LENGTH_MAX = 255;

const DEFAULT_DOMAIN = 'docker.io';
const LEGACY_DEFAULT_DOMAIN = 'index.docker.io';
const OFFICIAL_REPO_PREFIX = 'library/';

/** splitDockerDomain: the first component is a registry only if it looks like a host. */
function splitDockerDomain(name: string): { domain: string; remainder: string } {
  const i = name.indexOf('/');
  let domain: string;
  let remainder: string;
  if (
    i === -1 ||
    (!/[.:]/.test(name.slice(0, i)) &&
      name.slice(0, i) !== 'localhost' &&
      name.slice(0, i).toLowerCase() === name.slice(0, i))
  ) {
    domain = DEFAULT_DOMAIN;
    remainder = name;
  } else {
    domain = name.slice(0, i);
    remainder = name.slice(i + 1);
  }
  if (domain === LEGACY_DEFAULT_DOMAIN) domain = DEFAULT_DOMAIN;
  if (domain === DEFAULT_DOMAIN && !remainder.includes('/')) remainder = OFFICIAL_REPO_PREFIX + remainder;
  return { domain, remainder };
}

/** ParseDockerRef: the reference containerd resolves and names verifiers with. Throws InvalidReferenceError. */
export function parseImageReference(input: string): ImageReference {
  // ParseNormalizedNamed, step by step.
  if (ANCHORED_IDENTIFIER.test(input))
    throw new InvalidReferenceError(
      `invalid repository name (${input}), cannot specify 64-byte hexadecimal strings`,
    );
  const { domain, remainder } = splitDockerDomain(input);
  const tagSep = remainder.indexOf(':');
  const remote = tagSep > -1 ? remainder.slice(0, tagSep) : remainder;
  if (remote.toLowerCase() !== remote)
    throw new InvalidReferenceError(
      `invalid reference format: repository name (${remote}) must be lowercase`,
    );
  // Parse(domain + "/" + remainder)
  const full = `${domain}/${remainder}`;
  const m = REFERENCE.exec(full);
  if (!m) {
    if (REFERENCE.test(full.toLowerCase()))
      throw new InvalidReferenceError('repository name must be lowercase');
    throw new InvalidReferenceError('invalid reference format');
  }
  const name = m[1]!;
  if (name.length > NAME_TOTAL_LENGTH_MAX)
    throw new InvalidReferenceError(
      `repository name must not be more than ${NAME_TOTAL_LENGTH_MAX} characters`,
    );
  const digest = m[3];
  if (digest !== undefined) {
    const problem = digestError(digest);
    if (problem) throw new InvalidReferenceError(problem);
  }
  const path = name.slice(domain.length + 1);
  // ParseDockerRef: a digest wins over a tag; no tag and no digest is :latest.
  if (digest !== undefined) return { domain, path, digest, name: `${name}@${digest}` };
  const t = m[2] ?? 'latest';
  return { domain, path, tag: t, name: `${name}:${t}` };
}

/** `docker.io` is served by `registry-1.docker.io`, as containerd's default host mapping does. */
export function registryHost(domain: string): string {
  return domain === DEFAULT_DOMAIN ? 'registry-1.docker.io' : domain;
}

/** containerd's IsLocalhost: `localhost` or a loopback IP (any spelling), after net.SplitHostPort. */
export function isLocalhost(hostWithPort: string): boolean {
  // Go keeps the whole text when it does not split (so `[::1]` without a port is not loopback).
  const host = splitHostPort(hostWithPort)?.host ?? hostWithPort;
  return host === 'localhost' || isLoopbackAddress(host);
}

/** Plain HTTP only for a localhost/loopback host on a port other than 443 (containerd), or when asked. */
export function schemeFor(hostWithPort: string, plainHttp = false): 'http' | 'https' {
  if (plainHttp) return 'http';
  const port = /:(\d+)$/.exec(
    hostWithPort.startsWith('[') ? hostWithPort.slice(hostWithPort.indexOf(']')) : hostWithPort,
  )?.[1];
  return isLocalhost(hostWithPort) && port !== '443' ? 'http' : 'https';
}
