/**
 * Go's encoding/json as notation's envelope code meets it: the scanner's syntax errors (texts and
 * the order in which they are found), json.Unmarshal (whole input must be one value) and
 * json.Decoder.Decode (one value, trailing bytes ignored, io.EOF / io.ErrUnexpectedEOF), into a
 * tree that keeps duplicate keys and raw number text, plus the struct-decoding rules notation's
 * types rely on (case-insensitive keys, last one wins, first type error reported).
 * JSON.parse cannot say what Go says about a malformed signature envelope.
 */
import { goQuote } from '../../policy/notation/goquote.ts';

export type GoJson =
  | { kind: 'object'; members: [string, GoJson][] }
  | { kind: 'array'; items: GoJson[] }
  | { kind: 'string'; value: string }
  | { kind: 'number'; raw: string }
  | { kind: 'bool'; value: boolean }
  | { kind: 'null' };

export class GoJsonError extends Error {
  /** The input ended inside the value (what a Decoder reports as io.ErrUnexpectedEOF). */
  atEnd = false;
}

function quoteChar(c: number): string {
  if (c === 0x27) return "'\\''";
  if (c === 0x22) return `'"'`;
  const s = goQuote(String.fromCharCode(c));
  return "'" + s.slice(1, -1) + "'";
}

const isSpace = (c: number) => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
const utf8 = new TextDecoder('utf-8');

const END = 'unexpected end of JSON input';

/** The one-character escapes, by the byte after the backslash. */
const ESCAPES: Record<number, string> = {
  34: '"',
  92: '\\',
  47: '/',
  98: '\b',
  102: '\f',
  110: '\n',
  114: '\r',
  116: '\t',
};

class Parser {
  i = 0;
  constructor(readonly b: Uint8Array) {}

  /**
   * A syntax error at the current byte. At the end of the input Go's scanner steps once more with
   * a space: inside a literal or number that is an invalid character, elsewhere the end is unexpected.
   */
  fail(context: string, spaceAtEnd = false): never {
    if (this.i >= this.b.length) {
      const err = new GoJsonError(spaceAtEnd ? `invalid character ' ' ${context}` : END);
      err.atEnd = true;
      throw err;
    }
    throw new GoJsonError(`invalid character ${quoteChar(this.b[this.i]!)} ${context}`);
  }

  skip(): void {
    while (this.i < this.b.length && isSpace(this.b[this.i]!)) this.i++;
  }

  value(depth: number): GoJson {
    if (depth > 10000) throw new GoJsonError('exceeded max depth');
    this.skip();
    const c = this.b[this.i];
    if (c === undefined) this.fail('looking for beginning of value');
    switch (c) {
      case 0x7b:
        return this.object(depth);
      case 0x5b:
        return this.array(depth);
      case 0x22:
        return { kind: 'string', value: this.string() };
      case 0x74:
        this.literal('true');
        return { kind: 'bool', value: true };
      case 0x66:
        this.literal('false');
        return { kind: 'bool', value: false };
      case 0x6e:
        this.literal('null');
        return { kind: 'null' };
    }
    if (c === 0x2d || (c >= 0x30 && c <= 0x39)) return { kind: 'number', raw: this.number() };
    return this.fail('looking for beginning of value');
  }

  literal(word: string): void {
    this.i++;
    for (let k = 1; k < word.length; k++) {
      if (this.b[this.i] !== word.charCodeAt(k))
        this.fail(`in literal ${word} (expecting '${word[k]}')`, true);
      this.i++;
    }
  }

  number(): string {
    const start = this.i;
    const digit = () => this.b[this.i]! >= 0x30 && this.b[this.i]! <= 0x39;
    if (this.b[this.i] === 0x2d) {
      this.i++;
      if (this.i >= this.b.length || !digit()) this.fail('in numeric literal', true);
    }
    if (this.b[this.i] === 0x30) this.i++;
    else while (this.i < this.b.length && digit()) this.i++;
    if (this.b[this.i] === 0x2e) {
      this.i++;
      if (this.i >= this.b.length || !digit()) this.fail('after decimal point in numeric literal', true);
      while (this.i < this.b.length && digit()) this.i++;
    }
    if (this.b[this.i] === 0x65 || this.b[this.i] === 0x45) {
      this.i++;
      if (this.b[this.i] === 0x2b || this.b[this.i] === 0x2d) this.i++;
      if (this.i >= this.b.length || !digit()) this.fail('in exponent of numeric literal', true);
      while (this.i < this.b.length && digit()) this.i++;
    }
    return Buffer.from(this.b.subarray(start, this.i)).toString('latin1');
  }

  string(): string {
    this.i++;
    const parts: string[] = [];
    let run = this.i;
    for (;;) {
      if (this.i >= this.b.length) this.fail('in string literal');
      const c = this.b[this.i]!;
      if (c === 0x22) {
        parts.push(utf8.decode(this.b.subarray(run, this.i)));
        this.i++;
        return parts.join('');
      }
      if (c < 0x20) this.fail('in string literal');
      if (c !== 0x5c) {
        this.i++;
        continue;
      }
      parts.push(utf8.decode(this.b.subarray(run, this.i)));
      this.i++;
      const e = this.b[this.i];
      if (e === undefined) this.fail('in string escape code', true);
      const simple = ESCAPES[e];
      if (simple !== undefined) {
        parts.push(simple);
        this.i++;
      } else if (e === 0x75) {
        this.i++;
        let code = 0;
        for (let k = 0; k < 4; k++) {
          const h = this.b[this.i];
          if (h === undefined) this.fail('in \\u hexadecimal character escape', true);
          const v = Number.parseInt(String.fromCharCode(h), 16);
          if (Number.isNaN(v)) this.fail('in \\u hexadecimal character escape');
          code = code * 16 + v;
          this.i++;
        }
        parts.push(String.fromCharCode(code));
      } else this.fail('in string escape code');
      run = this.i;
    }
  }

  object(depth: number): GoJson {
    this.i++;
    const members: [string, GoJson][] = [];
    this.skip();
    if (this.b[this.i] === 0x7d) {
      this.i++;
      return { kind: 'object', members };
    }
    for (;;) {
      this.skip();
      if (this.b[this.i] !== 0x22) this.fail('looking for beginning of object key string');
      const key = this.string();
      this.skip();
      if (this.b[this.i] !== 0x3a) this.fail('after object key');
      this.i++;
      members.push([key, this.value(depth + 1)]);
      this.skip();
      const c = this.b[this.i];
      if (c === 0x2c) {
        this.i++;
        continue;
      }
      if (c === 0x7d) {
        this.i++;
        return { kind: 'object', members };
      }
      this.fail('after object key:value pair');
    }
  }

  array(depth: number): GoJson {
    this.i++;
    const items: GoJson[] = [];
    this.skip();
    if (this.b[this.i] === 0x5d) {
      this.i++;
      return { kind: 'array', items };
    }
    for (;;) {
      items.push(this.value(depth + 1));
      this.skip();
      const c = this.b[this.i];
      if (c === 0x2c) {
        this.i++;
        continue;
      }
      if (c === 0x5d) {
        this.i++;
        return { kind: 'array', items };
      }
      this.fail('after array element');
    }
  }
}

/** json.Unmarshal's syntax pass and tree: throws GoJsonError with Go's text. */
export function goUnmarshal(bytes: Uint8Array): GoJson {
  const p = new Parser(bytes);
  const v = p.value(0);
  p.skip();
  if (p.i < bytes.length) p.fail('after top-level value');
  return v;
}

/** json.NewDecoder(r).Decode: the first value; io.EOF / io.ErrUnexpectedEOF at the end of input. */
export function goDecodeFirst(bytes: Uint8Array): GoJson {
  const p = new Parser(bytes);
  p.skip();
  if (p.i >= bytes.length) throw new GoJsonError('EOF');
  try {
    return p.value(0);
  } catch (err) {
    if (err instanceof GoJsonError && err.atEnd) throw new GoJsonError('unexpected EOF');
    throw err;
  }
}

/** Go's names of JSON value kinds in UnmarshalTypeError. */
export function jsonKindName(v: GoJson): string {
  return v.kind === 'bool' ? 'bool' : v.kind;
}

/**
 * Field lookup as encoding/json does it: an exact match of the tag name wins, else a
 * case-insensitive (ASCII fold) match; with duplicates the last member present wins.
 */
export function structFields(
  obj: Extract<GoJson, { kind: 'object' }>,
  names: readonly string[],
): Map<string, GoJson> {
  const out = new Map<string, GoJson>();
  for (const [key, value] of obj.members) {
    let field = names.find((n) => n === key);
    if (field === undefined) field = names.find((n) => n.toLowerCase() === key.toLowerCase());
    if (field !== undefined) out.set(field, value);
  }
  return out;
}

/** The first UnmarshalTypeError of a decode, in Go's wording. */
export class TypeErrors {
  first: string | undefined;
  note(value: GoJson, structName: string, fieldPath: string, goType: string): void {
    this.first ??=
      structName === ''
        ? `json: cannot unmarshal ${jsonKindName(value)} into Go value of type ${goType}`
        : `json: cannot unmarshal ${jsonKindName(value)} into Go struct field ${structName}.${fieldPath} of type ${goType}`;
  }
  other(message: string): void {
    this.first ??= message;
  }
}

/** A Go string field: strings decode, null leaves it, anything else is a type error. */
export function stringField(
  v: GoJson | undefined,
  errors: TypeErrors,
  structName: string,
  path: string,
  goType = 'string',
): string | undefined {
  if (v === undefined || v.kind === 'null') return undefined;
  if (v.kind === 'string') return v.value;
  errors.note(v, structName, path, goType);
  return undefined;
}
