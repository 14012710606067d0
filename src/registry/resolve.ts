/**
 * Resolution exactly as containerd v2.1 does it (core/remotes/docker/resolver.go): the digest,
 * media type and size of the descriptor containerd hands to image verifiers. For a multi-arch
 * image that is the index / manifest list, never a platform manifest. resolveAll resolves many,
 * one failing image never hiding the others.
 */
import { CivError, InterruptedError } from '../errors.ts';
import type { RegistryClient } from './client.ts';
import { RegistryError } from './errors.ts';
import type { Descriptor } from './oci.ts';
import { digestError, type ImageReference } from './reference.ts';
import { contentTypeOf, errorCodeOf, headerOf, type RegistryResponse } from './response.ts';

/** containerd's Accept list, verbatim and in its order: anything else can change the answer. */
export const MANIFEST_ACCEPT =
  'application/vnd.docker.distribution.manifest.v2+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, */*';

/** containerd's MaxManifestSize: 4 * 1048 * 1048 (sic) bytes. */
export const MAX_MANIFEST_SIZE = 4 * 1048 * 1048;

const SCHEMA1 = 'application/vnd.docker.distribution.manifest.v1+prettyjws';

export interface Resolved {
  ref: ImageReference;
  descriptor: Descriptor;
}

/** getManifestMediaType: Content-Type without parameters; text/plain means schema1. */
function mediaTypeOf(res: RegistryResponse): string {
  const type = contentTypeOf(res);
  return type === 'text/plain' ? SCHEMA1 : type;
}

function sizeOf(res: RegistryResponse): number {
  const length = headerOf(res, 'content-length');
  if (length === undefined || !/^\d+$/.test(length)) return -1;
  return Number(length);
}

// Messages never repeat the image: every command already starts the line with it.
function schema1Refused(): RegistryError {
  return new RegistryError(
    'unsupported',
    `a Docker schema 1 image: media type "${SCHEMA1}" is no longer supported since containerd v2.0, please rebuild the image as "application/vnd.docker.distribution.manifest.v2+json" or "application/vnd.oci.image.manifest.v1+json"`,
  );
}

function tooLarge(size: number): RegistryError {
  return new RegistryError(
    'too-large',
    `rejecting ${size} byte manifest expected to be within ${MAX_MANIFEST_SIZE} byte limit`,
  );
}

/** A HEAD, or a GET when the registry answers 405 to HEAD (containerd's retryRequest). */
async function headOrGet(client: RegistryClient, ref: ImageReference, path: string) {
  const headers = { accept: MANIFEST_ACCEPT };
  const head = await client.request(ref, 'HEAD', path, headers);
  if (head.status !== 405) return { res: head, method: 'HEAD' as const };
  return { res: await client.request(ref, 'GET', path, headers), method: 'GET' as const };
}

/** Why a 404 happened: an unknown tag, or an unknown repository (a tag list says which). */
async function notFound(
  client: RegistryClient,
  ref: ImageReference,
  res: RegistryResponse,
): Promise<RegistryError> {
  const code = errorCodeOf(res);
  if (code === 'NAME_UNKNOWN')
    return new RegistryError(
      'unknown-repository',
      `unknown repository: ${ref.path} does not exist on ${ref.domain}`,
    );
  if (ref.digest !== undefined)
    return new RegistryError(
      'unknown-manifest',
      `unknown manifest: ${ref.domain}/${ref.path} has no ${ref.digest}`,
    );
  const tags = await client.request(ref, 'GET', `/v2/${ref.path}/tags/list`, { accept: 'application/json' });
  if (tags.status === 404 || errorCodeOf(tags) === 'NAME_UNKNOWN')
    return new RegistryError(
      'unknown-repository',
      `unknown repository: ${ref.path} does not exist on ${ref.domain}`,
    );
  return new RegistryError('unknown-tag', `unknown tag: ${ref.domain}/${ref.path} has no tag ${ref.tag}`);
}

function unexpected(res: RegistryResponse, what: string): RegistryError {
  const code = errorCodeOf(res);
  // A TLS-only server (Go's, docker-registry's) answers plain HTTP with 400; containerd speaks
  // http to loopback registries, so this is what an https one on loopback looks like.
  const hint =
    res.status === 400 && res.url.protocol === 'http:' ? ' (an https registry asked over http?)' : '';
  return new RegistryError(
    'server',
    `${res.url.host} answered ${res.status}${code ? ` ${code}` : ''} to ${what} ${res.url.pathname}${hint}`,
  );
}

/** The descriptor containerd resolves `ref` to. Throws RegistryError. */
export async function resolveImage(client: RegistryClient, ref: ImageReference): Promise<Resolved> {
  if (ref.digest !== undefined) return resolveDigest(client, ref, ref.digest);
  const path = `/v2/${ref.path}/manifests/${ref.tag}`;
  let { res, method } = await headOrGet(client, ref, path);
  if (res.status === 404) throw await notFound(client, ref, res);
  if (res.status !== 200) throw unexpected(res, method);
  let mediaType = mediaTypeOf(res);
  let size = sizeOf(res);
  let digest: string | undefined;
  const fromHeader = headerOf(res, 'docker-content-digest');
  // "this is the only point at which we trust the registry": a header digest only with a length.
  if (fromHeader && size !== -1) {
    const problem = digestError(fromHeader);
    if (problem)
      throw new RegistryError('protocol', `"${fromHeader}" in header not a valid digest: ${problem}`);
    digest = fromHeader;
  } else {
    if (method === 'HEAD') {
      res = await client.request(ref, 'GET', path, { accept: MANIFEST_ACCEPT });
      method = 'GET';
      if (res.status === 404) throw await notFound(client, ref, res);
      if (res.status !== 200) throw unexpected(res, method);
      mediaType = mediaTypeOf(res);
    }
    if (mediaType === SCHEMA1) throw schema1Refused();
    if (res.body.length > MAX_MANIFEST_SIZE) throw tooLarge(res.body.length);
    size = res.body.length;
    // node:crypto loads only when a registry leaves the digest to be computed.
    digest = `sha256:${process.getBuiltinModule('node:crypto').createHash('sha256').update(res.body).digest('hex')}`;
  }
  if (mediaType === SCHEMA1) throw schema1Refused();
  if (size > MAX_MANIFEST_SIZE) throw tooLarge(size);
  return { ref, descriptor: { mediaType, digest, size } };
}

/** A digest reference: the descriptor's digest is the reference's own; the registry confirms it exists. */
async function resolveDigest(client: RegistryClient, ref: ImageReference, digest: string): Promise<Resolved> {
  let { res } = await headOrGet(client, ref, `/v2/${ref.path}/manifests/${digest}`);
  if (res.status === 404) {
    const blob = await client.request(ref, 'HEAD', `/v2/${ref.path}/blobs/${digest}`, {
      accept: MANIFEST_ACCEPT,
    });
    if (blob.status === 404) throw await notFound(client, ref, res);
    res = blob;
  }
  if (res.status !== 200) throw unexpected(res, 'HEAD');
  const mediaType = mediaTypeOf(res);
  if (mediaType === SCHEMA1) throw schema1Refused();
  let size = sizeOf(res);
  if (size === -1) {
    const got = await client.request(ref, 'GET', `/v2/${ref.path}/manifests/${digest}`, {
      accept: MANIFEST_ACCEPT,
    });
    size = got.body.length;
  }
  if (size > MAX_MANIFEST_SIZE) throw tooLarge(size);
  return { ref, descriptor: { mediaType, digest, size } };
}

/** An image its registry could not resolve, and why. */
export interface Unresolved {
  ref: ImageReference;
  error: CivError;
}

/**
 * Every reference resolved, in order and one at a time (the token cache then serves the later
 * ones). A registry's failure is its image's alone; SIGINT/SIGTERM, and any error that is not a
 * CivError, stop the whole run.
 */
export async function resolveAll(
  client: RegistryClient,
  refs: readonly ImageReference[],
): Promise<(Resolved | Unresolved)[]> {
  const results: (Resolved | Unresolved)[] = [];
  for (const ref of refs) {
    try {
      results.push(await resolveImage(client, ref));
    } catch (err) {
      if (!(err instanceof CivError) || err instanceof InterruptedError) throw err;
      results.push({ ref, error: err });
    }
  }
  return results;
}

export const isUnresolved = (result: Resolved | Unresolved): result is Unresolved => 'error' in result;
