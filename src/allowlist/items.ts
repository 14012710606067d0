/**
 * What digests add and remove take: digests as given, and images resolved to the digest
 * containerd presents (an image@digest needs no registry).
 */
import { CivError, ReportedError, UsageError } from '../errors.ts';
import { type RegistryArgs, registryClient } from '../inputs/registry.ts';
import { criReference, readWorkloadFiles, type WorkloadFilterArgs } from '../inputs/workload-files.ts';
import type { Io } from '../io.ts';
import { say } from '../output/messages.ts';
import { digestError, looksLikeDigest, PRESENTABLE_DIGESTS_TEXT } from '../policy/digest-rule.ts';
import { type ImageReference, InvalidReferenceError, parseImageReference } from '../registry/reference.ts';

/** An argument: a digest as given, or an image to resolve (an image@digest needs no registry). */
export type Item = { input: string; digest: string } | { input: string; image: ImageReference };

export function parseItems(items: string[]): Item[] {
  return items.map((input) => {
    if (looksLikeDigest(input)) {
      const problem = digestError(input);
      if (problem)
        throw new UsageError(
          `'${input}' is not a digest containerd can present (${problem}); a digest is ${PRESENTABLE_DIGESTS_TEXT}`,
        );
      return { input, digest: input };
    }
    try {
      const image = parseImageReference(input);
      return image.digest !== undefined ? { input, digest: image.digest } : { input, image };
    } catch (err) {
      if (err instanceof InvalidReferenceError)
        throw new UsageError(`'${input}' is neither a digest nor an image reference: ${err.message}`);
      throw err;
    }
  });
}

/**
 * The images of workload files (`digests add --from`: kubectl output, manifests, crictl images,
 * image lists), each once: the digest the input gives, else the image to resolve. A reference CRI
 * refuses stops the run before anything is written.
 */
export async function itemsFrom(io: Io, files: string[], filters: WorkloadFilterArgs): Promise<Item[]> {
  const read = await readWorkloadFiles(io, files, filters);
  const images = read.images(criReference);
  const invalid = images.filter((i) => i.invalid !== undefined);
  if (invalid.length > 0) {
    for (const i of invalid) say(io, `'${i.image}' is not an image reference: ${i.invalid}`);
    throw new ReportedError(
      'E_WORKLOAD_INPUT',
      `${invalid.length} images in --from cannot be pulled; nothing was changed`,
    );
  }
  if (images.length === 0)
    throw new CivError(
      'E_WORKLOAD_INPUT',
      `--from: no image was read${read.warnings.length > 0 ? ' (see the warnings above)' : ''}; nothing was changed`,
    );
  const count = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
  const known = images.filter((i) => i.digest !== undefined).length;
  say(
    io,
    `--from: ${count(images.length, 'image')} in ${count(read.workloads, 'workload container')}; ${known} with a known digest, ${images.length - known} to resolve`,
  );
  return images.map((i) =>
    i.digest !== undefined
      ? { input: i.name, digest: i.digest }
      : { input: i.name, image: parseImageReference(i.name) },
  );
}

/**
 * Every item's digest, resolving images as containerd would; one line per image on stderr.
 * `stdinTaken`: standard input was read for --from, so it cannot also hold a password.
 */
export async function digestsOf(
  io: Io,
  registry: RegistryArgs,
  items: Item[],
  stdinTaken = false,
): Promise<string[]> {
  const images = items.filter((i): i is Extract<Item, { image: unknown }> => 'image' in i);
  const resolved = new Map<string, string>();
  if (images.length > 0) {
    const client = await registryClient(io, registry, stdinTaken);
    const { isUnresolved, resolveAll } = await import('../registry/resolve.ts');
    const failures: string[] = [];
    try {
      const results = await resolveAll(
        client,
        images.map((item) => item.image),
      );
      results.forEach((result, i) => {
        const input = images[i]!.input;
        // Failures are collected and named together.
        if (isUnresolved(result)) failures.push(`${input}: ${result.error.message}`);
        else resolved.set(input, result.descriptor.digest);
      });
    } finally {
      await client.close();
    }
    if (failures.length > 0) {
      for (const line of failures) say(io, line);
      const summary = `${failures.length} of ${images.length} ${images.length === 1 ? 'image' : 'images'} could not be resolved; nothing was changed`;
      say(io, summary);
      throw new ReportedError('E_REGISTRY', summary);
    }
  }
  return items.map((item) => {
    const digest = 'digest' in item ? item.digest : resolved.get(item.input)!;
    if ('image' in item) say(io, `${item.input} → ${digest}`);
    return digest;
  });
}
