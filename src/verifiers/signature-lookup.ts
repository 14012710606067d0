/**
 * notation's signature discovery for check --signatures, given the artifact notation verifies and
 * the governing statement's trusted identities: the signatures found are reported, not verified.
 */
import type { RegistryClient } from '../registry/client.ts';
import type { ImageReference } from '../registry/reference.ts';
import type { SignatureLookup } from './containerd.ts';

/** notation's signature discovery, as the CLI does it (OCI referrers API, then the referrers tag schema). */
export async function signatureFinder(client: () => Promise<RegistryClient>) {
  const { findSignatures } = await import('../registry/signatures.ts');
  const { parseCertificate } = await import('./signatures/index.ts');
  const { matchesTrustedIdentity, noSignatureText } = await import('../verifiers/notation.ts');
  return async (artifact: ImageReference, trustedIdentities: string[]): Promise<SignatureLookup> => {
    const found = await findSignatures(await client(), artifact, parseCertificate);
    if (found.length === 0) return { none: noSignatureText(artifact.name), signatures: [] };
    return {
      signatures: found.map((s) => ({
        digest: s.digest,
        envelope: s.envelope,
        ...(s.subject !== undefined ? { subject: s.subject } : {}),
        ...(s.issuer !== undefined ? { issuer: s.issuer } : {}),
        trustedIdentity: s.subjectAttributes
          ? matchesTrustedIdentity(trustedIdentities, s.subjectAttributes)
          : null,
      })),
    };
  };
}
