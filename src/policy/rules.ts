/** Every lint rule civctl reports, with a one-line description (docs/lint.md has the details). */
export const RULES: Record<string, string> = {
  'input/unreadable': 'One of several files could not be read (missing, a directory, unreadable, too large).',
  'input/bom': 'The policy starts with a UTF-8 byte-order mark, which the API and notation reject.',
  'input/invalid-utf8': 'The policy is not valid UTF-8.',
  'api/invalid-json': 'The Bottlerocket API rejects the policy: it is not valid JSON (serde_json).',
  'api/too-large': "The policy cannot be set: its settings request would exceed the API's 2 MiB limit.",
  'notation/malformed': 'notation-go cannot decode the document (syntax or type error).',
  'notation/version': 'The version is missing or not "1.0".',
  'notation/no-statements': 'trustPolicies has no statements.',
  'notation/duplicate-name': 'Two statements share a name.',
  'notation/missing-name': 'A statement has no name.',
  'notation/signature-verification': 'The signatureVerification level or override is invalid.',
  'notation/verify-timestamp': 'verifyTimestamp is not "always" or "afterCertExpiry".',
  'notation/skip-with-trust': 'A skip statement lists trust stores or identities.',
  'notation/missing-trust': 'A verifying statement lacks trust stores or trusted identities.',
  'notation/trust-store': 'A trust store value is malformed, of an unknown type, or badly named.',
  'notation/trusted-identity': 'A trusted identity is empty, lacks a separator, or has an invalid x509 DN.',
  'notation/identity-overlap': 'Two x509.subject identities overlap.',
  'notation/registry-scope': 'A registry scope is not a fully qualified repository, or misuses "*".',
  'notation/duplicate-scope': 'A registry scope appears more than once.',
  'notation/aws-signer-wildcard-identity':
    'A signingAuthority store with the "*" identity: AWS Signer rejects it.',
  'notation/unshipped-trust-store':
    'A trust store that Bottlerocket does not ship (or that the --trust-store directory does not hold).',
  'notation/unusable-trust-store':
    'A trust store of the --trust-store directory that is empty or holds no usable certificate.',
  'notation/duplicate-trust-store': 'A trust store listed twice in one statement.',
  'notation/placeholder': 'A trusted identity still holds a template placeholder.',
  'notation/signer-arn': 'An ARN identity that the AWS Signer plugin silently ignores.',
  'notation/arn-without-signing-authority': 'ARN identities without a signingAuthority trust store.',
  'notation/unreachable-scope': 'A registry scope that never matches a containerd image name.',
  'notation/permissive-wildcard': 'audit or skip on the "*" scope: unmatched images are not enforced.',
  'bottlerocket/strict-json': "The notation wrapper's strict JSON pre-check rejects the document.",
  'bottlerocket/version': 'The notation wrapper rejects a version other than "1.0".',
  'bottlerocket/empty-policy': 'trustPolicies is empty: Bottlerocket allows every image.',
  'bottlerocket/empty-file': 'The policy is empty: Bottlerocket allows every image.',
  'digestion/load': 'The digestion verifier cannot load the policy: every image is rejected.',
  'digestion/version': 'The digestion verifier rejects a version other than "1.0".',
  'digestion/empty-list': 'trustedDigests is empty: every image is allowed.',
  'digestion/empty-file': 'The policy is empty: every image is allowed.',
  'digestion/non-canonical': 'A digest that can never match a canonical containerd digest.',
  'digestion/duplicate': 'A digest listed more than once.',
  'custom/schema': "The policy does not match the user's JSON Schema.",
  'userdata/invalid': 'The user-data file is not valid TOML or JSON.',
  'userdata/no-plugins': 'The file has no settings.image-verifier-plugins section.',
  'userdata/not-a-table': 'settings.image-verifier-plugins is not a table.',
  'userdata/enabled-type': 'enabled is not a boolean.',
  'userdata/flat-key': 'A flat `<name>-trustpolicy = "…"` key, which the API rejects.',
  'userdata/plugin-name': 'A plugin name that breaks the Identifier rule.',
  'userdata/unknown-field': 'A plugin table key other than trustpolicy.',
  'userdata/base64': 'A trustpolicy value that is not base64 the API accepts.',
  'userdata/not-enabled': 'Policies are configured but verification is not enabled.',
  'fleet/invalid':
    'The eksctl or Karpenter file is one its tool refuses (invalid YAML, a duplicate key, Karpenter user data that is not TOML): no node gets it.',
  'userdata/too-large': "The user-data file is over EC2's 16 KiB user-data limit.",
};

/** Which notation rule an upstream message belongs to. */
const NOTATION_RULES: [RegExp, string][] = [
  [/^malformed trust policy/, 'notation/malformed'],
  [/^trust policy document (has empty|uses unsupported) version/, 'notation/version'],
  [/^trust policy document can not have zero/, 'notation/no-statements'],
  [/^multiple trust policy statements use the same name/, 'notation/duplicate-name'],
  [/^trust policy: a trust policy statement is missing a name/, 'notation/missing-name'],
  [/verifyTimestamp must be/, 'notation/verify-timestamp'],
  [/has invalid signatureVerification/, 'notation/signature-verification'],
  [/is set to skip signature verification but/, 'notation/skip-with-trust'],
  [/is either missing trust stores or trusted identities/, 'notation/missing-trust'],
  [/trust store (value|type|name)/, 'notation/trust-store'],
  [/overlapping x509 trustedIdentities/, 'notation/identity-overlap'],
  [/trusted identit/, 'notation/trusted-identity'],
  [/registry scope .* is present in multiple/, 'notation/duplicate-scope'],
  [/registry scope/, 'notation/registry-scope'],
];

export function notationRuleFor(message: string): string {
  for (const [pattern, rule] of NOTATION_RULES) if (pattern.test(message)) return rule;
  return 'notation/invalid';
}
