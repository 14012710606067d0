/** A verifier-name argument: anything but an Identifier is a usage error (exit 2). */
import { UsageError } from '../errors.ts';
import type { Io } from '../io.ts';
import { warn } from '../output/messages.ts';
import { IDENTIFIER_RULE, isValidVerifierName } from '../policy/names.ts';

const BUILT_IN = ['notation', 'digestion'];

/** Checks a verifier name; with io, warns about a built-in name in the wrong case (it would be a custom verifier). */
export function requireVerifierName(name: string | undefined, io?: Io): void {
  if (name === undefined) return;
  if (!isValidVerifierName(name)) throw new UsageError(`invalid verifier name '${name}': ${IDENTIFIER_RULE}`);
  const builtIn = BUILT_IN.find((b) => b === name.toLowerCase());
  if (io && builtIn && builtIn !== name)
    warn(
      io,
      `'${name}' is a custom verifier, not the built-in ${builtIn} verifier (names are case-sensitive); did you mean ${builtIn}?`,
    );
}
