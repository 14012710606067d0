/**
 * Every command through dist/civctl.cjs and dist/civctl.mjs, from the table of
 * test/e2e/command-table.ts (the standalone binary: test/e2e/standalone-commands.test.ts).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { COMMANDS } from '../../src/commands/index.ts';
import { CASES, describeEveryCommand } from './command-table.ts';

test('every declared command has a success and a failure case, and no case is left over', () => {
  assert.deepEqual(Object.keys(CASES).sort(), COMMANDS.map((c) => c.name).sort());
});

describeEveryCommand('cjs', undefined);
describeEveryCommand('mjs', undefined);
