/**
 * undici, yargs and yargs-parser are pinned exactly (scripts/UPGRADING.md): the bundle relies on
 * their insides, so an upgrade must be a deliberate step that meets these tests.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { test } from 'node:test';
import yargs from 'yargs';
import { ROOT } from '../helpers.ts';

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
};
const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, { version?: string; dependencies?: Record<string, string> }>;
};
const PINNED = ['undici', 'yargs', 'yargs-parser'];

test('undici, yargs and yargs-parser are pinned to one exact version, the one installed', () => {
  for (const name of PINNED) {
    const version = pkg.dependencies[name]!;
    assert.match(version, /^\d+\.\d+\.\d+$/, `${name} is pinned exactly, not ${version}`);
    assert.equal(lock.packages[`node_modules/${name}`]?.version, version, `${name} in package-lock.json`);
    const installed = JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8'));
    assert.equal(installed.version, version, `${name} in node_modules (npm ci)`);
  }
});

test("the fast path's yargs-parser is the one yargs parses with", () => {
  const ours = createRequire(join(ROOT, 'package.json')).resolve('yargs-parser');
  const yargsOwn = createRequire(join(ROOT, 'node_modules', 'yargs', 'package.json')).resolve('yargs-parser');
  assert.equal(yargsOwn, ours);
  assert.deepEqual(
    Object.keys(lock.packages).filter((p) => p.endsWith('node_modules/yargs-parser')),
    ['node_modules/yargs-parser'],
  );
});

test('yargs still has the private method program.ts uses to skip pre-rendering help', () => {
  const cli = yargs([]) as unknown as {
    getInternalMethods?: () => { getUsageInstance(): { cacheHelpMessage?: unknown } };
  };
  assert.equal(typeof cli.getInternalMethods, 'function');
  assert.equal(typeof cli.getInternalMethods!.call(cli).getUsageInstance().cacheHelpMessage, 'function');
});
