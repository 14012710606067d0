/**
 * notation-go v1.3.2's `Document.Validate()`: every check in notation-go's order, with its exact
 * messages (Go %q quoting included), on a document decode.ts produced.
 */
import type { JsonNode } from '../json.ts';
import { liveNodesView, liveView, type NotationDocument, type NotationStatement } from './decode.ts';
import { isSubsetDN, type ParsedDN, parseDistinguishedName } from './dn.ts';
import { goQuote, goQuoteSlice } from './goquote.ts';

export interface NotationFinding {
  message: string;
  /** The node the message is about, for positions. */
  node?: JsonNode | undefined;
}

const LEVELS = ['strict', 'permissive', 'audit', 'skip'];
const VALIDATION_TYPES = ['integrity', 'authenticity', 'authenticTimestamp', 'expiry', 'revocation'];
const VALIDATION_ACTIONS = ['enforce', 'log', 'skip'];
const STORE_TYPES = ['ca', 'signingAuthority', 'tsa'];
const X509_SUBJECT = 'x509.subject';
const DOMAIN =
  /^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))+)?(?::[0-9]+)?$/;
const REPOSITORY =
  /^[a-z0-9]+(?:(?:(?:[._]|__|[-]*)[a-z0-9]+)+)?(?:(?:\/[a-z0-9]+(?:(?:(?:[._]|__|[-]*)[a-z0-9]+)+)?)+)?$/;

/** REPOSITORY from a position of the scope (sticky), so that the repository need not be sliced out. */
const REPOSITORY_AFTER_SLASH = new RegExp(REPOSITORY.source.slice(1), 'y');

class Invalid extends Error {
  constructor(
    message: string,
    readonly node?: JsonNode,
  ) {
    super(message);
  }
}

/**
 * The per-statement checks run thousands of times on a large policy, mostly before V8 optimises
 * them: they allocate nothing on the way to "valid" (no closures, iterators or slices; messages
 * are built only for a failure), which spares the garbage collections that would copy the parsed
 * document again (docs/performance.md).
 */
const levelPrefix = (st: NotationStatement) =>
  `trust policy statement ${goQuote(st.name)} has invalid signatureVerification: `;

function verificationLevelError(st: NotationStatement): Invalid | undefined {
  if (st.level === '')
    return new Invalid(
      levelPrefix(st) + 'signature verification level is empty or missing in the trust policy statement',
      st.nodes['signatureVerification'] ?? st.nodes['statement'],
    );
  if (!LEVELS.includes(st.level))
    return new Invalid(
      levelPrefix(st) + `invalid signature verification level ${goQuote(st.level)}`,
      st.nodes['level'],
    );
  if (!st.override || st.override.size === 0) return undefined;
  if (st.level === 'skip')
    return new Invalid(
      levelPrefix(st) +
        `signature verification level "skip" can't be used to customize signature verification`,
      st.nodes['override'],
    );
  // Go iterates the map in random order; insertion order is one of the orders it may pick.
  // Map.forEach with a function defined once: no iterator and no entry array per override.
  overrideStatement = st;
  overrideError = undefined;
  st.override.forEach(checkOverrideEntry);
  const error = overrideError;
  overrideStatement = undefined;
  overrideError = undefined;
  return error;
}

/** The statement whose overrides checkOverrideEntry is checking, and the first failure found. */
let overrideStatement: NotationStatement | undefined;
let overrideError: Invalid | undefined;
function checkOverrideEntry(value: string, key: string): void {
  if (overrideError === undefined) overrideError = overrideEntryError(overrideStatement!, key, value);
}

function overrideEntryError(st: NotationStatement, key: string, value: string): Invalid | undefined {
  const node = st.overrideNodes?.get(key);
  if (!VALIDATION_TYPES.includes(key))
    return new Invalid(
      levelPrefix(st) +
        `verification type ${goQuote(key)} in custom signature verification is not supported, supported values are ${goQuoteSlice(VALIDATION_TYPES)}`,
      node,
    );
  if (!VALIDATION_ACTIONS.includes(value))
    return new Invalid(
      levelPrefix(st) +
        `verification action ${goQuote(value)} in custom signature verification is not supported, supported values are ${goQuoteSlice(VALIDATION_ACTIONS)}`,
      node,
    );
  if (key === 'integrity')
    return new Invalid(
      levelPrefix(st) + `${goQuote(key)} verification can not be overridden in custom signature verification`,
      node,
    );
  if (key !== 'revocation' && value === 'skip')
    return new Invalid(
      levelPrefix(st) + `${goQuote(key)} verification can not be skipped in custom signature verification`,
      node,
    );
  return undefined;
}

/** A statement's name as Go's %q quotes it, for messages. */
const q = (st: NotationStatement) => goQuote(st.name);

/** `<type>:<name>` of a supported type, the name a file name: checked in place, without a slice. */
const STORE_NAME_AFTER_COLON = /[a-zA-Z0-9_.-]+$/y;
function storeType(store: string, colon: number): string | undefined {
  for (let i = 0; i < STORE_TYPES.length; i++) {
    const type = STORE_TYPES[i]!;
    if (type.length === colon && store.startsWith(type)) return type;
  }
  return undefined;
}

function validateCore(st: NotationStatement): void {
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
      `trust policy statement ${q(st)} has invalid signatureVerification: verifyTimestamp must be "always" or "afterCertExpiry", but got ${goQuote(ts)}`,
      st.nodes['verifyTimestamp'],
    );
  const stores = liveView(st.trustStores);
  const identities = liveView(st.trustedIdentities);
  if (st.level === 'skip' && (!st.override || st.override.size === 0)) {
    if (stores.length > 0 || identities.length > 0)
      throw new Invalid(
        `trust policy statement ${q(st)} is set to skip signature verification but configured with trust stores and/or trusted identities, remove them if signature verification needs to be skipped`,
        st.nodes[stores.length > 0 ? 'trustStores' : 'trustedIdentities'],
      );
    return;
  }
  if (stores.length === 0 || identities.length === 0)
    throw new Invalid(
      `trust policy statement ${q(st)} is either missing trust stores or trusted identities, both must be specified`,
      st.nodes[stores.length === 0 ? 'trustStores' : 'trustedIdentities'] ?? st.nodes['statement'],
    );
  const storeNodes = liveNodesView(st.trustStores);
  for (let i = 0; i < stores.length; i++) {
    const store = stores[i]!;
    const node = storeNodes[i];
    const colon = store.indexOf(':');
    if (colon < 0)
      throw new Invalid(
        `trust policy statement ${q(st)} has malformed trust store value ${goQuote(store)}. The required format is <TrustStoreType>:<TrustStoreName>`,
        node,
      );
    if (storeType(store, colon) === undefined)
      throw new Invalid(
        `trust policy statement ${q(st)} uses an unsupported trust store type ${goQuote(store.slice(0, colon))} in trust store value ${goQuote(store)}`,
        node,
      );
    STORE_NAME_AFTER_COLON.lastIndex = colon + 1;
    if (!STORE_NAME_AFTER_COLON.test(store))
      throw new Invalid(
        `trust policy statement ${q(st)} uses an unsupported trust store name ${goQuote(store.slice(colon + 1))} in trust store value ${goQuote(store)}. Named store name needs to follow [a-zA-Z0-9_.-]+ format`,
        node,
      );
  }
  validateIdentities(st, identities);
}

function validateIdentities(st: NotationStatement, identities: readonly string[]): void {
  const nodes = liveNodesView(st.trustedIdentities);
  if (identities.length > 1 && identities.includes('*'))
    throw new Invalid(
      `trust policy statement ${q(st)} uses a wildcard trusted identity '*', a wildcard identity cannot be used in conjunction with other values`,
      nodes[identities.indexOf('*')],
    );
  let parsed: { raw: string; dn: ParsedDN; node: JsonNode | undefined }[] | undefined;
  for (let i = 0; i < identities.length; i++) {
    const identity = identities[i]!;
    const node = nodes[i];
    if (identity === '')
      throw new Invalid(`trust policy statement ${q(st)} has an empty trusted identity`, node);
    if (identity === '*') continue;
    const colon = identity.indexOf(':');
    if (colon < 0)
      throw new Invalid(
        `trust policy statement ${q(st)} has trusted identity ${goQuote(identity)} missing separator`,
        node,
      );
    if (colon !== X509_SUBJECT.length || !identity.startsWith(X509_SUBJECT)) continue;
    const value = identity.slice(colon + 1);
    if (value === '')
      throw new Invalid(
        `trust policy statement ${q(st)} has trusted identity ${goQuote(identity)} without an identity value`,
        node,
      );
    try {
      const dn = parseDistinguishedName(value);
      if (parsed === undefined) parsed = [];
      parsed.push({ raw: identity, dn, node });
    } catch (err) {
      throw new Invalid(
        `trust policy statement ${q(st)} has trusted identity ${goQuote(identity)} with invalid identity value: ${(err as Error).message}`,
        node,
      );
    }
  }
  if (parsed === undefined) return;
  for (let i = 0; i < parsed.length; i++) {
    for (let j = 0; j < parsed.length; j++) {
      if (i !== j && isSubsetDN(parsed[i]!.dn, parsed[j]!.dn))
        throw new Invalid(
          `trust policy statement ${q(st)} has overlapping x509 trustedIdentities, ${goQuote(parsed[i]!.raw)} overlaps with ${goQuote(parsed[j]!.raw)}`,
          parsed[i]!.node,
        );
    }
  }
}

const SCOPE_HINT =
  'make sure it is a fully qualified repository without the scheme, protocol or tag. For example domain.com/my/repository or a local scope like local/myOCILayout';

export function registryScopeFormatError(scope: string, domains?: Map<string, boolean>): string | undefined {
  if (scope.length > 1 && scope.includes('*'))
    return `registry scope ${goQuote(scope)} with wild card(s) is not valid, ${SCOPE_HINT}`;
  const slash = scope.indexOf('/');
  const domain = slash < 0 ? '' : scope.slice(0, slash);
  // Policies name few registries for many repositories: each domain is checked once.
  let domainOk = domains?.get(domain);
  if (domainOk === undefined) {
    domainOk = slash >= 0 && DOMAIN.test(domain);
    domains?.set(domain, domainOk);
  }
  REPOSITORY_AFTER_SLASH.lastIndex = slash + 1;
  if (!domainOk || !REPOSITORY_AFTER_SLASH.test(scope))
    return `registry scope ${goQuote(scope)} is not valid, ${SCOPE_HINT}`;
  return undefined;
}

function validateScopes(statements: readonly NotationStatement[]): void {
  const seen = new Map<string, JsonNode | undefined>();
  const repeated = new Set<string>();
  const domains = new Map<string, boolean>();
  for (let s = 0; s < statements.length; s++) {
    const st = statements[s]!;
    const scopes = liveView(st.registryScopes);
    const nodes = liveNodesView(st.registryScopes);
    if (scopes.length === 0)
      throw new Invalid(
        `trust policy statement ${q(st)} has zero registry scopes, it must specify registry scopes with at least one value`,
        st.nodes['registryScopes'] ?? st.nodes['statement'],
      );
    if (scopes.length > 1 && scopes.includes('*'))
      throw new Invalid(
        `trust policy statement ${q(st)} uses wildcard registry scope '*', a wildcard scope cannot be used in conjunction with other scope values`,
        nodes[scopes.indexOf('*')],
      );
    for (let i = 0; i < scopes.length; i++) {
      const scope = scopes[i]!;
      if (scope !== '*') {
        const error = registryScopeFormatError(scope, domains);
        if (error) throw new Invalid(error, nodes[i]);
      }
      // The last node of each scope; repeated ones are reported in order of first appearance.
      if (seen.has(scope)) repeated.add(scope);
      seen.set(scope, nodes[i]);
    }
  }
  if (repeated.size > 0)
    for (const [scope, node] of seen)
      if (repeated.has(scope))
        throw new Invalid(
          `registry scope ${goQuote(scope)} is present in multiple trust policy statements, one registry scope value can only be associated with one statement`,
          node,
        );
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
    const statements = liveView(doc.trustPolicies);
    if (statements.length === 0)
      throw new Invalid(
        'trust policy document can not have zero trust policy statements',
        doc.nodes['trustPolicies'],
      );
    const names = new Set<string>();
    for (let i = 0; i < statements.length; i++) {
      const st = statements[i]!;
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
