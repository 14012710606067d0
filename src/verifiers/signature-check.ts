/**
 * check's signature verification: for an image whose notation statement requires signatures, the
 * signature engine (./signatures/, loaded lazily: its ASN.1/CBOR libraries are a chunk of their
 * own) decides as the node does, from a trust store directory in notation's layout, with the
 * signatures of an OCI image layout or those fetched from the registry beforehand. Revocation is
 * asked of the certificates' own CRL URLs unless offline; then it is reported as not checked.
 */
import { existsSync } from 'node:fs';
import { CivError, InterruptedError } from '../errors.ts';
import type { RegistryClient } from '../registry/client.ts';
import type { ImageReference } from '../registry/reference.ts';
import type { Descriptor } from '../registry/oci.ts';
import { type ProxyEnvironment, proxyAuthorization, proxyEnvironment, proxyFor } from '../registry/proxy.ts';
import type { SignatureVerdict, SignatureVerify, VerifiedSignature } from './containerd.ts';

export type { SignatureVerdict, SignatureVerify, VerifiedSignature };
import { decideNotation } from './notation.ts';

/** The node's trust store as the admin container sees it (Bottlerocket: NOTATION_CONFIG/truststore). */
export const NODE_TRUST_STORE = '/.bottlerocket/rootfs/etc/containerd/image-verifiers/notation/truststore';

export interface SignatureSetup {
  /** The environment's proxy variables (CRL and OCSP requests honour them as Go's client does). */
  env?: Record<string, string | undefined>;
  /** --trust-store, or undefined for the node's default when it exists. */
  trustStore?: string;
  ociLayout?: string;
  offline: boolean;
  registry: () => Promise<RegistryClient>;
  now?: Date;
}

/** The trust store to verify with: --trust-store, else the node's own when civctl runs on a node. */
export function trustStoreDir(given: string | undefined): string | undefined {
  if (given !== undefined) return given;
  return existsSync(NODE_TRUST_STORE) ? NODE_TRUST_STORE : undefined;
}

/** The descriptor of `digest` in an OCI image layout (the real one, size included). */
export async function layoutDescriptor(dir: string, digest: string): Promise<Descriptor | { error: string }> {
  const { readOciLayout, LayoutError } = await import('./signatures/index.ts');
  try {
    return readOciLayout(dir, digest).descriptor;
  } catch (err) {
    if (err instanceof LayoutError) return { error: err.message };
    throw err;
  }
}

const MAX_CRL = 32 * 1024 * 1024;

/** GET an http CRL URL as notation does (5 s; http only, which the engine already checks). */
function fetchCrl(url: string, proxies: ProxyEnvironment): Promise<Uint8Array | { error: string }> {
  return httpGet(url, 5000, MAX_CRL, 'CRL', proxies);
}

/**
 * Whether an OCSP responder answers (notation's OCSP client: http only, 2 s). The engine does not
 * read OCSP answers: one that cannot be reached is "unknown" (then the CRL, as notation falls
 * back), and any answer leaves the chain not checked rather than guessed.
 */
function probeOcsp(url: string, proxies: ProxyEnvironment): Promise<Uint8Array | { error: string }> {
  if (!url.startsWith('http://'))
    return Promise.resolve({ error: `OCSPServer protocol is not supported: ${url}` });
  return httpGet(url, 2000, MAX_CRL, 'OCSP response', proxies);
}

/** CRL downloads and OCSP probes as notation makes them, through the environment's proxies. */
export function revocationFetcher(env: Record<string, string | undefined>): {
  crl: (url: string) => Promise<Uint8Array | { error: string }>;
  ocsp: (url: string) => Promise<Uint8Array | { error: string }>;
} {
  const proxies = proxyEnvironment(env);
  return { crl: (url) => fetchCrl(url, proxies), ocsp: (url) => probeOcsp(url, proxies) };
}

/**
 * GET an http URL as Go's default client does: through HTTP_PROXY (absolute-form, with the proxy
 * URL's credentials as Proxy-Authorization) unless NO_PROXY exempts the host (registry/proxy.ts,
 * the same rules as for registries).
 */
function httpGet(
  url: string,
  timeoutMs: number,
  maxBytes: number,
  what: string,
  proxies: ProxyEnvironment,
): Promise<Uint8Array | { error: string }> {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return Promise.resolve({ error: `invalid URL: ${url}` });
  }
  const decision = proxyFor(proxies, 'http', target.host);
  if (decision.kind === 'refused') return Promise.resolve({ error: decision.message });
  const proxy = decision.kind === 'proxy' ? decision.proxy.url : undefined;
  const http = process.getBuiltinModule(proxy?.protocol === 'https:' ? 'node:https' : 'node:http');
  const token = proxy ? proxyAuthorization(proxy).token : undefined;
  const request: import('node:http').RequestOptions = proxy
    ? {
        host: proxy.hostname.replace(/^\[|\]$/g, ''),
        port: proxy.port || (proxy.protocol === 'https:' ? 443 : 80),
        path: target.href,
        headers: { host: target.host, ...(token ? { 'proxy-authorization': token } : {}) },
      }
    : {
        host: target.hostname.replace(/^\[|\]$/g, ''),
        port: target.port || 80,
        path: `${target.pathname}${target.search}`,
      };
  return new Promise((resolve) => {
    let settled = false;
    const done = (value: Uint8Array | { error: string }) => {
      if (!settled) {
        settled = true;
        resolve(value);
      }
    };
    try {
      const req = http.get({ ...request, timeout: timeoutMs, agent: false }, (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          done({ error: `failed to download with status code: ${res.statusCode}` });
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > maxBytes) {
            req.destroy();
            done({ error: `${what} size exceeds the limit: ${maxBytes}` });
          } else chunks.push(chunk);
        });
        res.on('end', () => done(new Uint8Array(Buffer.concat(chunks))));
        res.on('error', (err) => done({ error: err.message }));
      });
      req.on('timeout', () => {
        req.destroy();
        done({ error: 'timeout' });
      });
      req.on('error', (err) => done({ error: err.message }));
    } catch (err) {
      done({ error: (err as Error).message });
    }
  });
}

/** The registry reference notation reads signatures from (`<registry>/<repository>@<digest>`). */
function referenceOf(artifactReference: string): ImageReference {
  const at = artifactReference.lastIndexOf('@');
  const path = artifactReference.slice(0, at);
  const slash = path.indexOf('/');
  return {
    domain: path.slice(0, slash),
    path: path.slice(slash + 1),
    digest: artifactReference.slice(at + 1),
    name: artifactReference,
  };
}

/** A verifier for check's decisions; the engine is loaded on the first image that needs it. */
export function signatureVerifier(setup: SignatureSetup & { trustStore: string }): SignatureVerify {
  let trustStore: import('./signatures/index.ts').TrustStoreSnapshot | undefined;
  const fetcher = revocationFetcher(setup.env ?? {});
  return async (name, descriptor, policy) => {
    const engine = await import('./signatures/index.ts');
    trustStore ??= engine.readTrustStore(setup.trustStore);
    // Where notation reads the signatures from (undefined: notation stops before reading any).
    const pre = decideNotation(policy, name, descriptor.digest).artifactReference;
    let source: {
      descriptor: Descriptor | { error: string };
      referrers: import('./signatures/index.ts').Referrer[] | { error: string };
      fetch: (digest: string) => Uint8Array | undefined;
    };
    if (setup.ociLayout !== undefined) {
      let layout: ReturnType<typeof engine.readOciLayout>;
      try {
        layout = engine.readOciLayout(setup.ociLayout, descriptor.digest);
      } catch (err) {
        if (!(err instanceof engine.LayoutError)) throw err;
        layout = { descriptor: { error: err.message }, referrers: [], fetch: () => undefined };
      }
      source = layout;
    } else if (pre === undefined) {
      source = { descriptor, referrers: [], fetch: () => undefined };
    } else {
      const { fetchSignatures } = await import('../registry/signature-fetch.ts');
      const registry = await setup.registry();
      const ref = referenceOf(pre);
      // notation resolves the descriptor itself: --name/--digest give containerd's with size 0.
      let resolved: Descriptor | { error: string } = descriptor;
      if (descriptor.size === 0) {
        const { resolveImage } = await import('../registry/resolve.ts');
        try {
          resolved = (await resolveImage(registry, ref)).descriptor;
        } catch (err) {
          if (!(err instanceof CivError) || err instanceof InterruptedError) throw err;
          resolved = { error: err.message };
        }
      }
      const fetched = await fetchSignatures(registry, ref);
      source = {
        descriptor: resolved,
        referrers: fetched.referrers,
        fetch: (digest) => fetched.blobs.get(digest),
      };
    }
    const result = await engine.verifyImage({
      name,
      digest: descriptor.digest,
      policy,
      descriptor: source.descriptor,
      referrers: source.referrers,
      fetch: source.fetch,
      trustStore,
      now: setup.now ?? new Date(),
      revocation: setup.offline
        ? { mode: 'offline' }
        : {
            mode: 'online',
            fetcher,
          },
    });
    // Issue 15's shape: steps are notation-go's results ({type, action, error?}); what was not
    // checked is said once, beside them (the verifier's notChecked).
    const signatures = (engine.checkJsonSignatures(result) as unknown as VerifiedSignature[]).map((s) => ({
      ...s,
      steps: s.steps.map(({ type, action, error }) =>
        error !== undefined ? { type, action, error } : { type, action },
      ),
    }));
    const reasons = result.signatures
      .filter((s) => s.evaluated && (s.error !== undefined || s.fetchError !== undefined))
      .map((s) =>
        s.fetchError !== undefined
          ? `unable to retrieve digital signature with digest ${s.digest}: ${s.fetchError}`
          : `failed to verify signature with digest ${s.digest}, ${s.error}`,
      );
    const notChecked = [
      ...new Set(result.notChecked ?? result.signatures.flatMap((s) => s.notChecked ?? [])),
    ];
    return {
      decision:
        result.outcome === 'undecided' ? 'signature-required' : result.exitCode === 0 ? 'allowed' : 'blocked',
      exitCode: result.exitCode,
      output: result.reason,
      stderr: result.stderr,
      signatures,
      warnings: result.warnings,
      reasons,
      notChecked,
    };
  };
}

/**
 * lint --trust-store: what a trust store directory holds for each `<type>:<name>`, judged by
 * notation's own loading rules (the engine's truststore.ts), with the CLI's texts.
 */
export async function trustStoreLookup(
  dir: string,
): Promise<import('../policy/notation/advice.ts').TrustStoreLookup> {
  const engine = await import('./signatures/index.ts');
  const snapshot = engine.readTrustStore(dir);
  return (type, name) => {
    if (!snapshot.stores.has(`${type}/${name}`)) return 'missing';
    const certs = engine.getCertificates(snapshot, type, name);
    if (Array.isArray(certs)) return 'usable';
    const notExist = (e: typeof certs): boolean => e.notExist === true || (e.wraps ?? []).some(notExist);
    // verify.go checkVerificationFailure: the store error in its own words.
    return {
      unusable: notExist(certs)
        ? `${certs.message}. Use command 'notation cert add' to create and add trusted certificates to the trust store`
        : `${certs.message}. ${certs.inner ? certs.inner.message : '%!w(<nil>)'}`,
    };
  };
}
