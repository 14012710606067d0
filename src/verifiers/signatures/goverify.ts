/**
 * Go 1.23's (*x509.Certificate).Verify as tspclient-go uses it for a timestamp's signing
 * certificate: chains built from the token's certificates (intermediates) to the `tsa` store
 * (roots) at the timestamp's time, candidates tried in Go's order (matching key IDs first), the
 * validity and CA checks of isValid, and the extended key usage check, with Go's error texts
 * (UnknownAuthorityError with its hint, CertificateInvalidError). Name constraints and policies
 * do not occur in notation's TSA chains and are not modelled.
 */
import { goQuote } from '../../policy/notation/goquote.ts';
import { bytesEqual } from './der.ts';
import { after, before, formatRFC3339, type GoTime } from './gotime.ts';
import { checkSignatureFrom, type ExtKeyUsage, type GoCertificate } from './x509.ts';

export interface VerifyOptions {
  currentTime: GoTime;
  roots: GoCertificate[];
  intermediates: GoCertificate[];
  keyUsages: ExtKeyUsage[];
}

class VerifyError extends Error {}

type CertType = 'leaf' | 'intermediate' | 'root';

function isValid(
  cert: GoCertificate,
  certType: CertType,
  chain: GoCertificate[],
  opts: VerifyOptions,
): string | undefined {
  const now = opts.currentTime;
  if (before(now, cert.notBefore))
    return `x509: certificate has expired or is not yet valid: current time ${formatRFC3339(now)} is before ${formatRFC3339(cert.notBefore)}`;
  if (after(now, cert.notAfter))
    return `x509: certificate has expired or is not yet valid: current time ${formatRFC3339(now)} is after ${formatRFC3339(cert.notAfter)}`;
  if (certType === 'intermediate' && (!cert.basicConstraintsValid || !cert.isCA))
    return 'x509: certificate is not authorized to sign other certificates';
  if (cert.basicConstraintsValid && cert.maxPathLen >= 0 && certType !== 'leaf') {
    const numIntermediates = chain.length - 1;
    if (numIntermediates > cert.maxPathLen) return 'x509: too many intermediates for path length constraint';
  }
  return undefined;
}

function potentialParents(pool: GoCertificate[], cert: GoCertificate): GoCertificate[] {
  const matching: GoCertificate[] = [];
  const one: GoCertificate[] = [];
  const mismatch: GoCertificate[] = [];
  for (const candidate of pool) {
    if (!bytesEqual(candidate.rawSubject, cert.rawIssuer)) continue;
    const kidMatch = bytesEqual(candidate.subjectKeyId, cert.authorityKeyId);
    if (kidMatch) matching.push(candidate);
    else if (
      (candidate.subjectKeyId.length === 0 && cert.authorityKeyId.length > 0) ||
      (candidate.subjectKeyId.length > 0 && cert.authorityKeyId.length === 0)
    )
      one.push(candidate);
    else mismatch.push(candidate);
  }
  return [...matching, ...one, ...mismatch];
}

function alreadyInChain(candidate: GoCertificate, chain: GoCertificate[]): boolean {
  return chain.some(
    (c) =>
      bytesEqual(c.raw, candidate.raw) ||
      (bytesEqual(c.rawSubject, candidate.rawSubject) && bytesEqual(c.rawSPKI, candidate.rawSPKI)),
  );
}

/** A pool keeps one copy of each certificate (CertPool.AddCert ignores duplicates). */
function dedupe(pool: GoCertificate[]): GoCertificate[] {
  const out: GoCertificate[] = [];
  for (const c of pool) if (!out.some((o) => bytesEqual(o.raw, c.raw))) out.push(c);
  return out;
}

function unknownAuthority(hintErr: string | undefined, hintCert: GoCertificate | undefined): string {
  let s = 'x509: certificate signed by unknown authority';
  if (hintErr !== undefined && hintCert) {
    let name = hintCert.subject.commonName;
    if (name === '') name = hintCert.subject.organization[0] ?? `serial:${hintCert.serialNumber}`;
    s += ` (possibly because of ${goQuote(hintErr)} while trying to verify candidate authority certificate ${goQuote(name)})`;
  }
  return s;
}

function buildChains(
  cert: GoCertificate,
  current: GoCertificate[],
  opts: VerifyOptions,
  roots: GoCertificate[],
  intermediates: GoCertificate[],
  sigChecks: { n: number },
): GoCertificate[][] {
  const chains: GoCertificate[][] = [];
  let hintErr: string | undefined;
  let hintCert: GoCertificate | undefined;
  let error: string | undefined;
  const consider = (certType: 'root' | 'intermediate', candidate: GoCertificate) => {
    if (candidate.publicKey.kind === 'other' || alreadyInChain(candidate, current)) return;
    sigChecks.n++;
    if (sigChecks.n > 100) {
      error = 'x509: signature check attempts limit reached while verifying certificate chain';
      return;
    }
    const sigErr = checkSignatureFrom(cert, candidate);
    if (sigErr !== undefined) {
      if (hintErr === undefined) {
        hintErr = sigErr;
        hintCert = candidate;
      }
      return;
    }
    const validErr = isValid(candidate, certType, current, opts);
    if (validErr !== undefined) {
      if (hintErr === undefined) {
        hintErr = validErr;
        hintCert = candidate;
      }
      return;
    }
    if (certType === 'root') chains.push([...current, candidate]);
    else {
      try {
        chains.push(
          ...buildChains(candidate, [...current, candidate], opts, roots, intermediates, sigChecks),
        );
      } catch (err) {
        if (err instanceof VerifyError) error = err.message;
        else throw err;
      }
    }
  };
  for (const root of potentialParents(roots, cert)) consider('root', root);
  for (const intermediate of potentialParents(intermediates, cert)) consider('intermediate', intermediate);
  if (chains.length > 0) return chains;
  throw new VerifyError(error ?? unknownAuthority(hintErr, hintCert));
}

/** EKU compatibility of a chain (checkChainForKeyUsage). */
function chainKeyUsageOk(chain: GoCertificate[], keyUsages: ExtKeyUsage[]): boolean {
  let usages = [...keyUsages];
  if (usages.includes('Any')) return true;
  for (let i = chain.length - 1; i >= 0; i--) {
    const cert = chain[i]!;
    if (cert.extKeyUsage.length === 0 && cert.unknownExtKeyUsage.length === 0) continue;
    if (cert.extKeyUsage.includes('Any')) continue;
    usages = usages.filter((u) => {
      if (cert.extKeyUsage.includes(u)) return true;
      // Go also accepts the Netscape/Microsoft SGC usages for ServerAuth.
      if (
        u === 'ServerAuth' &&
        (cert.extKeyUsage.includes('NetscapeServerGatedCrypto') ||
          cert.extKeyUsage.includes('MicrosoftServerGatedCrypto'))
      )
        return true;
      return false;
    });
    if (usages.length === 0) return false;
  }
  return true;
}

/** Certificate.Verify: the chains (leaf first), or Go's error text. */
export function goVerify(cert: GoCertificate, opts: VerifyOptions): GoCertificate[][] | { error: string } {
  const roots = dedupe(opts.roots);
  const intermediates = dedupe(opts.intermediates);
  if (cert.unhandledCriticalExtensions.length > 0) return { error: 'x509: unhandled critical extension' };
  const leafErr = isValid(cert, 'leaf', [], opts);
  if (leafErr !== undefined) return { error: leafErr };
  let candidates: GoCertificate[][];
  if (roots.some((r) => bytesEqual(r.raw, cert.raw))) candidates = [[cert]];
  else {
    try {
      candidates = buildChains(cert, [cert], opts, roots, intermediates, { n: 0 });
    } catch (err) {
      if (err instanceof VerifyError) return { error: err.message };
      throw err;
    }
  }
  const usages: ExtKeyUsage[] = opts.keyUsages.length > 0 ? opts.keyUsages : ['ServerAuth'];
  const chains = candidates.filter((c) => chainKeyUsageOk(c, usages));
  if (chains.length === 0) return { error: 'x509: certificate specifies an incompatible key usage' };
  return chains;
}
