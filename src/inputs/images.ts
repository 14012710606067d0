/** Image arguments, parsed once into references: a bad one is a usage error before any request. */
import { UsageError } from '../errors.ts';
import { type ImageReference, InvalidReferenceError, parseImageReference } from '../registry/reference.ts';

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
