/** Verifier (plugin) names: Bottlerocket's Identifier rule, and which verifier a name means. */

export const IDENTIFIER_RULE =
  'a verifier name may contain only ASCII letters, digits and "-", 1 to 76 characters, and may not be "enabled"';

const IDENTIFIER = /^[A-Za-z0-9-]{1,76}$/;

export function isValidVerifierName(name: string): boolean {
  return IDENTIFIER.test(name) && name !== 'enabled';
}

export type VerifierKind = 'notation' | 'digestion' | 'custom';

export function verifierKind(name: string): VerifierKind {
  return name === 'notation' || name === 'digestion' ? name : 'custom';
}
