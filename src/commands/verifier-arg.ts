import { UsageError } from '../errors.ts';
import { IDENTIFIER_RULE, isValidVerifierName } from '../policy/names.ts';

/** A verifier name from the command line: anything but an Identifier is a usage error (exit 2). */
export function requireVerifierName(name: string | undefined): void {
  if (name !== undefined && !isValidVerifierName(name))
    throw new UsageError(`invalid verifier name '${name}': ${IDENTIFIER_RULE}`);
}
