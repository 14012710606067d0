/**
 * How arguments are read: operands after --, value options given twice or without a value,
 * a bad command, an option that does not go with an operand.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { isOneCleanLine, ROOT, run, scratch } from '../helpers.ts';

const DIGESTION = join(ROOT, 'examples', 'digestion-redis.json');
const BAD_NOTATION = join(ROOT, 'examples', 'bad-notation-scope.json');

describe('Arguments after -- are operands, never options or stdin', () => {
  // review M-2
  test('lint -- FILES lints the files, not standard input', async () => {
    const r = await run(['lint', '--', DIGESTION, BAD_NOTATION], {
      stdin: '{"version":"1.0","trustedDigests":[]}',
    });
    assert.equal(r.code, 1);
    assert.match(r.stdout, /bad-notation-scope\.json:6:26: error/);
    assert.doesNotMatch(r.stdout, /<stdin>/);
  });
  test('set … -- -x.json sends the file named -x.json', async () => {
    const dir = scratch();
    try {
      dir.file('-x.json', '{"version":"1.0","trustedDigests":["sha256:' + 'a'.repeat(64) + '"]}');
      const r = await run(['set', 'digestion', '--dry-run', '--', '-x.json'], {
        cwd: dir.path,
        stdin: '{"version":"1.0","trustedDigests":[]}',
      });
      assert.equal(r.code, 0, r.stderr);
      const body = JSON.parse(r.stdout);
      const sent = Buffer.from(body['image-verifier-plugins'].digestion.trustpolicy, 'base64').toString();
      assert.match(sent, /aaaa/);
    } finally {
      dir.cleanup();
    }
  });
  test('a lone - after -- is still standard input', async () => {
    const r = await run(['encode', 'digestion', '--', '-'], {
      stdin: '{"version":"1.0","trustedDigests":[]}',
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, Buffer.from('{"version":"1.0","trustedDigests":[]}').toString('base64') + '\n');
  });
});

describe('A value option given twice or without its value is a usage error', () => {
  // review M-3 and m-4
  const cases: [string[], RegExp][] = [
    [
      ['encode', 'digestion', DIGESTION, '--format', 'toml', '--format', 'toml'],
      /--format was given more than once/,
    ],
    [['encode', 'digestion', DIGESTION, '-f', 'toml', '-f', 'json'], /--format was given more than once/],
    [['lint', '-f', 'json', '-f', 'json', DIGESTION], /--format was given more than once/],
    [['-s', '/x', '-s', '/y', 'get'], /--socket-path was given more than once/],
    [['get', '--timeout', '5', '--timeout', '6'], /--timeout was given more than once/],
    [
      ['set', 'v', DIGESTION, '--schema', 'a', '--schema', 'b', '--dry-run'],
      /--schema was given more than once/,
    ],
    [['encode', 'digestion', DIGESTION, '--format'], /format/],
    [['status', '--output'], /output/],
    [['sim', '--socket'], /--socket needs a value/],
    [['sim', '--state'], /--state needs a value/],
    [['decode', '--userdata'], /--userdata needs a value/],
    [['-s', '', 'get'], /--socket-path needs a value/],
    [['get', '--timeout', 'abc'], /not 'abc'/],
  ];
  for (const [args, message] of cases)
    test(args.join(' ').replace(ROOT, '.'), async () => {
      const r = await run(args);
      assert.equal(r.code, 2, r.stderr);
      assert.equal(r.stdout, '');
      assert.ok(isOneCleanLine(r.stderr), r.stderr);
      assert.match(r.stderr, message);
    });
  test('a repeated boolean keeps the last, as before', async () => {
    const r = await run(['encode', 'digestion', DIGESTION, '--minify', '--minify']);
    assert.equal(r.code, 0);
  });
});

describe('usage errors', () => {
  test('get --raw VERIFIER is a usage error', async () => {
    // review m-27
    const r = await run(['get', '--raw', 'digestion']);
    assert.equal(r.code, 2);
  });
  test('a bad command says so once', async () => {
    // review m-3
    const r = await run(['--bogus']);
    assert.equal(r.code, 2);
    assert.doesNotMatch(r.stderr, /\(see civctl --help\).*\(see civctl --help\)/);
  });
});

describe('counts are whole numbers (an option declared `whole`), on every parse path', () => {
  const IMAGE = `r@sha256:${'1'.repeat(64)}`;
  for (const [args, label, value] of [
    [['audit', '--offline', '--jobs', '2.5', '-'], '--jobs', '2.5'],
    [['check', '--offline', '--max-verifiers', '1.5', IMAGE], '--max-verifiers', '1.5'],
    [['check', '--offline', '--max-verifiers=-0.5', IMAGE], '--max-verifiers', '-0.5'],
  ] as const)
    test(`${args.join(' ')}: a usage error`, async () => {
      const r = await run([...args], { stdin: `${IMAGE}\n` });
      assert.equal(r.code, 2, r.stderr);
      assert.equal(r.stdout, '');
      assert.equal(r.stderr, `civctl: ${label} must be a whole number, not '${value}'\n`);
    });
  test('a whole count is taken, and -1 is a count for --max-verifiers (no limit)', async () => {
    const r = await run(['check', '--offline', '--max-verifiers', '-1', '--policy', 'digestion=-', IMAGE], {
      stdin: '{"version":"1.0","trustedDigests":[]}',
    });
    assert.notEqual(r.code, 2, r.stderr);
  });
});
