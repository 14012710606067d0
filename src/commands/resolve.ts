/** resolve: each image to the digest containerd will present to the verifiers. */
import { ReportedError } from '../errors.ts';
import { parseImages } from '../inputs/images.ts';
import { registryClient } from '../inputs/registry.ts';
import { say } from '../output/messages.ts';
import { safeJson } from '../output/escape.ts';
import type { Resolved } from '../registry/resolve.ts';
import { defineCommand } from '../cli/spec.ts';
import { FORMAT_TEXT_JSON, REGISTRY_OPTIONS } from './options.ts';

/** No socket: resolve never talks to the API (talksTo). */

export const resolveCommand = defineCommand({
  name: 'resolve',
  talksTo: ['registry'],
  describe:
    'Print the digest containerd will present for each image (the index digest of a multi-arch image)',
  positionals: [
    {
      name: 'images',
      required: true,
      variadic: true,
      describe: 'Image references, e.g. redis:7.4.8-alpine3.21',
    },
  ],
  options: {
    ...FORMAT_TEXT_JSON,
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
    const { isUnresolved, resolveAll } = await import('../registry/resolve.ts');
    let results: Awaited<ReturnType<typeof resolveAll>>;
    try {
      results = await resolveAll(client, refs);
    } finally {
      await client.close();
    }
    const failed = results.flatMap((r, i) => (isUnresolved(r) ? [[args.images[i]!, r.error] as const] : []));
    // JSON has one entry per image, the failed ones with `error`; text lines stand for their
    // arguments, so text is all or nothing.
    if (args.format === 'json')
      ctx.io.stdout.write(
        safeJson(
          results.map((r, i) =>
            isUnresolved(r)
              ? { image: args.images[i], name: r.ref.name, error: r.error.message }
              : {
                  image: args.images[i],
                  name: r.ref.name,
                  digest: r.descriptor.digest,
                  mediaType: r.descriptor.mediaType,
                  size: r.descriptor.size,
                },
          ),
          2,
        ) + '\n',
      );
    else if (failed.length === 0)
      ctx.io.stdout.write((results as Resolved[]).map((r) => `${r.descriptor.digest}\n`).join(''));
    if (failed.length > 0) {
      for (const [image, err] of failed) say(ctx.io, `${image}: ${err.message}`);
      throw new ReportedError(
        'E_REGISTRY',
        `${failed.length} of ${refs.length} images could not be resolved`,
      );
    }
  },
});
