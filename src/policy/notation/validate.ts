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
const FILE_NAME = /^[a-zA-Z0-9_.-]+$/;
const X509_SUBJECT = 'x509.subject';
const DOMAIN =
  /^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))+)?(?::[0-9]+)?$/;
const REPOSITORY =
  /^[a-z0-9]+(?:(?:(?:[._]|__|[-]*)[a-z0-9]+)+)?(?:(?:\/[a-z0-9]+(?:(?:(?:[._]|__|[-]*)[a-z0-9]+)+)?)+)?$/;

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
  const stores = liveView(st.trustStores);
  const identities = liveView(st.trustedIdentities);
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
  const storeNodes = liveNodesView(st.trustStores);
  for (let i = 0; i < stores.length; i++) {
    const store = stores[i]!;
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
  }
  validateIdentities(st, q, identities);
}

function validateIdentities(st: NotationStatement, q: () => string, identities: readonly string[]): void {
  const nodes = liveNodesView(st.trustedIdentities);
  if (identities.length > 1 && identities.includes('*'))
    throw new Invalid(
      `trust policy statement ${q()} uses a wildcard trusted identity '*', a wildcard identity cannot be used in conjunction with other values`,
      nodes[identities.indexOf('*')],
    );
  const parsed: { raw: string; dn: ParsedDN; node: JsonNode | undefined }[] = [];
  for (let i = 0; i < identities.length; i++) {
    const identity = identities[i]!;
    const node = nodes[i];
    if (identity === '')
      throw new Invalid(`trust policy statement ${q()} has an empty trusted identity`, node);
    if (identity === '*') continue;
    const colon = identity.indexOf(':');
    if (colon < 0)
      throw new Invalid(
        `trust policy statement ${q()} has trusted identity ${goQuote(identity)} missing separator`,
        node,
      );
    if (colon !== X509_SUBJECT.length || !identity.startsWith(X509_SUBJECT)) continue;
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
  }
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
  if (!domainOk || !REPOSITORY.test(scope.slice(slash + 1)))
    return `registry scope ${goQuote(scope)} is not valid, ${SCOPE_HINT}`;
  return undefined;
}

function validateScopes(statements: readonly NotationStatement[]): void {
  const seen = new Map<string, JsonNode | undefined>();
  const repeated = new Set<string>();
  const domains = new Map<string, boolean>();
  for (const st of statements) {
    const q = () => goQuote(st.name); // quoted only for a message
    const scopes = liveView(st.registryScopes);
    const nodes = liveNodesView(st.registryScopes);
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
