/**
 * notation-go v1.3.2's x509 trust store (verifier/truststore/truststore.go) over an in-memory
 * snapshot of `truststore/x509/<type>/<name>/<files>`, so every file rule — PEM or DER, one error
 * per unreadable or invalid file in name order, non-CA certificates, empty stores, `tsa` stores
 * that must hold root CAs — is decided without I/O. The snapshot is made by layout.ts (or a test).
 */
import { goQuote } from '../../policy/notation/goquote.ts';
import { bytesEqual } from './der.ts';
import { ERR_NOT_EXIST, type GoErr, goErr, storeErr } from './goerror.ts';
import { checkSelfSignature, checkSignatureFrom, type GoCertificate, readCertificateFile } from './x509.ts';

export type StoreType = 'ca' | 'signingAuthority' | 'tsa';
export const STORE_TYPES: readonly StoreType[] = ['ca', 'signingAuthority', 'tsa'];

/** One entry of a store directory, as os.ReadDir and os.ReadFile see it. */
export type StoreEntry =
  | { name: string; kind: 'file'; bytes: Uint8Array }
  | { name: string; kind: 'directory' | 'symlink' }
  /** A file that could not be read: the Go error text (e.g. `open …: permission denied`). */
  | { name: string; kind: 'unreadable'; error: string };

/** What Lstat finds at `truststore/x509/<type>/<name>`. */
export type StoreDirectory =
  | { kind: 'directory'; entries: StoreEntry[] }
  | { kind: 'not-directory' }
  /** Lstat or ReadDir failed for a reason other than absence: the Go error text. */
  | { kind: 'inaccessible'; error: string };

export interface TrustStoreSnapshot {
  /** The directory notation's configuration lives in (NOTATION_CONFIG), for the texts that print paths. */
  configDir: string;
  /** Keyed `<type>/<name>`; a store that is absent has no key. */
  stores: Map<string, StoreDirectory>;
}

export function storePath(snapshot: TrustStoreSnapshot, type: string, name: string): string {
  return `${snapshot.configDir.replace(/\/+$/, '')}/truststore/x509/${type}/${name}`;
}

const FILE_NAME = /^[a-zA-Z0-9_.-]+$/;

/** Certificates parsed from a file, cached by content: the snapshot is immutable. */
const parsed = new WeakMap<Uint8Array, GoCertificate[] | string>();

function parseFile(bytes: Uint8Array): GoCertificate[] | string {
  let result = parsed.get(bytes);
  if (result === undefined) {
    try {
      result = readCertificateFile(bytes);
    } catch (err) {
      result = (err as Error).message;
    }
    parsed.set(bytes, result);
  }
  return result;
}

/** truststore.ValidateCertificates: each certificate is a CA or self-signed. */
function validateCertificates(certs: GoCertificate[]): string | undefined {
  if (certs.length < 1) return 'input certs cannot be empty';
  for (const cert of certs) {
    if (!cert.isCA && checkSelfSignature(cert) !== undefined)
      return `certificate with subject ${goQuote(cert.subjectString)} is not a CA certificate or self-signed signing certificate`;
  }
  return undefined;
}

/** isRootCACertificate, for `tsa` stores. */
function rootCAError(cert: GoCertificate): string | undefined {
  const err = checkSignatureFrom(cert, cert);
  if (err !== undefined)
    return `certificate with subject ${goQuote(cert.subjectString)} is not a root CA certificate: ${err}`;
  if (!bytesEqual(cert.rawSubject, cert.rawIssuer))
    return `certificate with subject ${goQuote(cert.subjectString)} is not a root CA certificate: issuer (${cert.issuerString}) and subject (${cert.subjectString}) are not the same`;
  return undefined;
}

/** X509TrustStore.GetCertificates(storeType, namedStore). */
export function getCertificates(
  snapshot: TrustStoreSnapshot,
  type: string,
  name: string,
): GoCertificate[] | GoErr {
  if (!STORE_TYPES.includes(type as StoreType))
    return storeErr('TrustStoreError', `unsupported trust store type: ${type}`);
  if (!FILE_NAME.test(name))
    return storeErr(
      'TrustStoreError',
      `trust store name needs to follow [a-zA-Z0-9_.-]+ format, ${name} is invalid`,
    );
  const path = storePath(snapshot, type, name);
  const dir = snapshot.stores.get(`${type}/${name}`);
  if (!dir)
    return storeErr(
      'TrustStoreError',
      `the trust store ${goQuote(name)} of type ${goQuote(type)} does not exist`,
      { message: `lstat ${path}: no such file or directory`, notExist: true },
    );
  if (dir.kind === 'inaccessible')
    return storeErr(
      'TrustStoreError',
      `failed to access the trust store ${goQuote(name)} of type ${goQuote(type)}`,
      goErr(dir.error),
    );
  if (dir.kind === 'not-directory')
    return storeErr(
      'TrustStoreError',
      `the trust store ${name} of type ${type} with path ${path} is not a regular directory (symlinks are not supported)`,
    );
  const certificates: GoCertificate[] = [];
  // os.ReadDir returns entries sorted by file name (bytewise).
  const entries = [...dir.entries].sort((a, b) => Buffer.compare(Buffer.from(a.name), Buffer.from(b.name)));
  for (const entry of entries) {
    let certs: GoCertificate[] | string;
    const readFailure = `failed to read the trusted certificate ${entry.name} in trust store ${name} of type ${type}`;
    switch (entry.kind) {
      case 'directory':
      case 'symlink':
        return storeErr(
          'CertificateError',
          `trusted certificate ${entry.name} in trust store ${name} of type ${type} is not a regular file (directories or symlinks are not supported)`,
        );
      case 'unreadable':
        return storeErr('CertificateError', readFailure, goErr(entry.error));
      case 'file':
        certs = parseFile(entry.bytes);
    }
    if (typeof certs === 'string') return storeErr('CertificateError', readFailure, goErr(certs));
    const invalid = validateCertificates(certs);
    if (invalid !== undefined)
      return storeErr(
        'CertificateError',
        `failed to validate the trusted certificate ${entry.name} in trust store ${name} of type ${type}`,
        goErr(invalid),
      );
    if (type === 'tsa') {
      for (const cert of certs) {
        const err = rootCAError(cert);
        if (err !== undefined)
          return storeErr(
            'CertificateError',
            `trusted certificate ${entry.name} in trust store ${name} of type ${type} is invalid: ${err}`,
            goErr(err),
          );
      }
    }
    certificates.push(...certs);
  }
  if (certificates.length < 1)
    return storeErr(
      'CertificateError',
      `no x509 certificates were found in trust store ${goQuote(name)} of type ${goQuote(type)}`,
      ERR_NOT_EXIST,
    );
  return certificates;
}

/** loadX509TrustStoresWithType: every `<type>:<name>` of the statement, each store once. */
export function loadTrustStoresOfType(
  snapshot: TrustStoreSnapshot,
  type: StoreType,
  policyName: string,
  trustStores: string[],
): GoCertificate[] | GoErr {
  const processed = new Set<string>();
  const certificates: GoCertificate[] = [];
  for (const trustStore of trustStores) {
    if (processed.has(trustStore)) continue;
    const colon = trustStore.indexOf(':');
    if (colon < 0)
      return storeErr(
        'TrustStoreError',
        `error while loading the trust store, trust policy statement ${goQuote(policyName)} is missing separator in trust store value ${goQuote(trustStore)}. The required format is <TrustStoreType>:<TrustStoreName>`,
      );
    if (trustStore.slice(0, colon) !== type) continue;
    const certs = getCertificates(snapshot, type, trustStore.slice(colon + 1));
    if (!Array.isArray(certs)) return certs;
    certificates.push(...certs);
    processed.add(trustStore);
  }
  return certificates;
}
