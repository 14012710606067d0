/**
 * The chunks stored as they are inside the bundle's comment have every "*\/" written away
 * (scripts/comment-safe.mjs): the rewritten code must mean the same, and what cannot be rewritten
 * is left to the escape the loader undoes.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { ROOT } from '../helpers.ts';

const { withoutCommentEnd } = (await import(
  pathToFileURL(join(ROOT, 'scripts', 'comment-safe.mjs')).href
)) as {
  withoutCommentEnd(code: string): string | undefined;
};

test('strings, templates and regular expressions holding "*/" mean the same without it', () => {
  const code = [
    'const mime = "*/*", single = \'a*/b\';',
    'const spaces = /\\s*\\n\\s*/g, klass = /[*/]x/, star = /a\\*/, wide = /x*/giu;',
    // A template with a substitution ("\x24" is the dollar sign).
    'const template = `x*/\x24{1}*/y`;',
    'return [mime, single, spaces.flags, " \\n ".replace(spaces, "-"), klass.test("/x"), klass.test("*x"), star.test("a*"), star.test("a"), "xxX".replace(wide, "-"), template];',
  ].join('\n');
  const safe = withoutCommentEnd(code);
  assert.ok(safe !== undefined);
  assert.equal(safe.includes('*/'), false, safe);
  assert.deepEqual(new Function(safe)(), new Function(code)());
});

test('code without "*/" is returned as it is; a tagged template holding one is not rewritten', () => {
  const plain = 'const a = 1 * 2 / 3;';
  assert.equal(withoutCommentEnd(plain), plain);
  // A tag sees the raw text, where "*\/" is not "*/".
  assert.equal(withoutCommentEnd('const raw = String.raw`a*/b`;'), undefined);
});
