/**
 * Image arguments, parsed once into references (a bad one is a usage error before any request),
 * and the images check decides for: references resolved as containerd does (one failing image
 * never hiding the others), or descriptors given outright (--offline with digests, or
 * containerd's own --name and --digest).
 */
import { UsageError } from '../errors.ts';
import type { Io } from '../io.ts';
import { warn } from '../output/messages.ts';
import type { RegistryClient } from '../registry/client.ts';
import type { Descriptor } from '../registry/oci.ts';
import {
  digestError,
  type ImageReference,
  InvalidReferenceError,
  parseImageReference,
} from '../registry/reference.ts';

/** Parses every image argument first, in order. */
export function parseImages(images: string[]): ImageReference[] {
  return images.map((image) => {
    try {
      return parseImageReference(image);
    } catch (err) {
      if (err instanceof InvalidReferenceError)
        throw new UsageError(`'${image}' is not an image reference: ${err.message}`);
      throw err;
    }
  });
}

/** What plannedTargets reads of the parsed arguments. */
export interface TargetArgs {
  images: string[];
  offline: boolean;
  mediaType: string;
  name?: string | undefined;
  digest?: string | undefined;
  /** --oci-layout: the layout gives the descriptor, so every image needs its digest. */
  ociLayout?: string | undefined;
}

export interface Target {
  image?: string;
  name: string;
  descriptor?: Descriptor;
  ref?: ImageReference;
  /** Why this image cannot be decided (its registry failed); the others still are. */
  failure?: string;
}

/** The images to decide for, checked for usage before anything is contacted. */
export function plannedTargets(io: Io, args: TargetArgs): Target[] {
  if (args.name !== undefined || args.digest !== undefined) {
    if (args.name === undefined || args.digest === undefined)
      throw new UsageError('--name and --digest go together: containerd passes both');
    if (args.images.length > 0) throw new UsageError('give images, or --name and --digest, not both');
    const problem = digestError(args.digest);
    if (problem)
      throw new UsageError(`--digest '${args.digest}' is not a digest containerd can present: ${problem}`);
    // With an OCI layout the layout's own descriptor is used.
    if (args.ociLayout === undefined)
      warn(
        io,
        `--name/--digest: the descriptor given to verifiers has media type ${args.mediaType} and size 0`,
      );
    return [{ name: args.name, descriptor: { mediaType: args.mediaType, digest: args.digest, size: 0 } }];
  }
  if (args.images.length === 0) throw new UsageError('give at least one image, or --name and --digest');
  const refs = parseImages(args.images);
  const layout = args.ociLayout !== undefined;
  if (!args.offline && !layout)
    return refs.map((ref, i) => ({ image: args.images[i]!, name: ref.name, ref }));
  const undigested = args.images.filter((_, i) => refs[i]!.digest === undefined);
  if (undigested.length > 0)
    throw new UsageError(
      `--${layout ? 'oci-layout' : 'offline'} needs every image with its digest (IMAGE@sha256:…); not: ${undigested.join(', ')}`,
    );
  if (!layout)
    warn(
      io,
      `--offline: the registry is not asked; the descriptor given to verifiers has media type ${args.mediaType} and size 0`,
    );
  return refs.map((ref, i) => ({
    image: args.images[i]!,
    name: ref.name,
    ref,
    descriptor: { mediaType: args.mediaType, digest: ref.digest!, size: 0 },
  }));
}

/**
 * The descriptor containerd resolves, for every target that has none yet. An image whose registry
 * fails gets a `failure` instead: one failing image must not hide the others' decisions.
 */
export async function resolveTargets(
  planned: Target[],
  client: () => Promise<RegistryClient>,
): Promise<void> {
  const pending = planned.filter((t) => t.descriptor === undefined);
  if (pending.length === 0) return;
  const { isUnresolved, resolveAll } = await import('../registry/resolve.ts');
  const results = await resolveAll(
    await client(),
    pending.map((t) => t.ref!),
  );
  results.forEach((result, i) => {
    if (isUnresolved(result)) pending[i]!.failure = result.error.message;
    else pending[i]!.descriptor = result.descriptor;
  });
}
