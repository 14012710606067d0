/**
 * The simulator refuses, at start, a socket or state file it cannot use.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { run, scratch } from '../helpers.ts';

describe('simulator minors', () => {
  test('a socket path too long, or in a missing directory, is refused clearly', async () => {
    // review m-21, m-22
    const long = await run(['sim', '--socket', `/tmp/${'d'.repeat(110)}/api.sock`]);
    assert.equal(long.code, 1);
    assert.match(long.stderr, /Unix sockets allow at most 107/);
    const missing = await run(['sim', '--socket', '/nonexistent-dir/x.sock']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /the directory \/nonexistent-dir does not exist/);
  });
  test('a state file that cannot be written or read is refused at start', async () => {
    // review m-20, m-22
    const dir = scratch();
    try {
      const unwritable = await run([
        'sim',
        '--socket',
        join(dir.path, 's.sock'),
        '--state',
        '/nonexistent-dir/s.json',
      ]);
      assert.equal(unwritable.code, 1);
      assert.match(unwritable.stderr, /cannot write the state file/);
      const bad = dir.file('bad.json', '{x');
      const unreadable = await run(['sim', '--socket', join(dir.path, 's.sock'), '--state', bad]);
      assert.equal(unreadable.code, 1);
      assert.match(unreadable.stderr, /the state file .*bad\.json is not valid JSON/);
    } finally {
      dir.cleanup();
    }
  });
});
