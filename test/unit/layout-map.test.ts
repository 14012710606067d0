/**
 * The maps of src/ cannot drift: docs/architecture.md's tree and the README's layout paragraph are
 * what scripts/layout-map.mjs writes from each file's opening comment (run it to update them).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { ROOT } from '../helpers.ts';

const layoutMap = (await import(pathToFileURL(join(ROOT, 'scripts', 'layout-map.mjs')).href)) as {
  expected(): Record<string, string>;
  rewritten(path: string, generated: string): string;
  filesWithoutOpening(): string[];
  openingSentence(text: string): string | undefined;
};

describe('the maps of src/ (scripts/layout-map.mjs)', () => {
  for (const [path, generated] of Object.entries(layoutMap.expected()))
    test(`${path} agrees with the source (node scripts/layout-map.mjs rewrites it)`, () =>
      assert.equal(readFileSync(join(ROOT, path), 'utf8'), layoutMap.rewritten(path, generated)));

  test('every file of src/ opens with a comment that says what it is for', () =>
    assert.deepEqual(layoutMap.filesWithoutOpening(), []));

  test('a file is described by the first sentence of its opening comment', () => {
    assert.equal(
      layoutMap.openingSentence('/**\n * One thing, e.g. this. Then more.\n */\nx'),
      'One thing, e.g. this',
    );
    assert.equal(layoutMap.openingSentence('// A script. More.\n// Still more.\nimport x'), 'A script');
    assert.equal(layoutMap.openingSentence('import x from "y";'), undefined);
  });
});
