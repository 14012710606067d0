/** In-process command tests for encode and decode: byte-exact round trips, formats, bad input. */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { parse as parseToml } from 'smol-toml';
import { CORPUS, isOneCleanLine, ROOT, run, scratch } from '../helpers.ts';

const tmp = scratch();
after(() => tmp.cleanup());
const file = tmp.file;

const NOTATION = join(ROOT, 'examples', 'notation-aws-signer.json');
const DIGESTION = join(ROOT, 'examples', 'digestion-redis.json');
/** The base64 in the upstream PR's transcript, byte for byte. */
const PR_DIGESTION_B64 =
  'ewogICJ2ZXJzaW9uIjogIjEuMCIsCiAgInRydXN0ZWREaWdlc3RzIjogWwogICAgInNoYTI1Njo3YWVjNzM0YjJiYjI5OGExZDc2OWZkODcyOWYxM2I4NTE0YTQxYmY5MGZjZGQxZjM4ZWM1MjI2N2ZiYWE4ZWU2IgogIF0KfQo=';

describe('encode', () => {
  test('encodes the exact bytes, as in the upstream transcript', async () => {
    const r = await run(['encode', 'digestion', DIGESTION]);
    assert.equal(r.code, 0);
    assert.equal(r.stdout, PR_DIGESTION_B64 + '\n');
    assert.equal(r.stderr, '');
  });

  test('decode returns the same bytes for every corpus policy the API accepts', async () => {
    let checked = 0;
    for (const dir of ['shapes', 'generated']) {
      const base = join(CORPUS, dir);
      for (const name of readdirSync(base).filter((f) => f.endsWith('.json'))) {
        const bytes = readFileSync(join(base, name));
        const enc = await run(['encode', 'my-verifier', join(base, name), '--force']);
        if (enc.code !== 0) continue; // not JSON the API accepts; covered by the bad-input tests
        const dec = await run(['decode', enc.stdout.trim()]);
        assert.equal(dec.code, 0);
        assert.ok(dec.stdoutBytes.equals(bytes), name);
        checked++;
      }
    }
    assert.ok(checked > 700, `only ${checked} round trips`);
  });

  test('--minify compacts without re-serialising', async () => {
    const r = await run(['encode', 'notation', NOTATION, '--minify']);
    const decoded = Buffer.from(r.stdout.trim(), 'base64').toString('utf8');
    assert.equal(decoded, JSON.stringify(JSON.parse(readFileSync(NOTATION, 'utf8'))));
  });

  test('--format toml with several verifiers and --enable parses back', async () => {
    const r = await run([
      'encode',
      `notation=${NOTATION}`,
      `digestion=${DIGESTION}`,
      `my-verifier=${DIGESTION}`,
      '--format',
      'toml',
      '--enable',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const parsed = JSON.parse(JSON.stringify(parseToml(r.stdout)));
    const section = parsed.settings['image-verifier-plugins'];
    assert.equal(section.enabled, true);
    assert.equal(section.digestion.trustpolicy, PR_DIGESTION_B64);
    assert.deepEqual(Object.keys(section).sort(), ['digestion', 'enabled', 'my-verifier', 'notation']);
    assert.deepEqual(Buffer.from(section.notation.trustpolicy, 'base64'), readFileSync(NOTATION));
  });

  test('--format json is what apiclient set --json and apply accept', async () => {
    const r = await run(['encode', 'digestion', DIGESTION, '--format', 'json', '--enable']);
    assert.deepEqual(JSON.parse(r.stdout), {
      settings: { 'image-verifier-plugins': { enabled: true, digestion: { trustpolicy: PR_DIGESTION_B64 } } },
    });
  });

  test('--format apiclient prints a shell-safe command', async () => {
    const r = await run(['encode', 'digestion', '-', '--format', 'apiclient'], {
      stdin: readFileSync(DIGESTION),
    });
    assert.equal(
      r.stdout,
      `apiclient set --json '{"settings":{"image-verifier-plugins":{"digestion":{"trustpolicy":"${PR_DIGESTION_B64}"}}}}'\n`,
    );
  });

  test('lint errors refuse to encode unless --force; warnings are only printed', async () => {
    const bad = join(ROOT, 'examples', 'bad-notation-scope.json');
    const refused = await run(['encode', 'notation', bad]);
    assert.equal(refused.code, 1);
    assert.equal(refused.stdout, '');
    assert.match(refused.stderr, /registry scope .* with wild card\(s\) is not valid/);
    assert.match(refused.stderr, /--force/);
    const forced = await run(['encode', 'notation', bad, '--force']);
    assert.equal(forced.code, 0);
    assert.ok(forced.stdout.length > 10);
    const warned = await run(['encode', 'digestion', join(ROOT, 'examples', 'empty-digestion.json')]);
    assert.equal(warned.code, 0);
    assert.match(warned.stderr, /allowed/);
  });

  test('refuses a policy over the 2 MiB API request limit, saying the size and the limit', async () => {
    const digests = Array.from({ length: 25_000 }, (_, i) => `"sha256:${i.toString(16).padStart(64, '0')}"`);
    const big = file('big.json', `{"version":"1.0","trustedDigests":[${digests.join(',')}]}`);
    const r = await run(['encode', 'digestion', big]);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /would be \d+ bytes, over the API's 2097152-byte \(2 MiB\) limit/);
  });
});

describe('encode and decode refuse bad input cleanly', () => {
  const cases: [string, () => string[], RegExp, number][] = [
    ['missing file', () => ['encode', 'notation', join(tmp.path, 'nope.json')], /does not exist/, 1],
    ['a directory', () => ['encode', 'notation', tmp.path], /is a directory/, 1],
    [
      'binary garbage',
      () => ['encode', 'notation', file('garbage.bin', new Uint8Array([0x00, 0xff, 0xfe, 0x80, 0x01]))],
      /not UTF-8|not valid JSON/,
      1,
    ],
    [
      'a UTF-8 BOM',
      () => ['encode', 'notation', file('bom.json', '\ufeff{"version":"1.0"}')],
      /byte-order mark/,
      1,
    ],
    ['an empty file', () => ['encode', 'notation', file('empty.json', '')], /is empty/, 1],
    ['white space only', () => ['encode', 'digestion', file('ws.json', ' \n\t\n')], /only white space/, 1],
    [
      'invalid UTF-8',
      () => [
        'encode',
        'notation',
        file('latin1.json', new Uint8Array([0x7b, 0x22, 0xe9, 0x22, 0x3a, 0x31, 0x7d])),
      ],
      /not UTF-8/,
      1,
    ],
    [
      'not JSON',
      () => ['encode', 'notation', file('notjson.json', '{"version": 1.0,}')],
      /not valid JSON.*trailing comma at line 1 column 17/,
      1,
    ],
    [
      '100 000 levels deep',
      () => ['encode', 'my-verifier', file('deep.json', '['.repeat(100_000) + ']'.repeat(100_000))],
      /nests JSON 128 levels deep or more; the API accepts at most 127/,
      1,
    ],
    [
      'a 50 MB file',
      () => ['encode', 'digestion', file('huge.json', Buffer.alloc(50 * 1024 * 1024, 0x20))],
      /larger than/,
      1,
    ],
    [
      'an invalid verifier name',
      () => ['encode', 'my_verifier', NOTATION],
      /invalid verifier name 'my_verifier'.*ASCII letters, digits and "-", 1 to 76/,
      2,
    ],
    [
      'an unknown option',
      () => ['encode', 'notation', NOTATION, '--frobnicate'],
      /Unknown argument: frobnicate/,
      2,
    ],
    ['an unknown format', () => ['encode', 'notation', NOTATION, '--format', 'yaml'], /Invalid values/, 2],
    ['decode: URL-safe base64', () => ['decode', 'eyJh-_Ij'], /URL-safe/, 1],
    ['decode: missing padding', () => ['decode', 'eyJhIjoxfQ'], /padding/, 1],
    ['decode: embedded whitespace', () => ['decode', 'eyJh IjoxfQ=='], /offset 4/, 1],
    ['decode: garbage', () => ['decode', 'eyJh!!IjoxfQ=='], /invalid character '!' at offset 4/, 1],
    [
      'decode --userdata: missing file',
      () => ['decode', '--userdata', join(tmp.path, 'nope.toml')],
      /does not exist/,
      1,
    ],
    [
      'decode --userdata: not TOML',
      () => ['decode', '--userdata', file('bad.toml', '[[[')],
      /not valid TOML/,
      1,
    ],
  ];
  for (const [name, args, message, code] of cases) {
    test(name, async () => {
      const r = await run(args());
      assert.equal(r.code, code, r.stderr);
      assert.equal(r.stdout, '');
      assert.ok(isOneCleanLine(r.stderr), r.stderr);
      assert.match(r.stderr, message);
    });
  }
});

describe('decode', () => {
  test('prints the exact bytes; --pretty pretty-prints', async () => {
    const r = await run(['decode', PR_DIGESTION_B64]);
    assert.ok(r.stdoutBytes.equals(readFileSync(DIGESTION)));
    const p = await run(['decode', 'eyJhIjp7ImIiOjEuMH19', '--pretty']);
    assert.equal(p.stdout, '{\n  "a": {\n    "b": 1.0\n  }\n}\n');
  });
  test('reads standard input, allowing one trailing newline', async () => {
    const r = await run(['decode', '-'], { stdin: `${PR_DIGESTION_B64}\n` });
    assert.equal(r.code, 0);
    assert.ok(r.stdoutBytes.equals(readFileSync(DIGESTION)));
  });
  test('--userdata reads one verifier, or all as one JSON object', async () => {
    const enc = await run([
      'encode',
      `notation=${NOTATION}`,
      `digestion=${DIGESTION}`,
      '--format',
      'toml',
      '--enable',
    ]);
    const userdata = file('user-data.toml', enc.stdout);
    const one = await run(['decode', '--userdata', userdata, 'notation']);
    assert.ok(one.stdoutBytes.equals(readFileSync(NOTATION)));
    const all = await run(['decode', '--userdata', userdata]);
    assert.deepEqual(JSON.parse(all.stdout), {
      notation: JSON.parse(readFileSync(NOTATION, 'utf8')),
      digestion: JSON.parse(readFileSync(DIGESTION, 'utf8')),
    });
    const missing = await run(['decode', '--userdata', userdata, 'my-verifier']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /has no trust policy for 'my-verifier' \(it has: notation, digestion\)/);
  });
  test('--userdata accepts the JSON settings document apiclient prints', async () => {
    const settings = file(
      'settings.json',
      JSON.stringify(
        {
          settings: {
            'image-verifier-plugins': { enabled: true, digestion: { trustpolicy: PR_DIGESTION_B64 } },
          },
        },
        null,
        2,
      ),
    );
    const r = await run(['decode', '--userdata', settings, 'digestion']);
    assert.ok(r.stdoutBytes.equals(readFileSync(DIGESTION)));
  });
});
