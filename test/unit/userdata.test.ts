/** User-data TOML and settings JSON: reading the image-verifier section and its mistakes. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { parse as parseToml } from 'smol-toml';
import { renderApiclient, renderSettingsJson, shellQuote } from '../../src/formats/settings-json.ts';
import { renderUserData } from '../../src/formats/userdata.ts';
import { parseSettingsFile } from '../../src/formats/read-settings.ts';

const enc = (s: string) => new TextEncoder().encode(s);

describe('user-data', () => {
  const plugins = new Map([
    ['notation', 'eyJ2ZXJzaW9uIjoiMS4wIn0='],
    ['my-verifier', 'e30='],
  ]);
  test('TOML output parses back to the same values', () => {
    const toml = renderUserData({ plugins, enabled: true });
    assert.deepEqual(JSON.parse(JSON.stringify(parseToml(toml))), {
      settings: {
        'image-verifier-plugins': {
          enabled: true,
          notation: { trustpolicy: 'eyJ2ZXJzaW9uIjoiMS4wIn0=' },
          'my-verifier': { trustpolicy: 'e30=' },
        },
      },
    });
    assert.match(toml, /^\[settings\.image-verifier-plugins\.notation\]$/m);
  });
  test('JSON and apiclient output', () => {
    const json = renderSettingsJson({ plugins });
    assert.deepEqual(JSON.parse(json), {
      settings: {
        'image-verifier-plugins': {
          notation: { trustpolicy: 'eyJ2ZXJzaW9uIjoiMS4wIn0=' },
          'my-verifier': { trustpolicy: 'e30=' },
        },
      },
    });
    assert.equal(
      renderApiclient({ plugins: new Map([['x', 'e30=']]) }),
      `apiclient set --json '{"settings":{"image-verifier-plugins":{"x":{"trustpolicy":"e30="}}}}'`,
    );
  });
  test('shell quoting survives any content in a POSIX shell', () => {
    for (const s of [`it's`, `"$HOME" \`id\` $(id) \\ ; | & > <`, `'''`, 'line\nbreak', '']) {
      const r = spawnSync('/bin/sh', ['-c', `printf %s ${shellQuote(s)}`], { encoding: 'utf8' });
      assert.equal(r.stdout, s);
    }
  });
  test("the file's own mistakes", () => {
    const file = parseSettingsFile(
      enc(`[settings.image-verifier-plugins]
notation-trustpolicy = "e30="
[settings.image-verifier-plugins.bad_name]
trustpolicy = "e30="
[settings.image-verifier-plugins.digestion]
trustpolicy = "e30"
[settings.image-verifier-plugins.custom]
trust-policy = "e30="
extra = 1
`),
    );
    const rules = file.diagnostics.map((d) => `${d.rule}:${d.plugin ?? ''}`);
    assert.deepEqual(rules.sort(), [
      'userdata/base64:digestion',
      'userdata/flat-key:notation-trustpolicy',
      'userdata/not-enabled:',
      'userdata/plugin-name:bad_name',
      'userdata/unknown-field:custom',
    ]);
    assert.match(
      file.diagnostics.find((d) => d.rule === 'userdata/flat-key')!.message,
      /\[settings\.image-verifier-plugins\.notation\]/,
    );
  });
});
