/**
 * Where things are in a policy document: byte offsets → line:column, nodes ↔ JSON pointers, and
 * the parse those need (built only when a finding has to be placed, or a caller asks).
 */
import { offsetOfSerdePosition } from './acceptance.ts';
import type { ParsedDocument } from './image-verifiers.ts';
import { isAscii } from 'node:buffer';
import { type JsonNode, latin1View, parseJson } from './json.ts';

/** Go's encoding/json nesting limit (scanner maxNestingDepth): the deepest document notation reads. */
export const GO_MAX_DEPTH = 10000;

/** Maps byte offsets to 1-based line and column (columns count characters, not bytes). */
export class LineMap {
  private readonly lineStarts: number[] = [0];
  /** Continuation bytes before each offset; only built for non-ASCII input. */
  private continuationsBefore: Uint32Array | undefined;
  private readonly ascii: boolean;
  constructor(private readonly bytes: Uint8Array) {
    let ascii = true;
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes[i]!;
      if (b === 0x0a) this.lineStarts.push(i + 1);
      else if (b >= 0x80) ascii = false;
    }
    this.ascii = ascii;
  }
  private charsBefore(offset: number): number {
    if (this.ascii) return offset;
    if (!this.continuationsBefore) {
      const counts = new Uint32Array(this.bytes.length + 1);
      let c = 0;
      for (let i = 0; i < this.bytes.length; i++) {
        counts[i] = c;
        if ((this.bytes[i]! & 0xc0) === 0x80) c++;
      }
      counts[this.bytes.length] = c;
      this.continuationsBefore = counts;
    }
    return offset - this.continuationsBefore[offset]!;
  }
  position(offset: number): { line: number; column: number } {
    const at = Math.max(0, Math.min(offset, this.bytes.length));
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid]! <= at) lo = mid;
      else hi = mid - 1;
    }
    const start = this.lineStarts[lo]!;
    return { line: lo + 1, column: this.charsBefore(at) - this.charsBefore(start) + 1 };
  }
}

export function escapePointerToken(token: string): string {
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** The node at a JSON pointer (for duplicated keys, the last one, as most decoders use). */
export function nodeAtPointer(root: JsonNode, pointer: string): JsonNode | undefined {
  if (pointer === '') return root;
  let node: JsonNode | undefined = root;
  for (const raw of pointer.slice(1).split('/')) {
    const token = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (!node) return undefined;
    if (node.kind === 'object') {
      let found: JsonNode | undefined;
      for (const m of node.members) if (m.key === token) found = m.value;
      node = found;
    } else if (node.kind === 'array') node = node.items[Number(token)];
    else return undefined;
  }
  return node;
}

/** Tracks positions for one document: offsets → line:column, nodes → JSON pointers. */
export class PositionIndex {
  private latin1Text?: string;
  private lineMap?: LineMap;
  private parsedRoot?: { node: JsonNode | undefined; doc?: ParsedDocument };
  private parents?: Map<JsonNode, { parent: JsonNode; token: string }>;
  private plainValue: { value: unknown } | null | undefined;
  constructor(readonly bytes: Uint8Array) {}
  /** The bytes as Latin-1 text, for cheap searches before (or instead of) a parse. */
  get latin1(): string {
    if (this.latin1Text === undefined) this.latin1Text = latin1View(this.bytes);
    return this.latin1Text;
  }
  /**
   * JSON.parse of a document that is ASCII with no backslash — where JavaScript's parse and the
   * verifiers' can only differ in what the fast paths check for (repeated keys, limits) — or
   * undefined. Parsed once and shared: native parsing is what makes large clean policies cheap.
   */
  get plain(): { value: unknown } | undefined {
    if (this.plainValue === undefined) {
      this.plainValue = null;
      const text = this.latin1;
      if (isAscii(this.bytes) && !text.includes('\\'))
        try {
          this.plainValue = { value: JSON.parse(text) };
        } catch {
          // not JSON: the exact paths report it
        }
    }
    return this.plainValue ?? undefined;
  }
  /** Built on first use: a valid policy with nothing to report never pays for positions. */
  get lines(): LineMap {
    this.lineMap ??= new LineMap(this.bytes);
    return this.lineMap;
  }
  get root(): JsonNode | undefined {
    if (!this.parsedRoot) {
      const parsed = parseJson(this.bytes, { maxDepth: GO_MAX_DEPTH, allowTrailing: true });
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
    return offsetOfSerdePosition(this.bytes, message);
  }
}
