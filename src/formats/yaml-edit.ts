/**
 * Setting a value deep inside a YAML file by editing only the text of what changes. eemeli/yaml's
 * Document.toString() re-prints every node — flow mappings gain spaces (`{ name: prod }`), aliases
 * and sequences are re-laid — so instead the parsed document says where each node is written, and
 * only the changed value (or a new key after its siblings) is spliced into the user's text, in
 * the style of its surroundings: block or flow. Callers prove the result by parsing it.
 */
import {
  Document,
  isAlias,
  isMap,
  isPair,
  isScalar,
  type Node,
  type Pair,
  Scalar,
  visit,
  type YAMLMap,
} from 'yaml';
import { applyEdits, canonical } from './userdata.ts';
import { parseYamlStream } from './yaml-docs.ts';

type Table = Record<string, unknown>;

function rendered(value: unknown, flow: boolean): Document {
  const doc = new Document(value);
  visit(doc, {
    Map(_, map) {
      if (flow) map.flow = true;
    },
    Seq(_, seq) {
      if (flow) seq.flow = true;
    },
    // String values are double-quoted: base64 and names then never read as another type. A
    // block scalar cannot stand inside a flow collection.
    Scalar(key, scalar) {
      if (key === 'key' || typeof scalar.value !== 'string') return;
      const block = scalar.type === Scalar.BLOCK_LITERAL || scalar.type === Scalar.BLOCK_FOLDED;
      if (scalar.type === undefined || (flow && block)) scalar.type = Scalar.QUOTE_DOUBLE;
    },
  });
  return doc;
}

/** A key as YAML writes it: plain unless it would read as something else. */
function keyText(key: string): string {
  return new Document(key).toString({ lineWidth: 0 }).trimEnd();
}

/** A value on one line: a scalar, or a flow collection. */
function inline(value: unknown): string {
  return rendered(value, true).toString({ lineWidth: 0, doubleQuotedAsJSON: true }).trimEnd();
}

/** `key: value` as block YAML whose first line starts at column `indent` (continuation lines indented to match). */
function blockPair(key: string, value: unknown, indent: number): string {
  const lines = rendered(new Map([[key, value]]), false)
    .toString({ lineWidth: 0 })
    .replace(/\n$/, '')
    .split('\n');
  return lines.map((line, k) => (k === 0 || line === '' ? line : ' '.repeat(indent) + line)).join('\n');
}

function keyOf(pair: Pair): string | undefined {
  return isScalar(pair.key) ? String(pair.key.value) : undefined;
}

const range = (node: unknown) => (node as { range?: [number, number, number] } | null)?.range;

function lineStart(text: string, at: number): number {
  return text.lastIndexOf('\n', at - 1) + 1;
}

/** `rest` nested under `value`: setIn on a copy of `base` (or a fresh map). */
function nested(base: unknown, rest: string[], value: unknown): unknown {
  if (rest.length === 0) return value;
  const table: Table =
    typeof base === 'object' && base !== null && !Array.isArray(base) ? { ...(base as Table) } : {};
  table[rest[0]!] = nested(table[rest[0]!], rest.slice(1), value);
  return table;
}

interface Edit {
  at: number;
  end: number;
  text: string;
}

function insertPair(text: string, map: YAMLMap, key: string, value: unknown): Edit | undefined {
  const r = range(map);
  if (!r) return undefined;
  if (map.flow) {
    const last = map.items[map.items.length - 1];
    if (!last) {
      const open = text.indexOf('{', r[0]);
      return { at: open + 1, end: open + 1, text: `${keyText(key)}: ${inline(value)}` };
    }
    const end = range(last.value)?.[1] ?? range(last.key)?.[1];
    return end === undefined ? undefined : { at: end, end, text: `, ${keyText(key)}: ${inline(value)}` };
  }
  const first = map.items[0];
  const keyStart = range(first?.key)?.[0];
  if (keyStart === undefined) return undefined;
  const indent = keyStart - lineStart(text, keyStart);
  const at = r[1];
  const before = at > 0 && text[at - 1] !== '\n' ? '\n' : '';
  return { at, end: at, text: `${before}${' '.repeat(indent)}${blockPair(key, value, indent)}\n` };
}

function replaceValue(text: string, map: YAMLMap, pair: Pair, value: unknown): Edit | undefined {
  const keyRange = range(pair.key);
  const valueRange = range(pair.value);
  if (!keyRange) return undefined;
  const scalarValue = typeof value !== 'object' || value === null;
  const isBlockScalar =
    isScalar(pair.value) &&
    (pair.value.type === Scalar.BLOCK_LITERAL || pair.value.type === Scalar.BLOCK_FOLDED);
  // A scalar replacing a scalar, or anything inside a flow mapping: only the value's text changes.
  if (valueRange && ((scalarValue && isScalar(pair.value) && !isBlockScalar) || map.flow))
    return { at: valueRange[0], end: valueRange[1], text: inline(value) };
  if (map.flow) return undefined;
  // In a block mapping: the whole `key: value`, laid out as block YAML at the key's column.
  const indent = keyRange[0] - lineStart(text, keyRange[0]);
  const end = valueRange ? valueRange[1] : keyRange[2];
  const endsLine = text[end - 1] === '\n';
  const key = keyOf(pair)!;
  return {
    at: keyRange[0],
    end,
    text: blockPair(key, value, indent) + (endsLine ? '\n' : ''),
  };
}

/**
 * The edit that sets `path` below `map` to `value`: the value replaced where it is written, or
 * new keys added after their siblings. Aliases on the way are replaced by what they name, with
 * the change. Undefined when the file's form is out of reach (the caller falls back).
 */
export function setInEdit(
  text: string,
  doc: Document.Parsed,
  map: YAMLMap,
  path: string[],
  value: unknown,
): Edit | undefined {
  const edit = findEdit(text, doc, map, path, value);
  // New lines end as the file's own do.
  if (edit && text.includes('\r\n')) edit.text = edit.text.replace(/\r?\n/g, '\r\n');
  return edit;
}

function findEdit(
  text: string,
  doc: Document.Parsed,
  map: YAMLMap,
  path: string[],
  value: unknown,
): Edit | undefined {
  let current: YAMLMap = map;
  for (let k = 0; k < path.length; k++) {
    const rest = path.slice(k + 1);
    const pair = current.items.find((p) => isPair(p) && keyOf(p) === path[k]);
    if (!pair) return insertPair(text, current, path[k]!, nested(undefined, rest, value));
    if (rest.length === 0) return replaceValue(text, current, pair, value);
    const child = pair.value as Node | null;
    if (isAlias(child) || !isMap(child)) {
      const base = isAlias(child) ? child.resolve(doc)?.toJS(doc) : undefined;
      return replaceValue(text, current, pair, nested(base, rest, value));
    }
    current = child;
  }
  return undefined;
}

/** Applies one edit to the text. */
export function applyEdit(text: string, edit: Edit): string {
  return applyEdits(text, [edit]);
}

/** How callers prove an edit: the text parses, and its documents hold exactly the values expected. */
export function readsAs(text: string, expected: unknown[]): boolean {
  try {
    const after = parseYamlStream(text).documents.map((d) => d.toJS() as unknown);
    return canonical(after) === canonical(expected);
  } catch {
    return false;
  }
}
