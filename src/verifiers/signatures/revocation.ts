/**
 * Revocation as notation-core-go v1.3.0 checks it (revocation/revocation.go, internal/crl) and as
 * notation-go v1.3.2 sums it up (revocationFinalResult): per certificate except the root, OCSP
 * when the certificate names a responder (falling back to CRL when OCSP cannot answer), else CRL,
 * else "non-revokable" (which counts as good). The network is not ours: CRLs and OCSP answers come
 * from a fetcher the caller supplies, and without one ("offline") a chain whose certificates name
 * responders is reported as not checked instead of guessed.
 */
import { AsnConvert } from '@peculiar/asn1-schema';
import { CertificateList } from '@peculiar/asn1-x509';
import { Der, TAG } from './der.ts';
import { after, before, goTimeFromMs, type GoTime, isZero } from './gotime.ts';
import {
  checkSignature,
  CONSTRAINT_VIOLATION,
  type GoCertificate,
  KU,
  parseAlgorithmIdentifier,
  signatureAlgorithmFromAI,
} from './x509.ts';
import { derBitString, rightAlign } from './der.ts';

/** Fetches revocation data. Each answer is the response body, or the error the request met. */
export interface RevocationFetcher {
  /** GET a CRL distribution point (http URLs only, as notation). */
  crl(url: string): Promise<Uint8Array | { error: string }>;
  /**
   * An OCSP request. This engine does not read OCSP responses yet: an error is "unknown" (then the
   * CRL, as notation falls back), a response leaves the chain not checked.
   */
  ocsp?(url: string): Promise<Uint8Array | { error: string }>;
}

export type Result = 'OK' | 'NonRevokable' | 'Unknown' | 'Revoked';

/** Per certificate of the chain, leaf first; `notChecked` when the network was needed but offline. */
export type ChainResults = Result[] | { notChecked: string[] };

function ocspSupported(cert: GoCertificate): boolean {
  return cert.ocspServer.length > 0;
}
function crlSupported(cert: GoCertificate): boolean {
  return cert.crlDistributionPoints.length > 0;
}

/** The URLs a chain would make notation fetch (so a caller can say what was not asked). */
export function revocationUrls(chain: GoCertificate[]): string[] {
  return chain.slice(0, -1).flatMap((c) => [...c.ocspServer, ...c.crlDistributionPoints]);
}

interface ParsedCrl {
  rawTBS: Uint8Array;
  signatureAlgorithm: ReturnType<typeof signatureAlgorithmFromAI>;
  signature: Uint8Array;
  nextUpdate: GoTime | undefined;
  extensions: { id: string; critical: boolean }[];
  entries: { serial: bigint; extensions: { id: string; critical: boolean; value: Uint8Array }[] }[];
}

function parseCrl(bytes: Uint8Array): ParsedCrl {
  const outer = new Der(bytes).read(TAG.SEQUENCE);
  if (!outer) throw new Error('x509: malformed crl');
  const d = new Der(outer.contents);
  const tbs = d.read(TAG.SEQUENCE);
  const algEl = d.read(TAG.SEQUENCE);
  const sigEl = d.read(TAG.BIT_STRING);
  const sig = sigEl ? derBitString(sigEl.contents) : undefined;
  const ai = algEl ? parseAlgorithmIdentifier(algEl.contents) : undefined;
  if (!tbs || !ai || !sig) throw new Error('x509: malformed crl');
  const list = AsnConvert.parse(bytes, CertificateList);
  const tbsList = list.tbsCertList;
  const serial = (buf: ArrayBuffer) => {
    let v = 0n;
    for (const b of new Uint8Array(buf)) v = (v << 8n) | BigInt(b);
    return v;
  };
  return {
    rawTBS: tbs.full,
    signatureAlgorithm: signatureAlgorithmFromAI(ai.oid, ai.params),
    signature: rightAlign(sig.bytes, sig.bitLength),
    nextUpdate: tbsList.nextUpdate ? goTimeFromMs(tbsList.nextUpdate.getTime().getTime()) : undefined,
    extensions: (tbsList.crlExtensions ?? []).map((e) => ({ id: e.extnID, critical: e.critical })),
    entries: (tbsList.revokedCertificates ?? []).map((e) => ({
      serial: serial(e.userCertificate),
      extensions: (e.crlEntryExtensions ?? []).map((x) => ({
        id: x.extnID,
        critical: x.critical,
        value: new Uint8Array(x.extnValue.buffer),
      })),
    })),
  };
}

/** crl.validate: signature by the issuer, NextUpdate, unsupported extensions. */
function validateCrl(crl: ParsedCrl, issuer: GoCertificate, now: GoTime): string | undefined {
  if (
    (issuer.version === 3 && !issuer.basicConstraintsValid) ||
    (issuer.basicConstraintsValid && !issuer.isCA)
  )
    return CONSTRAINT_VIOLATION;
  if (issuer.keyUsage !== 0 && (issuer.keyUsage & KU.CRLSign) === 0) return CONSTRAINT_VIOLATION;
  const sigErr = checkSignature(crl.signatureAlgorithm, crl.rawTBS, crl.signature, issuer.publicKey, true);
  if (sigErr !== undefined) return sigErr;
  if (crl.nextUpdate && !isZero(crl.nextUpdate) && after(now, crl.nextUpdate)) return 'expired CRL';
  for (const ext of crl.extensions) {
    if (ext.id === '2.5.29.46') return 'delta CRL is not supported';
    if (ext.id === '2.5.29.28') continue;
    if (ext.critical) return `unsupported critical extension found in CRL: ${ext.id}`;
  }
  return undefined;
}

/** The invalidity date of a CRL entry, when it has one. */
function invalidityDate(value: Uint8Array): GoTime | undefined {
  const el = new Der(value).read(TAG.GeneralizedTime);
  if (!el) throw new Error('failed to parse invalidity date');
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(Buffer.from(el.contents).toString('latin1'));
  if (!m) throw new Error('failed to parse invalidity date');
  return goTimeFromMs(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!));
}

async function crlStatus(
  cert: GoCertificate,
  issuer: GoCertificate,
  fetcher: RevocationFetcher,
  signingTime: GoTime | undefined,
  now: GoTime,
): Promise<Result> {
  for (const url of cert.crlDistributionPoints) {
    if (!/^http:/i.test(url)) return 'Unknown';
    const body = await fetcher.crl(url);
    if (!(body instanceof Uint8Array)) return 'Unknown';
    let crl: ParsedCrl;
    try {
      crl = parseCrl(body);
    } catch {
      return 'Unknown';
    }
    if (validateCrl(crl, issuer, now) !== undefined) return 'Unknown';
    for (const entry of crl.entries) {
      if (entry.serial !== cert.serialNumber) continue;
      let invalidity: GoTime | undefined;
      try {
        for (const ext of entry.extensions) {
          if (ext.id === '2.5.29.24') invalidity = invalidityDate(ext.value);
          else if (ext.critical) return 'Unknown';
        }
      } catch {
        return 'Unknown';
      }
      if (signingTime && !isZero(signingTime) && invalidity && before(signingTime, invalidity)) break;
      return 'Revoked';
    }
  }
  return 'OK';
}

/**
 * ValidateContext for a chain (leaf first). `signingTime` is the authentic signing time
 * (signingAuthority scheme), compared with CRL invalidity dates.
 */
export async function checkChain(
  chain: GoCertificate[],
  fetcher: RevocationFetcher | undefined,
  signingTime: GoTime | undefined,
  now: GoTime,
): Promise<ChainResults> {
  const needed = revocationUrls(chain);
  if (needed.length > 0 && !fetcher) return { notChecked: needed };
  const results: Result[] = [];
  for (let i = 0; i < chain.length - 1; i++) {
    const cert = chain[i]!;
    const issuer = chain[i + 1]!;
    if (ocspSupported(cert)) {
      // A responder that cannot be reached makes OCSP "unknown", and notation falls back to the
      // CRL; an answer would need reading, which this engine does not do: not checked.
      if (!fetcher?.ocsp) return { notChecked: needed };
      for (const url of cert.ocspServer) {
        const answer = await fetcher.ocsp(url);
        if (answer instanceof Uint8Array) return { notChecked: needed };
      }
      results.push(crlSupported(cert) ? await crlStatus(cert, issuer, fetcher, signingTime, now) : 'Unknown');
    } else if (crlSupported(cert)) results.push(await crlStatus(cert, issuer, fetcher!, signingTime, now));
    else results.push('NonRevokable');
  }
  results.push('NonRevokable');
  return results;
}

/** revocationFinalResult: the chain's verdict and the certificate that decided it. */
export function finalResult(results: Result[], chain: GoCertificate[]): { result: Result; subject: string } {
  let final: Result = 'Unknown';
  let ok = 0;
  let problematic = '';
  let revokedSubject: string | undefined;
  for (let i = results.length - 1; i >= 0; i--) {
    const r = results[i]!;
    if (r === 'OK' || r === 'NonRevokable') ok++;
    else {
      final = r;
      problematic = chain[i]!.subjectString;
      if (r === 'Revoked') revokedSubject = problematic;
    }
  }
  if (revokedSubject !== undefined) {
    problematic = revokedSubject;
    final = 'Revoked';
  }
  if (ok === results.length) final = 'OK';
  return { result: final, subject: problematic };
}
