/**
 * What digests add and remove take: digests as given, and images resolved to the digest
 * containerd presents (an image@digest needs no registry).
 */
import { ReportedError, UsageError } from '../errors.ts';
import { type RegistryArgs, registryClient } from '../inputs/registry.ts';
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

/** Every item's digest, resolving images as containerd would; one line per image on stderr. */
export async function digestsOf(io: Io, registry: RegistryArgs, items: Item[]): Promise<string[]> {
  const images = items.filter((i): i is Extract<Item, { image: unknown }> => 'image' in i);
  const resolved = new Map<string, string>();
  if (images.length > 0) {
    const client = await registryClient(io, registry);
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
