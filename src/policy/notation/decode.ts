/**
 * notation-go v1.3.2's `trustpolicy.LoadDocument`: Go's encoding/json (Go 1.23, the toolchain
 * notation 1.3.2 is built with) decoding the file into notation's types, with Go's leniency —
 * case-insensitive field names, the last duplicate wins, null leaves a field as it was, unknown
 * fields and trailing data are ignored, and any type error makes the whole file "malformed".
 */
import { type JsonMember, type JsonNode, parseJson } from '../json.ts';
import { GO_MAX_DEPTH } from '../positions.ts';

export const MALFORMED =
  'malformed trust policy. To create a trust policy, see: https://notaryproject.dev/docs/quickstart/#create-a-trust-policy';

/** A Go slice: a backing array whose slots past `len` survive for reuse by a later decode. */
export interface GoSlice<T> {
  backing: T[];
  nodes: (JsonNode | undefined)[];
  len: number;
}

export interface NotationStatement {
  name: string;
  registryScopes: GoSlice<string> | null;
  level: string;
  override: Map<string, string> | null;
  verifyTimestamp: string;
  trustStores: GoSlice<string> | null;
  trustedIdentities: GoSlice<string> | null;
  /** The JSON nodes that last set each field, for positions. */
  nodes: Partial<Record<string, JsonNode>>;
  /** Override entries' nodes; created only for statements that have overrides. */
  overrideNodes: Map<string, JsonNode> | undefined;
}

export interface NotationDocument {
  version: string;
  trustPolicies: GoSlice<NotationStatement> | null;
  nodes: Partial<Record<string, JsonNode>>;
}

class TypeMismatch extends Error {}

/**
 * Go's field-name matching (encoding/json's foldName, Go 1.21+): ASCII letters fold by case, and
 * of all non-ASCII letters only ſ (U+017F, folds to S) and K (U+212A Kelvin, folds to K) fold to
 * an ASCII letter, so they are the only ones that can match notation's ASCII field names.
 */
function foldName(name: string): string {
  let out = '';
  for (const ch of name) {
    if (ch === '\u017f') out += 'S';
    else if (ch === '\u212a') out += 'K';
    else if (ch.charCodeAt(0) < 0x80) out += ch.toUpperCase();
    else out += ch;
  }
  return out;
}

function matchField(key: string, fields: readonly string[]): string | undefined {
  if (fields.includes(key)) return key;
  const folded = foldName(key);
  return fields.find((f) => foldName(f) === folded);
}

/** A statement before any field is decoded: Go's zero value. */
export function emptyStatement(nodes: NotationStatement['nodes'] = {}): NotationStatement {
  return {
    name: '',
    registryScopes: null,
    level: '',
    override: null,
    verifyTimestamp: '',
    trustStores: null,
    trustedIdentities: null,
    nodes,
    overrideNodes: undefined,
  };
}

function decodeString(node: JsonNode, current: string): string {
  if (node.kind === 'string') return node.value;
  if (node.kind === 'null') return current;
  throw new TypeMismatch();
}

/** Go's array-into-slice decoding, which reuses the existing backing array. */
function decodeSlice<T>(
  node: JsonNode,
  current: GoSlice<T> | null,
  zero: () => T,
  decodeElem: (n: JsonNode, existing: T) => T,
): GoSlice<T> | null {
  // null sets the slice to nil; an empty array makes a new empty slice (Go drops the old backing
  // array then), while a non-empty array decodes into the existing one, element by element.
  if (node.kind === 'null') return null;
  if (node.kind !== 'array') throw new TypeMismatch();
  if (node.items.length === 0) return { backing: [], nodes: [], len: 0 };
  const slice: GoSlice<T> = current ?? { backing: [], nodes: [], len: 0 };
  node.items.forEach((item, i) => {
    if (i >= slice.backing.length) {
      // Growing copies only the live elements; new slots start at the zero value.
      slice.backing.length = slice.len;
      slice.nodes.length = slice.len;
      while (slice.backing.length <= i) {
        slice.backing.push(zero());
        slice.nodes.push(undefined);
      }
    }
    if (i >= slice.len) slice.len = i + 1;
    slice.backing[i] = decodeElem(item, slice.backing[i] as T);
    slice.nodes[i] = item;
  });
  if (node.items.length < slice.len) slice.len = node.items.length;
  return slice;
}

const STATEMENT_FIELDS = [
  'name',
  'registryScopes',
  'signatureVerification',
  'trustStores',
  'trustedIdentities',
] as const;
const SIGNATURE_FIELDS = ['level', 'override', 'verifyTimestamp'] as const;

function decodeStringSlice(node: JsonNode, current: GoSlice<string> | null): GoSlice<string> | null {
  return decodeSlice(node, current, () => '', decodeString);
}

function decodeSignatureVerification(node: JsonNode, st: NotationStatement): void {
  if (node.kind === 'null') return;
  if (node.kind !== 'object') throw new TypeMismatch();
  for (const m of node.members) {
    const field = matchField(m.key, SIGNATURE_FIELDS);
    if (!field) continue;
    st.nodes[field] = m.value;
    if (field === 'level') st.level = decodeString(m.value, st.level);
    else if (field === 'verifyTimestamp') st.verifyTimestamp = decodeString(m.value, st.verifyTimestamp);
    else if (m.value.kind === 'null') st.override = null;
    else if (m.value.kind !== 'object') throw new TypeMismatch();
    else {
      st.override ??= new Map();
      for (const entry of m.value.members) {
        // Each map value starts from the zero value, so null stores "".
        st.override.set(entry.key, decodeString(entry.value, ''));
        st.overrideNodes ??= new Map();
        st.overrideNodes.set(entry.key, entry.value);
      }
    }
  }
}

function decodeStatement(node: JsonNode, st: NotationStatement): NotationStatement {
  if (node.kind === 'null') return st;
  if (node.kind !== 'object') throw new TypeMismatch();
  st.nodes['statement'] = node;
  for (const m of node.members) {
    const field = matchField(m.key, STATEMENT_FIELDS);
    if (!field) continue;
    st.nodes[field] = m.value;
    switch (field) {
      case 'name':
        st.name = decodeString(m.value, st.name);
        break;
      case 'registryScopes':
        st.registryScopes = decodeStringSlice(m.value, st.registryScopes);
        break;
      case 'trustStores':
        st.trustStores = decodeStringSlice(m.value, st.trustStores);
        break;
      case 'trustedIdentities':
        st.trustedIdentities = decodeStringSlice(m.value, st.trustedIdentities);
        break;
      case 'signatureVerification':
        decodeSignatureVerification(m.value, st);
        break;
    }
  }
  return st;
}

function decodeDocument(root: JsonNode): NotationDocument {
  const doc: NotationDocument = { version: '', trustPolicies: null, nodes: {} };
  if (root.kind === 'null') return doc;
  if (root.kind !== 'object') throw new TypeMismatch();
  for (const m of root.members as JsonMember[]) {
    const field = matchField(m.key, ['version', 'trustPolicies']);
    if (!field) continue;
    doc.nodes[field] = m.value;
    if (field === 'version') doc.version = decodeString(m.value, doc.version);
    else doc.trustPolicies = decodeSlice(m.value, doc.trustPolicies, emptyStatement, decodeStatement);
  }
  return doc;
}

export type LoadResult =
  | { ok: true; document: NotationDocument; root: JsonNode }
  | { ok: false; message: string; offset?: number };

/** `json.NewDecoder(f).Decode(&doc)`: trailing bytes are ignored, any error is "malformed". */
export function loadNotationDocument(bytes: Uint8Array, preParsed?: JsonNode): LoadResult {
  const parsed = preParsed
    ? { ok: true as const, node: preParsed }
    : parseJson(bytes, { maxDepth: GO_MAX_DEPTH, allowTrailing: true });
  if (!parsed.ok) return { ok: false, message: MALFORMED, offset: parsed.offset };
  try {
    return { ok: true, document: decodeDocument(parsed.node), root: parsed.node };
  } catch (err) {
    if (err instanceof TypeMismatch) return { ok: false, message: MALFORMED };
    throw err;
  }
}

/** The elements of a Go slice up to its length (the backing array may hold more). */
export function live<T>(slice: GoSlice<T> | null): T[] {
  return slice ? slice.backing.slice(0, slice.len) : [];
}
export function liveNodes<T>(slice: GoSlice<T> | null): (JsonNode | undefined)[] {
  return slice ? slice.nodes.slice(0, slice.len) : [];
}

const NONE: readonly never[] = Object.freeze([]);
/**
 * live() without the copy, for code that only reads: the backing array itself when every slot is
 * live (always, for a document decoded once; a large policy's checks then allocate nothing).
 */
export function liveView<T>(slice: GoSlice<T> | null): readonly T[] {
  if (!slice) return NONE;
  return slice.len === slice.backing.length ? slice.backing : slice.backing.slice(0, slice.len);
}
/** The nodes beside liveView's elements: index it only below the slice's length. */
export function liveNodesView<T>(slice: GoSlice<T> | null): readonly (JsonNode | undefined)[] {
  return slice ? slice.nodes : NONE;
}
