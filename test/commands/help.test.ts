/**
 * Every command's --help, snapshotted in test/fixtures/help/<command>.txt (UPDATE_FIXTURES=1
 * rewrites them), from the command table itself: a new command is covered without editing a list.
 * And what the help must get right for every command: examples that can be copied, descriptions
 * that start with a capital letter, and only the global options that apply.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { COMMANDS } from '../../src/commands/index.ts';
import { ROOT, run } from '../helpers.ts';

export const HELP_FIXTURES = join(ROOT, 'test', 'fixtures', 'help');

/** Every help page: civctl's own, then each command's. */
export const HELP_PAGES: { page: string; argv: string[] }[] = [
  { page: 'civctl', argv: ['--help'] },
  ...COMMANDS.map((spec) => ({ page: spec.name, argv: [spec.name, '--help'] })),
];

const helpOf = async (argv: string[]) => {
  const r = await run(argv);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, '');
  return r.stdout;
};

/** The rows of a help section (`Options:`, `Positionals:`): the names, then the description's first letter. */
function rows(help: string, section: string): { names: string; first: string }[] {
  const start = help.indexOf(`\n${section}:\n`);
  if (start < 0) return [];
  const body = help.slice(start + section.length + 3).split('\n\n')[0]!;
  return body
    .split('\n')
    .map((line) => /^ {2}(?: {4})?((?:-{1,2}[\w-]+, )*-{0,2}[\w-]+) {2,}(\S)/.exec(line))
    .filter((m) => m !== null)
    .map((m) => ({ names: m[1]!, first: m[2]! }));
}

describe('--help snapshots (test/fixtures/help)', () => {
  if (process.env['UPDATE_FIXTURES']) mkdirSync(HELP_FIXTURES, { recursive: true });
  for (const { page, argv } of HELP_PAGES)
    test(`${argv.join(' ')} is as recorded`, async () => {
      const help = await helpOf(argv);
      const file = join(HELP_FIXTURES, `${page}.txt`);
      if (process.env['UPDATE_FIXTURES']) writeFileSync(file, help);
      assert.ok(existsSync(file), `no ${file}: run UPDATE_FIXTURES=1 npm test once and review it`);
      assert.equal(help, readFileSync(file, 'utf8'));
    });
  test('every recorded page belongs to a command', () =>
    assert.deepEqual(readdirSync(HELP_FIXTURES).sort(), HELP_PAGES.map((p) => `${p.page}.txt`).sort()));
});

describe('--help fits its command', () => {
  for (const spec of COMMANDS) {
    test(`${spec.name}: every example is one whole line, as written, after its description`, async () => {
      const lines = (await helpOf([spec.name, '--help'])).split('\n');
      assert.ok(spec.examples.length > 0, 'a command without examples');
      for (const [command, description] of spec.examples) {
        const at = lines.indexOf(`  ${command.replace(/\$0/g, 'civctl')}`);
        assert.ok(at > 0, `not one line: ${command}`);
        assert.equal(lines[at - 1], `  # ${description}`);
      }
    });

    test(`${spec.name}: every description starts with a capital letter`, async () => {
      const help = await helpOf([spec.name, '--help']);
      const all = [...rows(help, 'Options'), ...rows(help, 'Positionals')];
      assert.ok(all.length >= 2, 'the help has option rows');
      for (const row of all) assert.match(row.first, /[A-Z]/, row.names);
    });

    test(`${spec.name}: no description runs into its [type]`, async () => {
      const help = await helpOf([spec.name, '--help']);
      assert.doesNotMatch(help, /[^\s[]\[(boolean|string|array|number|required|default:|choices:)/);
    });
  }

  test('the global options are listed only where they apply, with what --timeout waits for', async () => {
    const socket = /-s, --socket-path/;
    const timeout = (help: string) => /--timeout +(.*?) +\[/.exec(help)?.[1];
    const resolve = await helpOf(['resolve', '--help']);
    assert.doesNotMatch(resolve, socket);
    assert.equal(timeout(resolve), 'Seconds to wait for each registry request');
    const get = await helpOf(['get', '--help']);
    assert.match(get, socket);
    assert.equal(timeout(get), 'Seconds to wait for each API request');
    const check = await helpOf(['check', '--help']);
    assert.match(check, socket);
    assert.equal(timeout(check), 'Seconds to wait for each API or registry request');
    for (const offline of ['encode', 'decode', 'lint']) {
      const help = await helpOf([offline, '--help']);
      assert.doesNotMatch(help, socket, offline);
      assert.equal(timeout(help), undefined, offline);
    }
    // civctl's own help still names them: they may come before the command word.
    const top = await helpOf(['--help']);
    assert.match(top, socket);
    assert.match(top, /--timeout/);
  });

  test('a global option given to a command it does not apply to is a usage error; before get it works', async () => {
    for (const argv of [
      ['-s', '/x.sock', 'resolve', 'redis:7'],
      ['resolve', '-s', '/x.sock', 'redis:7'],
      ['--timeout', '5', 'lint', 'p.json'],
    ]) {
      const r = await run(argv);
      assert.equal(r.code, 2, argv.join(' '));
      assert.match(r.stderr, /Unknown argument: (s|timeout)/);
    }
    const r = await run(['-s', '/nonexistent/api.sock', 'get']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /\/nonexistent\/api\.sock/);
  });
});
