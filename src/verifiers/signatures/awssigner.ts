/**
 * The AWS Signer notation plugin (github.com/aws/aws-signer-notation-plugin v1.0.350, the build
 * the corpus was made with; Bottlerocket packages a later build) as notation-go v1.3.2 runs it for
 * verification: its metadata (capabilities SIGNATURE_VERIFIER.TRUSTED_IDENTITY and
 * SIGNATURE_VERIFIER.REVOCATION_CHECK), its request validation, its signing-profile identity rule
 * and the GetRevocationStatus request it builds. The call itself goes to AWS: civctl only makes it
 * through an oracle, and says plainly when it was not made.
 */
import { createHash } from 'node:crypto';
import type { EnvelopeContent } from './envelope.ts';
import { formatRFC3339, type GoTime } from './gotime.ts';

export const AWS_SIGNER_PLUGIN = 'com.amazonaws.signer.notation.plugin';
export const CAPABILITY_TRUSTED_IDENTITY = 'SIGNATURE_VERIFIER.TRUSTED_IDENTITY';
export const CAPABILITY_REVOCATION_CHECK = 'SIGNATURE_VERIFIER.REVOCATION_CHECK';

const ATTR_PROFILE_VERSION = 'com.amazonaws.signer.signingProfileVersion';
const ATTR_SIGNING_JOB = 'com.amazonaws.signer.signingJob';
const PLATFORM = 'Notation-OCI-SHA384-ECDSA';

/** What GetRevocationStatus is asked (the SDK sends the certificate hashes sorted). */
export interface AwsRevocationRequest {
  profileVersionArn: string;
  jobArn: string;
  platformId: string;
  /** The authentic signing time (RFC 3339). */
  signatureTimestamp: string;
  certificateHashes: string[];
}

/** The answer of GetRevocationStatus, or the SDK's error text. */
export type AwsRevocationAnswer = { revokedEntities: string[] } | { error: string };

export interface PluginVerdict {
  success: boolean;
  reason: string;
}

export interface AwsPluginResponse {
  identity?: PluginVerdict;
  /** The revocation request, when the plugin got as far as calling AWS. */
  revocationRequest?: AwsRevocationRequest;
  processedAttributes: string[];
}

/** A plugin error: notation prints `failed to verify with plugin <name>: <message>`. */
export class PluginError extends Error {}

function attr(content: EnvelopeContent, key: string): string {
  const found = content.signerInfo.extendedAttributes.find((a) => a.key === key);
  if (found === undefined || typeof found.value !== 'string')
    throw new PluginError(`unable to parse attribute "${key}".`);
  return found.value;
}

/** aws-sdk-go-v2 arn.Parse: arn:partition:service:region:account-id:resource. */
function parseArn(s: string): { service: string; resource: string } | undefined {
  if (!s.startsWith('arn:')) return undefined;
  const sections = s.split(':');
  if (sections.length < 6) return undefined;
  const resource = sections.slice(5).join(':');
  return { service: sections[2]!, resource };
}

const fold = (s: string) => s.toLowerCase();

/** The plugin's identity rule: signing-profile ARNs matched case-insensitively. */
function trustedIdentity(content: EnvelopeContent, identities: string[]): PluginVerdict {
  const signatureIdentity = attr(content, ATTR_PROFILE_VERSION);
  for (const identity of identities) {
    const arn = parseArn(identity);
    if (arn?.service !== 'signer' || !arn.resource.startsWith('/signing-profiles/')) continue;
    const parts = arn.resource.split('/');
    let match = false;
    if (parts.length === 3) {
      const last = signatureIdentity.lastIndexOf('/');
      match = last !== -1 && fold(signatureIdentity.slice(0, last)) === fold(identity);
    } else if (parts.length === 4) match = fold(signatureIdentity) === fold(identity);
    if (match)
      return { success: true, reason: `Signature publisher matched "${identity}" trusted identity.` };
  }
  return { success: false, reason: "Signature publisher doesn't match any trusted identities." };
}

/** hashCertificates: SHA-384 of each TBSCertificate, joined with the next one's (the root's with itself). */
function certificateHashes(content: EnvelopeContent): string[] {
  const hashes = content.signerInfo.certificateChain.map((c) =>
    createHash('sha384').update(c.rawTBS).digest('hex'),
  );
  return hashes.map((h, i) => h + (i === hashes.length - 1 ? h : hashes[i + 1]));
}

/**
 * VerifySignature up to the point where the plugin calls AWS. Throws PluginError for what the
 * plugin refuses; the revocation verdict comes from the answer to `revocationRequest`.
 */
export function runAwsSignerPlugin(
  content: EnvelopeContent,
  trustedIdentities: string[],
  capabilities: string[],
  authenticSigningTime: GoTime | undefined,
): AwsPluginResponse {
  if (trustedIdentities.includes('*'))
    throw new PluginError('The AWSSigner plugin does not support wildcard identity in the trust policy.');
  const scheme = content.signerInfo.signingScheme;
  if (scheme.toLowerCase() !== 'notary.x509.signingauthority')
    throw new PluginError(`'${scheme}' signing scheme is not supported`);
  if (authenticSigningTime === undefined) throw new PluginError('missing authenticSigningTime');
  const response: AwsPluginResponse = { processedAttributes: [] };
  if (capabilities.includes(CAPABILITY_TRUSTED_IDENTITY))
    response.identity = trustedIdentity(content, trustedIdentities);
  if (capabilities.includes(CAPABILITY_REVOCATION_CHECK)) {
    const profileVersionArn = attr(content, ATTR_PROFILE_VERSION);
    const jobArn = attr(content, ATTR_SIGNING_JOB);
    response.revocationRequest = {
      profileVersionArn,
      jobArn,
      platformId: PLATFORM,
      signatureTimestamp: formatRFC3339(authenticSigningTime),
      certificateHashes: certificateHashes(content).sort(),
    };
  }
  response.processedAttributes = [ATTR_PROFILE_VERSION, ATTR_SIGNING_JOB];
  return response;
}

/** The plugin's revocation verdict for GetRevocationStatus's answer. */
export function revocationVerdict(answer: AwsRevocationAnswer): PluginVerdict {
  if ('error' in answer)
    return { success: false, reason: `GetRevocationStatus call failed with error: ${answer.error}` };
  if (answer.revokedEntities.length === 0) return { success: true, reason: 'Signature is not revoked.' };
  const resources = answer.revokedEntities.filter((e) => e.startsWith('arn'));
  const certRevoked = answer.revokedEntities.some((e) => !e.startsWith('arn'));
  let reason = resources.length > 0 ? `Resource(s) ${resources.join(', ')} have been revoked.` : '';
  if (certRevoked) reason += 'Certificate(s) have been revoked.';
  return { success: false, reason };
}
