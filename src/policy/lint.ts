/**
 * One entry point for linting a trust policy: bytes + verifier → what the real verifiers decide,
 * what the node will do, and diagnostics with rule ids and positions. Pure: no I/O.
 */
import { isUtf8 } from 'node:buffer';
import {
  apiJsonError,
  type DigestionOutcome,
  loadDigestionPolicy,
  notationWrapperCheck,
  type ParsedDocument,
  type WrapperOutcome,
} from './bottlerocket.ts';
import {
  escapePointerToken,
  firstInvalidUtf8,
  type JsonNode,
  LineMap,
  latin1View,
  nodeAtPointer,
  parseJson,
} from './json.ts';
import type { VerifierKind } from './names.ts';
import { loadNotationDocument, validateNotationDocument } from './notation.ts';
import { notationWarnings } from './notation-advice.ts';

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

/** A user JSON Schema, compiled by the caller (ajv lives outside this pure module). */
export type SchemaValidator = (value: unknown) => { instancePath: string; message: string }[];

export interface LintInput {
  bytes: Uint8Array;
  verifier: VerifierKind;
  schema?: SchemaValidator | undefined;
  /** The same bytes' PositionIndex, when the caller already has one (it parses at most once). */
  positions?: PositionIndex;
}

/** Tracks positions for one document: offsets → line:column, nodes → JSON pointers. */
export class PositionIndex {
  private latin1Text?: string;
  /** The digestion verifier's load, when detection already ran it. */
  digestionOutcome?: DigestionOutcome;
  private lineMap?: LineMap;
  private parsedRoot?: { node: JsonNode | undefined; doc?: ParsedDocument };
  private parents?: Map<JsonNode, { parent: JsonNode; token: string }>;
  constructor(readonly bytes: Uint8Array) {}
  /** The bytes as Latin-1 text, for cheap searches before (or instead of) a parse. */
  get latin1(): string {
    if (this.latin1Text === undefined) this.latin1Text = latin1View(this.bytes);
    return this.latin1Text;
  }
  /** Built on first use: a valid policy with nothing to report never pays for positions. */
  get lines(): LineMap {
    this.lineMap ??= new LineMap(this.bytes);
    return this.lineMap;
  }
  get root(): JsonNode | undefined {
    if (!this.parsedRoot) {
      const parsed = parseJson(this.bytes, { maxDepth: 10000, allowTrailing: true });
      this.parsedRoot = parsed.ok
        ? { node: parsed.node, doc: { root: parsed.node, facts: parsed.facts } }
        : { node: undefined };
    }
    return this.parsedRoot.node;
  }
  /** The parsed document with what the parse saw, when it parsed. */
  get parsedDocument(): ParsedDocument | undefined {
    void this.root;
    return this.parsedRoot?.doc;
  }
  private parentMap(): Map<JsonNode, { parent: JsonNode; token: string }> {
    if (this.parents) return this.parents;
    const map = new Map<JsonNode, { parent: JsonNode; token: string }>();
    const stack: JsonNode[] = this.root ? [this.root] : [];
    while (stack.length > 0) {
      const node = stack.pop()!;
      if (node.kind === 'object')
        for (const m of node.members) {
          map.set(m.value, { parent: node, token: m.key });
          stack.push(m.value);
        }
      else if (node.kind === 'array')
        node.items.forEach((item, i) => {
          map.set(item, { parent: node, token: String(i) });
          stack.push(item);
        });
    }
    this.parents = map;
    return map;
  }
  pointerOf(node: JsonNode | undefined): string {
    if (!node) return '';
    const parents = this.parentMap();
    const tokens: string[] = [];
    let current: JsonNode | undefined = node;
    while (current) {
      const entry = parents.get(current);
      if (!entry) break;
      tokens.push(escapePointerToken(entry.token));
      current = entry.parent;
    }
    return tokens.length === 0 ? '' : '/' + tokens.reverse().join('/');
  }
  /** The innermost node whose bytes contain the offset. */
  nodeAtOffset(offset: number): JsonNode | undefined {
    let node = this.root;
    if (!node || offset < node.start || offset >= node.end) return undefined;
    while (true) {
      let next: JsonNode | undefined;
      const children: JsonNode[] =
        node.kind === 'object' ? node.members.map((m) => m.value) : node.kind === 'array' ? node.items : [];
      for (const child of children) if (offset >= child.start && offset < child.end) next = child;
      if (!next) return node;
      node = next;
    }
  }
  at(offset: number, pointer?: string): { pointer: string; line: number; column: number } {
    const p = this.lines.position(offset);
    return { pointer: pointer ?? this.pointerOf(this.nodeAtOffset(offset)), line: p.line, column: p.column };
  }
  atNode(node: JsonNode | undefined): { pointer: string; line: number; column: number } {
    if (!node) return { pointer: '', ...this.lines.position(0) };
    return { pointer: this.pointerOf(node), ...this.lines.position(node.start) };
  }
  /** serde's "at line L column C" (byte column of the last consumed byte) → an offset. */
  offsetOfSerdePosition(message: string): number | undefined {
    const m = / at line (\d+) column (\d+)$/.exec(message);
    if (!m) return undefined;
    const line = Number(m[1]);
    const column = Number(m[2]);
    let offset = 0;
    for (let l = 1; l < line; l++) {
      const nl = this.bytes.indexOf(0x0a, offset);
      if (nl < 0) break;
      offset = nl + 1;
    }
    return Math.min(offset + Math.max(0, column - 1), this.bytes.length);
  }
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

/** Which notation rule an upstream message belongs to. */
const NOTATION_RULES: [RegExp, string][] = [
  [/^malformed trust policy/, 'notation/malformed'],
  [/^trust policy document (has empty|uses unsupported) version/, 'notation/version'],
  [/^trust policy document can not have zero/, 'notation/no-statements'],
  [/^multiple trust policy statements use the same name/, 'notation/duplicate-name'],
  [/^trust policy: a trust policy statement is missing a name/, 'notation/missing-name'],
  [/verifyTimestamp must be/, 'notation/verify-timestamp'],
  [/has invalid signatureVerification/, 'notation/signature-verification'],
  [/is set to skip signature verification but/, 'notation/skip-with-trust'],
  [/is either missing trust stores or trusted identities/, 'notation/missing-trust'],
  [/trust store (value|type|name)/, 'notation/trust-store'],
  [/overlapping x509 trustedIdentities/, 'notation/identity-overlap'],
  [/trusted identit/, 'notation/trusted-identity'],
  [/registry scope .* is present in multiple/, 'notation/duplicate-scope'],
  [/registry scope/, 'notation/registry-scope'],
];

export function notationRuleFor(message: string): string {
  for (const [pattern, rule] of NOTATION_RULES) if (pattern.test(message)) return rule;
  return 'notation/invalid';
}

const decoder = new TextDecoder('utf-8', { fatal: false });

/**
 * Checks every verifier shares: UTF-8, BOM, and what the API's ValidBase64Json accepts. A
 * verifier's own strict parse of the document can vouch for the JSON (`apiAcceptsJson`), which
 * saves a pass over large policies.
 */
function lintApiAcceptance(bytes: Uint8Array, diags: DiagnosticList, apiAcceptsJson = false): boolean {
  const pos = diags.positions;
  if (bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
    diags.add(
      'input/bom',
      'error',
      'the policy starts with a UTF-8 byte-order mark; the API and notation reject it: save the file without a BOM',
      pos.at(0, ''),
    );
    return false;
  }
  const bad = isUtf8(bytes) ? -1 : firstInvalidUtf8(bytes);
  if (bad >= 0) {
    diags.add(
      'input/invalid-utf8',
      'error',
      `the policy is not valid UTF-8 (byte ${bad}); save it as UTF-8`,
      pos.at(bad, ''),
    );
    return false;
  }
  const apiError = apiAcceptsJson ? undefined : apiJsonError(bytes);
  if (apiError !== undefined) {
    const offset = pos.offsetOfSerdePosition(apiError) ?? 0;
    diags.add(
      'api/invalid-json',
      'error',
      `the Bottlerocket API will reject this policy: it is not valid JSON (${apiError})`,
      pos.at(offset),
    );
    return false;
  }
  return true;
}

function lintNotation(bytes: Uint8Array, diags: DiagnosticList, wrapper: WrapperOutcome): LintResult {
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
      for (const w of notationWarnings(loaded.document))
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

const CANONICAL_DIGEST = /^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;

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
  outcome.digests.forEach((digest, i) => {
    const where = () => pos.atNode(itemNode(i));
    if (!CANONICAL_DIGEST.test(digest))
      diags.add(
        'digestion/non-canonical',
        'warning',
        `${JSON.stringify(digest)} can never match: containerd passes canonical digests (sha256: + 64 lowercase hex, or sha512: + 128)`,
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
    size: { digests: outcome.digests.length },
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
  const { bytes, verifier } = input;
  const diags = new DiagnosticList(input.positions ?? new PositionIndex(bytes));
  if (verifier === 'notation') {
    // The generic parse is needed for notation anyway; it can vouch for the wrapper's strict parse.
    const wrapper = notationWrapperCheck(bytes, diags.positions.parsedDocument);
    lintApiAcceptance(bytes, diags, wrapper.apiAcceptsJson);
    return lintNotation(bytes, diags, wrapper);
  }
  if (verifier === 'digestion') {
    const outcome = diags.positions.digestionOutcome ?? loadDigestionPolicy(bytes);
    lintApiAcceptance(bytes, diags, outcome.apiAcceptsJson);
    return lintDigestion(diags, outcome);
  }
  const apiAccepts = lintApiAcceptance(bytes, diags);
  return lintCustom(bytes, apiAccepts, input.schema, diags);
}

/** Guesses the verifier from a policy's content: trustPolicies → notation, trustedDigests → digestion. */
export function detectVerifier(input: Uint8Array | PositionIndex): VerifierKind {
  const positions = input instanceof PositionIndex ? input : new PositionIndex(input);
  // A top-level trustedDigests is what the digestion loader requires; when it loads, that is
  // the answer without a full parse (large allowlists are the common large input).
  if (!/"trustpolicies"/i.test(positions.latin1) && positions.latin1.includes('"trustedDigests"')) {
    const outcome = loadDigestionPolicy(positions.bytes);
    if (outcome.kind !== 'reject') {
      positions.digestionOutcome = outcome;
      return 'digestion';
    }
  }
  const root = positions.root;
  let keys: string[];
  if (root?.kind === 'object') keys = root.members.map((m) => m.key.toLowerCase());
  else if (root) return 'custom';
  else {
    // Not parseable (a BOM, a comment, a syntax error): the verifier still shows in the keys.
    const text = new TextDecoder().decode(positions.bytes.subarray(0, 1 << 20)).toLowerCase();
    keys = ['trustpolicies', 'trusteddigests'].filter((k) => text.includes(`"${k}"`));
  }
  if (keys.includes('trustpolicies')) return 'notation';
  if (keys.includes('trusteddigests')) return 'digestion';
  return 'custom';
}

export function hasErrors(result: LintResult): boolean {
  return result.diagnostics.some((d) => d.severity === 'error');
}
