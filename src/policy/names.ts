/** Verifier (plugin) names: Bottlerocket's Identifier rule, and which verifier a name means. */

export const IDENTIFIER_RULE =
  'a verifier name may contain only ASCII letters, digits and "-", 1 to 76 characters, and may not be "enabled"';

/** containerd's ID length limit, which Bottlerocket's Identifier type enforces. */
const IDENTIFIER_MAX_LENGTH = 76;

/**
 * The settings model's Identifier check, with the API's error text (modeled-types), or undefined
 * when the name is an Identifier. The simulator answers with this text; the CLI with IDENTIFIER_RULE.
 */
export function identifierError(name: string): string | undefined {
  if (!/^[A-Za-z0-9-]*$/.test(name))
    return `Unable to deserialize into Identifier: Identifiers may only contain ASCII alphanumerics plus hyphens, received '${name}'`;
  if (name.length > IDENTIFIER_MAX_LENGTH)
    return `Unable to deserialize into Identifier: Identifier exceeds the maximum length of ${IDENTIFIER_MAX_LENGTH} characters, received '${name}'`;
  if (name.length === 0) return 'Unable to deserialize into Identifier: Identifiers may not be empty';
  return undefined;
}

/** A name civctl accepts for a verifier: an Identifier, and not the `enabled` switch. */
export function isValidVerifierName(name: string): boolean {
  return identifierError(name) === undefined && name !== 'enabled';
}

export type VerifierKind = 'notation' | 'digestion' | 'custom';

export function verifierKind(name: string): VerifierKind {
  return name === 'notation' || name === 'digestion' ? name : 'custom';
}
