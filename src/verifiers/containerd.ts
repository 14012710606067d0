/**
 * What a node decides for one image: containerd's bindir plugin running the verifiers in name
 * order — the built-in ones as models of Bottlerocket's verifiers, the binaries of a directory for
 * real — stopping at the first rejection, with containerd's exact texts for the judgement and for
 * the errors that block a pull. Spawns verifier binaries; never prints.
 */
import { type Actions, decideNotation, NOTATION_VERIFIER } from './notation.ts';
import { DIGESTION_VERIFIER, decideDigestion } from './digestion.ts';
import type { Descriptor } from '../registry/oci.ts';
import type { ImageReference } from '../registry/reference.ts';
import { goDuration, listVerifiers, runVerifierBinary } from './bindir.ts';

/** Why every image is allowed on a node where enabled is not true. */
export const DISABLED_REASON =
  'image verification is disabled (enabled is not true): containerd runs no verifier';

export type Decision = 'allowed' | 'blocked' | 'signature-required';

/** One signature as check reports it (issue 15's JSON shape; verified by signature-check.ts). */
export interface VerifiedSignature {
  digest: string;
  /** The envelope media type; null when the envelope was never read. */
  mediaType?: string | null;
  outcome: 'success' | 'failure' | 'fetch-error' | 'not-evaluated' | 'skip' | 'undecided';
  error?: string;
  steps: { type: string; action: string; error?: string }[];
  /** With --signatures: the signing certificate's subject and issuer (from the registry listing). */
  subject?: string;
  issuer?: string;
  trustedIdentity?: boolean | null;
}

/** The node's decision for the notation verifier, after verification. */
export interface SignatureVerdict {
  decision: Decision;
  exitCode: number;
  /** containerd's reason (the wrapper's stdout, trimmed). */
  output: string;
  /** The wrapper's stderr (containerd's debug log). */
  stderr: string;
  signatures: VerifiedSignature[];
  /** The `Warning: …` lines notation prints when logged failures let the image through. */
  warnings: string[];
  /** What `notation verify -v` would log for each failed signature (what the node hides). */
  reasons: string[];
  /** What was not checked (revocation offline, AWS Signer's revocation call). */
  notChecked: string[];
}

export type SignatureVerify = (
  name: string,
  descriptor: Descriptor,
  policy: Uint8Array | undefined,
) => Promise<SignatureVerdict>;

export interface VerifierOutcome {
  verifier: string;
  /** 'error': containerd could not run or wait for it, which blocks the pull. */
  decision: Decision | 'error';
  exitCode: number;
  /** containerd's reason: the verifier's stdout, trimmed. */
  output: string;
  stderr: string;
  /** A built-in verifier modelled by civctl, or a binary run for real. */
  source: 'model' | 'binary';
  error?: string;
  statement?: string;
  level?: string;
  actions?: Actions;
  trustStores?: string[];
  trustedIdentities?: string[];
  artifactReference?: string;
  /** With --signatures: what the registry holds for the artifact (nothing is verified). */
  signatures?: SignatureReport[];
  /** With a trust store: each signature as notation verified it (signature-check.ts). */
  verified?: VerifiedSignature[];
  /** notation's `Warning: …` lines, the reasons the node hides, and what was not checked. */
  warnings?: string[];
  reasons?: string[];
  notChecked?: string[];
}

export interface SignatureReport {
  digest: string;
  envelope: string;
  subject?: string;
  issuer?: string;
  /** Whether the subject satisfies the statement's trusted identities; null when unknown. */
  trustedIdentity: boolean | null;
}

/** notation's signature discovery: the signatures found, and notation's text when there are none. */
export interface SignatureLookup {
  none?: string;
  signatures: SignatureReport[];
}

export interface ImageDecision {
  name: string;
  digest: string;
  decision: Decision;
  /** containerd's reason for an allowed pull: `bin => output, …`. */
  reason?: string;
  /** containerd's whole text for a blocked pull. */
  error?: string;
  verifiers: VerifierOutcome[];
}

export interface NodePolicies {
  /** settings.image-verifier-plugins.enabled: false means containerd runs no verifier at all. */
  enabled: boolean;
  /** Decoded trust policies by plugin name. */
  policies: Map<string, Uint8Array>;
}

export interface CheckOptions {
  /** Run the binaries of this directory as containerd's bindir plugin would. */
  binDir?: string;
  timeoutMs: number;
  /** containerd's max_verifiers (-1: no limit). */
  maxVerifiers: number;
  env: NodeJS.ProcessEnv;
  /**
   * Runs fn in an interruptible section (Io.interruptible): each binary runs inside one, so that
   * SIGINT/SIGTERM kill its process group before civctl exits.
   */
  interruptibly: <T>(fn: (signal: AbortSignal) => Promise<T>) => Promise<T>;
  /**
   * notation's signature discovery (--signatures), given the artifact and the governing
   * statement's trusted identities; signatures found are reported, not verified.
   */
  signatureLookup?: (artifact: ImageReference, trustedIdentities: string[]) => Promise<SignatureLookup>;
  /** Verifies the signatures as notation does (a trust store was given): the notation model's verdict. */
  signatureVerify?: SignatureVerify;
}

const BUILT_IN = [DIGESTION_VERIFIER, NOTATION_VERIFIER];

/** A verifier's outcome while deciding: whether notation would verify signatures, and of what. */
type ModelOutcome = VerifierOutcome & { verify?: boolean; artifact?: ImageReference };

function modelOutcome(verifier: string, node: NodePolicies, name: string, digest: string): ModelOutcome {
  if (verifier === DIGESTION_VERIFIER) {
    const run = decideDigestion(node.policies.get('digestion'), digest);
    return {
      verifier,
      decision: run.exitCode === 0 ? 'allowed' : 'blocked',
      exitCode: run.exitCode,
      output: run.stdout.trim(),
      stderr: run.stderr,
      source: 'model',
    };
  }
  const d = decideNotation(node.policies.get('notation'), name, digest);
  return {
    verifier,
    decision: d.outcome === 'verify' ? 'signature-required' : d.exitCode === 0 ? 'allowed' : 'blocked',
    exitCode: d.exitCode,
    output: d.stdout.trim(),
    stderr: d.stderr,
    source: 'model',
    verify: d.outcome === 'verify',
    ...(d.statement !== undefined ? { statement: d.statement } : {}),
    ...(d.level !== undefined ? { level: d.level } : {}),
    ...(d.actions ? { actions: d.actions } : {}),
    ...(d.trustStores ? { trustStores: d.trustStores } : {}),
    ...(d.trustedIdentities ? { trustedIdentities: d.trustedIdentities } : {}),
    ...(d.artifactReference ? { artifactReference: d.artifactReference } : {}),
    ...(d.artifact ? { artifact: d.artifact } : {}),
  };
}

/** containerd's judgement texts. */
export function blockedText(
  name: string,
  digest: string,
  bin: string,
  exitCode: number,
  output: string,
): string {
  return `image verifier bindir blocked pull of ${name} with digest ${digest} for reason: verifier ${bin} rejected image (exit code ${exitCode}): ${output}`;
}
export function errorText(name: string, digest: string, cause: string): string {
  return `blocking pull of ${name} with digest ${digest}: image verifier bindir returned error: ${cause}`;
}

/** Which verifiers run, in containerd's order: the directory's entries, or the built-ins. */
function plan(
  options: CheckOptions,
): { verifiers: string[]; note?: string } | { reason: string } | { error: string } {
  if (options.binDir === undefined) return { verifiers: BUILT_IN };
  const listed = listVerifiers(options.binDir);
  if ('missing' in listed) return { reason: `image verifier directory ${options.binDir} does not exist` };
  if ('error' in listed) return { error: listed.error };
  if (listed.entries.length === 0) return { reason: `no image verifier binaries found in ${options.binDir}` };
  const verifiers =
    options.maxVerifiers >= 0 ? listed.entries.slice(0, options.maxVerifiers) : listed.entries;
  return {
    verifiers,
    ...(verifiers.length < listed.entries.length
      ? {
          note: `image verifiers are being skipped since directory ${options.binDir} has ${listed.entries.length} entries, more than configured max of ${options.maxVerifiers} verifiers`,
        }
      : {}),
  };
}

/** What the node decides for `-name NAME -digest D` (descriptor `descriptor`). */
export async function decideImage(
  name: string,
  descriptor: Descriptor,
  node: NodePolicies,
  options: CheckOptions,
): Promise<ImageDecision & { note?: string }> {
  const digest = descriptor.digest;
  const base = { name, digest, verifiers: [] as VerifierOutcome[] };
  if (!node.enabled)
    return {
      ...base,
      decision: 'allowed',
      reason: DISABLED_REASON,
    };
  const order = plan(options);
  if ('reason' in order) return { ...base, decision: 'allowed', reason: order.reason };
  if ('error' in order) return { ...base, decision: 'blocked', error: errorText(name, digest, order.error) };
  const outcomes: VerifierOutcome[] = [];
  let signatureRequired = false;
  for (const bin of order.verifiers) {
    // Inside a directory given with --bin-dir every entry runs for real, built-ins included.
    const outcome: ModelOutcome =
      options.binDir === undefined
        ? modelOutcome(bin, node, name, digest)
        : await runBinary(options, bin, name, descriptor);
    if (outcome.verify && options.signatureVerify) {
      const verdict = await options.signatureVerify(name, descriptor, node.policies.get('notation'));
      Object.assign(outcome, {
        decision: verdict.decision,
        exitCode: verdict.exitCode,
        output: verdict.output,
        stderr: verdict.stderr,
        verified: verdict.signatures,
        warnings: verdict.warnings,
        reasons: verdict.reasons,
        notChecked: verdict.notChecked,
      });
      if (options.signatureLookup && outcome.artifact && verdict.signatures.length > 0) {
        const found = await options.signatureLookup(outcome.artifact, outcome.trustedIdentities ?? []);
        for (const s of found.signatures) {
          const v = verdict.signatures.find((x) => x.digest === s.digest);
          if (!v) continue;
          if (s.subject !== undefined) v.subject = s.subject;
          if (s.issuer !== undefined) v.issuer = s.issuer;
          v.trustedIdentity = s.trustedIdentity;
        }
      }
    } else if (outcome.verify && options.signatureLookup && outcome.artifact) {
      const found = await options.signatureLookup(outcome.artifact, outcome.trustedIdentities ?? []);
      if (found.none !== undefined) {
        outcome.decision = 'blocked';
        outcome.output = `image verification failed: Error: signature verification failed: ${found.none}`;
      } else outcome.signatures = found.signatures;
    }
    delete outcome.verify;
    delete outcome.artifact;
    outcomes.push(outcome);
    if (outcome.decision === 'error')
      return {
        ...base,
        verifiers: outcomes,
        decision: 'blocked',
        error: errorText(name, digest, outcome.error!),
      };
    if (outcome.decision === 'blocked')
      return {
        ...base,
        verifiers: outcomes,
        decision: 'blocked',
        error: blockedText(name, digest, outcome.verifier, outcome.exitCode, outcome.output),
      };
    if (outcome.decision === 'signature-required') signatureRequired = true;
  }
  const note = 'note' in order ? order.note : undefined;
  if (signatureRequired)
    return { ...base, verifiers: outcomes, decision: 'signature-required', ...(note ? { note } : {}) };
  return {
    ...base,
    verifiers: outcomes,
    decision: 'allowed',
    reason: outcomes.map((o) => `${o.verifier} => ${o.output}`).join(', '),
    ...(note ? { note } : {}),
  };
}

async function runBinary(
  options: CheckOptions,
  bin: string,
  name: string,
  descriptor: Descriptor,
): Promise<VerifierOutcome> {
  const run = await options.interruptibly((signal) =>
    runVerifierBinary(options.binDir!, bin, name, descriptor, options.timeoutMs, options.env, signal),
  );
  if (run.error !== undefined)
    return {
      verifier: bin,
      decision: 'error',
      exitCode: run.exitCode,
      output: '',
      stderr: run.stderr,
      source: 'binary',
      error: `failed to call verifier ${bin} (runtime ${goDuration(run.runtimeNs)}): ${run.error}`,
    };
  return {
    verifier: bin,
    decision: run.exitCode === 0 ? 'allowed' : 'blocked',
    exitCode: run.exitCode,
    output: run.reason,
    stderr: run.stderr,
    source: 'binary',
  };
}
