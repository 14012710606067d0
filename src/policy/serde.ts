/**
 * A faithful emulation of serde_json (1.0.14x, as pinned by Bottlerocket's image-verifiers crate;
 * the texts need serde >= 1.0.196, which prints `floating point \`1.0\``) deserialising into the
 * small Rust structs of `image-verifiers/src/policy.rs` and `src/bin/digestion.rs`, and into
 * serde_json::Value for the API's ValidBase64Json. Error texts and "at line L column C" positions
 * follow serde_json's reader: a position is the line and byte column of the last consumed byte,
 * and "peek" errors include the byte that was looked at.
 */

/**
 * A deserialisation error. Like `Fail` in json.ts it does not extend Error on purpose: it is
 * control flow inside one parse, thrown often on hostile input, and a stack trace would only cost.
 */
export class SerdeError {
  constructor(
    readonly code: string,
    public line = 0,
    public column = 0,
  ) {}
  toString(): string {
    return this.line === 0 ? this.code : `${this.code} at line ${this.line} column ${this.column}`;
  }
}

/** Shapes of the Rust types being deserialised. */
export type SerdeType =
  | { t: 'string' }
  | { t: 'vec'; of: SerdeType }
  | { t: 'value' }
  /** serde's private Content: like 'value', but numbers keep serde's kind (see SerdeNumber). */
  | { t: 'content' }
  | { t: 'ignored' }
  | { t: 'struct'; name: string; fields: SerdeField[] };

export interface SerdeField {
  name: string;
  type: SerdeType;
  /** A field with `#[serde(default = …)]`. */
  defaultValue?: unknown;
}

const RECURSION_LIMIT = 128;
const VALUE: SerdeType = { t: 'value' };
const CONTENT: SerdeType = { t: 'content' };

import { latin1View, StringScanner } from './json.ts';

type Num = { kind: 'u64'; value: bigint } | { kind: 'i64'; value: bigint } | { kind: 'f64'; value: number };

/** A number as serde's Content holds it: u64, i64 or f64, which its error texts tell apart. */
export class SerdeNumber {
  constructor(readonly num: Num) {}
  valueOf(): number {
    return Number(this.num.value);
  }
}

/** serde_json's JsonUnexpected text for a number: `integer \`1\`` or `floating point \`1.0\``. */
function unexpectedNumber(n: Num): string {
  if (n.kind === 'f64') return `floating point \`${ryuFormat(n.value)}\``;
  return `integer \`${n.value}\``;
}

/**
 * serde_json's description of a value it did not expect, for values read as 'content' (what a
 * `#[serde(flatten)]` map or an untagged type sees): the texts peek_invalid_type gives.
 */
export function describeUnexpected(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'boolean') return `boolean \`${value}\``;
  if (value instanceof SerdeNumber) return unexpectedNumber(value.num);
  if (typeof value === 'string') return `string ${rustDebugString(value)}`;
  if (Array.isArray(value)) return 'sequence';
  return 'map';
}

/** serde's `invalid type` error text. */
export function invalidTypeText(value: unknown, expected: string): string {
  return `invalid type: ${describeUnexpected(value)}, expected ${expected}`;
}

/** serde's `unknown field` error text (derive with deny_unknown_fields). */
export function unknownFieldText(field: string, expected: readonly string[]): string {
  const list = expected.map((e) => `\`${e}\``);
  const tail =
    list.length === 0
      ? 'there are no fields'
      : list.length === 1
        ? `expected ${list[0]}`
        : list.length === 2
          ? `expected ${list[0]} or ${list[1]}`
          : `expected one of ${list.join(', ')}`;
  return `unknown field \`${field}\`, ${tail}`;
}

/** serde's `duplicate field` error text. */
export function duplicateFieldText(field: string): string {
  return `duplicate field \`${field}\``;
}

/** Formats an f64 the way the `ryu` crate does (serde_json uses it in messages). */
export function ryuFormat(value: number): string {
  if (value === 0) return Object.is(value, -0) ? '-0.0' : '0.0';
  const sign = value < 0 ? '-' : '';
  const [mant, expStr] = Math.abs(value).toExponential().split('e') as [string, string];
  const digits = mant.replace('.', '');
  const length = digits.length;
  const exp = Number(expStr);
  // ryu: value = digits × 10^k, kk = length + k is the position of the decimal point.
  const k = exp - (length - 1);
  const kk = length + k;
  if (k >= 0 && kk <= 16) return sign + digits + '0'.repeat(k) + '.0';
  if (kk > 0 && kk <= 16) return sign + digits.slice(0, kk) + '.' + digits.slice(kk);
  if (kk > -5 && kk <= 0) return sign + '0.' + '0'.repeat(-kk) + digits;
  if (length === 1) return sign + digits + 'e' + (kk - 1);
  return sign + digits[0] + '.' + digits.slice(1) + 'e' + (kk - 1);
}

/** Rust's `{:?}` for a str, as used in `invalid type: string "…"`. */
export function rustDebugString(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (cp === 0) out += '\\0';
    else if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0) || /\p{Cf}|\p{Zl}|\p{Zp}|\p{Cn}/u.test(ch))
      out += `\\u{${cp.toString(16)}}`;
    else out += ch;
  }
  return out + '"';
}

function expecting(type: SerdeType): string {
  switch (type.t) {
    case 'string':
      return 'a string';
    case 'vec':
      return 'a sequence';
    case 'value':
    case 'content':
      return 'any valid JSON value';
    case 'ignored':
      return 'anything at all';
    case 'struct':
      return `struct ${type.name}`;
  }
}

export class SerdeDeserializer {
  private index = 0;
  private remainingDepth = RECURSION_LIMIT;
  /** The deepest container nesting seen, including inside ignored values (which serde does not limit). */
  maxDepth = 0;
  private readonly scanner: StringScanner;
  /**
   * @param discardValues for serde_json::Value, only validate: build no strings, maps or arrays
   * (used where only acceptance and the error text matter).
   */
  constructor(
    private readonly slice: Uint8Array,
    private readonly discardValues = false,
  ) {
    this.scanner = new StringScanner(slice);
  }

  // ---- reader primitives --------------------------------------------------------------------

  private positionOf(i: number): { line: number; column: number } {
    let line = 1;
    let column = 0;
    for (let k = 0; k < i; k++) {
      if (this.slice[k] === 0x0a) {
        line++;
        column = 0;
      } else column++;
    }
    return { line, column };
  }
  private error(code: string): SerdeError {
    const p = this.positionOf(this.index);
    return new SerdeError(code, p.line, p.column);
  }
  private peekError(code: string): SerdeError {
    const p = this.positionOf(Math.min(this.slice.length, this.index + 1));
    return new SerdeError(code, p.line, p.column);
  }
  private fixPosition(err: SerdeError): SerdeError {
    if (err.line === 0) {
      const p = this.positionOf(this.index);
      err.line = p.line;
      err.column = p.column;
    }
    return err;
  }
  private peek(): number | undefined {
    return this.slice[this.index];
  }
  private eat(): void {
    this.index++;
  }
  private next(): number | undefined {
    const b = this.slice[this.index];
    if (b !== undefined) this.index++;
    return b;
  }
  private parseWhitespace(): number | undefined {
    while (true) {
      const b = this.peek();
      if (b === 0x20 || b === 0x0a || b === 0x09 || b === 0x0d) this.eat();
      else return b;
    }
  }

  // ---- entry points -------------------------------------------------------------------------

  /** `serde_json::from_str::<T>`: deserialise, then require only whitespace after. */
  fromStr(type: SerdeType): unknown {
    const value = this.deserialize(type);
    const b = this.parseWhitespace();
    if (b !== undefined) throw this.peekError('trailing characters');
    return value;
  }

  // ---- strings ------------------------------------------------------------------------------

  /** After the opening quote: returns the decoded string ('' when `keep` is false). */
  private parseStr(keep = true): string {
    const parts: string[] = [];
    let start = this.index;
    while (true) {
      const j = this.scanner.next(this.index);
      if (j < 0) {
        this.index = this.slice.length;
        throw this.error('EOF while parsing a string');
      }
      this.index = j;
      const b = this.slice[j]!;
      if (b === 0x22) {
        if (keep) parts.push(this.scanner.plain(start, j));
        this.index++;
        return keep ? parts.join('') : '';
      }
      if (b === 0x5c) {
        if (keep) parts.push(this.scanner.plain(start, j));
        this.index++;
        const escaped = this.parseEscape();
        if (keep) parts.push(escaped);
        start = this.index;
        continue;
      }
      this.index++;
      throw this.error('control character (\\u0000-\\u001F) found while parsing a string');
    }
  }

  private decodeHexEscape(): number {
    if (this.index + 4 > this.slice.length) {
      this.index = this.slice.length;
      throw this.error('EOF while parsing a string');
    }
    let n = 0;
    for (let k = 0; k < 4; k++) {
      const c = this.slice[this.index]!;
      this.index++;
      const v =
        c >= 0x30 && c <= 0x39
          ? c - 0x30
          : c >= 0x61 && c <= 0x66
            ? c - 87
            : c >= 0x41 && c <= 0x46
              ? c - 55
              : -1;
      if (v < 0) throw this.error('invalid escape');
      n = n * 16 + v;
    }
    return n;
  }

  private parseEscape(): string {
    const ch = this.next();
    if (ch === undefined) throw this.error('EOF while parsing a string');
    switch (ch) {
      case 0x22:
        return '"';
      case 0x5c:
        return '\\';
      case 0x2f:
        return '/';
      case 0x62:
        return '\b';
      case 0x66:
        return '\f';
      case 0x6e:
        return '\n';
      case 0x72:
        return '\r';
      case 0x74:
        return '\t';
      case 0x75: {
        const n1 = this.decodeHexEscape();
        if (n1 >= 0xdc00 && n1 <= 0xdfff) throw this.error('lone leading surrogate in hex escape');
        if (n1 >= 0xd800 && n1 <= 0xdbff) {
          if (this.peek() === undefined) throw this.error('EOF while parsing a string');
          if (this.peek() !== 0x5c) {
            this.eat();
            throw this.error('unexpected end of hex escape');
          }
          this.eat();
          if (this.peek() === undefined) throw this.error('EOF while parsing a string');
          if (this.peek() !== 0x75) {
            this.eat();
            throw this.error('unexpected end of hex escape');
          }
          this.eat();
          const n2 = this.decodeHexEscape();
          if (n2 < 0xdc00 || n2 > 0xdfff) throw this.error('lone leading surrogate in hex escape');
          return String.fromCharCode(n1, n2);
        }
        return String.fromCharCode(n1);
      }
      default:
        throw this.error('invalid escape');
    }
  }

  // ---- numbers ------------------------------------------------------------------------------

  private isDigit(b: number | undefined): boolean {
    return b !== undefined && b >= 0x30 && b <= 0x39;
  }

  /** parse_any_number / parse_integer: the sign, if any, has been consumed. */
  private parseNumber(positive: boolean): Num {
    const start = this.index;
    const first = this.next();
    if (first === undefined) throw this.error('EOF while parsing a value');
    if (first === 0x30) {
      if (this.isDigit(this.peek())) throw this.peekError('invalid number');
    } else if (first >= 0x31 && first <= 0x39) {
      while (this.isDigit(this.peek())) this.eat();
    } else throw this.error('invalid number');
    let isFloat = false;
    if (this.peek() === 0x2e) {
      isFloat = true;
      this.eat();
      if (!this.isDigit(this.peek())) {
        if (this.peek() !== undefined) throw this.peekError('invalid number');
        throw this.peekError('EOF while parsing a value');
      }
      while (this.isDigit(this.peek())) this.eat();
    }
    if (this.peek() === 0x65 || this.peek() === 0x45) {
      isFloat = true;
      this.eat();
      if (this.peek() === 0x2b || this.peek() === 0x2d) this.eat();
      const d = this.next();
      if (d === undefined) throw this.error('EOF while parsing a value');
      if (!this.isDigit(d)) throw this.error('invalid number');
      while (this.isDigit(this.peek())) this.eat();
    }
    // A number may be any length (a spread of its digits into call arguments overflows the stack).
    const text = latin1View(this.slice.subarray(start, this.index));
    // More than 20 digits never fits a u64 or an i64: serde_json goes on as an f64 (parse_long_integer).
    if (!isFloat && text.length <= 20) {
      const big = BigInt(text);
      if (positive && big <= 0xffffffffffffffffn) return { kind: 'u64', value: big };
      // serde_json turns -0 (and anything below i64::MIN) into an f64.
      if (!positive && big !== 0n && big <= 0x8000000000000000n) return { kind: 'i64', value: -big };
    }
    const value = Number(text);
    if (!Number.isFinite(value)) throw this.error('number out of range');
    return { kind: 'f64', value: positive ? value : -value };
  }

  private parseIdent(rest: string): void {
    for (let k = 0; k < rest.length; k++) {
      const b = this.next();
      if (b === undefined) throw this.error('EOF while parsing a value');
      if (b !== rest.charCodeAt(k)) throw this.error('expected ident');
    }
  }

  /** peek_invalid_type: consume the scalar to describe it, then report the type mismatch. */
  private peekInvalidType(exp: SerdeType): SerdeError {
    const b = this.peek() ?? 0;
    let unexpected: string;
    if (b === 0x6e) {
      this.eat();
      this.parseIdent('ull');
      unexpected = 'null';
    } else if (b === 0x74) {
      this.eat();
      this.parseIdent('rue');
      unexpected = 'boolean `true`';
    } else if (b === 0x66) {
      this.eat();
      this.parseIdent('alse');
      unexpected = 'boolean `false`';
    } else if (b === 0x2d) {
      this.eat();
      unexpected = unexpectedNumber(this.parseNumber(false));
    } else if (this.isDigit(b)) {
      unexpected = unexpectedNumber(this.parseNumber(true));
    } else if (b === 0x22) {
      this.eat();
      unexpected = `string ${rustDebugString(this.parseStr())}`;
    } else if (b === 0x5b) unexpected = 'sequence';
    else if (b === 0x7b) unexpected = 'map';
    else return this.peekError('expected value');
    return this.fixPosition(new SerdeError(`invalid type: ${unexpected}, expected ${expecting(exp)}`));
  }

  // ---- generic deserialise ------------------------------------------------------------------

  deserialize(type: SerdeType): unknown {
    if (type.t === 'ignored') return this.ignoreValue();
    const peek = this.parseWhitespace();
    if (peek === undefined) throw this.peekError('EOF while parsing a value');
    try {
      switch (type.t) {
        case 'string':
          if (peek !== 0x22) throw this.peekInvalidType(type);
          this.eat();
          return this.parseStr();
        case 'vec':
          if (peek !== 0x5b) throw this.peekInvalidType(type);
          return this.container(() => this.visitSeqVec(type.of), 'seq');
        case 'struct':
          if (peek === 0x5b) return this.container(() => this.visitSeqStruct(type), 'seq');
          if (peek === 0x7b) return this.container(() => this.visitMapStruct(type), 'map');
          throw this.peekInvalidType(type);
        case 'value':
          return this.deserializeAnyValue(peek, false);
        case 'content':
          return this.deserializeAnyValue(peek, true);
      }
    } catch (err) {
      if (err instanceof SerdeError) throw this.fixPosition(err);
      throw err;
    }
  }

  private container(visit: () => unknown, kind: 'seq' | 'map'): unknown {
    this.remainingDepth--;
    if (this.remainingDepth === 0) throw this.peekError('recursion limit exceeded');
    const depth = RECURSION_LIMIT - this.remainingDepth;
    if (depth > this.maxDepth) this.maxDepth = depth;
    this.eat();
    let result: unknown;
    let visitError: SerdeError | undefined;
    try {
      result = visit();
    } catch (err) {
      if (!(err instanceof SerdeError)) throw err;
      visitError = err;
    }
    this.remainingDepth++;
    // serde_json always runs end_seq/end_map, even after the visitor failed; the visitor's
    // error wins, but the position of a position-less error is taken after this step.
    let endError: SerdeError | undefined;
    try {
      if (kind === 'seq') this.endSeq();
      else this.endMap();
    } catch (err) {
      if (!(err instanceof SerdeError)) throw err;
      endError = err;
    }
    if (visitError) throw visitError;
    if (endError) throw endError;
    return result;
  }

  private endSeq(): void {
    const b = this.parseWhitespace();
    if (b === 0x5d) {
      this.eat();
      return;
    }
    if (b === 0x2c) {
      this.eat();
      if (this.parseWhitespace() === 0x5d) throw this.peekError('trailing comma');
      throw this.peekError('trailing characters');
    }
    if (b === undefined) throw this.peekError('EOF while parsing a list');
    throw this.peekError('trailing characters');
  }

  private endMap(): void {
    const b = this.parseWhitespace();
    if (b === 0x7d) {
      this.eat();
      return;
    }
    if (b === 0x2c) throw this.peekError('trailing comma');
    if (b === undefined) throw this.peekError('EOF while parsing an object');
    throw this.peekError('trailing characters');
  }

  private hasNextElement(first: { value: boolean }): boolean {
    const peek = this.parseWhitespace();
    if (peek === undefined) throw this.peekError('EOF while parsing a list');
    if (peek === 0x5d) return false;
    if (first.value) {
      first.value = false;
      return true;
    }
    if (peek === 0x2c) {
      this.eat();
      const b = this.parseWhitespace();
      if (b === 0x5d) throw this.peekError('trailing comma');
      if (b === undefined) throw this.peekError('EOF while parsing a value');
      return true;
    }
    throw this.peekError('expected `,` or `]`');
  }

  /** next_key_seed: returns the decoded key, or undefined at `}`. */
  private nextKey(first: { value: boolean }, keep = true): string | undefined {
    let peek = this.parseWhitespace();
    if (peek === 0x7d) return undefined;
    if (peek === 0x2c && !first.value) {
      this.eat();
      peek = this.parseWhitespace();
    } else if (peek !== undefined) {
      if (first.value) first.value = false;
      else throw this.peekError('expected `,` or `}`');
    } else throw this.peekError('EOF while parsing an object');
    if (peek === 0x22) {
      this.eat();
      return this.parseStr(keep);
    }
    if (peek === 0x7d) throw this.peekError('trailing comma');
    if (peek === undefined) throw this.peekError('EOF while parsing a value');
    throw this.peekError('key must be a string');
  }

  private parseObjectColon(): void {
    const b = this.parseWhitespace();
    if (b === 0x3a) {
      this.eat();
      return;
    }
    if (b === undefined) throw this.peekError('EOF while parsing an object');
    throw this.peekError('expected `:`');
  }

  private visitSeqVec(of: SerdeType): unknown[] {
    const out: unknown[] = [];
    const first = { value: true };
    while (this.hasNextElement(first)) out.push(this.deserialize(of));
    return out;
  }

  private visitSeqStruct(type: Extract<SerdeType, { t: 'struct' }>): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const first = { value: true };
    type.fields.forEach((field, index) => {
      if (this.hasNextElement(first)) out[field.name] = this.deserialize(field.type);
      else if ('defaultValue' in field) out[field.name] = field.defaultValue;
      else
        throw new SerdeError(
          `invalid length ${index}, expected struct ${type.name} with ${type.fields.length} elements`,
        );
    });
    return out;
  }

  private visitMapStruct(type: Extract<SerdeType, { t: 'struct' }>): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const first = { value: true };
    while (true) {
      const key = this.nextKey(first);
      if (key === undefined) break;
      const field = type.fields.find((f) => f.name === key);
      if (!field) {
        this.parseObjectColon();
        this.ignoreValue();
        continue;
      }
      if (field.name in out) throw new SerdeError(duplicateFieldText(field.name));
      this.parseObjectColon();
      out[field.name] = this.deserialize(field.type);
    }
    for (const field of type.fields) {
      if (field.name in out) continue;
      if ('defaultValue' in field) out[field.name] = field.defaultValue;
      else throw new SerdeError(`missing field \`${field.name}\``);
    }
    return out;
  }

  /** serde_json::Value: deserialize_any. Returns a plain JS value (numbers as JS numbers). */
  private deserializeAnyValue(peek: number, content: boolean): unknown {
    const item: SerdeType = content ? CONTENT : VALUE;
    switch (peek) {
      case 0x6e:
        this.eat();
        this.parseIdent('ull');
        return null;
      case 0x74:
        this.eat();
        this.parseIdent('rue');
        return true;
      case 0x66:
        this.eat();
        this.parseIdent('alse');
        return false;
      case 0x2d: {
        this.eat();
        const n = this.parseNumber(false);
        return content ? new SerdeNumber(n) : Number(n.value);
      }
      case 0x22:
        this.eat();
        return this.parseStr(!this.discardValues);
      case 0x5b:
        return this.container(() => {
          const out: unknown[] = [];
          const first = { value: true };
          while (this.hasNextElement(first)) {
            const value = this.deserialize(item);
            if (!this.discardValues) out.push(value);
          }
          return out;
        }, 'seq');
      case 0x7b:
        return this.container(() => {
          const out = new Map<string, unknown>();
          const first = { value: true };
          while (true) {
            const key = this.nextKey(first, !this.discardValues);
            if (key === undefined) break;
            this.parseObjectColon();
            const value = this.deserialize(item);
            if (!this.discardValues) out.set(key, value);
          }
          return out;
        }, 'map');
      default:
        if (this.isDigit(peek)) {
          const n = this.parseNumber(true);
          return content ? new SerdeNumber(n) : Number(n.value);
        }
        throw this.peekError('expected value');
    }
  }

  // ---- IgnoredAny: serde_json's ignore_value, which keeps its own frame stack ---------------

  private ignoreNumber(): void {
    if (this.peek() === 0x2d) this.eat();
    this.parseNumber(true);
  }

  /**
   * serde_json's `ignore_value` (what IgnoredAny and unknown struct fields use). Like serde_json it
   * keeps its own stack instead of recursing, so it has no nesting limit: `frames` holds the
   * closing byte (']' or '}') of every open container, `enclosing` the innermost one. After each
   * value it expects either the enclosing container's close or a comma and, in an object, the
   * next `"key":`, with serde_json's exact errors for each way that can fail.
   */
  private ignoreValue(): undefined {
    const frames: number[] = [];
    let enclosing: number | undefined;
    while (true) {
      const peek = this.parseWhitespace();
      if (peek === undefined) throw this.peekError('EOF while parsing a value');
      let frame: number | undefined;
      if (peek === 0x6e) {
        this.eat();
        this.parseIdent('ull');
      } else if (peek === 0x74) {
        this.eat();
        this.parseIdent('rue');
      } else if (peek === 0x66) {
        this.eat();
        this.parseIdent('alse');
      } else if (peek === 0x2d || this.isDigit(peek)) {
        this.ignoreNumber();
      } else if (peek === 0x22) {
        this.eat();
        this.parseStr(false);
      } else if (peek === 0x5b || peek === 0x7b) {
        if (enclosing !== undefined) frames.push(enclosing);
        enclosing = undefined;
        this.eat();
        frame = peek;
        const depth = RECURSION_LIMIT - this.remainingDepth + frames.length + 1;
        if (depth > this.maxDepth) this.maxDepth = depth;
      } else throw this.peekError('expected value');

      let acceptComma: boolean;
      let current: number;
      if (frame !== undefined) {
        acceptComma = false;
        current = frame;
      } else if (enclosing !== undefined) {
        acceptComma = true;
        current = enclosing;
        enclosing = undefined;
      } else {
        const popped = frames.pop();
        if (popped === undefined) return undefined;
        acceptComma = true;
        current = popped;
      }
      let done = false;
      while (true) {
        const b = this.parseWhitespace();
        if (b === 0x2c && acceptComma) {
          this.eat();
          break;
        }
        if ((b === 0x5d && current === 0x5b) || (b === 0x7d && current === 0x7b)) {
          // close this frame
        } else if (b !== undefined) {
          if (acceptComma)
            throw this.peekError(current === 0x5b ? 'expected `,` or `]`' : 'expected `,` or `}`');
          break;
        } else {
          throw this.peekError(current === 0x5b ? 'EOF while parsing a list' : 'EOF while parsing an object');
        }
        this.eat();
        const popped = frames.pop();
        if (popped === undefined) {
          done = true;
          break;
        }
        current = popped;
        acceptComma = true;
      }
      if (done) return undefined;
      if (current === 0x7b) {
        const b = this.parseWhitespace();
        if (b === 0x22) this.eat();
        else if (b !== undefined) throw this.peekError('key must be a string');
        else throw this.peekError('EOF while parsing an object');
        this.parseStr(false);
        const c = this.parseWhitespace();
        if (c === 0x3a) this.eat();
        else if (c !== undefined) throw this.peekError('expected `:`');
        else throw this.peekError('EOF while parsing an object');
      }
      enclosing = current;
    }
  }
}

/** The nesting at which serde_json::Value gives up ("recursion limit exceeded"). */
export const VALUE_DEPTH_LIMIT = RECURSION_LIMIT;

/** Runs `serde_json::from_str::<T>` and returns the value or the error's Display text. */
export function serdeFromStr(
  bytes: Uint8Array,
  type: SerdeType,
  options: { discardValues?: boolean } = {},
): { ok: true; value: unknown; maxDepth: number } | { ok: false; message: string } {
  try {
    const de = new SerdeDeserializer(bytes, options.discardValues);
    const value = de.fromStr(type);
    return { ok: true, value, maxDepth: de.maxDepth };
  } catch (err) {
    // Nesting is bounded by remainingDepth, serde_json's own counter (128), which reports
    // "recursion limit exceeded" itself; so no RangeError here comes from input depth, and any
    // other exception is a bug that must surface rather than pass for a verdict.
    if (err instanceof SerdeError) return { ok: false, message: err.toString() };
    throw err;
  }
}
