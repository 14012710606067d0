/**
 * notation-core-go v1.3.0 x509: ValidateCodeSigningCertChain and ValidateTimestampingCertChain
 * (codesigning_cert_validations.go, timestamp_cert_validations.go, helper.go), in their order and
 * with their texts. Each returns the error text, or undefined for a valid chain.
 */
import { goQuote } from '../../policy/notation/goquote.ts';
import { bytesEqual } from './der.ts';
import { type GoCertificate, KU, checkSelfSignature, checkSignatureFrom } from './x509.ts';

const q = (cert: GoCertificate) => goQuote(cert.subjectString);

/** isIssuedBy: [issued, error]. */
function isIssuedBy(subject: GoCertificate, issuer: GoCertificate): [boolean, string | undefined] {
  const err = checkSignatureFrom(subject, issuer);
  if (err !== undefined) return [false, err];
  return [bytesEqual(issuer.rawSubject, subject.rawIssuer), undefined];
}

function validateCABasicConstraints(cert: GoCertificate, expectedPathLen: number): string | undefined {
  if (!cert.basicConstraintsValid || !cert.isCA)
    return `certificate with subject ${q(cert)}: ca field in basic constraints must be present, critical, and set to true`;
  const maxPathLen = cert.maxPathLen;
  const present = maxPathLen > 0 || (maxPathLen === 0 && cert.maxPathLenZero);
  if (present && maxPathLen < expectedPathLen)
    return `certificate with subject ${q(cert)}: expected path length of ${expectedPathLen} but certificate has path length ${maxPathLen} instead`;
  return undefined;
}

function validateLeafBasicConstraints(cert: GoCertificate): string | undefined {
  if (cert.basicConstraintsValid && cert.isCA)
    return `certificate with subject ${q(cert)}: if the basic constraints extension is present, the ca field must be set to false`;
  return undefined;
}

function validateLeafKeyUsage(cert: GoCertificate): string | undefined {
  if ((cert.keyUsage & KU.DigitalSignature) === 0)
    return `the certificate with subject ${q(cert)} is invalid. The key usage must have the bit positions for "Digital Signature" set`;
  const invalid: string[] = [];
  if (cert.keyUsage & KU.KeyEncipherment) invalid.push('"KeyEncipherment"');
  if (cert.keyUsage & KU.DataEncipherment) invalid.push('"DataEncipherment"');
  if (cert.keyUsage & KU.KeyAgreement) invalid.push('"KeyAgreement"');
  if (cert.keyUsage & KU.CertSign) invalid.push('"CertSign"');
  if (cert.keyUsage & KU.CRLSign) invalid.push('"CRLSign"');
  if (cert.keyUsage & KU.EncipherOnly) invalid.push('"EncipherOnly"');
  if (cert.keyUsage & KU.DecipherOnly) invalid.push('"DecipherOnly"');
  if (invalid.length > 0)
    return `the certificate with subject ${q(cert)} is invalid. The key usage must be "Digital Signature" only, but found ${invalid.join(', ')}`;
  return undefined;
}

/** validateSignatureAlgorithm: the key types and sizes notation accepts. */
export function validateSignatureAlgorithm(cert: GoCertificate): string | undefined {
  const key = cert.publicKey;
  if (key.kind === 'rsa') {
    if (key.bits === 2048 || key.bits === 3072 || key.bits === 4096) return undefined;
    return `certificate with subject ${q(cert)}: rsa key size ${key.bits} bits is not supported`;
  }
  if (key.kind === 'ecdsa') {
    if (key.bitSize === 256 || key.bitSize === 384 || key.bitSize === 521) return undefined;
    return `certificate with subject ${q(cert)}: ecdsa key size ${key.bitSize} bits is not supported`;
  }
  return `certificate with subject ${q(cert)}: unsupported public key type`;
}

const EKU_NAMES: Record<string, string> = {
  Any: 'Any',
  ServerAuth: 'ServerAuth',
  ClientAuth: 'ClientAuth',
  OCSPSigning: 'OCSPSigning',
  EmailProtection: 'EmailProtection',
  CodeSigning: 'CodeSigning',
  TimeStamping: 'Timestamping',
};

function keyUsagePresent(cert: GoCertificate, mustBeCritical: boolean): string | undefined {
  const ext = cert.extensions.find((e) => e.id === '2.5.29.15');
  if (ext && mustBeCritical && !ext.critical)
    return `certificate with subject ${q(cert)}: key usage extension must be marked critical`;
  if (!ext) return `certificate with subject ${q(cert)}: key usage extension must be present`;
  return undefined;
}

interface Rules {
  /** Whether the KeyUsage extension must be critical (code signing) or only present (timestamping). */
  criticalKeyUsage: boolean;
  leafEku: (cert: GoCertificate) => string | undefined;
}

function caCertificate(cert: GoCertificate, expectedPathLen: number, rules: Rules): string | undefined {
  return (
    validateCABasicConstraints(cert, expectedPathLen) ??
    keyUsagePresent(cert, rules.criticalKeyUsage) ??
    ((cert.keyUsage & KU.CertSign) === 0
      ? `certificate with subject ${q(cert)}: key usage must have the bit positions for key cert sign set`
      : undefined)
  );
}

function leafCertificate(cert: GoCertificate, rules: Rules): string | undefined {
  return (
    validateLeafBasicConstraints(cert) ??
    keyUsagePresent(cert, rules.criticalKeyUsage) ??
    validateLeafKeyUsage(cert) ??
    rules.leafEku(cert) ??
    validateSignatureAlgorithm(cert)
  );
}

const CODE_SIGNING: Rules = {
  criticalKeyUsage: true,
  leafEku(cert) {
    if (cert.extKeyUsage.length === 0) return undefined;
    const excluded = ['ServerAuth', 'ClientAuth', 'EmailProtection', 'TimeStamping', 'OCSPSigning'];
    for (const eku of cert.extKeyUsage) {
      for (const ex of excluded) {
        if (eku === ex)
          return `certificate with subject ${q(cert)}: extended key usage must not contain ${EKU_NAMES[ex]} eku`;
      }
    }
    return undefined;
  },
};

const TIMESTAMPING: Rules = {
  criticalKeyUsage: false,
  leafEku(cert) {
    if (
      cert.extKeyUsage.length !== 1 ||
      cert.extKeyUsage[0] !== 'TimeStamping' ||
      cert.unknownExtKeyUsage.length !== 0
    )
      return `timestamp signing certificate with subject ${q(cert)} must have and only have Timestamping as extended key usage`;
    const ext = cert.extensions.find((e) => e.id === '2.5.29.37');
    if (ext && !ext.critical)
      return `timestamp signing certificate with subject ${q(cert)} must have extended key usage extension marked as critical`;
    return undefined;
  },
};

function validateChain(chain: GoCertificate[], rules: Rules): string | undefined {
  if (chain.length < 1) return 'certificate chain must contain at least one certificate';
  if (chain.length === 1) {
    const cert = chain[0]!;
    const err = checkSelfSignature(cert);
    if (err !== undefined) return `invalid self-signed certificate. subject: ${q(cert)}. Error: ${err}`;
    if (!bytesEqual(cert.rawSubject, cert.rawIssuer))
      return `invalid self-signed certificate. subject: ${q(cert)}. Error: issuer(${cert.issuerString}) and subject(${cert.subjectString}) are not the same`;
    const leafErr = leafCertificate(cert, rules);
    if (leafErr !== undefined) return `invalid self-signed certificate. Error: ${leafErr}`;
    return undefined;
  }
  for (let i = 0; i < chain.length; i++) {
    const cert = chain[i]!;
    if (i === chain.length - 1) {
      const [selfSigned, err] = isIssuedBy(cert, cert);
      if (err !== undefined)
        return `root certificate with subject ${q(cert)} is invalid or not self-signed. Certificate chain must end with a valid self-signed root certificate. Error: ${err}`;
      if (!selfSigned)
        return `root certificate with subject ${q(cert)} is not self-signed. Certificate chain must end with a valid self-signed root certificate`;
    } else {
      const [selfSigned, selfErr] = isIssuedBy(cert, cert);
      if (selfErr === undefined && selfSigned) {
        if (i === 0)
          return `leaf certificate with subject ${q(cert)} is self-signed. Certificate chain must not contain self-signed leaf certificate`;
        return `intermediate certificate with subject ${q(cert)} is self-signed. Certificate chain must not contain self-signed intermediate certificate`;
      }
      const parent = chain[i + 1]!;
      const [issued, err] = isIssuedBy(cert, parent);
      if (err !== undefined)
        return `invalid certificates or certificate with subject ${q(cert)} is not issued by ${q(parent)}. Error: ${err}`;
      if (!issued) return `certificate with subject ${q(cert)} is not issued by ${q(parent)}`;
    }
    const err = i === 0 ? leafCertificate(cert, rules) : caCertificate(cert, i - 1, rules);
    if (err !== undefined) return err;
  }
  return undefined;
}

/** ValidateCodeSigningCertChain(chain, nil): no signing-time check (notation passes nil). */
export function validateCodeSigningCertChain(chain: GoCertificate[]): string | undefined {
  return validateChain(chain, CODE_SIGNING);
}

export function validateTimestampingCertChain(chain: GoCertificate[]): string | undefined {
  return validateChain(chain, TIMESTAMPING);
}
