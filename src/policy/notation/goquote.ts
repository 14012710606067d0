/** Go's strconv.Quote (`%q`), so that messages match notation-go byte for byte. */
/**
 * Go's unicode.IsPrint beyond ASCII, made when first needed: V8 builds the property classes of a
 * regular expression like this one when it is created (about 0.5 ms), which a literal here would
 * cost every run that loads the notation checks, for a message that quotes a non-ASCII character.
 */
let printable: RegExp | undefined;

function isPrintable(ch: string): boolean {
  printable ??= /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u;
  return printable.test(ch);
}

export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    switch (ch) {
      case '"':
        out += '\\"';
        continue;
      case '\\':
        out += '\\\\';
        continue;
      case '\x07':
        out += '\\a';
        continue;
      case '\b':
        out += '\\b';
        continue;
      case '\f':
        out += '\\f';
        continue;
      case '\n':
        out += '\\n';
        continue;
      case '\r':
        out += '\\r';
        continue;
      case '\t':
        out += '\\t';
        continue;
      case '\v':
        out += '\\v';
        continue;
    }
    if (cp === 0x20 || (cp > 0x20 && cp < 0x7f)) out += ch;
    else if (cp < 0x20 || cp === 0x7f) out += '\\x' + cp.toString(16).padStart(2, '0');
    else if (cp >= 0xd800 && cp <= 0xdfff)
      out += '\uFFFD'; // Go has no lone surrogates
    else if (isPrintable(ch)) out += ch;
    else if (cp < 0x10000) out += '\\u' + cp.toString(16).padStart(4, '0');
    else out += '\\U' + cp.toString(16).padStart(8, '0');
  }
  return out + '"';
}

/** Go's `%q` applied to a []string: `["a" "b"]`. */
export function goQuoteSlice(values: readonly string[]): string {
  return '[' + values.map(goQuote).join(' ') + ']';
}
