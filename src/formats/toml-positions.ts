/**
 * Where each key and value of a TOML document is, as character offsets. smol-toml (the parser
 * civctl decides with) keeps no positions, and a TOML parser that does cannot be loaded lazily
 * without changing the build, so this scanner maps an already parsed — hence valid — document's
 * key paths to their text: table headers, dotted keys, inline tables, every string form. It
 * decides nothing itself; callers use it to place findings and to edit values in place.
 */

export interface TomlKeyValue {
  kind: 'value';
  /** The full key path (table path + dotted key). */
  path: string[];
  /** Offset of the key (its first segment as written). */
  keyStart: number;
  valueStart: number;
  valueEnd: number;
  /** Offset of the start of the line the pair starts on. */
  lineStart: number;
  /** True when the pair sits inside an inline table or is written with a dotted key. */
  nested: boolean;
}

export interface TomlTable {
  kind: 'table';
  path: string[];
  /** Offset of the header's `[`. */
  keyStart: number;
  /** Offset just past the header line's newline (where its first key could be written). */
  bodyStart: number;
  /** Offset just past the last key/value line of the table's section (before trailing comments and blank lines). */
  contentEnd: number;
  /** Offset of the next header (or the end of the text). */
  sectionEnd: number;
  array: boolean;
}

export type TomlEntry = TomlKeyValue | TomlTable;

const BARE = /[A-Za-z0-9_-]/;

/** Every table header and key/value of a valid TOML document, in the order written. */
export function scanToml(text: string): TomlEntry[] {
  const out: TomlEntry[] = [];
  let i = 0;
  let table: string[] = [];
  let current: TomlTable | undefined;
  const n = text.length;

  const skipSpaces = () => {
    while (i < n && (text[i] === ' ' || text[i] === '\t')) i++;
  };
  /** Spaces, comments and newlines (inside arrays and multi-line inline tables). */
  const skipBlank = () => {
    for (;;) {
      skipSpaces();
      if (text[i] === '#') while (i < n && text[i] !== '\n') i++;
      if (text[i] === '\n' || (text[i] === '\r' && text[i + 1] === '\n')) i += text[i] === '\r' ? 2 : 1;
      else return;
    }
  };
  const endOfLine = () => {
    while (i < n && text[i] !== '\n') i++;
    if (i < n) i++;
  };

  const readBasic = (): string => {
    let value = '';
    i++;
    while (i < n && text[i] !== '"') {
      if (text[i] === '\\') {
        const esc = text[i + 1]!;
        const simple: Record<string, string> = {
          b: '\b',
          t: '\t',
          n: '\n',
          f: '\f',
          r: '\r',
          e: '\x1b',
          '"': '"',
          '\\': '\\',
        };
        if (esc in simple) {
          value += simple[esc];
          i += 2;
        } else if (esc === 'u' || esc === 'U' || esc === 'x') {
          const len = esc === 'u' ? 4 : esc === 'U' ? 8 : 2;
          value += String.fromCodePoint(Number.parseInt(text.slice(i + 2, i + 2 + len), 16));
          i += 2 + len;
        } else i += 2;
      } else value += text[i++];
    }
    i++;
    return value;
  };
  /** Skips a basic string without decoding it (values: only their extent matters). */
  const BASIC = /(?:[^"\\]|\\[\s\S])*"/y;
  const skipBasic = () => {
    BASIC.lastIndex = i + 1;
    i = BASIC.exec(text) ? BASIC.lastIndex : n;
  };
  const readLiteral = (): string => {
    const end = text.indexOf("'", i + 1);
    const value = text.slice(i + 1, end);
    i = end + 1;
    return value;
  };
  /** A multi-line string: the closing delimiter may be followed by one or two more quotes, which belong to the content. */
  const skipMultiline = (quote: string) => {
    i += 3;
    for (;;) {
      if (i >= n) return;
      if (quote === '"' && text[i] === '\\') {
        i += 2;
        continue;
      }
      if (text.startsWith(quote.repeat(3), i)) {
        let q = 3;
        while (q < 5 && text[i + q] === quote) q++;
        i += q;
        return;
      }
      i++;
    }
  };

  /** A dotted key; the offset of each segment. */
  const readKey = (): { path: string[]; start: number } => {
    const path: string[] = [];
    const start = i;
    for (;;) {
      skipSpaces();
      if (text[i] === '"') path.push(readBasic());
      else if (text[i] === "'") path.push(readLiteral());
      else {
        const from = i;
        while (i < n && BARE.test(text[i]!)) i++;
        path.push(text.slice(from, i));
      }
      skipSpaces();
      if (text[i] === '.') i++;
      else return { path, start };
    }
  };

  const readValue = (path: string[], nested: boolean, lineStart: number, keyStart: number) => {
    const valueStart = i;
    // Recorded before what it holds, so that a key comes before the keys inside its value.
    const entry: TomlKeyValue = { kind: 'value', path, keyStart, valueStart, valueEnd: i, lineStart, nested };
    out.push(entry);
    const c = text[i];
    if (text.startsWith('"""', i)) skipMultiline('"');
    else if (text.startsWith("'''", i)) skipMultiline("'");
    else if (c === '"') skipBasic();
    else if (c === "'") readLiteral();
    else if (c === '[') {
      i++;
      for (;;) {
        skipBlank();
        if (text[i] === ']') {
          i++;
          break;
        }
        readValue([...path, '[]'], true, lineStart, i);
        skipBlank();
        if (text[i] === ',') i++;
      }
    } else if (c === '{') {
      i++;
      for (;;) {
        skipBlank();
        if (text[i] === '}') {
          i++;
          break;
        }
        const key = readKey();
        i++; // '='
        skipSpaces();
        readValue([...path, ...key.path], true, lineStart, key.start);
        skipBlank();
        if (text[i] === ',') i++;
      }
    } else {
      // Numbers, booleans, dates (a local date-time may hold one space).
      while (i < n && !/[,\]}#\r\n]/.test(text[i]!)) i++;
      while (i > valueStart && (text[i - 1] === ' ' || text[i - 1] === '\t')) i--;
    }
    entry.valueEnd = i;
  };

  while (i < n) {
    const lineStart = i;
    skipSpaces();
    const c = text[i];
    if (c === '\n' || c === '\r' || c === '#' || c === undefined) {
      endOfLine();
      continue;
    }
    if (c === '[') {
      const array = text[i + 1] === '[';
      const start = i;
      i += array ? 2 : 1;
      const key = readKey();
      i += array ? 2 : 1;
      endOfLine();
      if (current) current.sectionEnd = lineStart;
      table = array ? [...key.path, '[]'] : key.path;
      current = {
        kind: 'table',
        path: table,
        keyStart: start,
        bodyStart: i,
        contentEnd: i,
        sectionEnd: n,
        array,
      };
      out.push(current);
      continue;
    }
    const key = readKey();
    i++; // '='
    skipSpaces();
    readValue([...table, ...key.path], key.path.length > 1, lineStart, key.start);
    endOfLine();
    if (current) current.contentEnd = i;
  }
  return out;
}

/** 1-based line and column (in characters) of an offset. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let at = text.indexOf('\n'); at >= 0 && at < offset; at = text.indexOf('\n', at + 1)) {
    line++;
    lineStart = at + 1;
  }
  return { line, column: [...text.slice(lineStart, offset)].length + 1 };
}

/** The entry that defines a path: a key/value, else a [header], else the first entry below it. */
export function findTomlEntry(entries: TomlEntry[], path: string[]): TomlEntry | undefined {
  const same = (p: string[]) => p.length === path.length && p.every((s, k) => s === path[k]);
  const below = (p: string[]) => p.length > path.length && path.every((s, k) => s === p[k]);
  return (
    entries.find((e) => e.kind === 'value' && same(e.path)) ??
    entries.find((e) => e.kind === 'table' && same(e.path)) ??
    entries.find((e) => below(e.path))
  );
}
