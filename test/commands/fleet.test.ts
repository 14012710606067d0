/**
 * encode's fleet formats as a user runs them: each output on stdout, its size against the
 * channel's budget on stderr, refusals with the numbers and the channel that can carry it, and
 * the usage rules of the fleet options.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parse as parseToml } from 'smol-toml';
import { parse as parseYaml } from 'yaml';
import { isOneCleanLine, ROOT, run, scratch } from '../helpers.ts';

const NOTATION = join(ROOT, 'examples', 'notation-aws-signer.json');
const DIGESTION = join(ROOT, 'examples', 'digestion-redis.json');

/** A digest allowlist of `count` entries, pretty-printed as people write them. */
function allowlist(count: number): string {
  const digests = Array.from(
    { length: count },
    (_, i) => `sha256:${createHash('sha256').update(String(i)).digest('hex')}`,
  );
  return JSON.stringify({ version: '1.0', trustedDigests: digests }, null, 2);
}

describe('encode --format userdata|eksctl|karpenter|ssm', () => {
  test('userdata: the TOML and its budget; --base64 for a launch template', async () => {
    const r = await run([
      'encode',
      `notation=${NOTATION}`,
      `digestion=${DIGESTION}`,
      '--enable',
      '--format',
      'userdata',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const bytes = Buffer.byteLength(r.stdout);
    assert.equal(
      r.stderr,
      `civctl: user data: ${bytes.toLocaleString('en-US')} of 16,384 bytes (${Math.round((bytes / 16384) * 100)}%)\n`,
    );
    const b = await run([
      'encode',
      `notation=${NOTATION}`,
      `digestion=${DIGESTION}`,
      '--enable',
      '--format',
      'userdata',
      '--base64',
    ]);
    assert.equal(Buffer.from(b.stdout.trim(), 'base64').toString('utf8'), r.stdout);
    assert.match(b.stdout, /^[A-Za-z0-9+/]+=*\n$/);
  });

  test('over the budget: refused with the numbers and the channel that can carry it; SSM carries it', async () => {
    const dir = scratch();
    try {
      const big = dir.file('big.json', allowlist(200));
      for (const [format, limit] of [
        ['userdata', "EC2's 16,384-byte user-data limit"],
        ['eksctl', "the 14,184 bytes EC2's 16,384-byte user-data limit leaves eksctl nodegroup user data"],
        ['karpenter', "the 13,384 bytes EC2's 16,384-byte user-data limit leaves Karpenter user data"],
      ] as const) {
        const r = await run(['encode', 'digestion', big, '--enable', '--format', format]);
        assert.equal(r.code, 1, format);
        assert.equal(r.stdout, '');
        assert.ok(isOneCleanLine(r.stderr), r.stderr);
        assert.match(
          r.stderr,
          new RegExp(
            `^civctl: the user data would be [\\d,]+ bytes, over ${limit}.*: an instance cannot be launched with it; deliver the policies over the API \\(civctl set\\), over SSM Run Command \\(civctl encode --format ssm\\)`,
          ),
        );
      }
      // Between the budgets: fits plain user data, not Karpenter's share.
      const middle = dir.file('middle.json', allowlist(140));
      assert.equal((await run(['encode', 'digestion', middle, '--format', 'userdata'])).code, 0);
      assert.equal((await run(['encode', 'digestion', middle, '--format', 'karpenter'])).code, 1);
      const ssm = await run([
        'encode',
        'digestion',
        big,
        '--enable',
        '--format',
        'ssm',
        '--instance-ids',
        'i-0123456789abcdef0',
      ]);
      assert.equal(ssm.code, 0, ssm.stderr);
      assert.deepEqual(JSON.parse(ssm.stdout).InstanceIds, ['i-0123456789abcdef0']);
      assert.match(ssm.stderr, /SSM send-command input: [\d,]+ of 65,536 bytes/);
    } finally {
      dir.cleanup();
    }
  });

  test('--merge-into: each format prints the user’s file with only the subtree replaced', async () => {
    const dir = scratch();
    try {
      const toml = dir.file('user-data.toml', '# mine\n[settings.kubernetes]\nmax-pods = 110\n');
      const u = await run([
        'encode',
        'notation',
        NOTATION,
        '--enable',
        '--format',
        'userdata',
        '--merge-into',
        toml,
      ]);
      assert.equal(u.code, 0, u.stderr);
      assert.ok(u.stdout.startsWith('# mine\n[settings.kubernetes]\nmax-pods = 110\n'));
      const parsed = JSON.parse(JSON.stringify(parseToml(u.stdout))) as { settings: Record<string, unknown> };
      assert.deepEqual(Object.keys(parsed.settings).sort(), ['image-verifier-plugins', 'kubernetes']);

      const cluster = dir.file(
        'cluster.yaml',
        'apiVersion: eksctl.io/v1alpha5\nkind: ClusterConfig\nmetadata: {name: prod}\nmanagedNodeGroups:\n  - name: br # bottlerocket\n    amiFamily: Bottlerocket\n',
      );
      const e = await run([
        'encode',
        'notation',
        NOTATION,
        '--enable',
        '--format',
        'eksctl',
        '--merge-into',
        cluster,
      ]);
      assert.equal(e.code, 0, e.stderr);
      assert.match(e.stdout, /- name: br # bottlerocket/);
      const ng = (
        parseYaml(e.stdout) as {
          managedNodeGroups: { bottlerocket: { settings: Record<string, { enabled: boolean }> } }[];
        }
      ).managedNodeGroups[0]!;
      assert.equal(ng.bottlerocket.settings['image-verifier-plugins']!.enabled, true);
      assert.match(e.stderr, /^civctl: nodegroup br: eksctl nodegroup user data .* of 14,184 bytes/m);

      const nc = dir.file(
        'nc.yaml',
        'apiVersion: karpenter.k8s.aws/v1\nkind: EC2NodeClass\nmetadata: {name: default}\nspec:\n  amiFamily: Bottlerocket\n',
      );
      const k = await run(['encode', 'notation', NOTATION, '--format', 'karpenter', '--merge-into', nc]);
      assert.equal(k.code, 0, k.stderr);
      const userData = (parseYaml(k.stdout) as { spec: { userData: string } }).spec.userData;
      assert.ok(parseToml(userData));
      assert.match(k.stderr, /EC2NodeClass default: Karpenter user data/);

      const bad = dir.file('bad.yaml', 'kind: ClusterConfig\nmanagedNodeGroups: [\n');
      const r = await run(['encode', 'notation', NOTATION, '--format', 'eksctl', '--merge-into', bad]);
      assert.equal(r.code, 1);
      assert.ok(isOneCleanLine(r.stderr), r.stderr);
      assert.match(r.stderr, /bad\.yaml:\d+:\d+: it is not valid YAML/);
      const missing = await run([
        'encode',
        'notation',
        NOTATION,
        '--format',
        'userdata',
        '--merge-into',
        join(dir.path, 'nope.toml'),
      ]);
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /does not exist/);
    } finally {
      dir.cleanup();
    }
  });

  test('fleet options outside their formats are usage errors', async () => {
    for (const args of [
      ['--format', 'toml', '--merge-into', 'x.toml'],
      ['--format', 'base64', '--base64'],
      ['--format', 'eksctl', '--nodegroup', 'a'],
      ['--format', 'userdata', '--targets', 'Key=a,Values=b'],
      ['--format', 'ssm', '--targets', 'Key=a,Values=b', '--instance-ids', 'i-0123456789abcdef0'],
      ['--format', 'ssm', '--instance-ids', 'bogus'],
      ['--format', 'ssm', '--targets', 'nonsense'],
      ['--format', 'json', '--name', 'x'],
    ]) {
      const r = await run(['encode', 'notation', NOTATION, ...args]);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.ok(isOneCleanLine(r.stderr), r.stderr);
    }
  });
});

describe('lint reads eksctl and Karpenter files', () => {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  test('eksctl: every finding at its line in the ClusterConfig, each policy linted per nodegroup', async () => {
    const dir = scratch();
    try {
      const file = dir.file(
        'cluster.yaml',
        [
          'apiVersion: eksctl.io/v1alpha5',
          'kind: ClusterConfig',
          'metadata: {name: prod}',
          'managedNodeGroups:',
          '  - name: br',
          '    amiFamily: Bottlerocket',
          '    bottlerocket:',
          '      settings:',
          '        image-verifier-plugins:',
          '          enabled: "true"',
          `          notation-trustpolicy: "${b64('{}')}"`,
          '          notation:',
          `            trustpolicy: "${b64('{"version":"1.0"}')}"`,
          '',
        ].join('\n'),
      );
      const r = await run(['lint', file]);
      assert.equal(r.code, 1);
      assert.match(
        r.stdout,
        /cluster\.yaml:10:11: error: enabled must be true or false, not "true".*\[userdata\/enabled-type\]/,
      );
      assert.match(
        r.stdout,
        /cluster\.yaml:11:11: error: "notation-trustpolicy = …" defines a plugin.*\[userdata\/flat-key\]/,
      );
      assert.match(
        r.stdout,
        /cluster\.yaml:13:27: error: \[br\/notation\] decoded policy 1:1: trust policy document can not have zero trust policy statements/,
      );
      assert.match(
        r.stdout,
        /cluster\.yaml\[br\/notation\]: notation policy, invalid; on the node: rejects-all/,
      );
    } finally {
      dir.cleanup();
    }
  });

  test('Karpenter: findings inside spec.userData at their line in the YAML file; JSON output too', async () => {
    const dir = scratch();
    try {
      const file = dir.file(
        'nodeclass.yml',
        [
          'apiVersion: karpenter.k8s.aws/v1',
          'kind: EC2NodeClass',
          'metadata:',
          '  name: default',
          'spec:',
          '  amiFamily: Bottlerocket',
          '  userData: |',
          '    [settings.image-verifier-plugins]',
          '    enabled = true',
          '',
          '    [settings.image-verifier-plugins.digestion]',
          '    trustpolicy = "not base64!"',
          '',
        ].join('\n'),
      );
      const r = await run(['lint', file]);
      assert.equal(r.code, 1);
      assert.match(
        r.stdout,
        /nodeclass\.yml:12:20: error: digestion\.trustpolicy is not base64 the API accepts/,
      );
      const json = await run(['lint', '--format', 'json', file]);
      assert.equal(JSON.parse(json.stdout).results[0].diagnostics[0].line, 12);
      const ok = dir.file(
        'ok.yaml',
        `kind: EC2NodeClass\nmetadata: {name: a}\nspec:\n  userData: |\n    [settings.image-verifier-plugins]\n    enabled = true\n    [settings.image-verifier-plugins.digestion]\n    trustpolicy = "${b64('{"version":"1.0","trustedDigests":["sha256:' + 'a'.repeat(64) + '"]}')}"\n`,
      );
      const good = await run(['lint', ok]);
      assert.equal(good.code, 0, good.stdout);
      assert.match(good.stdout, /ok\.yaml\[a\/digestion\]: digestion policy, valid; on the node: enforced/);
      const broken = dir.file('broken.yaml', 'kind: ClusterConfig\nmanagedNodeGroups: [\n');
      const b = await run(['lint', broken]);
      assert.equal(b.code, 1);
      assert.match(
        b.stdout,
        /broken\.yaml:\d+:\d+: error: not a valid ClusterConfig\/YAML: eksctl would reject the file/,
      );
      const none = dir.file('none.yaml', 'kind: ClusterConfig\nmetadata: {name: x}\n');
      assert.match(
        (await run(['lint', none])).stdout,
        /warning: no image-verifier-plugins settings in any eksctl nodegroup/,
      );
    } finally {
      dir.cleanup();
    }
  });
});

describe('encode --merge-into never loses what the file had', () => {
  const digestionB64 = () => Buffer.from(readFileSync(DIGESTION)).toString('base64');
  type Plugins = Record<string, unknown>;
  const userDataPlugins = (toml: string) =>
    JSON.parse(JSON.stringify(parseToml(toml))).settings['image-verifier-plugins'] as Plugins;

  test('user data: the other verifier and enabled = true stay; --disable and a replaced policy are said', async () => {
    const dir = scratch();
    try {
      const existing = dir.file(
        'existing.toml',
        `[settings.kubernetes]\ncluster-name = "prod"\n\n[settings.image-verifier-plugins]\nenabled = true\n\n[settings.image-verifier-plugins.digestion]\ntrustpolicy = "${digestionB64()}"\n`,
      );
      const r = await run([
        'encode',
        `notation=${NOTATION}`,
        '--minify',
        '--format',
        'userdata',
        '--merge-into',
        existing,
      ]);
      assert.equal(r.code, 0, r.stderr);
      const plugins = userDataPlugins(r.stdout);
      assert.equal(plugins['enabled'], true);
      assert.deepEqual(plugins['digestion'], { trustpolicy: digestionB64() });
      assert.ok(plugins['notation']);
      assert.match(r.stderr, /^civctl: note: .*existing\.toml: kept what the file had for digestion/m);
      assert.doesNotMatch(r.stderr, /warning/);

      const off = await run([
        'encode',
        `notation=${NOTATION}`,
        '--disable',
        '--format',
        'userdata',
        '--merge-into',
        existing,
      ]);
      assert.equal(off.code, 0, off.stderr);
      assert.equal(userDataPlugins(off.stdout)['enabled'], false);
      assert.match(
        off.stderr,
        /^civctl: warning: .*existing\.toml: --disable turns image verification off: the file had enabled = true$/m,
      );

      const replaced = await run([
        'encode',
        `digestion=${DIGESTION}`,
        '--minify',
        '--format',
        'userdata',
        '--merge-into',
        existing,
      ]);
      assert.equal(replaced.code, 0, replaced.stderr);
      assert.match(
        replaced.stderr,
        /^civctl: warning: .*existing\.toml: the digestion trust policy the file had is replaced by the one given$/m,
      );
      // The file's other lines are unchanged.
      assert.ok(
        replaced.stdout.startsWith(
          '[settings.kubernetes]\ncluster-name = "prod"\n\n[settings.image-verifier-plugins]\nenabled = true\n',
        ),
      );
    } finally {
      dir.cleanup();
    }
  });

  test('docs/examples: merging one verifier after another keeps both, in every format, and lint accepts the result', async () => {
    const dir = scratch();
    try {
      const cases: [format: string, file: string, read: (text: string) => Plugins][] = [
        ['userdata', 'base-user-data.toml', userDataPlugins],
        [
          'eksctl',
          'cluster.yaml',
          (text) =>
            JSON.parse(JSON.stringify(parseYaml(text))).managedNodeGroups[0].bottlerocket.settings[
              'image-verifier-plugins'
            ],
        ],
        [
          'karpenter',
          'nodeclass.yaml',
          (text) => userDataPlugins((parseYaml(text) as { spec: { userData: string } }).spec.userData),
        ],
      ];
      for (const [format, name, read] of cases) {
        const first = await run([
          'encode',
          `notation=${NOTATION}`,
          '--enable',
          '--minify',
          '--format',
          format,
          '--merge-into',
          join(ROOT, 'docs', 'examples', name),
        ]);
        assert.equal(first.code, 0, `${format}: ${first.stderr}`);
        const step = dir.file(`step-${name}`, first.stdout);
        const second = await run([
          'encode',
          `digestion=${DIGESTION}`,
          '--minify',
          '--format',
          format,
          '--merge-into',
          step,
        ]);
        assert.equal(second.code, 0, `${format}: ${second.stderr}`);
        const plugins = read(second.stdout);
        assert.deepEqual(Object.keys(plugins).sort(), ['digestion', 'enabled', 'notation'], format);
        assert.equal(plugins['enabled'], true, format);
        assert.equal(
          Buffer.from((plugins['notation'] as { trustpolicy: string }).trustpolicy, 'base64').toString(),
          JSON.stringify(JSON.parse(readFileSync(NOTATION, 'utf8'))),
          format,
        );
        assert.match(second.stderr, /kept what the file had for notation/, format);
        // Every line of the first result is still in the second, in order.
        const lines = second.stdout.split('\n');
        let at = 0;
        for (const line of first.stdout.split('\n').filter((l) => l.trim() !== '')) {
          at = lines.indexOf(line, at);
          assert.ok(at >= 0, `${format}: ${JSON.stringify(line)}`);
        }
        const lint = await run(['lint', dir.file(`merged-${name}`, second.stdout)]);
        assert.equal(lint.code, 0, `${format}: ${lint.stdout}`);
      }
    } finally {
      dir.cleanup();
    }
  });

  test('--enable with --disable, or either with base64, is a usage error', async () => {
    for (const args of [
      ['--format', 'userdata', '--enable', '--disable'],
      ['--format', 'base64', '--disable'],
    ]) {
      const r = await run(['encode', 'notation', NOTATION, ...args]);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.ok(isOneCleanLine(r.stderr), r.stderr);
    }
  });
});
