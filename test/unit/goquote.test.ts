/** Go's %q quoting, as notation-go prints references and names in its messages. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { goQuote, goQuoteSlice } from '../../src/policy/notation/goquote.ts';

describe('Go %q quoting', () => {
  test('matches strconv.Quote', () => {
    assert.equal(goQuote('tab\tname'), '"tab\\tname"');
    assert.equal(goQuote('a\\b"c'), '"a\\\\b\\"c"');
    assert.equal(goQuote('\x00\x07\x1b\x7f'), '"\\x00\\a\\x1b\\x7f"');
    assert.equal(goQuote('nä\u00a0'), '"nä\\u00a0"');
    assert.equal(goQuote('\u200b'), '"\\u200b"');
    assert.equal(goQuoteSlice(['a', 'b']), '["a" "b"]');
  });
});
