/**
 * The TOML position scanner: every value it finds is, as written, the value smol-toml parsed at
 * that key path — in every way TOML lets a document be written (headers, dotted keys, inline
 * tables, every string form, comments, CRLF).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { parse as parseToml, stringify as stringifyToml } from 'smol-toml';
import { findTomlEntry, lineColumn, scanToml } from '../../src/formats/toml-positions.ts';
import { propertyRuns } from '../helpers.ts';

type Table = Record<string, unknown>;

/** The value at a key path of a parsed document. */
function at(doc: Table, path: string[]): unknown {
  let node: unknown = doc;
  for (const key of path) node = (node as Table)[key];
  return node;
}

/** Each scanned value, re-read on its own, equals the parsed document's value at its path. */
function assertValuesMatch(text: string): void {
  const doc = parseToml(text) as Table;
  for (const entry of scanToml(text)) {
    if (entry.kind !== 'value' || entry.path.includes('[]')) continue;
    const written = text.slice(entry.valueStart, entry.valueEnd);
    const alone = (parseToml(`v = ${written}`) as Table)['v'];
    assert.deepEqual(
      JSON.parse(JSON.stringify(alone)),
      JSON.parse(JSON.stringify(at(doc, entry.path))),
      `${entry.path.join('.')} in ${JSON.stringify(text)}`,
    );
  }
}

describe('TOML positions', () => {
  test('every form a document can take', () => {
    const text = [
      '# user data',
      '[settings.kubernetes]',
      'x = 1979-05-27 07:32:00Z # a local date-time with a space',
      'arr = [ "a", # comment',
      "  'b', { q = 1 } ]",
      '[ settings . "image-verifier-plugins" ]',
      'enabled = true',
      'm = """',
      'two ""quotes"" and \\"""',
      '"""',
      "l = '''x'''",
      '[settings.image-verifier-plugins.notation]',
      'trustpolicy = "e30="',
      '[settings]',
      'dotted.k = { a = \'x\', b = { c = "y\\u00e9" } }',
      '"quoted.key" = 1',
      '',
    ].join('\n');
    assertValuesMatch(text);
    assertValuesMatch(text.replace(/\n/g, '\r\n'));
    const entries = scanToml(text);
    const tp = findTomlEntry(entries, ['settings', 'image-verifier-plugins', 'notation', 'trustpolicy']);
    assert.equal(tp?.kind, 'value');
    assert.deepEqual(lineColumn(text, tp!.kind === 'value' ? tp.valueStart : 0), { line: 13, column: 15 });
    const table = findTomlEntry(entries, ['settings', 'image-verifier-plugins']);
    assert.equal(table?.kind, 'table');
    assert.deepEqual(lineColumn(text, table!.keyStart), { line: 6, column: 1 });
    // A path only implied by deeper keys is found at its first descendant.
    assert.deepEqual(lineColumn(text, findTomlEntry(entries, ['settings', 'dotted'])!.keyStart), {
      line: 15,
      column: 1,
    });
  });

  test('documents smol-toml writes, with hostile strings, map back to their values', () => {
    const key = fc.stringMatching(/^[A-Za-z0-9_-]{1,8}$|^[ -~]{0,6}$/);
    const leaf = fc.oneof(
      fc.string(),
      fc.boolean(),
      fc.integer(),
      fc.constantFrom('"""', "'''", '# not a comment', '[settings]', 'a\nb', '\\'),
    );
    const value = fc.letrec((tie) => ({
      node: fc.oneof({ depthSize: 'small' }, leaf, fc.dictionary(key, tie('node'), { maxKeys: 3 })),
    })).node;
    fc.assert(
      fc.property(fc.dictionary(key, value, { maxKeys: 4 }), (doc) => {
        assertValuesMatch(stringifyToml(doc));
      }),
      { numRuns: propertyRuns(300) },
    );
  });

  test('line and column count characters', () => {
    assert.deepEqual(lineColumn('é = "x"\nab', 9), { line: 2, column: 2 });
    assert.deepEqual(lineColumn('😀 = 1', 5), { line: 1, column: 5 });
  });
});
