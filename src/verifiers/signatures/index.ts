/**
 * Signature verification exactly as a Bottlerocket node decides it: the notation-image-verifier
 * wrapper (bottlerocket-core-kit image-verifiers) running `notation verify <name>@<digest>` —
 * notation CLI v1.3.2, notation-go v1.3.2, notation-core-go v1.3.0, tspclient-go v1.0.0,
 * veraison/go-cose v1.3.0, golang-jwt v4.5.2, Go 1.23 crypto/x509 — and, for AWS Signer
 * signatures, the AWS Signer notation plugin v1.0.350.
 *
 * Pure: everything notation would read (the policy, the trust store, the registry's answers) is
 * an input, and the network (OCSP/CRL, AWS Signer) is a fetcher the caller may give or withhold.
 * The result holds notation's per-signature steps, the CLI's exact stdout/stderr, the wrapper's
 * stdout (containerd's reason) and civctl's account of anything that was not checked.
 */
import { loadNotationDocument, live } from '../../policy/notation/decode.ts';
import { goQuote } from '../../policy/notation/goquote.ts';
import { decideNotation, type NotationOutcome, noSignatureText } from '../notation.ts';
import type { AwsRevocationAnswer, AwsRevocationRequest } from './awssigner.ts';
import { AWS_SIGNER_PLUGIN } from './awssigner.ts';
import { findKind, type GoErr, isNotExist } from './goerror.ts';
import { goUnmarshal, structFields } from './gojson.ts';
import { goTimeFromMs } from './gotime.ts';
import type { RevocationFetcher } from './revocation.ts';
import type { TrustStoreSnapshot } from './truststore.ts';
import {
  type Descriptor,
  type PluginEnvironment,
  type SignatureVerification,
  type StepResult,
  type Statement,
  verifySignature,
} from './verifier.ts';

export type { Descriptor, PluginEnvironment, StepResult } from './verifier.ts';
export type { RevocationFetcher } from './revocation.ts';
export type { AwsRevocationAnswer, AwsRevocationRequest } from './awssigner.ts';
export type { StoreDirectory, StoreEntry, TrustStoreSnapshot } from './truststore.ts';
// The I/O side, so that one lazy chunk (scripts/build.mjs) holds the whole engine.
export { LayoutError, readOciLayout, readTrustStore } from './layout.ts';
export { getCertificates } from './truststore.ts';
export { parseCertificate } from './x509.ts';

export const SIGNATURE_ARTIFACT_TYPE = 'application/vnd.cncf.notary.signature';
export const MAX_SIGNATURES = 100;
const MAX_MANIFEST_SIZE = 4 * 1024 * 1024;
const MAX_BLOB_SIZE = 32 * 1024 * 1024;

/** Bottlerocket's plugin directory and the AWS Signer plugin it ships. */
export const BOTTLEROCKET_PLUGINS: PluginEnvironment = {
  dir: '/usr/libexec/notation-plugins',
  installed: new Map([[AWS_SIGNER_PLUGIN, { version: '1.0.2292' }]]),
};

/** A referrer as the registry lists it (OCI index entry). */
import type { Referrer } from './layout.ts';

export type { Referrer };

export type Revocation =
  /** Nothing is fetched: revocation that needs the network is reported as not checked. */
  | { mode: 'offline' }
  | {
      mode: 'online';
      fetcher: RevocationFetcher;
      /** AWS Signer's GetRevocationStatus; without it that call is reported as not made. */
      awsSigner?: (request: AwsRevocationRequest) => Promise<AwsRevocationAnswer>;
    };

export interface VerifyImageInput {
  /** containerd's -name and -digest for the wrapper. */
  name: string;
  digest: string;
  /** trustpolicy.json's bytes; undefined when there is no file. */
  policy: Uint8Array | undefined;
  /** What the registry resolves the image's digest to, or the error text notation would print. */
  descriptor: Descriptor | { error: string };
  /** The image's referrers in the registry's order, or the listing's error text. */
  referrers: Referrer[] | { error: string };
  /** Manifests and blobs by digest (undefined: not found). */
  fetch: (digest: string) => Uint8Array | undefined;
  trustStore: TrustStoreSnapshot;
  /** notation's time.Now(). */
  now: Date;
  revocation: Revocation;
  plugins?: PluginEnvironment;
  maxSignatures?: number;
}

export type SignatureOutcome =
  | 'success'
  | 'failure'
  | 'skip'
  | 'fetch-error'
  /** Depends on what was not checked (revocation offline, a plugin civctl does not run). */
  | 'undecided'
  /** Past notation's limit of signatures: never looked at. */
  | 'not-evaluated';

export interface SignatureReport {
  digest: string;
  /** The envelope's media type (the signature layer's); absent when the manifest could not be fetched. */
  mediaType?: string;
  /** Whether `notation verify` reached this signature (it stops at the first success or fetch error). */
  evaluated: boolean;
  /** GetVerificationLevel().Name, when a statement applied. */
  level?: string;
  steps: { type: string; action: string; error?: string; notChecked?: string }[];
  outcome: SignatureOutcome;
  /** What verifier.Verify returned: what `notation verify -v` logs for the signature. */
  error?: string;
  fetchError?: string;
  /** Why the outcome depends on something civctl did not check (offline revocation, a plugin). */
  notChecked?: string[];
  /** The GetRevocationStatus request AWS Signer's plugin makes (for AWS Signer signatures). */
  awsRevocationRequest?: AwsRevocationRequest;
}

export type ImageOutcome =
  | Exclude<NotationOutcome, 'verify'>
  | 'verified'
  | 'failed'
  | 'no-signatures'
  | 'fetch-error'
  /** The node's answer depends on what was not checked (e.g. revocation offline). */
  | 'undecided';

export interface VerifyImageResult {
  outcome: ImageOutcome;
  /** The reference notation verifies (`<registry>/<repository>@<digest>`). */
  artifactReference?: string;
  statement?: string;
  level?: string;
  /** notation verify's exit status and output (without -v). */
  notationExit?: number;
  notationStdout?: string;
  notationStderr?: string;
  /** The wrapper's exit code and output; stdout is containerd's rejection reason before trimming. */
  exitCode: number;
  stdout: string;
  stderr: string;
  /** containerd's reason as shown in the kubelet event: the wrapper's stdout, trimmed. */
  reason: string;
  /** The `Warning: …` lines notation prints when logged failures let the image through. */
  warnings: string[];
  signatures: SignatureReport[];
  /** For `undecided`: what was not checked. */
  notChecked?: string[];
}

/** The governing statement's verifyTimestamp (decideNotation does not carry it). */
function verifyTimestampOf(policy: Uint8Array, statementName: string): string {
  const loaded = loadNotationDocument(policy);
  if (!loaded.ok) return '';
  return live(loaded.document.trustPolicies).find((st) => st.name === statementName)?.verifyTimestamp ?? '';
}

interface Fetched {
  blob?: Uint8Array;
  mediaType?: string;
  error?: string;
}

/** FetchSignatureBlob (notation-go registry/repository.go) over the fetch function. */
function fetchSignatureBlob(ref: Referrer, fetch: VerifyImageInput['fetch']): Fetched {
  if (ref.size > MAX_MANIFEST_SIZE) return { error: `signature manifest too large: ${ref.size} bytes` };
  const manifest = fetch(ref.digest);
  if (!manifest) return { error: `${ref.digest}: not found` };
  let layers: { mediaType: string; digest: string; size: number }[] = [];
  try {
    const root = goUnmarshal(manifest);
    const layersNode = root.kind === 'object' ? structFields(root, ['layers']).get('layers') : undefined;
    if (layersNode?.kind === 'array') {
      layers = layersNode.items.map((item) => {
        const f = item.kind === 'object' ? structFields(item, ['mediaType', 'digest', 'size']) : new Map();
        const str = (k: string) => {
          const v = f.get(k);
          return v?.kind === 'string' ? v.value : '';
        };
        const size = f.get('size');
        return {
          mediaType: str('mediaType'),
          digest: str('digest'),
          size: size?.kind === 'number' ? Number(size.raw) : 0,
        };
      });
    }
  } catch (err) {
    return { error: (err as Error).message };
  }
  if (layers.length !== 1)
    return { error: `signature manifest requries exactly one signature envelope blob, got ${layers.length}` };
  const layer = layers[0]!;
  if (layer.size > MAX_BLOB_SIZE) return { error: `signature blob too large: ${layer.size} bytes` };
  const blob = fetch(layer.digest);
  if (!blob) return { error: `${layer.digest}: not found`, mediaType: layer.mediaType };
  return { blob, mediaType: layer.mediaType };
}

function stepReport(r: StepResult): SignatureReport['steps'][number] {
  const step: SignatureReport['steps'][number] = { type: r.type, action: r.action };
  if (r.error) step.error = r.error.message;
  if (r.notChecked) step.notChecked = r.notChecked;
  return step;
}

/** A Go tabwriter table as the CLI prints user metadata (padding 3, cells end with a tab). */
function metadataTable(entries: [string, string][]): string {
  const width = (s: string) => [...s].length;
  const w0 = Math.max(3, ...entries.map(([k]) => width(k))) + 3;
  const w1 = Math.max(5, ...entries.map(([, v]) => width(v))) + 3;
  const row = (a: string, b: string) => a + ' '.repeat(w0 - width(a)) + b + ' '.repeat(w1 - width(b)) + '\n';
  // Go ranges over a map in random order; civctl sorts the keys.
  const sorted = [...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return '\n' + row('KEY', 'VALUE') + sorted.map(([k, v]) => row(k, v)).join('');
}

/** The wrapper's result for notation's output. */
function wrap(exit: number, stdout: string, stderr: string) {
  if (exit === 0) return { exitCode: 0, stdout: '', stderr: 'image verification successful\n', reason: '' };
  const out = `image verification failed: ${stdout}${stderr}\n`;
  return { exitCode: 1, stdout: out, stderr: '', reason: out.trim() };
}

/** checkVerificationFailure: the CLI's error text for a failed verification. */
function cliFailure(err: GoErr, verificationFailed: boolean, printOut: string): string {
  const ts = findKind(err, 'TrustStoreError');
  const typed = ts ?? findKind(err, 'CertificateError');
  if (typed) {
    if (isNotExist(err))
      return `${typed.message}. Use command 'notation cert add' to create and add trusted certificates to the trust store`;
    return `${typed.message}. ${typed.inner ? typed.inner.message : '%!w(<nil>)'}`;
  }
  if (!verificationFailed) return `signature verification failed: ${err.message}`;
  return `signature verification failed for all the signatures associated with ${printOut}`;
}

/** Decides one image as the node does. */
export async function verifyImage(input: VerifyImageInput): Promise<VerifyImageResult> {
  const pre = decideNotation(input.policy, input.name, input.digest);
  const base = {
    notationExit: pre.notationExit,
    notationStdout: pre.notationStdout ?? '',
    notationStderr: pre.notationStderr ?? '',
  };
  const finish = (
    outcome: ImageOutcome,
    signatures: SignatureReport[],
    extra: Partial<VerifyImageResult> = {},
  ) => {
    const exit = extra.notationExit ?? base.notationExit ?? 0;
    const stdout = extra.notationStdout ?? base.notationStdout;
    const stderr = extra.notationStderr ?? base.notationStderr;
    const w =
      pre.outcome === 'verify' || pre.outcome === 'skip' || pre.notationExit !== undefined
        ? wrap(exit, stdout, stderr)
        : undefined;
    const result: VerifyImageResult = {
      outcome,
      exitCode: w ? w.exitCode : pre.exitCode,
      stdout: w ? w.stdout : pre.stdout,
      stderr: w ? w.stderr : pre.stderr,
      reason: (w ? w.stdout : pre.stdout).trim(),
      warnings: [],
      signatures,
      ...extra,
    };
    if (pre.notationExit !== undefined || w) {
      result.notationExit = exit;
      result.notationStdout = stdout;
      result.notationStderr = stderr;
    }
    if (pre.artifactReference) result.artifactReference = pre.artifactReference;
    if (pre.statement) result.statement = pre.statement;
    if (pre.level) result.level = pre.level;
    return result;
  };

  const referrers = Array.isArray(input.referrers)
    ? input.referrers.filter((r) => r.artifactType === SIGNATURE_ARTIFACT_TYPE)
    : [];
  if (pre.outcome === 'no-applicable-statement') {
    // verifier.Verify fails every signature with the same text (SkipVerify already stopped notation).
    const text = (pre.notationStderr ?? '')
      .replace(/^Error: signature verification failed: /, '')
      .replace(/\n$/, '');
    const sigs = referrers.map((r): SignatureReport => {
      const fetched = fetchSignatureBlob(r, input.fetch);
      if (fetched.error !== undefined && fetched.mediaType === undefined)
        return {
          digest: r.digest,
          evaluated: true,
          fetchError: fetched.error,
          steps: [],
          outcome: 'fetch-error',
        };
      return {
        digest: r.digest,
        mediaType: fetched.mediaType!,
        evaluated: true,
        steps: [],
        outcome: 'failure',
        error: text,
      };
    });
    return finish('no-applicable-statement', sigs);
  }
  if (pre.outcome === 'skip') {
    const sigs = referrers.map((r): SignatureReport => {
      const fetched = fetchSignatureBlob(r, input.fetch);
      const report: SignatureReport = {
        digest: r.digest,
        evaluated: false,
        level: 'skip',
        steps: [],
        outcome: 'skip',
      };
      if (fetched.mediaType !== undefined) report.mediaType = fetched.mediaType;
      return report;
    });
    return finish('skip', sigs);
  }
  if (pre.outcome !== 'verify') return finish(pre.outcome, []);

  const artifactReference = pre.artifactReference!;
  // notation resolves the digest before listing signatures.
  if ('error' in input.descriptor) {
    const stderr = `Error: ${input.descriptor.error}\n`;
    return finish('fetch-error', [], { notationExit: 1, notationStdout: '', notationStderr: stderr });
  }
  if (input.descriptor.digest !== input.digest) {
    const stderr = `Error: signature verification failed: user input digest ${input.digest} does not match the resolved digest ${input.descriptor.digest}\n`;
    return finish('fetch-error', [], { notationExit: 1, notationStdout: '', notationStderr: stderr });
  }
  if (!Array.isArray(input.referrers)) {
    const stderr = `Error: signature verification failed: ${input.referrers.error}\n`;
    return finish('fetch-error', [], { notationExit: 1, notationStdout: '', notationStderr: stderr });
  }
  const desc = input.descriptor;
  const statement: Statement = {
    name: pre.statement!,
    trustStores: pre.trustStores ?? [],
    trustedIdentities: pre.trustedIdentities ?? [],
    verifyTimestamp: verifyTimestampOf(input.policy!, pre.statement!),
    level: pre.level!,
    actions: pre.actions!,
  };
  const online = input.revocation.mode === 'online' ? input.revocation : undefined;
  const ctx = {
    statement,
    trustStore: input.trustStore,
    now: goTimeFromMs(input.now.getTime()),
    fetcher: online?.fetcher,
    awsSigner: online?.awsSigner,
    plugins: input.plugins ?? BOTTLEROCKET_PLUGINS,
  };
  const max = input.maxSignatures ?? MAX_SIGNATURES;

  // Every signature is evaluated (civctl reports each one's reason); `evaluated` says which
  // ones notation reached.
  const reports: SignatureReport[] = [];
  const verifications: (SignatureVerification | undefined)[] = [];
  for (const ref of referrers.slice(0, max)) {
    const fetched = fetchSignatureBlob(ref, input.fetch);
    if (fetched.blob === undefined) {
      reports.push({
        digest: ref.digest,
        evaluated: true,
        fetchError: fetched.error!,
        steps: [],
        outcome: 'fetch-error',
      });
      verifications.push(undefined);
      continue;
    }
    const v = await verifySignature(ctx, desc, fetched.blob, fetched.mediaType!);
    verifications.push(v);
    const report: SignatureReport = {
      digest: ref.digest,
      mediaType: fetched.mediaType!,
      evaluated: true,
      level: statement.level,
      steps: v.results.map(stepReport),
      outcome: v.error ? 'failure' : v.undecided ? 'undecided' : 'success',
    };
    if (v.error) report.error = v.error.message;
    if (v.notChecked.length > 0) report.notChecked = v.notChecked;
    if (v.awsRequest) report.awsRevocationRequest = v.awsRequest;
    reports.push(report);
  }
  for (const ref of referrers.slice(max)) {
    reports.push({ digest: ref.digest, evaluated: false, steps: [], outcome: 'not-evaluated' });
  }

  // notation.Verify's loop: the first success wins, a fetch error aborts.
  const failures: GoErr[] = [{ message: 'signature verification failed', kind: 'VerificationFailed' }];
  let stop = -1;
  const undecided: string[] = [];
  for (let i = 0; i < Math.min(referrers.length, max); i++) {
    const r = reports[i]!;
    if (r.outcome === 'fetch-error' || r.outcome === 'success') {
      stop = i;
      break;
    }
    if (r.outcome === 'undecided') undecided.push(...(r.notChecked ?? []));
    const err = verifications[i]?.error;
    if (err)
      failures.push({
        message: `failed to verify signature with digest ${r.digest}, ${err.message}`,
        wraps: [err],
      });
  }
  reports.forEach((r, i) => {
    if (stop >= 0 && i > stop) r.evaluated = false;
  });

  let outcome: ImageOutcome;
  let extra: Partial<VerifyImageResult>;
  const winner = stop >= 0 && reports[stop]!.outcome === 'success' ? verifications[stop]! : undefined;
  if (referrers.length === 0) {
    outcome = 'no-signatures';
    extra = {
      notationExit: 1,
      notationStdout: '',
      notationStderr: `Error: signature verification failed: ${noSignatureText(artifactReference)}\n`,
    };
  } else if (stop >= 0 && reports[stop]!.outcome === 'fetch-error') {
    outcome = undecided.length > 0 ? 'undecided' : 'fetch-error';
    const text = `unable to retrieve digital signature with digest ${goQuote(reports[stop]!.digest)} associated with ${goQuote(artifactReference)} from the Repository, error : ${reports[stop]!.fetchError}`;
    extra = {
      notationExit: 1,
      notationStdout: '',
      notationStderr: `Error: signature verification failed: ${text}\n`,
    };
  } else if (winner) {
    // A signature before the winner that could not be decided (revocation not checked) either
    // verifies (notation stops there) or fails (notation goes on to the winner): allowed both ways.
    outcome = 'verified';
    const warnings = winner.results
      .filter((r) => r.error)
      .map(
        (r) =>
          `Warning: ${r.type} was set to ${goQuote(r.action)} and failed with error: ${r.error!.message}`,
      );
    let stdout = `Successfully verified signature for ${artifactReference}\n`;
    const annotations = winner.targetArtifact?.annotations ?? [];
    if (annotations.length > 0)
      stdout += '\nThe artifact was signed with the following user metadata.\n' + metadataTable(annotations);
    extra = {
      notationExit: 0,
      notationStdout: stdout,
      notationStderr: warnings.map((w) => w + '\n').join(''),
      warnings,
    };
  } else {
    outcome = undecided.length > 0 ? 'undecided' : 'failed';
    const limited = Math.min(referrers.length, max) >= max;
    const err: GoErr = limited
      ? {
          message: `signature evaluation stopped. The configured limit of ${max} signatures to verify per artifact exceeded`,
          kind: 'VerificationFailed',
        }
      : { message: failures.map((f) => f.message).join('\n'), wraps: failures };
    extra = {
      notationExit: 1,
      notationStdout: '',
      notationStderr: `Error: ${cliFailure(err, true, artifactReference)}\n`,
    };
  }
  if (outcome === 'undecided') extra.notChecked = undecided.concat(winner?.notChecked ?? []);
  return finish(outcome, reports, extra);
}

/** The corpus's per-signature JSON (field names and order of EXPECTED.tsv's `signatures`). */
export function corpusSignatures(result: VerifyImageResult): string {
  return JSON.stringify(
    result.signatures.map((s) => {
      const o: Record<string, unknown> = { manifest_digest: s.digest };
      if (s.mediaType !== undefined) o['envelope_media_type'] = s.mediaType;
      o['evaluated'] = s.evaluated;
      if (s.fetchError !== undefined) o['fetch_error'] = s.fetchError;
      if (s.level !== undefined) o['verification_level'] = s.level;
      o['steps'] = s.steps.map((st) =>
        st.error !== undefined
          ? { type: st.type, action: st.action, error: st.error }
          : { type: st.type, action: st.action },
      );
      o['outcome'] = s.outcome;
      if (s.error !== undefined) o['error'] = s.error;
      return o;
    }),
  );
}

/**
 * The `signatures` entries of check's JSON as issue 15 describes them: signatures notation did not
 * reach are `not-evaluated` (their own reasons stay in the SignatureReport).
 */
export function checkJsonSignatures(result: VerifyImageResult): Record<string, unknown>[] {
  return result.signatures.map((s) => {
    const o: Record<string, unknown> = { digest: s.digest };
    // null: the envelope was never read (a fetch error, or past notation's limit).
    o['mediaType'] = s.mediaType ?? null;
    o['outcome'] = s.evaluated || s.outcome === 'skip' ? s.outcome : 'not-evaluated';
    const error = s.fetchError ?? s.error;
    if (error !== undefined && s.evaluated) o['error'] = error;
    o['steps'] = s.evaluated ? s.steps : [];
    return o;
  });
}
