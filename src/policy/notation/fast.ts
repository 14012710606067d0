/**
 * A fast answer for the common case: a notation policy that is clean — valid for notation-go,
 * accepted by the Bottlerocket wrapper and the API, with nothing to warn about. JSON.parse (native)
 * stands in for the positioned parse and Go's decoder wherever the two cannot differ: ASCII text
 * without escapes, no key spelled in another case, no key given twice, no number or value of the
 * wrong type where notation reads one, no nesting deep enough for a limit. Anything else, and
 * every document with a finding, goes the exact way (positions are only needed for findings).
 * test/unit/notation-fast.test.ts checks the two agree on every corpus document.
 */
import { VALUE_DEPTH_LIMIT } from '../serde.ts';
import { notationWarnings } from './advice.ts';
import { emptyStatement, type GoSlice, type NotationDocument, type NotationStatement } from './decode.ts';
import { validateNotationDocument } from './validate.ts';

const STATEMENT_FIELDS = new Set([
  'name',
  'registryScopes',
  'signatureVerification',
  'trustStores',
  'trustedIdentities',
]);
const SIGNATURE_FIELDS = new Set(['level', 'override', 'verifyTimestamp']);
const ROOT_FIELDS = new Set(['version', 'trustPolicies']);

/** Thrown out of the walk: this document needs the exact path. */
class NotSimple {}

type Plain = Record<string, unknown>;
const isPlainObject = (v: unknown): v is Plain => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The number of statements when the document is clean, or undefined for the exact path. */
export function cleanNotationStatements(
  text: string,
  parsed: () => { value: unknown } | undefined,
): number | undefined {
  // Every key must be followed by its colon at once, so that counting `":` counts keys (a string
  // cannot hold a quote without an escape).
  if (!text.includes('"trustPolicies"') || /"\s+:/.test(text)) return undefined;
  const plain = parsed();
  if (plain === undefined) return undefined;
  const root = plain.value;
  try {
    const counted = { keys: 0 };
    const doc = decode(root, counted);
    // JSON.parse keeps one of two equal keys where Go merges them: the counts must agree.
    let colons = 0;
    for (let i = text.indexOf('":'); i >= 0; i = text.indexOf('":', i + 2)) colons++;
    if (colons !== counted.keys) return undefined;
    const statements = doc.trustPolicies?.len ?? 0;
    // The wrapper's serde check (version a string, trustPolicies a list) and its own rules.
    if (doc.version !== '1.0' || statements === 0) return undefined;
    if (validateNotationDocument(doc) !== undefined || notationWarnings(doc).length > 0) return undefined;
    return statements;
  } catch (err) {
    if (err instanceof NotSimple) return undefined;
    throw err;
  }
}

/** Counts the keys of any value and checks its depth (the API's serde reads at most 127 levels). */
function walk(value: unknown, depth: number, counted: { keys: number }): void {
  if (typeof value !== 'object' || value === null) return;
  if (depth >= VALUE_DEPTH_LIMIT) throw new NotSimple();
  const stack: [unknown, number][] = [[value, depth]];
  while (stack.length > 0) {
    const [v, d] = stack.pop()!;
    if (d >= VALUE_DEPTH_LIMIT) throw new NotSimple();
    if (Array.isArray(v)) {
      for (const item of v) if (typeof item === 'object' && item !== null) stack.push([item, d + 1]);
    } else if (isPlainObject(v)) {
      for (const key in v) {
        counted.keys++;
        const item = v[key];
        if (typeof item === 'object' && item !== null) stack.push([item, d + 1]);
      }
    }
  }
}

/** A known key only as spelled; one that folds to a field name would need Go's matching. */
function checkKey(key: string, fields: Set<string>): boolean {
  if (fields.has(key)) return true;
  const upper = key.toUpperCase();
  for (const f of fields) if (f.toUpperCase() === upper) throw new NotSimple();
  if (/[\u017f\u212a]/.test(key)) throw new NotSimple();
  return false;
}

function str(value: unknown): string {
  if (typeof value !== 'string') throw new NotSimple();
  return value;
}

/** No positions on this path: every statement shares one empty, frozen set of nodes. */
const NO_NODES: GoSlice<never>['nodes'] = Object.freeze([]) as never[];
const NO_FIELD_NODES: NotationStatement['nodes'] = Object.freeze({});

/** A list of strings, as the parse made it (only read from here on: no copy). */
function strings(value: unknown, depth: number): GoSlice<string> {
  if (!Array.isArray(value) || value.length === 0 || depth + 1 >= VALUE_DEPTH_LIMIT) throw new NotSimple();
  for (let i = 0; i < value.length; i++) if (typeof value[i] !== 'string') throw new NotSimple();
  return { backing: value as string[], nodes: NO_NODES, len: value.length };
}

function decode(root: unknown, counted: { keys: number }): NotationDocument {
  if (!isPlainObject(root)) throw new NotSimple();
  const doc: NotationDocument = { version: '', trustPolicies: null, nodes: NO_FIELD_NODES };
  for (const key in root) {
    counted.keys++;
    const value = root[key];
    // An unknown top-level key is ignored by Go and by the wrapper's serde alike; it is rare enough
    // to leave to the exact path all the same.
    if (!checkKey(key, ROOT_FIELDS)) throw new NotSimple();
    if (key === 'version') doc.version = str(value);
    else {
      if (!Array.isArray(value)) throw new NotSimple();
      const backing = value.map((st) => statement(st, counted));
      doc.trustPolicies = { backing, nodes: NO_NODES, len: backing.length };
    }
  }
  return doc;
}

function statement(value: unknown, counted: { keys: number }): NotationStatement {
  if (!isPlainObject(value)) throw new NotSimple();
  const st = emptyStatement(NO_FIELD_NODES);
  for (const key in value) {
    counted.keys++;
    const field = value[key];
    if (!checkKey(key, STATEMENT_FIELDS)) {
      walk(field, 3, counted);
      continue;
    }
    if (key === 'name') st.name = str(field);
    else if (key === 'registryScopes') st.registryScopes = strings(field, 3);
    else if (key === 'trustStores') st.trustStores = strings(field, 3);
    else if (key === 'trustedIdentities') st.trustedIdentities = strings(field, 3);
    else {
      if (!isPlainObject(field)) throw new NotSimple();
      for (const sigKey in field) {
        counted.keys++;
        const sig = field[sigKey];
        if (!checkKey(sigKey, SIGNATURE_FIELDS)) {
          walk(sig, 4, counted);
          continue;
        }
        if (sigKey === 'level') st.level = str(sig);
        else if (sigKey === 'verifyTimestamp') st.verifyTimestamp = str(sig);
        else {
          if (!isPlainObject(sig)) throw new NotSimple();
          st.override = new Map();
          for (const check in sig) {
            counted.keys++;
            st.override.set(check, str(sig[check]));
          }
        }
      }
    }
  }
  return st;
}
