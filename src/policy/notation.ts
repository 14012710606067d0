/**
 * notation-go v1.3.2: `trustpolicy.LoadDocument` (Go encoding/json decoding, with its leniency)
 * followed by `Document.Validate()`, reproducing the check order and every message.
 */
import { isSubsetDN, type ParsedDN, parseDistinguishedName } from './dn.ts';
import { goQuote, goQuoteSlice } from './goquote.ts';
import { type JsonMember, type JsonNode, parseJson } from './json.ts';

export const MALFORMED =
  'malformed trust policy. To create a trust policy, see: https://notaryproject.dev/docs/quickstart/#create-a-trust-policy';

/** A Go slice: a backing array whose slots past `len` survive for reuse by a later decode. */
interface GoSlice<T> {
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

/** Go's case folding for field-name matching (bytes.EqualFold semantics). */
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

function emptyStatement(): NotationStatement {
  return {
    name: '',
    registryScopes: null,
    level: '',
    override: null,
    verifyTimestamp: '',
    trustStores: null,
    trustedIdentities: null,
    nodes: {},
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
    : parseJson(bytes, { maxDepth: 10000, allowTrailing: true });
  if (!parsed.ok) return { ok: false, message: MALFORMED, offset: parsed.offset };
  try {
    return { ok: true, document: decodeDocument(parsed.node), root: parsed.node };
  } catch (err) {
    if (err instanceof TypeMismatch) return { ok: false, message: MALFORMED };
    throw err;
  }
}

// ---- Validate() -------------------------------------------------------------------------------

export interface NotationFinding {
  message: string;
  /** The node the message is about, for positions. */
  node?: JsonNode | undefined;
}

const LEVELS = ['strict', 'permissive', 'audit', 'skip'];
const VALIDATION_TYPES = ['integrity', 'authenticity', 'authenticTimestamp', 'expiry', 'revocation'];
const VALIDATION_ACTIONS = ['enforce', 'log', 'skip'];
const STORE_TYPES = ['ca', 'signingAuthority', 'tsa'];
const FILE_NAME = /^[a-zA-Z0-9_.-]+$/;
const DOMAIN =
  /^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))+)?(?::[0-9]+)?$/;
const REPOSITORY =
  /^[a-z0-9]+(?:(?:(?:[._]|__|[-]*)[a-z0-9]+)+)?(?:(?:\/[a-z0-9]+(?:(?:(?:[._]|__|[-]*)[a-z0-9]+)+)?)+)?$/;

export function live<T>(slice: GoSlice<T> | null): T[] {
  return slice ? slice.backing.slice(0, slice.len) : [];
}
function liveNodes<T>(slice: GoSlice<T> | null): (JsonNode | undefined)[] {
  return slice ? slice.nodes.slice(0, slice.len) : [];
}

class Invalid extends Error {
  constructor(
    message: string,
    readonly node?: JsonNode,
  ) {
    super(message);
  }
}

function verificationLevelError(st: NotationStatement): Invalid | undefined {
  const prefix = () => `trust policy statement ${goQuote(st.name)} has invalid signatureVerification: `;
  if (st.level === '')
    return new Invalid(
      prefix() + 'signature verification level is empty or missing in the trust policy statement',
      st.nodes['signatureVerification'] ?? st.nodes['statement'],
    );
  if (!LEVELS.includes(st.level))
    return new Invalid(
      prefix() + `invalid signature verification level ${goQuote(st.level)}`,
      st.nodes['level'],
    );
  if (!st.override || st.override.size === 0) return undefined;
  if (st.level === 'skip')
    return new Invalid(
      prefix() + `signature verification level "skip" can't be used to customize signature verification`,
      st.nodes['override'],
    );
  // Go iterates the map in random order; insertion order is one of the orders it may pick.
  for (const [key, value] of st.override) {
    const node = st.overrideNodes?.get(key);
    if (!VALIDATION_TYPES.includes(key))
      return new Invalid(
        prefix() +
          `verification type ${goQuote(key)} in custom signature verification is not supported, supported values are ${goQuoteSlice(VALIDATION_TYPES)}`,
        node,
      );
    if (!VALIDATION_ACTIONS.includes(value))
      return new Invalid(
        prefix() +
          `verification action ${goQuote(value)} in custom signature verification is not supported, supported values are ${goQuoteSlice(VALIDATION_ACTIONS)}`,
        node,
      );
    if (key === 'integrity')
      return new Invalid(
        prefix() + `${goQuote(key)} verification can not be overridden in custom signature verification`,
        node,
      );
    if (key !== 'revocation' && value === 'skip')
      return new Invalid(
        prefix() + `${goQuote(key)} verification can not be skipped in custom signature verification`,
        node,
      );
  }
  return undefined;
}

function validateCore(st: NotationStatement): void {
  const q = () => goQuote(st.name); // quoted only for a message
  if (st.name === '')
    throw new Invalid(
      'a trust policy statement is missing a name, every statement requires a name',
      st.nodes['name'] ?? st.nodes['statement'],
    );
  const levelError = verificationLevelError(st);
  if (levelError) throw levelError;
  const ts = st.verifyTimestamp;
  if (ts !== '' && ts !== 'always' && ts !== 'afterCertExpiry')
    throw new Invalid(
      `trust policy statement ${q()} has invalid signatureVerification: verifyTimestamp must be "always" or "afterCertExpiry", but got ${goQuote(ts)}`,
      st.nodes['verifyTimestamp'],
    );
  const stores = live(st.trustStores);
  const identities = live(st.trustedIdentities);
  if (st.level === 'skip' && (!st.override || st.override.size === 0)) {
    if (stores.length > 0 || identities.length > 0)
      throw new Invalid(
        `trust policy statement ${q()} is set to skip signature verification but configured with trust stores and/or trusted identities, remove them if signature verification needs to be skipped`,
        st.nodes[stores.length > 0 ? 'trustStores' : 'trustedIdentities'],
      );
    return;
  }
  if (stores.length === 0 || identities.length === 0)
    throw new Invalid(
      `trust policy statement ${q()} is either missing trust stores or trusted identities, both must be specified`,
      st.nodes[stores.length === 0 ? 'trustStores' : 'trustedIdentities'] ?? st.nodes['statement'],
    );
  const storeNodes = liveNodes(st.trustStores);
  stores.forEach((store, i) => {
    const node = storeNodes[i];
    const colon = store.indexOf(':');
    if (colon < 0)
      throw new Invalid(
        `trust policy statement ${q()} has malformed trust store value ${goQuote(store)}. The required format is <TrustStoreType>:<TrustStoreName>`,
        node,
      );
    const type = store.slice(0, colon);
    const name = store.slice(colon + 1);
    if (!STORE_TYPES.includes(type))
      throw new Invalid(
        `trust policy statement ${q()} uses an unsupported trust store type ${goQuote(type)} in trust store value ${goQuote(store)}`,
        node,
      );
    if (!FILE_NAME.test(name))
      throw new Invalid(
        `trust policy statement ${q()} uses an unsupported trust store name ${goQuote(name)} in trust store value ${goQuote(store)}. Named store name needs to follow [a-zA-Z0-9_.-]+ format`,
        node,
      );
  });
  validateIdentities(st, q, identities);
}

function validateIdentities(st: NotationStatement, q: () => string, identities: string[]): void {
  const nodes = liveNodes(st.trustedIdentities);
  if (identities.length > 1 && identities.includes('*'))
    throw new Invalid(
      `trust policy statement ${q()} uses a wildcard trusted identity '*', a wildcard identity cannot be used in conjunction with other values`,
      nodes[identities.indexOf('*')],
    );
  const parsed: { raw: string; dn: ParsedDN; node: JsonNode | undefined }[] = [];
  identities.forEach((identity, i) => {
    const node = nodes[i];
    if (identity === '')
      throw new Invalid(`trust policy statement ${q()} has an empty trusted identity`, node);
    if (identity === '*') return;
    const colon = identity.indexOf(':');
    if (colon < 0)
      throw new Invalid(
        `trust policy statement ${q()} has trusted identity ${goQuote(identity)} missing separator`,
        node,
      );
    if (identity.slice(0, colon) !== 'x509.subject') return;
    const value = identity.slice(colon + 1);
    if (value === '')
      throw new Invalid(
        `trust policy statement ${q()} has trusted identity ${goQuote(identity)} without an identity value`,
        node,
      );
    try {
      parsed.push({ raw: identity, dn: parseDistinguishedName(value), node });
    } catch (err) {
      throw new Invalid(
        `trust policy statement ${q()} has trusted identity ${goQuote(identity)} with invalid identity value: ${(err as Error).message}`,
        node,
      );
    }
  });
  for (let i = 0; i < parsed.length; i++) {
    for (let j = 0; j < parsed.length; j++) {
      if (i !== j && isSubsetDN(parsed[i]!.dn, parsed[j]!.dn))
        throw new Invalid(
          `trust policy statement ${q()} has overlapping x509 trustedIdentities, ${goQuote(parsed[i]!.raw)} overlaps with ${goQuote(parsed[j]!.raw)}`,
          parsed[i]!.node,
        );
    }
  }
}

const SCOPE_HINT =
  'make sure it is a fully qualified repository without the scheme, protocol or tag. For example domain.com/my/repository or a local scope like local/myOCILayout';

export function registryScopeFormatError(scope: string): string | undefined {
  if (scope.length > 1 && scope.includes('*'))
    return `registry scope ${goQuote(scope)} with wild card(s) is not valid, ${SCOPE_HINT}`;
  const slash = scope.indexOf('/');
  if (slash < 0 || !DOMAIN.test(scope.slice(0, slash)) || !REPOSITORY.test(scope.slice(slash + 1)))
    return `registry scope ${goQuote(scope)} is not valid, ${SCOPE_HINT}`;
  return undefined;
}

function validateScopes(statements: NotationStatement[]): void {
  const seen = new Map<string, { count: number; node: JsonNode | undefined }>();
  for (const st of statements) {
    const q = () => goQuote(st.name); // quoted only for a message
    const scopes = live(st.registryScopes);
    const nodes = liveNodes(st.registryScopes);
    if (scopes.length === 0)
      throw new Invalid(
        `trust policy statement ${q()} has zero registry scopes, it must specify registry scopes with at least one value`,
        st.nodes['registryScopes'] ?? st.nodes['statement'],
      );
    if (scopes.length > 1 && scopes.includes('*'))
      throw new Invalid(
        `trust policy statement ${q()} uses wildcard registry scope '*', a wildcard scope cannot be used in conjunction with other scope values`,
        nodes[scopes.indexOf('*')],
      );
    scopes.forEach((scope, i) => {
      if (scope !== '*') {
        const error = registryScopeFormatError(scope);
        if (error) throw new Invalid(error, nodes[i]);
      }
      const entry = seen.get(scope);
      if (entry) {
        entry.count++;
        entry.node = nodes[i];
      } else seen.set(scope, { count: 1, node: nodes[i] });
    });
  }
  for (const [scope, entry] of seen) {
    if (entry.count > 1)
      throw new Invalid(
        `registry scope ${goQuote(scope)} is present in multiple trust policy statements, one registry scope value can only be associated with one statement`,
        entry.node,
      );
  }
}

/** Document.Validate(): undefined when valid, else the first failure. */
export function validateNotationDocument(doc: NotationDocument): NotationFinding | undefined {
  try {
    if (doc.version === '')
      throw new Invalid(
        'trust policy document has empty version, version must be specified',
        doc.nodes['version'],
      );
    if (doc.version !== '1.0')
      throw new Invalid(
        `trust policy document uses unsupported version ${goQuote(doc.version)}`,
        doc.nodes['version'],
      );
    const statements = live(doc.trustPolicies);
    if (statements.length === 0)
      throw new Invalid(
        'trust policy document can not have zero trust policy statements',
        doc.nodes['trustPolicies'],
      );
    const names = new Set<string>();
    for (const st of statements) {
      if (names.has(st.name))
        throw new Invalid(
          `multiple trust policy statements use the same name ${goQuote(st.name)}, statement names must be unique`,
          st.nodes['name'],
        );
      try {
        validateCore(st);
      } catch (err) {
        if (err instanceof Invalid)
          throw new Invalid(`trust policy: ${err.message}`, err.node ?? st.nodes['statement']);
        throw err;
      }
      names.add(st.name);
    }
    validateScopes(statements);
    return undefined;
  } catch (err) {
    if (err instanceof Invalid) return { message: err.message, node: err.node };
    throw err;
  }
}
