/** resolve: each image to the digest containerd will present to the verifiers. */
import { InterruptedError, ReportedError, UsageError } from '../errors.ts';
import { REGISTRY_OPTIONS, type RegistryArgs, registryClient } from '../inputs/registry.ts';
import { say } from '../output/messages.ts';
import { safeJson } from '../output/escape.ts';
import { type ImageReference, parseImageReference, InvalidReferenceError } from '../registry/reference.ts';
import type { Resolved } from '../registry/resolve.ts';
import { defineCommand, type GlobalArgs } from './spec.ts';

interface ResolveArgs extends GlobalArgs, RegistryArgs {
  images: string[];
  format: 'text' | 'json';
}

/** Parses every image argument first: a bad reference is a usage error before any request. */
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

export const resolveCommand = defineCommand<ResolveArgs>({
  name: 'resolve',
  http: true,
  describe:
    'Print the digest containerd will present for each image (the index digest of a multi-arch image)',
  positionals: [
    {
      name: 'images',
      required: true,
      variadic: true,
      describe: 'image references, e.g. redis:7.4.8-alpine3.21',
    },
  ],
  options: {
    format: { type: 'string', choices: ['text', 'json'], default: 'text', describe: 'Output format' },
    ...REGISTRY_OPTIONS,
  },
  examples: [
    ['$0 resolve redis:7.4.8-alpine3.21', 'One digest per line'],
    ['$0 resolve --format json nginx:1.27 ghcr.io/org/app:v2', 'Name, digest, media type and size'],
    [
      'aws ecr get-login-password | $0 resolve --username AWS --password-stdin 123456789012.dkr.ecr.us-west-2.amazonaws.com/app:v1',
      'A private ECR image',
    ],
  ],
  run: async (args, ctx) => {
    const refs = parseImages(args.images);
    const client = await registryClient(ctx.io, args);
    const { resolveImage } = await import('../registry/resolve.ts');
    const results: (Resolved | Error)[] = [];
    try {
      // One image at a time, in argument order: the token cache then serves the later ones.
      for (const ref of refs)
        results.push(
          await resolveImage(client, ref).catch((err: Error) => {
            // SIGINT/SIGTERM stop the whole command, not one image.
            if (err instanceof InterruptedError) throw err;
            return err;
          }),
        );
    } finally {
      await client.close();
    }
    const failed = results.flatMap((r, i) => (r instanceof Error ? [[args.images[i]!, r] as const] : []));
    if (failed.length > 0) {
      for (const [image, err] of failed) say(ctx.io, `${image}: ${err.message}`);
      throw new ReportedError(
        'E_REGISTRY',
        `${failed.length} of ${refs.length} images could not be resolved`,
      );
    }
    const resolved = results as Resolved[];
    ctx.io.stdout.write(
      args.format === 'json'
        ? safeJson(
            resolved.map((r, i) => ({
              image: args.images[i],
              name: r.ref.name,
              digest: r.descriptor.digest,
              mediaType: r.descriptor.mediaType,
              size: r.descriptor.size,
            })),
            2,
          ) + '\n'
        : resolved.map((r) => `${r.descriptor.digest}\n`).join(''),
    );
  },
});
