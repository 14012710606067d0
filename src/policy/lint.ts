/**
 * One entry point for linting a trust policy: bytes + verifier → what the real verifiers decide,
 * what the node will do, and diagnostics with rule ids and positions. Pure: no I/O.
 */
import { apiAcceptanceProblem } from './acceptance.ts';
import { canPresentDigest, PRESENTABLE_DIGESTS_TEXT } from './digest-rule.ts';
import {
  canonicalAllowlistLoad,
  type DigestionOutcome,
  loadDigestionPolicyExactly,
  notationWrapperCheck,
  type WrapperOutcome,
} from './image-verifiers.ts';
import type { SchemaValidator } from './custom.ts';
import type { JsonNode } from './json.ts';
import type { VerifierKind } from './names.ts';
import { notationWarnings, type TrustStoreLookup } from './notation/advice.ts';
import { loadNotationDocument } from './notation/decode.ts';
import { cleanNotationStatements } from './notation/fast.ts';
import { validateNotationDocument } from './notation/validate.ts';
import { nodeAtPointer, PositionIndex } from './positions.ts';
import { notationRuleFor } from './rules.ts';
import { API_BODY_LIMIT, patchBodyLength } from './settings.ts';

export type Severity = 'error' | 'warning' | 'info';
export type Effect = 'enforced' | 'allows-all' | 'rejects-all';

export interface Diagnostic {
  rule: string;
  severity: Severity;
  message: string;
  pointer: string;
  line: number;
  column: number;
}

export interface LintResult {
  verifier: VerifierKind;
  valid: boolean;
  upstreamMessage: string | null;
  effect: Effect;
  diagnostics: Diagnostic[];
  /** Statement or digest count, for summaries. */
  size?: { statements?: number; digests?: number };
}

export interface LintInput {
  bytes: Uint8Array;
  verifier: VerifierKind;
  schema?: SchemaValidator | undefined;
  /** The same bytes' PositionIndex, when the caller already has one (it parses at most once). */
  positions?: PositionIndex;
  /** The digestion verifier's load of the same bytes, when detectVerifier already ran it. */
  digestion?: DigestionOutcome;
  /** lint --trust-store: what the directory holds (else: a stock node's stores). */
  trustStore?: TrustStoreLookup | undefined;
}

export class DiagnosticList {
  readonly items: Diagnostic[] = [];
  constructor(readonly positions: PositionIndex) {}
  add(
    rule: string,
    severity: Severity,
    message: string,
    where: { pointer: string; line: number; column: number },
  ) {
    this.items.push({ rule, severity, message, ...where });
  }
}

const decoder = new TextDecoder('utf-8', { fatal: false });

/**
 * What every verifier shares: the API's acceptance rule (policy/acceptance.ts). A verifier's own
 * strict parse of the document can vouch for the JSON (`apiAcceptsJson`), which saves a pass.
 */
function lintApiAcceptance(bytes: Uint8Array, diags: DiagnosticList, apiAcceptsJson = false): boolean {
  const pos = diags.positions;
  const problem = apiAcceptanceProblem(bytes, apiAcceptsJson);
  if (!problem) return true;
  switch (problem.kind) {
    case 'bom':
      diags.add(
        'input/bom',
        'error',
        'the policy starts with a UTF-8 byte-order mark; the API and notation reject it: save the file without a BOM',
        pos.at(0, ''),
      );
      break;
    case 'utf8':
      diags.add(
        'input/invalid-utf8',
        'error',
        `the policy is not valid UTF-8 (byte ${problem.offset}); save it as UTF-8`,
        pos.at(problem.offset, ''),
      );
      break;
    default:
      diags.add(
        'api/invalid-json',
        'error',
        `the Bottlerocket API will reject this policy: it is not valid JSON (${problem.serdeMessage})`,
        pos.at(problem.offset),
      );
  }
  return false;
}

function lintNotation(
  bytes: Uint8Array,
  diags: DiagnosticList,
  wrapper: WrapperOutcome,
  trustStore?: TrustStoreLookup,
): LintResult {
  const pos = diags.positions;
  const loaded = loadNotationDocument(bytes, pos.root);
  let upstream: string | null = null;
  let statements: number | undefined;
  if (!loaded.ok) {
    upstream = loaded.message;
    diags.add(
      'notation/malformed',
      'error',
      loaded.message,
      loaded.offset !== undefined ? pos.at(loaded.offset) : pos.at(0, ''),
    );
  } else {
    statements = loaded.document.trustPolicies?.len ?? 0;
    const finding = validateNotationDocument(loaded.document);
    if (finding) {
      upstream = finding.message;
      diags.add(
        notationRuleFor(finding.message),
        'error',
        finding.message,
        pos.atNode(finding.node ?? loaded.root),
      );
    } else {
      for (const w of notationWarnings(loaded.document, trustStore))
        diags.add(w.rule, 'warning', w.message, pos.atNode(w.node));
    }
  }
  let effect: Effect;
  if (wrapper.kind === 'skip') {
    effect = 'allows-all';
    diags.add(
      wrapper.reason === 'empty-list' ? 'bottlerocket/empty-policy' : 'bottlerocket/empty-file',
      'warning',
      wrapper.reason === 'empty-list'
        ? 'trustPolicies is empty: Bottlerocket treats this as no policy and allows every image'
        : 'the policy is empty: Bottlerocket treats this as no policy and allows every image',
      pos.atNode(memberNode(pos.root, 'trustPolicies') ?? pos.root),
    );
  } else if (wrapper.kind === 'reject') {
    effect = 'rejects-all';
    const offset = pos.offsetOfSerdePosition(wrapper.message);
    diags.add(
      wrapper.message.startsWith('unsupported') ? 'bottlerocket/version' : 'bottlerocket/strict-json',
      'error',
      `Bottlerocket's notation verifier rejects every image: image verification failed: ${wrapper.message}`,
      offset !== undefined ? pos.at(offset) : pos.atNode(pos.root),
    );
  } else effect = upstream === null ? 'enforced' : 'rejects-all';
  return {
    verifier: 'notation',
    valid: upstream === null,
    upstreamMessage: upstream,
    effect,
    diagnostics: diags.items,
    ...(statements !== undefined ? { size: { statements } } : {}),
  };
}

/** The value of an object's member (the last one, as serde would have failed on duplicates). */
function memberNode(node: JsonNode | undefined, key: string): JsonNode | undefined {
  return node?.kind === 'object' ? node.members.findLast((m) => m.key === key)?.value : undefined;
}

function lintDigestion(diags: DiagnosticList, outcome: DigestionOutcome): LintResult {
  const pos = diags.positions;
  if (outcome.kind === 'reject') {
    const line = `image verification failed: ${outcome.message}`;
    const offset = pos.offsetOfSerdePosition(outcome.message);
    const versionNode = memberNode(pos.root, 'version');
    diags.add(
      outcome.message.startsWith('unsupported') ? 'digestion/version' : 'digestion/load',
      'error',
      line,
      offset !== undefined ? pos.at(offset) : pos.atNode(versionNode ?? pos.root),
    );
    return {
      verifier: 'digestion',
      valid: false,
      upstreamMessage: line,
      effect: 'rejects-all',
      diagnostics: diags.items,
    };
  }
  if (outcome.kind === 'skip') {
    diags.add(
      outcome.reason === 'empty-list' ? 'digestion/empty-list' : 'digestion/empty-file',
      'warning',
      outcome.reason === 'empty-list'
        ? 'trustedDigests is empty: the digestion verifier is disabled and every image is allowed'
        : 'the policy is empty: the digestion verifier is disabled and every image is allowed',
      pos.atNode(memberNode(pos.root, 'trustedDigests') ?? pos.root),
    );
    return {
      verifier: 'digestion',
      valid: true,
      upstreamMessage: null,
      effect: 'allows-all',
      diagnostics: diags.items,
      size: { digests: 0 },
    };
  }
  const itemNode = (i: number): JsonNode | undefined => {
    const list = pos.root?.kind === 'array' ? pos.root.items[1] : memberNode(pos.root, 'trustedDigests');
    return list?.kind === 'array' ? list.items[i] : undefined;
  };
  const seen = new Set<string>();
  // A list already known to be canonical and free of repeats has nothing to warn about.
  if (!(outcome.canonical && outcome.unique))
    outcome.digests.forEach((digest, i) => {
      const where = () => pos.atNode(itemNode(i));
      if (!outcome.canonical && !canPresentDigest(digest))
        diags.add(
          'digestion/non-canonical',
          'warning',
          `${JSON.stringify(digest)} can never match: containerd passes canonical digests (${PRESENTABLE_DIGESTS_TEXT})`,
          where(),
        );
      if (seen.has(digest))
        diags.add(
          'digestion/duplicate',
          'warning',
          `${JSON.stringify(digest)} is listed more than once`,
          where(),
        );
      seen.add(digest);
    });
  return {
    verifier: 'digestion',
    valid: true,
    upstreamMessage: null,
    effect: 'enforced',
    diagnostics: diags.items,
    size: { digests: outcome.count ?? outcome.digests.length },
  };
}

function lintCustom(
  bytes: Uint8Array,
  apiAccepts: boolean,
  schema: SchemaValidator | undefined,
  diags: DiagnosticList,
) {
  const pos = diags.positions;
  let valid = apiAccepts;
  let upstream: string | null = apiAccepts ? null : (diags.items[0]?.message ?? 'not valid JSON');
  if (apiAccepts && schema && pos.root) {
    const value: unknown = JSON.parse(decoder.decode(bytes));
    const errors = schema(value);
    for (const e of errors) {
      const node = nodeAtPointer(pos.root, e.instancePath) ?? pos.root;
      diags.add('custom/schema', 'error', `${e.instancePath || '/'} ${e.message}`, pos.atNode(node));
    }
    if (errors.length > 0) {
      valid = false;
      upstream = `${errors[0]!.instancePath || '/'} ${errors[0]!.message}`;
    }
  }
  return {
    verifier: 'custom' as const,
    valid,
    upstreamMessage: upstream,
    effect: (valid ? 'enforced' : 'rejects-all') as Effect,
    diagnostics: diags.items,
  };
}

/** Lints one policy document for one verifier. Never throws on any input. */
export function lintPolicy(input: LintInput): LintResult {
  const result = lintPolicyContent(input);
  const body = patchBodyLength(input.bytes.length, input.verifier);
  if (body > API_BODY_LIMIT)
    result.diagnostics.push({
      rule: 'api/too-large',
      severity: 'error',
      message: `the policy cannot be set: its settings request would be ${body} bytes, over the API's ${API_BODY_LIMIT}-byte (2 MiB) limit`,
      pointer: '',
      line: 1,
      column: 1,
    });
  return result;
}

function lintPolicyContent(input: LintInput): LintResult {
  const { bytes, verifier } = input;
  const diags = new DiagnosticList(input.positions ?? new PositionIndex(bytes));
  if (verifier === 'notation') {
    // A clean policy (the common large input) is answered without a positioned parse.
    const statements = cleanNotationStatements(diags.positions.latin1, () => diags.positions.plain);
    // With a trust store directory, even the stock stores are looked at.
    if (statements !== undefined && !input.trustStore)
      return {
        verifier,
        valid: true,
        upstreamMessage: null,
        effect: 'enforced',
        diagnostics: [],
        size: { statements },
      };
    // The generic parse is needed for notation anyway; it can vouch for the wrapper's strict parse.
    const wrapper = notationWrapperCheck(bytes, diags.positions.parsedDocument);
    lintApiAcceptance(bytes, diags, wrapper.apiAcceptsJson);
    return lintNotation(bytes, diags, wrapper, input.trustStore);
  }
  if (verifier === 'digestion') {
    // The Latin-1 text the positions hold already serves the canonical path (--verifier digestion).
    const outcome =
      input.digestion ??
      canonicalAllowlistLoad(bytes, diags.positions.latin1) ??
      loadDigestionPolicyExactly(bytes);
    lintApiAcceptance(bytes, diags, outcome.apiAcceptsJson);
    return lintDigestion(diags, outcome);
  }
  const apiAccepts = lintApiAcceptance(bytes, diags);
  return lintCustom(bytes, apiAccepts, input.schema, diags);
}

export interface Detected {
  verifier: VerifierKind;
  /** The digestion verifier's load, when detection ran it (lintPolicy takes it back). */
  digestion?: DigestionOutcome;
}

/** Guesses the verifier from a policy's content: trustPolicies → notation, trustedDigests → digestion. */
export function detectVerifier(input: Uint8Array | PositionIndex): Detected {
  const positions = input instanceof PositionIndex ? input : new PositionIndex(input);
  // The common large input, a canonical allowlist, is recognised without a parse.
  const canonical = canonicalAllowlistLoad(positions.bytes, positions.latin1);
  if (canonical) return { verifier: 'digestion', digestion: canonical };
  // A top-level trustedDigests is what the digestion loader requires; when it loads, that is
  // the answer without a full parse (large allowlists are the common large input).
  if (!/"trustpolicies"/i.test(positions.latin1) && positions.latin1.includes('"trustedDigests"')) {
    const digestion = loadDigestionPolicyExactly(positions.bytes);
    if (digestion.kind !== 'reject') return { verifier: 'digestion', digestion };
  }
  // The top-level keys, from the native parse when there is one (a positioned parse costs more).
  const plain = positions.plain?.value;
  const root = plain === undefined ? positions.root : undefined;
  let keys: string[];
  if (plain !== undefined) {
    if (typeof plain !== 'object' || plain === null || Array.isArray(plain)) return { verifier: 'custom' };
    keys = Object.keys(plain).map((k) => k.toLowerCase());
  } else if (root?.kind === 'object') keys = root.members.map((m) => m.key.toLowerCase());
  else if (root) return { verifier: 'custom' };
  else {
    // Not parseable (a BOM, a comment, a syntax error): the verifier still shows in the keys.
    const text = new TextDecoder().decode(positions.bytes.subarray(0, 1 << 20)).toLowerCase();
    keys = ['trustpolicies', 'trusteddigests'].filter((k) => text.includes(`"${k}"`));
  }
  if (keys.includes('trustpolicies')) return { verifier: 'notation' };
  if (keys.includes('trusteddigests')) return { verifier: 'digestion' };
  return { verifier: 'custom' };
}

/** Why a policy never reaches a node whatever its verifiers would decide, for summaries. */
export const NOT_SETTABLE_TEXT =
  "cannot be set on a node: its settings request is over the API's 2 MiB limit";

/**
 * A policy the API refuses (api/too-large) is never stored, so its effect is not what a node
 * does: the node keeps the policy it has. Summaries say this instead of the effect.
 */
export function cannotBeSet(result: Pick<LintResult, 'diagnostics'>): boolean {
  return result.diagnostics.some((d) => d.rule === 'api/too-large');
}

/** "on the node: EFFECT", or why it never gets there. */
export function nodeOutcome(result: Pick<LintResult, 'diagnostics' | 'effect'>): string {
  return cannotBeSet(result) ? NOT_SETTABLE_TEXT : `on the node: ${result.effect}`;
}

export function hasErrors(result: LintResult): boolean {
  return result.diagnostics.some((d) => d.severity === 'error');
}
