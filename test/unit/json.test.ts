/** The byte-level JSON tools: positions, minify, the parser and its depth limit. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { minifyJson, parseJson, prettyJson } from '../../src/policy/json.ts';
import { LineMap } from '../../src/policy/positions.ts';
import { lintPolicy } from '../../src/policy/lint.ts';

const enc = (s: string) => new TextEncoder().encode(s);

describe('JSON tools', () => {
  test('line and column in characters', () => {
    const bytes = enc('{\n  "nä": "x"\n}');
    assert.deepEqual(new LineMap(bytes).position(bytes.indexOf(0x78)), { line: 2, column: 10 });
  });
  test('minify keeps strings, duplicates and number spellings', () => {
    const src = '{ "a" : "x y\\" z",\n "a": 1.0e2 , "b" : [ 1 , 2 ] }';
    assert.equal(new TextDecoder().decode(minifyJson(enc(src))), '{"a":"x y\\" z","a":1.0e2,"b":[1,2]}');
  });
  test('pretty printing keeps number spellings', () => {
    const parsed = parseJson(enc('{"n":1.0,"a":[]}'), { maxDepth: 10, allowTrailing: false });
    assert.ok(parsed.ok);
    assert.equal(prettyJson(parsed.node), '{\n  "n": 1.0,\n  "a": []\n}');
  });
  test('100 000 levels of nesting do not overflow the stack', () => {
    const deep = enc('['.repeat(100_000) + ']'.repeat(100_000));
    assert.equal(parseJson(deep, { maxDepth: 10_000, allowTrailing: false }).ok, false);
    const r = lintPolicy({ bytes: deep, verifier: 'notation' });
    assert.equal(r.effect, 'rejects-all');
  });
});
