/**
 * The one rule for which digests containerd can present to the image verifiers (`-digest`), used
 * by lint (entries that can never match), digests (what may be added), check (--digest) and the
 * registry code (a Docker-Content-Digest header, an IMAGE@DIGEST). Pure: no I/O.
 *
 * containerd vendors go-digest v1.0.0 and applies only its Digest.Validate() to a digest it did
 * not compute: the one in a reference (IMAGE@DIGEST, passed on unchanged) and the registry's
 * Docker-Content-Digest header (trusted when the response has a length). v1.0.0 knows sha256,
 * sha384 and sha512, each as lower-case hex of twice the hash size, and containerd links both
 * hash packages (crypto/tls needs them), so all three are available. A digest containerd computes
 * itself (a manifest fetched without that header) is always sha256 (digest.Canonical). Nothing
 * else can reach a verifier: any other algorithm, case or length fails Validate() and the pull
 * fails before verification.
 */

/** go-digest v1.0.0's available algorithms and their hex lengths. */
export const PRESENTABLE_ALGORITHMS: Readonly<Record<string, number>> = {
  sha256: 64,
  sha384: 96,
  sha512: 128,
};

/** The rule in words, for messages and docs. */
export const PRESENTABLE_DIGESTS_TEXT = 'sha256: + 64 lowercase hex, sha384: + 96, or sha512: + 128';

const DIGEST_GRAMMAR = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;
const LOWER_HEX = /^[a-f0-9]+$/;

/** go-digest v1.0.0's Digest.Validate(): undefined when containerd can present it, else its error text. */
export function digestError(digest: string): string | undefined {
  const i = digest.indexOf(':');
  if (i <= 0 || i + 1 === digest.length) return 'invalid checksum digest format';
  const algorithm = digest.slice(0, i);
  const length = Object.hasOwn(PRESENTABLE_ALGORITHMS, algorithm)
    ? PRESENTABLE_ALGORITHMS[algorithm]
    : undefined;
  if (length === undefined)
    return DIGEST_GRAMMAR.test(digest) ? 'unsupported digest algorithm' : 'invalid checksum digest format';
  const encoded = digest.slice(i + 1);
  if (encoded.length !== length) return 'invalid checksum digest length';
  return LOWER_HEX.test(encoded) ? undefined : 'invalid checksum digest format';
}

/** digestError(value) === undefined as one regular expression: lint runs it on every entry. */
const PRESENTABLE = new RegExp(
  `^(?:${Object.entries(PRESENTABLE_ALGORITHMS)
    .map(([algorithm, length]) => `${algorithm}:[a-f0-9]{${length}}`)
    .join('|')})$`,
);

/** Whether containerd can ever present this exact string as `-digest` (so an allowlist entry can match). */
export function canPresentDigest(value: string): boolean {
  return PRESENTABLE.test(value);
}

/**
 * Whether a command-line argument is meant as a digest rather than an image: it starts with one
 * of the algorithms, in any case (`SHA256:…` is a mistyped digest, not an image called SHA256).
 * Other `name:hex` arguments stay images: `app:3f2a…` is a tag, as CRI reads it.
 */
export function looksLikeDigest(input: string): boolean {
  const i = input.indexOf(':');
  return (
    i > 0 && !input.includes('/') && Object.hasOwn(PRESENTABLE_ALGORITHMS, input.slice(0, i).toLowerCase())
  );
}
