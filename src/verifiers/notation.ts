/**
 * What Bottlerocket's notation-image-verifier decides for one image before any signature is
 * examined, step by step as the code runs (the wrapper: bottlerocket-core-kit image-verifiers;
 * notation CLI v1.3.2 `verify`; notation-go v1.3.2; oras-go v2.5.0 as notation pins it): the
 * wrapper's pre-check and reference, LoadDocument + Validate, oras-go's ParseReference, the
 * statement GetApplicableTrustPolicy picks, GetVerificationLevel with its overrides, and `skip`.
 * Every printed text is exact. Pure: the registry is assumed to answer the manifest HEAD.
 */
import { notationWrapperCheck } from '../policy/image-verifiers.ts';
import { live, loadNotationDocument, type NotationStatement } from '../policy/notation/decode.ts';
import { isSubsetDN, parseDistinguishedName } from '../policy/notation/dn.ts';
import { goQuote } from '../policy/notation/goquote.ts';
import { registryScopeFormatError, validateNotationDocument } from '../policy/notation/validate.ts';
import { digestError, type ImageReference } from '../registry/reference.ts';

export const NOTATION_VERIFIER = 'notation-image-verifier';

export type CheckAction = 'enforce' | 'log' | 'skip';
export const VALIDATION_TYPES = [
  'integrity',
  'authenticity',
  'authenticTimestamp',
  'expiry',
  'revocation',
] as const;
export type Actions = Record<(typeof VALIDATION_TYPES)[number], CheckAction>;

const BASE_LEVELS: Record<string, CheckAction[]> = {
  strict: ['enforce', 'enforce', 'enforce', 'enforce', 'enforce'],
  permissive: ['enforce', 'enforce', 'log', 'log', 'log'],
  audit: ['enforce', 'log', 'log', 'log', 'log'],
  skip: ['skip', 'skip', 'skip', 'skip', 'skip'],
};

export type NotationOutcome =
  | 'no-policy'
  | 'wrapper-rejected'
  | 'invalid-policy'
  | 'reference-error'
  | 'artifact-path-error'
  | 'no-applicable-statement'
  | 'skip'
  | 'verify';

export interface NotationDecision {
  outcome: NotationOutcome;
  /** What the wrapper passes to `notation verify` (R), and what notation checks (A). */
  reference?: string;
  artifactReference?: string;
  /** The artifact notation verifies, as parsed (oras-go), for looking its signatures up. */
  artifact?: ImageReference;
  statement?: string;
  /** GetVerificationLevel().Name: the level, or `custom` with a non-empty override. */
  level?: string;
  actions?: Actions;
  trustStores?: string[];
  trustedIdentities?: string[];
  /** notation's own output, when it runs (the HEAD assumed to answer, no signature attached). */
  notationExit?: number;
  notationStdout?: string;
  notationStderr?: string;
  /** The wrapper's result: exit code and stdout (containerd's reason). */
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** The wrapper's reference: cut at the first `@`, drop one trailing `:tag`, append `@` + digest. */
export function wrapperReference(name: string, digest: string): string {
  let base = name;
  const at = base.indexOf('@');
  if (at >= 0) base = base.slice(0, at);
  const colon = base.lastIndexOf(':');
  if (colon >= 0 && !base.slice(colon).includes('/')) base = base.slice(0, colon);
  return `${base}@${digest}`;
}

export interface OrasReference {
  registry: string;
  repository: string;
  reference: string;
}

const REPOSITORY = /^[a-z0-9]+(?:(?:[._]|__|[-]*)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|[-]*)[a-z0-9]+)*)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;

/**
 * Go's url.ParseRequestURI("dummy://" + registry).Host == registry, which oras-go requires
 * (Go 1.23's parseHost): after the last `]` (bracketed) or the last `:`, an optional port of
 * digits; every other ASCII byte one the host may hold. So `host:5000:6000` passes (the host
 * holds `host:5000`), as oras-go v2.5.0 accepts it; notation's scope check then refuses it.
 */
function validRegistry(registry: string): boolean {
  // `?` cuts a query, `@` a user, `/` a path and `%` escapes: the Host then differs from the text.
  if (registry === '' || /[?#@/\\%]/.test(registry)) return false;
  const portStart = registry.startsWith('[') ? registry.lastIndexOf(']') + 1 : registry.lastIndexOf(':');
  if (registry.startsWith('[') && portStart === 0) return false; // missing ']'
  if (portStart >= 0 && !/^(?::\d*)?$/.test(registry.slice(portStart))) return false;
  // Unreserved, sub-delims, and the `:`, `[`, `]`, `<`, `>`, `"` Go's host mode lets through;
  // bytes beyond ASCII pass too.
  for (const ch of registry) {
    if (ch.codePointAt(0)! >= 0x80) continue;
    if (!/[A-Za-z0-9\-._~!$&'()*+,;=:[\]<>"]/.test(ch)) return false;
  }
  return true;
}

/** oras-go v2.5.0 registry.ParseReference: its errors are "invalid reference: …". */
export function orasParseReference(artifact: string): OrasReference | { error: string } {
  const slash = artifact.indexOf('/');
  if (slash < 0) return { error: 'invalid reference: missing registry or repository' };
  const registry = artifact.slice(0, slash);
  const path = artifact.slice(slash + 1);
  let repository: string;
  let reference = '';
  let isTag = false;
  const at = path.indexOf('@');
  if (at >= 0) {
    repository = path.slice(0, at);
    reference = path.slice(at + 1);
    // A tag before the digest is dropped, without validation (form B).
    const colon = repository.indexOf(':');
    if (colon >= 0) repository = repository.slice(0, colon);
  } else {
    const colon = path.indexOf(':');
    if (colon >= 0) {
      isTag = true;
      repository = path.slice(0, colon);
      reference = path.slice(colon + 1);
    } else repository = path;
  }
  if (!validRegistry(registry)) return { error: `invalid reference: invalid registry ${goQuote(registry)}` };
  if (!REPOSITORY.test(repository))
    return { error: `invalid reference: invalid repository ${goQuote(repository)}` };
  if (reference !== '') {
    if (isTag) {
      if (!TAG.test(reference)) return { error: `invalid reference: invalid tag ${goQuote(reference)}` };
    } else {
      const problem = digestError(reference);
      if (problem) return { error: `invalid reference: invalid digest ${goQuote(reference)}: ${problem}` };
    }
  }
  return { registry, repository, reference };
}

/** GetVerificationLevel for a statement that passed Validate(): its name and every check's action. */
export function verificationLevel(st: NotationStatement): { name: string; actions: Actions } {
  const base = BASE_LEVELS[st.level]!;
  const actions = Object.fromEntries(VALIDATION_TYPES.map((t, i) => [t, base[i]!])) as Actions;
  if (!st.override || st.override.size === 0) return { name: st.level, actions };
  for (const [key, value] of st.override) actions[key as keyof Actions] = value as CheckAction;
  return { name: 'custom', actions };
}

const EXPECTING = 'Expecting <registry>/<repository>:<tag> or <registry>/<repository>@<digest>';
const POLICY_HINT =
  'To create a trust policy, see: https://notaryproject.dev/docs/quickstart/#create-a-trust-policy';

/** The wrapper's stdout when notation fails: its stdout and stderr, then a newline. */
function failed(d: Omit<NotationDecision, 'exitCode' | 'stdout' | 'stderr'>): NotationDecision {
  return {
    ...d,
    exitCode: 1,
    stdout: `image verification failed: ${d.notationStdout ?? ''}${d.notationStderr ?? ''}\n`,
    stderr: '',
  };
}

/**
 * The decision for `-name NAME -digest DIGEST` with this policy file content (undefined: no file).
 * `verify` means signatures are required: what follows depends on them (the texts given are
 * notation's for an image without signatures).
 */
interface PolicyChecks {
  wrapper: ReturnType<typeof notationWrapperCheck>;
  loaded?: ReturnType<typeof loadNotationDocument>;
  invalid?: string;
}
/**
 * The wrapper's pre-check, LoadDocument and Validate() of one policy buffer, kept per buffer: they
 * do not depend on the image, and audit decides thousands of images with one policy.
 */
const checks = new WeakMap<Uint8Array, PolicyChecks>();
function policyChecks(policy: Uint8Array): PolicyChecks {
  let known = checks.get(policy);
  if (known) return known;
  const wrapper = notationWrapperCheck(policy);
  if (wrapper.kind !== 'proceed') known = { wrapper };
  else {
    // LoadDocument and Validate() run before the reference is looked at.
    const loaded = loadNotationDocument(policy);
    const invalid = loaded.ok ? validateNotationDocument(loaded.document)?.message : loaded.message;
    known = { wrapper, loaded, ...(invalid !== undefined ? { invalid } : {}) };
  }
  checks.set(policy, known);
  return known;
}

export function decideNotation(
  policy: Uint8Array | undefined,
  name: string,
  digest: string,
): NotationDecision {
  const allowWithoutPolicy: NotationDecision = {
    outcome: 'no-policy',
    exitCode: 0,
    stdout: '',
    stderr: 'image verification skipped: no trust policy configured\n',
  };
  if (policy === undefined) return allowWithoutPolicy;
  const { wrapper, loaded, invalid } = policyChecks(policy);
  if (wrapper.kind === 'skip') return allowWithoutPolicy;
  if (wrapper.kind === 'reject')
    return {
      outcome: 'wrapper-rejected',
      exitCode: 1,
      stdout: `image verification failed: ${wrapper.message}\n`,
      stderr: '',
    };
  const reference = wrapperReference(name, digest);
  if (invalid !== undefined || loaded === undefined || !loaded.ok)
    return failed({
      outcome: 'invalid-policy',
      reference,
      notationExit: 1,
      notationStderr: `Error: ${invalid}\n`,
    });
  const parsed = orasParseReference(reference);
  const notFound =
    'error' in parsed
      ? parsed.error
      : parsed.reference === ''
        ? 'invalid reference: no tag or digest'
        : undefined;
  if (notFound !== undefined)
    return failed({
      outcome: 'reference-error',
      reference,
      notationExit: 1,
      notationStderr: `Error: ${goQuote(reference)}: ${notFound}. ${EXPECTING}\n`,
    });
  const ref = parsed as OrasReference;
  // The registry answers HEAD …/manifests/<digest> with that digest; then A is built from the parse.
  const path = `${ref.registry}/${ref.repository}`;
  const artifactReference = `${path}@${ref.reference}`;
  const pathError = registryScopeFormatError(path);
  if (pathError)
    return failed({
      outcome: 'artifact-path-error',
      reference,
      artifactReference,
      notationExit: 1,
      notationStderr: `Error: signature verification failed: ${pathError}\n`,
    });
  const statements = live(loaded.document.trustPolicies);
  const scopesOf = (st: NotationStatement) => live(st.registryScopes);
  const governing =
    statements.find((st) => !scopesOf(st).includes('*') && scopesOf(st).includes(path)) ??
    statements.find((st) => scopesOf(st).includes('*'));
  if (!governing)
    return failed({
      outcome: 'no-applicable-statement',
      reference,
      artifactReference,
      notationExit: 1,
      notationStderr: `Error: signature verification failed: artifact ${goQuote(artifactReference)} has no applicable trust policy statement. Trust policy applicability for a given artifact is determined by registryScopes. ${POLICY_HINT}\n`,
    });
  const level = verificationLevel(governing);
  const governed = {
    reference,
    artifactReference,
    artifact: { domain: ref.registry, path: ref.repository, digest: ref.reference, name: artifactReference },
    statement: governing.name,
    level: level.name,
    actions: level.actions,
    trustStores: live(governing.trustStores),
    trustedIdentities: live(governing.trustedIdentities),
  };
  if (level.name === 'skip')
    return {
      ...governed,
      outcome: 'skip',
      notationExit: 0,
      notationStdout: `Trust policy is configured to skip signature verification for ${artifactReference}\n`,
      exitCode: 0,
      stdout: '',
      stderr: 'image verification successful\n',
    };
  return failed({
    ...governed,
    outcome: 'verify',
    notationExit: 1,
    notationStderr: `Error: signature verification failed: ${noSignatureText(artifactReference)}\n`,
  });
}

/** notation-go's text for an image without signatures. */
export function noSignatureText(artifactReference: string): string {
  return `no signature is associated with ${goQuote(artifactReference)}, make sure the artifact was signed successfully`;
}

/**
 * Whether a signing certificate's subject satisfies a statement's trusted identities as notation-go
 * judges it: `*` trusts any, else some `x509.subject:` DN's attributes are all present and equal in
 * the subject (pkix.IsSubsetDN). Identities that do not parse match nothing.
 */
export function matchesTrustedIdentity(identities: string[], subject: Map<string, string>): boolean {
  for (const identity of identities) {
    if (identity === '*') return true;
    const colon = identity.indexOf(':');
    if (colon < 0 || identity.slice(0, colon) !== 'x509.subject') continue;
    try {
      if (isSubsetDN(parseDistinguishedName(identity.slice(colon + 1).trim()), subject)) return true;
    } catch {
      // Validate() already rejects such a policy; an unparsable identity trusts no one.
    }
  }
  return false;
}
