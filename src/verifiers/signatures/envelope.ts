/**
 * notation-core-go v1.3.0's signature envelopes: ParseEnvelope by media type, Verify (the
 * format's own verification, then base.Envelope's validateEnvelopeContent), and what notation-go
 * checks of the result (the payload content type). Errors are the texts notation-go records for
 * the integrity step.
 */
import { goQuote } from '../../policy/notation/goquote.ts';
import { validateCodeSigningCertChain } from './chain.ts';
import { type GoTime, isZero, compare } from './gotime.ts';
import type { GoCertificate } from './x509.ts';

export const JWS_MEDIA_TYPE = 'application/jose+json';
export const COSE_MEDIA_TYPE = 'application/cose';
export const PAYLOAD_MEDIA_TYPE = 'application/vnd.cncf.notary.payload.v1+json';

export const SIGNING_SCHEME_X509 = 'notary.x509';
export const SIGNING_SCHEME_X509_SIGNING_AUTHORITY = 'notary.x509.signingAuthority';

/** signature.Algorithm: PS256=1 … ES512=6 (Go prints the bare number). */
export const ALGORITHMS = ['', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512'] as const;

export interface Attribute {
  key: string | number;
  critical: boolean;
  value: unknown;
}

export interface SignerInfo {
  signingScheme: string;
  /** The signing time (notary.x509) or authentic signing time (signingAuthority); zero when absent. */
  signingTime: GoTime | undefined;
  expiry: GoTime | undefined;
  extendedAttributes: Attribute[];
  signingAgent: string;
  timestampSignature: Uint8Array;
  signature: Uint8Array;
  /** 1 … 6, 0 when unknown. */
  signatureAlgorithm: number;
  certificateChain: GoCertificate[];
}

export interface EnvelopeContent {
  signerInfo: SignerInfo;
  payload: { contentType: string; content: Uint8Array };
}

/** The algorithm notation derives from a signing certificate's key (signature.ExtractKeySpec). */
export function keySpecAlgorithm(cert: GoCertificate): number | { error: string } {
  const key = cert.publicKey;
  if (key.kind === 'rsa') {
    const alg = { 2048: 1, 3072: 2, 4096: 3 }[key.bits];
    return alg ?? { error: `rsa key size ${key.bits} bits is not supported` };
  }
  if (key.kind === 'ecdsa') {
    const alg = { 256: 4, 384: 5, 521: 6 }[key.bitSize];
    return alg ?? { error: `ecdsa key size ${key.bitSize} bits is not supported` };
  }
  return { error: 'unsupported public key type' };
}

/** base.validateEnvelopeContent: the checks after the format's own verification. */
export function validateEnvelopeContent(content: EnvelopeContent): string | undefined {
  if (content.payload.content.length === 0) return 'content not present';
  const info = content.signerInfo;
  if (info.signature.length === 0) return 'signature not present or is empty';
  if (info.signatureAlgorithm === 0) return 'SignatureAlgorithm is not present';
  if (isZero(info.signingTime)) return 'signing-time not present';
  if (info.expiry && !isZero(info.expiry) && compare(info.expiry, info.signingTime!) <= 0)
    return 'expiry cannot be equal or before the signing time';
  if (info.signingScheme === '') return 'SigningScheme not present';
  if (info.certificateChain.length === 0) return 'certificate-chain not present or is empty';
  const chainError = validateCodeSigningCertChain(info.certificateChain);
  if (chainError !== undefined) return `certificate-chain is invalid, ${chainError}`;
  const derived = keySpecAlgorithm(info.certificateChain[0]!);
  if (typeof derived !== 'number') return derived.error;
  if (derived !== info.signatureAlgorithm)
    return `mismatch between signature algorithm derived from signing certificate (${derived}) and signing algorithm specified (${info.signatureAlgorithm}s)`;
  return undefined;
}

/** envelope.ValidatePayloadContentType (notation-go). */
export function payloadContentTypeError(contentType: string): string | undefined {
  if (contentType === PAYLOAD_MEDIA_TYPE) return undefined;
  return `payload content type ${goQuote(contentType)} not supported`;
}
