/**
 * One signature through notation-go v1.3.2's verifier (verifier/verifier.go: Verify and
 * processSignature): integrity, the verification plugin lookup, authenticity against the trust
 * store and the trusted identities, expiry, the authentic timestamp, revocation, the plugin's own
 * checks, and the signed descriptor against the image's. Each step's result and the error Verify
 * returns are kept as notation-go records them (ValidationResult: type, action, error).
 *
 * Where the decision needs the network (OCSP/CRL, AWS Signer's GetRevocationStatus) and no fetcher
 * was given, the step is recorded as not checked and the signature's outcome as undecided.
 */
import { goQuote } from '../../policy/notation/goquote.ts';
import type { Descriptor } from '../../registry/oci.ts';
import { isSubsetDN, parseDistinguishedName } from '../../policy/notation/dn.ts';
import type { Actions, CheckAction } from '../notation.ts';
import {
  AWS_SIGNER_PLUGIN,
  type AwsRevocationAnswer,
  type AwsRevocationRequest,
  CAPABILITY_REVOCATION_CHECK,
  CAPABILITY_TRUSTED_IDENTITY,
  PluginError,
  revocationVerdict,
  runAwsSignerPlugin,
} from './awssigner.ts';
import { parseCose, verifyCose } from './cose.ts';
import { bytesEqual } from './der.ts';
import {
  COSE_MEDIA_TYPE,
  type EnvelopeContent,
  JWS_MEDIA_TYPE,
  payloadContentTypeError,
  SIGNING_SCHEME_X509,
  SIGNING_SCHEME_X509_SIGNING_AUTHORITY,
  validateEnvelopeContent,
} from './envelope.ts';
import { type GoErr, goErr } from './goerror.ts';
import { type GoJson, GoJsonError, goUnmarshal, structFields, TypeErrors } from './gojson.ts';
import { after, before, formatRFC1123Z, type GoTime, goTimeString, isZero } from './gotime.ts';
import { parseJws, verifyJws } from './jws.ts';
import { checkChain, finalResult, type RevocationFetcher } from './revocation.ts';
import {
  boundedAfter,
  boundedBefore,
  formatTimestamp,
  parseSignedToken,
  tstInfo,
  validateTstInfo,
  verifySignedToken,
} from './timestamp.ts';
import { validateTimestampingCertChain } from './chain.ts';
import { loadTrustStoresOfType, type TrustStoreSnapshot } from './truststore.ts';
import type { GoCertificate } from './x509.ts';

export type ValidationType = 'integrity' | 'authenticity' | 'expiry' | 'authenticTimestamp' | 'revocation';

export interface StepResult {
  type: ValidationType;
  action: CheckAction;
  error?: GoErr;
  /** civctl: the step needed the network and was not checked (why). */
  notChecked?: string;
}

/** The OCI descriptor, declared once in registry/oci.ts. */
export type { Descriptor };

/** The statement that governs the image, as verification needs it. */
export interface Statement {
  name: string;
  trustStores: string[];
  trustedIdentities: string[];
  verifyTimestamp: string;
  /** GetVerificationLevel().Name and its actions. */
  level: string;
  actions: Actions;
}

/** The verification plugins of the node (notation's NOTATION_LIBEXEC). */
export interface PluginEnvironment {
  /** The plugin directory (Bottlerocket: /usr/libexec/notation-plugins). */
  dir: string;
  /** Installed plugins by name, with the version their metadata reports. */
  installed: Map<string, { version: string }>;
}

export interface VerifierContext {
  statement: Statement;
  trustStore: TrustStoreSnapshot;
  now: GoTime;
  /** Undefined: offline, nothing is fetched. */
  fetcher: RevocationFetcher | undefined;
  /** AWS Signer's GetRevocationStatus; undefined: the call is not made. */
  awsSigner: ((request: AwsRevocationRequest) => Promise<AwsRevocationAnswer>) | undefined;
  plugins: PluginEnvironment;
}

export interface SignatureVerification {
  results: StepResult[];
  /** What verifier.Verify returned. */
  error?: GoErr;
  content?: EnvelopeContent;
  /** The descriptor the signature signed, when its payload was read. */
  targetArtifact?: Descriptor & { annotations: [string, string][] };
  /** civctl: what was not checked (the network was not used, a plugin was not run). */
  notChecked: string[];
  /** civctl: whether what was not checked could have failed the signature. */
  undecided: boolean;
  /** civctl: what AWS Signer would have been asked, when the call was not made or was made. */
  awsRequest?: AwsRevocationRequest;
}

const inconclusive = (msg: string): GoErr => goErr(msg);

function isCritical(r: StepResult): boolean {
  return r.action === 'enforce' && r.error !== undefined;
}

function errText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** verifyIntegrity: parse by media type, the format's Verify, base validation, payload type. */
function verifyIntegrity(blob: Uint8Array, mediaType: string): { content?: EnvelopeContent; error?: string } {
  let parsed: ReturnType<typeof parseJws> | ReturnType<typeof parseCose>;
  try {
    if (mediaType === JWS_MEDIA_TYPE) parsed = parseJws(blob);
    else if (mediaType === COSE_MEDIA_TYPE) parsed = parseCose(blob);
    else throw new Error(`signature envelope format with media type ${goQuote(mediaType)} is not supported`);
  } catch (err) {
    return { error: `unable to parse the digital signature, error : ${errText(err)}` };
  }
  let content: EnvelopeContent;
  try {
    content =
      mediaType === JWS_MEDIA_TYPE
        ? verifyJws(parsed as ReturnType<typeof parseJws>)
        : verifyCose(parsed as ReturnType<typeof parseCose>);
  } catch (err) {
    return { error: errText(err) };
  }
  const invalid = validateEnvelopeContent(content) ?? payloadContentTypeError(content.payload.contentType);
  if (invalid !== undefined) return { error: invalid };
  return { content };
}

/** extractCriticalStringExtendedAttribute; undefined when the attribute is absent. */
function criticalString(content: EnvelopeContent, key: string): string | undefined {
  const attr = content.signerInfo.extendedAttributes.find((a) => a.key === key);
  if (!attr) return undefined;
  if (!attr.critical) throw new Error(`${key} is not a critical Extended attribute`);
  if (typeof attr.value !== 'string') throw new Error(`${key} from extended attribute is not a string`);
  return attr.value;
}

interface Semver {
  major: string;
  minor: string;
  patch: string;
  prerelease: string;
}

/** golang.org/x/mod/semver's parse of "v" + version (shorthands v1 and v1.2 allowed). */
function parseSemver(version: string): Semver | undefined {
  if (version.startsWith('v')) return undefined; // notation: a version must not have the prefix
  const m =
    /^(0|[1-9]\d*)(?:\.(0|[1-9]\d*)(?:\.(0|[1-9]\d*)(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?)?)?$/.exec(
      version,
    );
  if (!m) return undefined;
  const prerelease = m[4] ?? '';
  // Numeric pre-release identifiers must not have leading zeros.
  if (prerelease.split('.').some((id) => /^0\d+$/.test(id))) return undefined;
  return { major: m[1]!, minor: m[2] ?? '0', patch: m[3] ?? '0', prerelease };
}

function compareNum(a: string, b: string): number {
  if (a.length !== b.length) return a.length < b.length ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** semver.Compare("v"+a, "v"+b): invalid versions sort lowest. */
function semverCompare(a: string, b: string): number {
  const pa = parseSemver(a);
  const pb = parseSemver(b);
  if (!pa || !pb) return pa ? 1 : pb ? -1 : 0;
  for (const k of ['major', 'minor', 'patch'] as const) {
    const c = compareNum(pa[k], pb[k]);
    if (c !== 0) return c;
  }
  if (pa.prerelease === pb.prerelease) return 0;
  if (pa.prerelease === '') return 1;
  if (pb.prerelease === '') return -1;
  const xa = pa.prerelease.split('.');
  const xb = pb.prerelease.split('.');
  for (let i = 0; i < Math.max(xa.length, xb.length); i++) {
    const s = xa[i];
    const t = xb[i];
    if (s === undefined) return -1;
    if (t === undefined) return 1;
    if (s === t) continue;
    const ns = /^\d+$/.test(s);
    const nt = /^\d+$/.test(t);
    if (ns && nt) return compareNum(s, t);
    if (ns) return -1;
    if (nt) return 1;
    return s < t ? -1 : 1;
  }
  return 0;
}

/** verifyX509TrustedIdentities: undefined when the leaf's subject is trusted. */
function verifyTrustedIdentities(
  policyName: string,
  identities: string[],
  chain: GoCertificate[],
): string | undefined {
  if (identities.includes('*')) return undefined;
  const trusted: Map<string, string>[] = [];
  for (const identity of identities) {
    const colon = identity.indexOf(':');
    if (colon < 0)
      return `trust policy statement ${goQuote(policyName)} has trusted identity ${goQuote(identity)} missing separator`;
    if (identity.slice(0, colon) !== 'x509.subject') continue;
    const value = identity.slice(colon + 1);
    if (value === '')
      return `trust policy statement ${goQuote(policyName)} has trusted identity ${goQuote(identity)} without an identity value`;
    try {
      trusted.push(parseDistinguishedName(value));
    } catch (err) {
      return errText(err);
    }
  }
  if (trusted.length === 0)
    return `no x509 trusted identities are configured in the trust policy ${goQuote(policyName)}`;
  let leafDN: Map<string, string>;
  try {
    leafDN = parseDistinguishedName(chain[0]!.subjectString);
  } catch (err) {
    return `error while parsing the certificate subject from the digital signature. error : ${goQuote(errText(err))}`;
  }
  if (trusted.some((t) => isSubsetDN(t, leafDN))) return undefined;
  // %q of []map[string]string: each map with its keys sorted, keys and values quoted.
  const maps = trusted.map(
    (m) =>
      'map[' +
      [...m.keys()]
        .sort()
        .map((k) => `${goQuote(k)}:${goQuote(m.get(k)!)}`)
        .join(' ') +
      ']',
  );
  return `signing certificate from the digital signature does not match the X.509 trusted identities [${maps.join(' ')}] defined in the trust policy ${goQuote(policyName)}`;
}

function hasTsaStore(policyName: string, trustStores: string[]): boolean | GoErr {
  for (const ts of trustStores) {
    const colon = ts.indexOf(':');
    if (colon < 0)
      return {
        message: `invalid trust policy statement: ${goQuote(policyName)} is missing separator in trust store value ${goQuote(ts)}. The required format is <TrustStoreType>:<TrustStoreName>`,
        kind: 'TrustStoreError',
      };
    if (ts.slice(0, colon) === 'tsa') return true;
  }
  return false;
}

/** verifyTimestamp (notary.x509): the error, `notChecked` when the TSA chain's revocation needed the network. */
async function verifyTimestamp(
  ctx: VerifierContext,
  content: EnvelopeContent,
): Promise<{ error?: GoErr; notChecked?: string }> {
  const { statement } = ctx;
  const info = content.signerInfo;
  const chain = info.certificateChain;
  let perform = true;
  const tsaEnabled = hasTsaStore(statement.name, statement.trustStores);
  if (typeof tsaEnabled !== 'boolean')
    return {
      error: {
        message: `failed to check tsa trust store configuration in turst policy with error: ${tsaEnabled.message}`,
        wraps: [tsaEnabled],
      },
    };
  if (!tsaEnabled) perform = false;
  const now = ctx.now;
  if (perform && statement.verifyTimestamp === 'afterCertExpiry') {
    if (!chain.some((c) => after(now, c.notAfter))) perform = false;
  }
  if (!perform) {
    for (const cert of chain) {
      if (before(now, cert.notBefore))
        return {
          error: goErr(
            `verification time is before certificate ${goQuote(cert.subjectString)} validity period, it will be valid from ${goQuote(formatRFC1123Z(cert.notBefore))}`,
          ),
        };
      if (after(now, cert.notAfter))
        return {
          error: goErr(
            `verification time is after certificate ${goQuote(cert.subjectString)} validity period, it was expired at ${goQuote(formatRFC1123Z(cert.notAfter))}`,
          ),
        };
    }
    return {};
  }
  if (info.timestampSignature.length === 0)
    return { error: goErr('no timestamp countersignature was found in the signature envelope') };
  let token: ReturnType<typeof parseSignedToken>;
  try {
    token = parseSignedToken(info.timestampSignature);
  } catch (err) {
    return { error: goErr(`failed to parse timestamp countersignature with error: ${errText(err)}`) };
  }
  let tst: ReturnType<typeof tstInfo>;
  try {
    tst = tstInfo(token);
  } catch (err) {
    return { error: goErr(`failed to get the timestamp TSTInfo with error: ${errText(err)}`) };
  }
  let timestamp: ReturnType<typeof validateTstInfo>;
  try {
    timestamp = validateTstInfo(tst, info.signature);
  } catch (err) {
    return {
      error: goErr(`failed to get timestamp from timestamp countersignature with error: ${errText(err)}`),
    };
  }
  const tsaCerts = loadTrustStoresOfType(ctx.trustStore, 'tsa', statement.name, statement.trustStores);
  if (!Array.isArray(tsaCerts))
    return {
      error: { message: `failed to load tsa trust store with error: ${tsaCerts.message}`, wraps: [tsaCerts] },
    };
  if (tsaCerts.length === 0) return { error: goErr('no trusted TSA certificate found in trust store') };
  let tsaChain: GoCertificate[];
  try {
    tsaChain = verifySignedToken(token, timestamp.value, tsaCerts);
  } catch (err) {
    return { error: goErr(`failed to verify the timestamp countersignature with error: ${errText(err)}`) };
  }
  if (info.signingTime && !boundedAfter(timestamp, info.signingTime))
    return {
      error: goErr(
        `timestamp ${formatTimestamp(timestamp)} is not bounded after the signing time ${goQuote(goTimeString(info.signingTime))}`,
      ),
    };
  const chainErr = validateTimestampingCertChain(tsaChain);
  if (chainErr !== undefined)
    return { error: goErr(`failed to validate the timestamping certificate chain with error: ${chainErr}`) };
  for (const cert of chain) {
    if (!boundedAfter(timestamp, cert.notBefore))
      return {
        error: goErr(
          `timestamp can be before certificate ${goQuote(cert.subjectString)} validity period, it will be valid from ${goQuote(formatRFC1123Z(cert.notBefore))}`,
        ),
      };
    if (!boundedBefore(timestamp, cert.notAfter))
      return {
        error: goErr(
          `timestamp can be after certificate ${goQuote(cert.subjectString)} validity period, it was expired at ${goQuote(formatRFC1123Z(cert.notAfter))}`,
        ),
      };
  }
  const results = await checkChain(tsaChain, ctx.fetcher, undefined, ctx.now);
  if (!Array.isArray(results))
    return {
      notChecked: `the timestamping certificate chain's revocation (${results.notChecked.join(', ')}) was not checked`,
    };
  const final = finalResult(results, tsaChain);
  if (final.result === 'Revoked')
    return { error: goErr(`timestamping certificate with subject ${goQuote(final.subject)} is revoked`) };
  if (final.result !== 'OK')
    return {
      error: goErr(
        `timestamping certificate with subject ${goQuote(final.subject)} revocation status is unknown`,
      ),
    };
  return {};
}

/** verifyAuthenticTimestamp. */
async function verifyAuthenticTimestamp(
  ctx: VerifierContext,
  content: EnvelopeContent,
  action: CheckAction,
): Promise<StepResult> {
  const info = content.signerInfo;
  if (info.signingScheme === SIGNING_SCHEME_X509) {
    const r = await verifyTimestamp(ctx, content);
    const result: StepResult = { type: 'authenticTimestamp', action };
    if (r.error) result.error = r.error;
    if (r.notChecked) result.notChecked = r.notChecked;
    return result;
  }
  const t = info.signingTime!;
  for (const cert of info.certificateChain) {
    if (before(t, cert.notBefore) || after(t, cert.notAfter))
      return {
        type: 'authenticTimestamp',
        action,
        error: goErr(
          `certificate ${goQuote(cert.subjectString)} was not valid when the digital signature was produced at ${goQuote(formatRFC1123Z(t))}`,
        ),
      };
  }
  return { type: 'authenticTimestamp', action };
}

/** verifyRevocation (notation's own OCSP/CRL check of the signing chain). */
async function verifyRevocation(
  ctx: VerifierContext,
  content: EnvelopeContent,
  action: CheckAction,
): Promise<StepResult> {
  const info = content.signerInfo;
  const signingTime =
    info.signingScheme === SIGNING_SCHEME_X509_SIGNING_AUTHORITY ? info.signingTime : undefined;
  const results = await checkChain(info.certificateChain, ctx.fetcher, signingTime, ctx.now);
  if (!Array.isArray(results))
    return {
      type: 'revocation',
      action,
      notChecked: `revocation of the signing certificate chain (${results.notChecked.join(', ')}) was not checked`,
    };
  const final = finalResult(results, info.certificateChain);
  if (final.result === 'OK') return { type: 'revocation', action };
  const text =
    final.result === 'Revoked'
      ? `signing certificate with subject ${goQuote(final.subject)} is revoked`
      : `signing certificate with subject ${goQuote(final.subject)} revocation status is unknown`;
  return { type: 'revocation', action, error: goErr(text) };
}

/** processSignature: the error it returns, if any; results are appended to `out`. */
async function processSignature(
  ctx: VerifierContext,
  blob: Uint8Array,
  mediaType: string,
  out: SignatureVerification,
): Promise<GoErr | undefined> {
  const { statement } = ctx;
  const actions = statement.actions;
  const integrity = verifyIntegrity(blob, mediaType);
  const integrityResult: StepResult = { type: 'integrity', action: actions.integrity };
  if (integrity.error !== undefined) integrityResult.error = goErr(integrity.error);
  out.results.push(integrityResult);
  if (integrity.error !== undefined) return integrityResult.error;
  const content = integrity.content!;
  out.content = content;

  // The verification plugin named by the signature, if any.
  let pluginName: string | undefined;
  try {
    pluginName = criticalString(content, 'io.cncf.notary.verificationPlugin');
    if (pluginName !== undefined && pluginName.trim() === '')
      throw new Error('io.cncf.notary.verificationPlugin from extended attribute is an empty string');
  } catch (err) {
    return goErr(errText(err));
  }
  let capabilities: string[] = [];
  if (pluginName !== undefined) {
    let minVersion: string | undefined;
    try {
      minVersion = criticalString(content, 'io.cncf.notary.verificationPluginMinVersion');
      if (minVersion !== undefined && minVersion.trim() === '')
        throw new Error(
          'io.cncf.notary.verificationPluginMinVersion from extended attribute is an empty string',
        );
      if (minVersion !== undefined && !parseSemver(minVersion))
        throw new Error(
          'io.cncf.notary.verificationPluginMinVersion from extended attribute is not a valid SemVer',
        );
    } catch (err) {
      return inconclusive(`error while getting plugin minimum version, error: ${errText(err)}`);
    }
    const installed = ctx.plugins.installed.get(pluginName);
    if (!installed) {
      const path = `${ctx.plugins.dir.replace(/\/+$/, '')}/plugins/${pluginName}/notation-${pluginName}`;
      return inconclusive(
        `error while locating the verification plugin ${goQuote(pluginName)}, make sure the plugin is installed successfully before verifying the signature. error: plugin executable file is either not found or inaccessible: stat ${path}: no such file or directory`,
      );
    }
    if (pluginName !== AWS_SIGNER_PLUGIN) {
      out.notChecked.push(
        `the signature names the verification plugin ${goQuote(pluginName)}, which civctl does not run`,
      );
      out.undecided = true;
      return undefined;
    }
    if (!parseSemver(installed.version))
      return inconclusive(
        `plugin ${pluginName} has pluginVersion ${installed.version} which is not in valid semver format`,
      );
    if (minVersion !== undefined && semverCompare(installed.version, minVersion) === -1)
      return inconclusive(
        `found plugin ${pluginName} with version ${installed.version} but signature verification needs plugin version greater than or equal to ${minVersion}`,
      );
    capabilities = [CAPABILITY_TRUSTED_IDENTITY, CAPABILITY_REVOCATION_CHECK];
  }

  // Authenticity: the trust store for the signing scheme.
  const storeType = content.signerInfo.signingScheme === SIGNING_SCHEME_X509 ? 'ca' : 'signingAuthority';
  const authenticity: StepResult = { type: 'authenticity', action: actions.authenticity };
  const trustCerts = loadTrustStoresOfType(ctx.trustStore, storeType, statement.name, statement.trustStores);
  if (!Array.isArray(trustCerts)) authenticity.error = trustCerts;
  else if (trustCerts.length === 0)
    authenticity.error = goErr('no trusted certificates are found to verify authenticity');
  else if (!trustCerts.some((t) => content.signerInfo.certificateChain.some((c) => bytesEqual(t.raw, c.raw))))
    authenticity.error = goErr("the signature's certificate chain does not contain any trusted certificate");
  out.results.push(authenticity);
  if (isCritical(authenticity)) return authenticity.error;
  if (!capabilities.includes(CAPABILITY_TRUSTED_IDENTITY)) {
    const idErr = verifyTrustedIdentities(
      statement.name,
      statement.trustedIdentities,
      content.signerInfo.certificateChain,
    );
    if (idErr !== undefined) authenticity.error = goErr(idErr);
    if (isCritical(authenticity)) return authenticity.error;
  }

  // Expiry.
  const expiry: StepResult = { type: 'expiry', action: actions.expiry };
  const exp = content.signerInfo.expiry;
  if (exp && !isZero(exp) && !before(ctx.now, exp))
    expiry.error = goErr(`digital signature has expired on ${goQuote(formatRFC1123Z(exp))}`);
  out.results.push(expiry);
  if (isCritical(expiry)) return expiry.error;

  // Authentic timestamp.
  const timestamp = await verifyAuthenticTimestamp(ctx, content, actions.authenticTimestamp);
  out.results.push(timestamp);
  if (timestamp.notChecked) out.notChecked.push(timestamp.notChecked);
  if (isCritical(timestamp)) return timestamp.error;

  // Revocation (notation's own), unless skipped or left to the plugin.
  if (actions.revocation !== 'skip' && !capabilities.includes(CAPABILITY_REVOCATION_CHECK)) {
    const revocation = await verifyRevocation(ctx, content, actions.revocation);
    out.results.push(revocation);
    if (revocation.notChecked) out.notChecked.push(revocation.notChecked);
    if (isCritical(revocation)) return revocation.error;
  }

  // The plugin's capabilities.
  if (pluginName === AWS_SIGNER_PLUGIN) {
    const toVerify = capabilities.filter(
      (c) => !(c === CAPABILITY_REVOCATION_CHECK && actions.revocation === 'skip'),
    );
    if (toVerify.length > 0) {
      const authenticSigningTime =
        content.signerInfo.signingScheme === SIGNING_SCHEME_X509_SIGNING_AUTHORITY
          ? content.signerInfo.signingTime
          : undefined;
      let response: ReturnType<typeof runAwsSignerPlugin>;
      try {
        response = runAwsSignerPlugin(content, statement.trustedIdentities, toVerify, authenticSigningTime);
      } catch (err) {
        if (err instanceof PluginError)
          return goErr(`failed to verify with plugin ${pluginName}: ${err.message}`);
        throw err;
      }
      if (response.revocationRequest) out.awsRequest = response.revocationRequest;
      // All non-plugin extended attributes must have been processed.
      for (const attr of content.signerInfo.extendedAttributes) {
        if (typeof attr.key !== 'string') continue;
        if (
          attr.key === 'io.cncf.notary.verificationPlugin' ||
          attr.key === 'io.cncf.notary.verificationPluginMinVersion'
        )
          continue;
        if (!response.processedAttributes.includes(attr.key))
          return goErr(
            `extended critical attribute ${goQuote(attr.key)} was not processed by the verification plugin ${goQuote(pluginName)} (all extended critical attributes must be processed by the verification plugin)`,
          );
      }
      for (const capability of toVerify) {
        if (capability === CAPABILITY_TRUSTED_IDENTITY) {
          const verdict = response.identity!;
          if (!verdict.success) {
            authenticity.error = goErr(
              `trusted identify verification by plugin ${goQuote(pluginName)} failed with reason ${goQuote(verdict.reason)}`,
            );
            if (isCritical(authenticity)) return authenticity.error;
          }
        } else {
          const revocation: StepResult = { type: 'revocation', action: actions.revocation };
          if (!ctx.awsSigner) {
            revocation.notChecked = "AWS Signer's revocation check (GetRevocationStatus) was not called";
            out.notChecked.push(revocation.notChecked);
          } else {
            const verdict = revocationVerdict(await ctx.awsSigner(response.revocationRequest!));
            if (!verdict.success)
              revocation.error = goErr(
                `revocation check by verification plugin ${goQuote(pluginName)} failed with reason ${goQuote(verdict.reason)}`,
              );
          }
          out.results.push(revocation);
          if (isCritical(revocation)) return revocation.error;
        }
      }
    }
  }
  return undefined;
}

/** The signed descriptor in the payload (envelope.Payload). Throws Go's decoding error. */
function targetArtifact(payload: Uint8Array): Descriptor & { annotations: [string, string][] } {
  let root: GoJson;
  try {
    root = goUnmarshal(payload);
  } catch (err) {
    if (err instanceof GoJsonError) throw new Error(err.message);
    throw err;
  }
  const desc = { mediaType: '', digest: '', size: 0, annotations: [] as [string, string][] };
  const errors = new TypeErrors();
  if (root.kind === 'null') return desc;
  if (root.kind !== 'object') {
    errors.note(root, '', '', 'envelope.Payload');
    throw new Error(errors.first);
  }
  const target = structFields(root, ['targetArtifact']).get('targetArtifact');
  if (!target || target.kind === 'null') return desc;
  if (target.kind !== 'object') {
    errors.note(target, 'Payload', 'targetArtifact', 'v1.Descriptor');
    throw new Error(errors.first);
  }
  const f = structFields(target, ['mediaType', 'digest', 'size', 'annotations']);
  const str = (key: string, goType: string) => {
    const v = f.get(key);
    if (!v || v.kind === 'null') return '';
    if (v.kind === 'string') return v.value;
    errors.note(v, 'Descriptor', `targetArtifact.${key}`, goType);
    return '';
  };
  desc.mediaType = str('mediaType', 'string');
  desc.digest = str('digest', 'digest.Digest');
  const size = f.get('size');
  if (size && size.kind === 'number') {
    if (/^-?\d+$/.test(size.raw) && Number.isSafeInteger(Number(size.raw))) desc.size = Number(size.raw);
    else
      errors.other(
        `json: cannot unmarshal number ${size.raw} into Go struct field Descriptor.targetArtifact.size of type int64`,
      );
  } else if (size && size.kind !== 'null') errors.note(size, 'Descriptor', 'targetArtifact.size', 'int64');
  const annotations = f.get('annotations');
  if (annotations?.kind === 'object') {
    const map = new Map<string, string>();
    for (const [k, v] of annotations.members) {
      if (v.kind === 'string') map.set(k, v.value);
      else if (v.kind !== 'null') errors.note(v, 'Descriptor', 'targetArtifact.annotations', 'string');
    }
    desc.annotations = [...map];
  } else if (annotations && annotations.kind !== 'null')
    errors.note(annotations, 'Descriptor', 'targetArtifact.annotations', 'map[string]string');
  if (errors.first !== undefined) throw new Error(errors.first);
  return desc;
}

/** verifier.Verify for one signature of the image described by `desc` (level not `skip`). */
export async function verifySignature(
  ctx: VerifierContext,
  desc: Descriptor,
  blob: Uint8Array,
  mediaType: string,
): Promise<SignatureVerification> {
  const out: SignatureVerification = { results: [], notChecked: [], undecided: false };
  const err = await processSignature(ctx, blob, mediaType, out);
  if (err !== undefined) {
    out.error = err;
    return out;
  }
  if (out.results.some((r) => r.notChecked && r.action === 'enforce')) out.undecided = true;
  let target: ReturnType<typeof targetArtifact>;
  try {
    target = targetArtifact(out.content!.payload.content);
  } catch (e) {
    out.error = goErr(errText(e));
    return out;
  }
  out.targetArtifact = target;
  if (target.size !== desc.size || target.digest !== desc.digest || target.mediaType !== desc.mediaType)
    out.error = goErr('content descriptor mismatch');
  return out;
}
