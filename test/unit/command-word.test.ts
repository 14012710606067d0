/** Where the command is in argv, as the fast path, the bundle's loader and the standalone binary find it. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { globalSpellings, splitCommand } from '../../src/cli/command-word.ts';
import { globalOptions } from '../../src/cli/spec.ts';

const globals = globalSpellings(globalOptions({}));

describe('the command word', () => {
  test('the global options are spelled from their one declaration', () => {
    assert.deepEqual(globals, { withValue: ['--socket-path', '-s', '--timeout'], flags: [] });
    assert.deepEqual(
      globalSpellings({ verbose: { type: 'boolean', alias: 'v' }, config: { type: 'string', alias: 'cfg' } }),
      { withValue: ['--config', '--cfg'], flags: ['--verbose', '-v'] },
    );
  });
  test('comes after the global options and their values, which may look like commands', () => {
    for (const [argv, name] of [
      [['get'], 'get'],
      [['-s', 'api', 'get'], 'get'],
      [['--socket-path', 'status', 'enable', '--dry-run'], 'enable'],
      [['--timeout=5', '-s', '/run/api.sock', 'resolve', 'x'], 'resolve'],
      [['lint', '-s', 'x'], 'lint'],
    ] as const)
      assert.equal(splitCommand(argv, globals)?.name, name, argv.join(' '));
    assert.deepEqual(splitCommand(['-s', 'api', 'get', 'notation'], globals)?.rest, [
      '-s',
      'api',
      'notation',
    ]);
  });
  test('is unknown when anything else comes first, or nothing follows', () => {
    for (const argv of [
      [],
      ['--help'],
      ['--help', 'get'],
      ['-s'],
      ['-s', 'api'],
      ['--bogus', 'get'],
      ['-x', 'get'],
    ])
      assert.equal(splitCommand(argv, globals), undefined, argv.join(' '));
  });
});
