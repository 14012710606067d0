/**
 * A byte-level JSON parser that keeps byte offsets for every node, so diagnostics can point at
 * the exact line and column, and so that Go's and serde's position rules can be reproduced.
 * Iterative (an explicit stack), so pathological nesting can never overflow the JS stack.
 */
import { isAscii } from 'node:buffer';

export interface JsonMember {
  key: string;
  keyStart: number;
  keyEnd: number;
  value: JsonNode;
}

export type JsonNode =
  | { kind: 'object'; start: number; end: number; members: JsonMember[] }
  | { kind: 'array'; start: number; end: number; items: JsonNode[] }
  | { kind: 'string'; start: number; end: number; value: string }
  | { kind: 'number'; start: number; end: number; raw: string }
  | { kind: 'bool'; start: number; end: number; value: boolean }
  | { kind: 'null'; start: number; end: number };

export type ParseResult =
  | { ok: true; node: JsonNode; end: number; facts: ParseFacts }
  | { ok: false; message: string; offset: number };

/** What a successful parse saw, so callers can tell whether stricter readers would agree. */
export interface ParseFacts {
  /** The deepest container nesting. */
  maxDepth: number;
  /** A \\u escape of a UTF-16 surrogate (serde_json rejects lone ones; this parser does not). */
  surrogateEscape: boolean;
  /** A number too large for an f64 (serde_json: "number out of range"). */
  hugeNumber: boolean;
  /** Only JSON white space follows the value. */
  cleanEnd: boolean;
}

export interface ParseOptions {
  /** Containers deeper than this are an error (Go: 10000, serde_json: 128). */
  maxDepth: number;
  /** Accept bytes after the first value (Go's Decoder.Decode does). */
  allowTrailing: boolean;
}

const utf8 = new TextDecoder('utf-8', { fatal: false });

/** The bytes as a Latin-1 string (one char per byte), so native searches can scan them quickly. */
export function latin1View(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('latin1');
}

/**
 * Finds where the plain run of a JSON string ends: the next quote, backslash or control byte,
 * with native searches. The next backslash and control byte are remembered, as most documents
 * have few inside strings (line breaks between values are found once per line).
 */
export class StringScanner {
  readonly latin1: string;
  readonly ascii: boolean;
  private nextBackslash = -2;
  private nextControl = -2;
  constructor(readonly bytes: Uint8Array) {
    this.latin1 = latin1View(bytes);
    this.ascii = isAscii(bytes);
  }
  /** Index of the next quote, backslash or control byte at or after `from`, or -1. */
  next(from: number): number {
    const quote = this.latin1.indexOf('"', from);
    if (this.nextBackslash !== -1 && this.nextBackslash < from)
      this.nextBackslash = this.latin1.indexOf('\\', from);
    if (this.nextControl !== -1 && this.nextControl < from) {
      CONTROL.lastIndex = from;
      this.nextControl = CONTROL.exec(this.latin1)?.index ?? -1;
    }
    let end = quote < 0 ? this.bytes.length : quote;
    if (this.nextBackslash !== -1 && this.nextBackslash < end) end = this.nextBackslash;
    if (this.nextControl !== -1 && this.nextControl < end) end = this.nextControl;
    return end === this.bytes.length ? -1 : end;
  }
  /** Decodes bytes[start, end) that hold no escapes: ASCII straight from the Latin-1 view. */
  plain(start: number, end: number): string {
    const run = this.latin1.slice(start, end);
    if (this.ascii || !NON_ASCII.test(run)) return run;
    return utf8.decode(this.bytes.subarray(start, end));
  }
}

const NON_ASCII = /[^\x00-\x7f]/;
/** Control bytes, which may not appear raw in a JSON string (remembered like backslashes). */
const CONTROL = /[\x00-\x1f]/g;

export function isJsonWhitespace(b: number): boolean {
  return b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
}
function describeByte(bytes: Uint8Array, i: number): string {
  if (i >= bytes.length) return 'end of input';
  const b = bytes[i]!;
  if (b >= 0x21 && b < 0x7f) return `'${String.fromCharCode(b)}'`;
  return `byte 0x${b.toString(16).padStart(2, '0')}`;
}

/** An open container. Object frames hold the key awaiting its value (fixed fields: no deletes). */
type Frame =
  | { kind: 'object'; start: number; members: JsonMember[]; key: string; keyStart: number; keyEnd: number }
  | { kind: 'array'; start: number; items: JsonNode[] };

/** A parse failure at an offset: control flow inside one parse, so no Error (no stack capture). */
class Fail {
  constructor(
    readonly message: string,
    readonly offset: number,
  ) {}
}

/** Parses one JSON value. Strings with invalid UTF-8 decode with U+FFFD, as Go does. */
export function parseJson(bytes: Uint8Array, options: ParseOptions): ParseResult {
  try {
    return parseOrThrow(bytes, options);
  } catch (error) {
    if (error instanceof Fail) return { ok: false, message: error.message, offset: error.offset };
    throw error;
  }
}

function parseOrThrow(bytes: Uint8Array, options: ParseOptions): ParseResult {
  const n = bytes.length;
  const scanner = new StringScanner(bytes);
  const facts: ParseFacts = { maxDepth: 0, surrogateEscape: false, hugeNumber: false, cleanEnd: true };
  let i = 0;
  const stack: Frame[] = [];
  const skipWs = () => {
    while (i < n && isJsonWhitespace(bytes[i]!)) i++;
  };
  const unexpected = (what: string): never => {
    throw new Fail(`${what}: unexpected ${describeByte(bytes, i)}`, i);
  };

  // Where the last string read began and ended (set by readString, to avoid an object per string).
  let stringStart = 0;
  let stringEnd = 0;
  const readString = (): string => {
    const start = i;
    stringStart = start;
    i++; // opening quote
    const j = scanner.next(i);
    if (j < 0) throw new Fail('unterminated string', start);
    if (bytes[j] === 0x22) {
      const value = scanner.plain(i, j);
      i = j + 1;
      stringEnd = i;
      return value;
    }
    if (bytes[j]! < 0x20) throw new Fail('control character in string; escape it (e.g. \\n or \\u0000)', j);
    const parts: string[] = [];
    let runStart = i;
    while (true) {
      if (i >= n) throw new Fail('unterminated string', start);
      const b = bytes[i]!;
      if (b === 0x22) {
        parts.push(utf8.decode(bytes.subarray(runStart, i)));
        i++;
        stringEnd = i;
        return parts.join('');
      }
      if (b < 0x20) throw new Fail('control character in string; escape it (e.g. \\n or \\u0000)', i);
      if (b !== 0x5c) {
        i++;
        continue;
      }
      parts.push(utf8.decode(bytes.subarray(runStart, i)));
      const esc = bytes[i + 1];
      switch (esc) {
        case 0x22:
          parts.push('"');
          break;
        case 0x5c:
          parts.push('\\');
          break;
        case 0x2f:
          parts.push('/');
          break;
        case 0x62:
          parts.push('\b');
          break;
        case 0x66:
          parts.push('\f');
          break;
        case 0x6e:
          parts.push('\n');
          break;
        case 0x72:
          parts.push('\r');
          break;
        case 0x74:
          parts.push('\t');
          break;
        case 0x75: {
          const hex = String.fromCharCode(...bytes.subarray(i + 2, i + 6));
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw new Fail('invalid \\u escape in string', i);
          const unit = Number.parseInt(hex, 16);
          if (unit >= 0xd800 && unit <= 0xdfff) facts.surrogateEscape = true;
          parts.push(String.fromCharCode(unit));
          i += 4;
          break;
        }
        default:
          throw new Fail('invalid escape in string', i);
      }
      i += 2;
      runStart = i;
    }
  };

  const readNumber = (): JsonNode => {
    const start = i;
    if (bytes[i] === 0x2d) i++;
    if (bytes[i] === 0x30) i++;
    else if (bytes[i]! >= 0x31 && bytes[i]! <= 0x39) while (bytes[i]! >= 0x30 && bytes[i]! <= 0x39) i++;
    else unexpected('invalid number');
    if (bytes[i] === 0x2e) {
      i++;
      if (!(bytes[i]! >= 0x30 && bytes[i]! <= 0x39)) unexpected('invalid number');
      while (bytes[i]! >= 0x30 && bytes[i]! <= 0x39) i++;
    }
    if (bytes[i] === 0x65 || bytes[i] === 0x45) {
      i++;
      if (bytes[i] === 0x2b || bytes[i] === 0x2d) i++;
      if (!(bytes[i]! >= 0x30 && bytes[i]! <= 0x39)) unexpected('invalid number');
      while (bytes[i]! >= 0x30 && bytes[i]! <= 0x39) i++;
    }
    const raw = latin1View(bytes.subarray(start, i)); // any length: no spread into call arguments
    // Without an exponent, a number needs more than 309 digits to overflow an f64 (1.8e308), so
    // only longer numbers, or ones with an exponent, can be infinite for serde ("out of range").
    if (raw.length > 300 || /[eE]/.test(raw)) facts.hugeNumber ||= !Number.isFinite(Number(raw));
    return { kind: 'number', start, end: i, raw };
  };

  const literal = (word: string): number => {
    for (let k = 0; k < word.length; k++) {
      if (bytes[i + k] !== word.charCodeAt(k)) {
        i += k;
        unexpected('invalid literal');
      }
    }
    const start = i;
    i += word.length;
    return start;
  };

  let result: JsonNode | undefined;
  // Place a finished value into its parent, or finish the document.
  const emit = (node: JsonNode) => {
    const top = stack[stack.length - 1];
    if (!top) {
      result = node;
      return;
    }
    if (top.kind === 'array') top.items.push(node);
    else {
      top.members.push({ key: top.key, keyStart: top.keyStart, keyEnd: top.keyEnd, value: node });
    }
  };

  // State machine: expecting a value, or after a value inside a container.
  let expectValue = true;
  skipWs();
  if (i >= n) throw new Fail('empty document: expected a JSON value', 0);
  while (true) {
    if (expectValue) {
      skipWs();
      if (i >= n) throw new Fail('unexpected end of input: expected a value', i);
      const b = bytes[i]!;
      if (b === 0x7b || b === 0x5b) {
        if (stack.length >= options.maxDepth) {
          throw new Fail(`nested deeper than ${options.maxDepth} levels`, i);
        }
        const start = i;
        i++;
        skipWs();
        if (b === 0x7b) {
          const frame: Frame = { kind: 'object', start, members: [], key: '', keyStart: 0, keyEnd: 0 };
          stack.push(frame);
          if (stack.length > facts.maxDepth) facts.maxDepth = stack.length;
          if (bytes[i] === 0x7d) {
            i++;
            stack.pop();
            emit({ kind: 'object', start, end: i, members: frame.members });
            expectValue = false;
            if (stack.length === 0) break;
            continue;
          }
          if (bytes[i] !== 0x22) unexpected('expected a string key or }');
          frame.key = readString();
          frame.keyStart = stringStart;
          frame.keyEnd = stringEnd;
          skipWs();
          if (bytes[i] !== 0x3a) unexpected("expected ':' after object key");
          i++;
          continue;
        }
        const frame: Frame = { kind: 'array', start, items: [] };
        stack.push(frame);
        if (stack.length > facts.maxDepth) facts.maxDepth = stack.length;
        if (bytes[i] === 0x5d) {
          i++;
          stack.pop();
          emit({ kind: 'array', start, end: i, items: frame.items });
          expectValue = false;
          if (stack.length === 0) break;
          continue;
        }
        continue;
      }
      let node: JsonNode;
      if (b === 0x22) {
        const value = readString();
        node = { kind: 'string', start: stringStart, end: stringEnd, value };
      } else if (b === 0x2d || (b >= 0x30 && b <= 0x39)) node = readNumber();
      else if (b === 0x74) node = { kind: 'bool', start: literal('true'), end: i, value: true };
      else if (b === 0x66) node = { kind: 'bool', start: literal('false'), end: i, value: false };
      else if (b === 0x6e) node = { kind: 'null', start: literal('null'), end: i };
      else unexpected('expected a JSON value');
      emit(node!);
      expectValue = false;
      if (stack.length === 0) break;
      continue;
    }
    // After a value inside a container.
    skipWs();
    const top = stack[stack.length - 1]!;
    const b = bytes[i];
    if (b === 0x2c) {
      i++;
      skipWs();
      if (top.kind === 'object') {
        if (bytes[i] !== 0x22) unexpected('expected a string key after ,');
        top.key = readString();
        top.keyStart = stringStart;
        top.keyEnd = stringEnd;
        skipWs();
        if (bytes[i] !== 0x3a) unexpected("expected ':' after object key");
        i++;
      }
      expectValue = true;
      continue;
    }
    if ((top.kind === 'object' && b === 0x7d) || (top.kind === 'array' && b === 0x5d)) {
      i++;
      stack.pop();
      const node: JsonNode =
        top.kind === 'object'
          ? { kind: 'object', start: top.start, end: i, members: top.members }
          : { kind: 'array', start: top.start, end: i, items: top.items };
      emit(node);
      if (stack.length === 0) break;
      continue;
    }
    if (i >= n) throw new Fail('unexpected end of input: unclosed ' + top.kind, i);
    unexpected(top.kind === 'object' ? "expected ',' or '}'" : "expected ',' or ']'");
  }
  const end = i;
  skipWs();
  facts.cleanEnd = i >= n;
  if (!options.allowTrailing && !facts.cleanEnd)
    throw new Fail(`unexpected data after the JSON value (${describeByte(bytes, i)})`, i);
  return { ok: true, node: result!, end, facts };
}

/** Finds the first byte that is not valid UTF-8, or -1. */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  const n = bytes.length;
  let i = 0;
  while (i < n) {
    const b = bytes[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let min: number;
    if (b >= 0xc2 && b <= 0xdf) {
      need = 1;
      min = 0x80;
    } else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      min = 0x800;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      min = 0x10000;
    } else return i;
    let cp = b & (0x3f >> need);
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (c & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += need + 1;
  }
  return -1;
}

/** Removes white space outside strings. The input must already be valid JSON. */
export function minifyJson(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length);
  let o = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (inString) {
      out[o++] = b;
      if (b === 0x5c) out[o++] = bytes[++i]!;
      else if (b === 0x22) inString = false;
    } else if (!isJsonWhitespace(b)) {
      out[o++] = b;
      if (b === 0x22) inString = true;
    }
  }
  return out.slice(0, o);
}

/**
 * Pretty-prints from the AST, keeping key order, duplicate keys and number spellings. Iterative:
 * a document may nest as deep as Go accepts (10000 levels), far beyond the JavaScript stack.
 */
export function prettyJson(root: JsonNode, indent = '  ', level = 0): string {
  const out: string[] = [];
  // Each frame is a container being written and the index of its next child.
  const frames: { node: JsonNode; next: number; depth: number }[] = [];
  const scalar = (node: JsonNode): string | undefined => {
    switch (node.kind) {
      case 'string':
        return JSON.stringify(node.value);
      case 'number':
        return node.raw;
      case 'bool':
        return String(node.value);
      case 'null':
        return 'null';
      case 'object':
        return node.members.length === 0 ? '{}' : undefined;
      case 'array':
        return node.items.length === 0 ? '[]' : undefined;
    }
  };
  const open = (node: JsonNode, depth: number): void => {
    const text = scalar(node);
    if (text !== undefined) out.push(text);
    else {
      out.push(node.kind === 'object' ? '{\n' : '[\n');
      frames.push({ node, next: 0, depth });
    }
  };
  open(root, level);
  while (frames.length > 0) {
    const frame = frames[frames.length - 1]!;
    const { node, depth } = frame;
    const count =
      node.kind === 'object' ? node.members.length : node.kind === 'array' ? node.items.length : 0;
    if (frame.next === count) {
      frames.pop();
      out.push(`\n${indent.repeat(depth)}${node.kind === 'object' ? '}' : ']'}`);
      continue;
    }
    if (frame.next > 0) out.push(',\n');
    out.push(indent.repeat(depth + 1));
    const i = frame.next++;
    if (node.kind === 'object') {
      const member = node.members[i]!;
      out.push(`${JSON.stringify(member.key)}: `);
      open(member.value, depth + 1);
    } else if (node.kind === 'array') open(node.items[i]!, depth + 1);
  }
  return out.join('');
}
