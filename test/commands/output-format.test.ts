/**
 * One output option name across commands: --format (-f) wherever a command has output formats;
 * status's older --output (-o) is kept as an alias of it.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { COMMANDS } from '../../src/commands/index.ts';
import { aliasesOf } from '../../src/cli/spec.ts';
import { isOneCleanLine, run, withSim } from '../helpers.ts';

describe('--format is the output option of every command', () => {
  test('no command declares an option named output; a short spelling of --format is -f', () => {
    for (const spec of COMMANDS) {
      assert.equal(spec.options['output'], undefined, spec.name);
      const format = spec.options['format'];
      const short = format ? aliasesOf(format).filter((a) => a.length === 1) : [];
      for (const letter of short) assert.ok(['f', 'o'].includes(letter), `${spec.name}: -${letter}`);
    }
    for (const name of ['encode', 'lint', 'status', 'resolve', 'check'])
      assert.ok(aliasesOf(COMMANDS.find((c) => c.name === name)!.options['format']!).includes('f'), name);
  });

  test('status --format json, -f json, and the old --output json / -o json print the same JSON', () =>
    withSim(async (socket) => {
      const outputs = [];
      for (const spelling of [
        ['--format', 'json'],
        ['-f', 'json'],
        ['--output', 'json'],
        ['-o', 'json'],
        ['--output=json'],
      ]) {
        const r = await run(['-s', socket, 'status', ...spelling]);
        assert.equal(r.code, 0, `${spelling.join(' ')}: ${r.stderr}`);
        outputs.push(r.stdout);
      }
      assert.ok(JSON.parse(outputs[0]!).os);
      for (const out of outputs) assert.equal(out, outputs[0]);
      const text = await run(['-s', socket, 'status', '--format', 'text']);
      assert.match(text.stdout, /^OS: /);
    }));

  test('status with both spellings is an option given twice', async () => {
    const r = await run(['status', '--format', 'json', '--output', 'text']);
    assert.equal(r.code, 2);
    assert.ok(isOneCleanLine(r.stderr), r.stderr);
    assert.match(r.stderr, /-f\/--format\/--output was given more than once/);
  });

  test('resolve and check take -f json', async () => {
    // A bad reference is a usage error after the options were read: -f was accepted.
    for (const command of ['resolve', 'check']) {
      const r = await run([command, '-f', 'json', 'Bad/Name:v1']);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /is not an image reference/);
    }
  });
});
