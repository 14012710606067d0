/**
 * The fast path must read every invocation exactly as the full yargs program does, or decline:
 * hand-picked invocations (ACCEPTED, DECLINED), and invocations generated from the command
 * declarations — each command with its positionals, then with each of its options in turn — so a
 * new command or option is covered without editing a list.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildCli } from '../../src/cli/program.ts';
import { fastParse } from '../../src/cli/fast-path.ts';
import { type CommandSpec, commandOptions, type OptionSpec, STDIN_ARG } from '../../src/cli/spec.ts';
import { COMMANDS } from '../../src/commands/index.ts';
import type { Io } from '../../src/io.ts';

const io: Io = {
  stdout: { write: () => true },
  stderr: { write: () => true },
  readStdin: async () => new Uint8Array(),
  env: {},
  cwd: '/',
};

async function viaYargs(argv: string[]): Promise<{ name: string; args: Record<string, unknown> } | 'error'> {
  let seen: { name: string; args: Record<string, unknown> } | undefined;
  try {
    await buildCli(argv, io, COMMANDS, async (spec, args) => {
      seen = { name: spec.name, args };
    }).parseAsync(argv, {}, () => undefined);
  } catch {
    return 'error';
  }
  return seen ?? 'error';
}

const ACCEPTED: string[][] = [
  ['encode', 'notation', 'p.json'],
  ['encode', 'notation', STDIN_ARG, '--format', 'toml', '--enable'],
  ['encode', 'notation=a.json', 'digestion=b.json', '-f', 'json', '--minify', '--force'],
  ['encode', 'x', 'p.json', '--format=apiclient', '--no-enable'],
  ['decode', 'eyJhIjoxfQ=='],
  ['decode', '0123'],
  ['decode', '--userdata', 'u.toml', 'digestion', '--pretty'],
  ['decode'],
  ['lint'],
  ['lint', 'a.json', 'b.toml', STDIN_ARG, '--format', 'sarif', '--strict'],
  ['lint', '--verifier', 'my-verifier', '--schema', 's.json', 'p.json'],
  ['get', '-s', '/tmp/x.sock'],
  ['-s', '/tmp/x.sock', 'get', 'notation'],
  ['-s', 'api', 'get'],
  ['--timeout', '5', '--socket-path=enable', 'status'],
  ['--timeout=3', '--socket-path', '/x.sock', 'status'],
  ['get', 'digestion', '--raw', '--timeout', '5'],
  ['set', 'notation', 'p.json', '--enable', '--dry-run', '--socket-path', '/x.sock'],
  ['enable'],
  ['disable', '--dry-run'],
  ['status', '-o', 'json'],
  ['status', '--output=text'],
  ['status', '--format', 'json'],
  ['status', '-f', 'text'],
  ['-s', '/x.sock', 'sim'],
  ['resolve', '--format', 'json', 'redis:7', '--timeout', '5'],
  ['check', '-f', 'json', '--verifier-timeout', '2147483.647', 'redis:7'],
  [
    'sim',
    '--socket',
    '/tmp/s.sock',
    '--variant',
    'aws-ecs-3',
    '--os-version',
    '1.55.0',
    '--state',
    'st.json',
  ],
];

const DECLINED: string[][] = [
  ['encode', 'notation', 'p.json', '--bogus'],
  ['encode', 'notation', 'p.json', '--format', 'yaml'],
  ['encode'],
  ['decode', 'a', 'b'],
  ['set'],
  ['status', 'extra'],
  ['lint', '--help'],
  ['frobnicate'],
  ['completion'],
  ['--bogus', 'get'],
  ['-s'],
  ['set', 'notation', '--', 'p.json'],
  ['encode', 'x', 'p.json', '--format', 'toml', '--format', 'json'],
  ['status', '--format', 'json', '--output', 'json'],
  // Global options only where they apply: resolve has no API socket, lint no timeout.
  ['-s', '/x.sock', 'resolve', 'redis:7'],
  ['resolve', '-s', '/x.sock', 'redis:7'],
  ['--timeout', '5', 'lint', 'p.json'],
];

/** A value an option of this kind takes. */
function valueFor(option: OptionSpec): string[] {
  if (option.type === 'boolean') return [];
  if (option.choices) return [option.choices[option.choices.length - 1]!];
  return [option.type === 'number' ? '5' : 'v.json'];
}

/** The command with a value for each positional (every variadic one given twice). */
function withPositionals(spec: CommandSpec): string[] {
  return [
    spec.name,
    ...spec.positionals.flatMap((p) => (p.variadic ? [`${p.name}-1`, `${p.name}-2`] : [p.name])),
  ];
}

/**
 * Each command bare, then with each of its options, from the declarations. A repeatable option is
 * given twice, which the fast path may decline (yargs then reads it); everything else it reads.
 */
const GENERATED: { argv: string[]; mayDecline: boolean }[] = COMMANDS.flatMap((spec) => [
  { argv: withPositionals(spec), mayDecline: false },
  ...Object.entries(commandOptions(spec, io.env)).map(([name, option]) => {
    const once = [`--${name}`, ...valueFor(option)];
    return {
      argv: [...withPositionals(spec), ...once, ...(option.array ? once : [])],
      mayDecline: option.array === true,
    };
  }),
]);

/** The fast path read argv as yargs does. */
async function agrees(argv: string[], mayDecline = false): Promise<void> {
  const fast = fastParse(argv, io.env, COMMANDS);
  if (mayDecline && fast === undefined) return;
  assert.ok(fast, 'the fast path declined an ordinary invocation');
  const full = await viaYargs(argv);
  assert.notEqual(full, 'error');
  if (full === 'error') return;
  assert.equal(fast.spec.name, full.name);
  for (const [key, value] of Object.entries(fast.args)) assert.deepEqual(value, full.args[key], key);
  // Everything the handler might read from yargs' arguments is present on the fast path.
  // (yargs also sets every alias; the handler reads options by their declared names.)
  const aliases = new Set(
    Object.values(commandOptions(fast.spec, io.env)).flatMap((o) => [o.alias ?? []].flat()),
  );
  for (const key of Object.keys(full.args).filter((k) => !['_', '$0'].includes(k) && !aliases.has(k)))
    assert.ok(key in fast.args, `missing ${key}`);
}

describe('fast path and yargs agree', () => {
  for (const argv of ACCEPTED) test(argv.join(' ') || '(none)', () => agrees(argv));
  for (const argv of DECLINED) {
    test(`declines: ${argv.join(' ')}`, () => assert.equal(fastParse(argv, io.env, COMMANDS), undefined));
  }
});

describe('fast path and yargs agree on every declared option (generated from COMMANDS)', () => {
  test('every command is covered', () =>
    assert.deepEqual(new Set(GENERATED.map(({ argv }) => argv[0])), new Set(COMMANDS.map((c) => c.name))));
  for (const { argv, mayDecline } of GENERATED) test(argv.join(' '), () => agrees(argv, mayDecline));
});
