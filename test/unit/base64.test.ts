/** Strict base64 as the API checks it, and the byte-exact encode/decode round trip. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkStrictBase64, decodeBase64, encodeBase64 } from '../../src/policy/base64.ts';

describe('strict base64', () => {
  test('accepts padded standard base64', () => {
    assert.equal(checkStrictBase64('eyJhIjoxfQ=='), undefined);
    assert.equal(checkStrictBase64('YWJj'), undefined);
  });
  test('rejects what the API rejects, naming the first offending offset', () => {
    assert.match(checkStrictBase64('')!.message, /empty/);
    assert.equal(checkStrictBase64('eyJh!!IjoxfQ==')!.offset, 4);
    assert.match(checkStrictBase64('eyJh-_Ij')!.message, /URL-safe/);
    assert.match(checkStrictBase64('eyJhIjoxfQ')!.message, /multiple of 4.*padding/);
    assert.match(checkStrictBase64('eyJh IjoxfQ==')!.message, /offset 4.*whitespace/);
    assert.equal(checkStrictBase64('eyJhIjoxfQ==\n')!.offset, 12);
    assert.match(checkStrictBase64('QR==')!.message, /non-canonical last symbol 'R' at offset 1/);
    assert.match(checkStrictBase64('Q=Q=')!.message, /followed by more data/);
  });
  test('round-trips arbitrary bytes', () => {
    const bytes = new Uint8Array(256).map((_, i) => i);
    assert.deepEqual(decodeBase64(encodeBase64(bytes)), bytes);
  });
});
