/**
 * Fleet outputs parse back to exactly the policies that went in — TOML, YAML and JSON, for every
 * format, with hostile policy content and hostile user files — and merges change nothing but the
 * image-verifier subtree.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parse as parseToml } from 'smol-toml';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import { ssmArgumentBudget, userDataBudget } from '../../src/formats/budget.ts';
import { mergeEksctl, renderEksctlFragment } from '../../src/formats/eksctl.ts';
import { mergeKarpenter, renderKarpenter } from '../../src/formats/karpenter.ts';
import { apiclientArguments, parseTargets, renderSsm } from '../../src/formats/ssm.ts';
import { canonical, expectedMerge, mergeUserData, renderUserData } from '../../src/formats/userdata.ts';
import type { PluginPolicies } from '../../src/policy/settings.ts';
import { tempDir } from '../helpers.ts';

type Table = Record<string, unknown>;

/** Policies whose JSON holds everything a shell, TOML or YAML could trip on. */
const HOSTILE_POLICIES = [
  '{"version":"1.0","trustedDigests":[]}',
  `{"note":"it's \\"quoted\\" $(rm -rf /) \`id\` \${HOME} %{x} ''' \\"\\"\\" # [settings] \\\\ \\n --- ...","x":"ünïcødé ✓ 😀"}`,
  '{"a":"\u2028\u2029\\u0000"}',
];
const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

function policies(enabled?: boolean): PluginPolicies {
  const plugins = new Map<string, string>([
    ['notation', b64(HOSTILE_POLICIES[1]!)],
    ['digestion', b64(HOSTILE_POLICIES[0]!)],
    ['my-verifier-2', b64(HOSTILE_POLICIES[2]!)],
  ]);
  return { plugins, ...(enabled !== undefined ? { enabled } : {}) };
}

/** The image-verifier-plugins object the policies stand for. */
function subtree(p: PluginPolicies): Table {
  const out: Table = {};
  if (p.enabled !== undefined) out['enabled'] = p.enabled;
  for (const [name, trustpolicy] of p.plugins) out[name] = { trustpolicy };
  return out;
}

/** The subtree as plain JSON (parsers may build objects without a prototype). */
const ivp = (settings: unknown) =>
  JSON.parse(JSON.stringify((settings as Table)['image-verifier-plugins']) ?? 'null');
const plain = (value: unknown) => JSON.parse(JSON.stringify(value));

describe('user data', () => {
  test('the fragment parses back to the same policies, with only image-verifier tables', () => {
    for (const enabled of [true, false, undefined]) {
      const p = policies(enabled);
      const text = renderUserData(p);
      assert.deepEqual(ivp((parseToml(text) as Table)['settings']), subtree(p));
      for (const header of text.match(/^\[.*\]$/gm)!)
        assert.match(header, /^\[settings\.image-verifier-plugins(\.[A-Za-z0-9-]+)?\]$/);
      // The decoded policies are the bytes that went in.
      const parsed = ivp((parseToml(text) as Table)['settings']) as Record<string, { trustpolicy: string }>;
      assert.equal(
        Buffer.from(parsed['notation']!.trustpolicy, 'base64').toString('utf8'),
        HOSTILE_POLICIES[1],
      );
    }
  });

  const ORIGINALS: [string, string, boolean][] = [
    ['empty file', '', true],
    [
      'other settings, comments',
      '# fleet user data\n[settings.kubernetes]\nmax-pods = 110 # tuned\n\n[settings.host-containers.admin]\nenabled = true\n',
      true,
    ],
    [
      'an existing subtree between tables',
      '[settings.kubernetes]\ncluster-name = "prod"\n\n[settings.image-verifier-plugins]\nenabled = false\n\n[settings.image-verifier-plugins.old]\ntrustpolicy = "e30="\n\n# admin container\n[settings.host-containers.admin]\nenabled = true\n',
      true,
    ],
    [
      'quoted header segments',
      '[settings."image-verifier-plugins".notation]\ntrustpolicy = "e30="\n[settings.motd]\n',
      true,
    ],
    [
      'CRLF line ends',
      '[settings.kubernetes]\r\nmax-pods = 1\r\n[settings.image-verifier-plugins]\r\nenabled = true\r\n',
      true,
    ],
    ['dotted keys', '[settings]\nimage-verifier-plugins.enabled = true\nmotd = "hi"\n', true],
    ['an inline table', '[settings]\nimage-verifier-plugins = { enabled = true }\n', false],
    [
      'a multi-line string that looks like the header',
      '[settings.bootstrap-containers.x]\nuser-data = """\n[settings.image-verifier-plugins]\nenabled = false\n"""\n',
      true,
    ],
    [
      'a file without a final newline',
      '[settings.image-verifier-plugins.digestion]\ntrustpolicy = "e30="',
      true,
    ],
    [
      'dates, numbers and arrays elsewhere',
      '[settings.kubernetes]\nx = 1979-05-27T07:32:00Z\ny = [1, 2]\nz = 1.5\n',
      true,
    ],
  ];

  for (const [name, original] of ORIGINALS)
    test(`--merge-into: ${name}`, () => {
      const p = policies(true);
      const merged = mergeUserData(original, p);
      const result = parseToml(merged.text) as Table;
      const before = parseToml(original) as Table;
      const had = ivp(before['settings'] ?? {}) ?? {};
      // What the file had stays, what was given is added or replaced.
      assert.equal(canonical(result), canonical(expectedMerge(before, { ...had, ...subtree(p) })));
      if (merged.preserved) {
        for (const comment of original.match(/#.*$/gm) ?? [])
          assert.ok(merged.text.includes(comment), comment);
        // Every line of the file is still there, in its order.
        const lines = merged.text.split(/\r?\n/);
        let at = 0;
        for (const line of original.split(/\r?\n/).filter((l) => !/trustpolicy|enabled/.test(l))) {
          at = lines.indexOf(line, at);
          assert.ok(at >= 0, `${JSON.stringify(line)} kept in order`);
        }
      }
    });

  test('--merge-into keeps the layout where a text edit can replace the subtree', () => {
    for (const [name, original, preserved] of ORIGINALS)
      assert.equal(mergeUserData(original, policies(true)).preserved, preserved, name);
  });

  test('invalid TOML is refused with its position', () => {
    assert.throws(
      () => mergeUserData('[settings\n', policies()),
      (err: Error & { line: number }) => {
        assert.match(err.message, /not valid TOML/);
        assert.equal(err.line, 1);
        return true;
      },
    );
  });
});

describe('eksctl', () => {
  test('the fragment parses back to bottlerocket.settings with the same policies, values quoted', () => {
    const p = policies(true);
    const text = renderEksctlFragment(p);
    assert.deepEqual(
      ivp((parseYaml(text) as Table & { bottlerocket: { settings: Table } }).bottlerocket.settings),
      subtree(p),
    );
    assert.match(text, /^ {8}trustpolicy: "/m);
    assert.doesNotMatch(text, /"enabled"|"notation":/);
  });

  const CLUSTER = `# prod cluster
apiVersion: eksctl.io/v1alpha5
kind: ClusterConfig
metadata:
  name: prod # keep me
managedNodeGroups:
  - name: mng-br
    amiFamily: Bottlerocket
    bottlerocket:
      settings:
        motd: "hi" # greeting
        image-verifier-plugins:
          old: { trustpolicy: "e30=" }
  - name: mng-al
    amiFamily: AmazonLinux2023
nodeGroups:
  - name: ng-fips
    amiFamily: BottlerocketFips
`;

  test('--merge-into merges into every Bottlerocket nodegroup, keeps the rest and the comments', () => {
    const p = policies(true);
    const merged = mergeEksctl(CLUSTER, p);
    assert.deepEqual(merged.nodegroups.sort(), ['mng-br', 'ng-fips']);
    const before = parseYaml(CLUSTER) as Table;
    const after = parseYaml(merged.text) as Table;
    const groups = (doc: Table) => [
      ...(doc['managedNodeGroups'] as Table[]),
      ...(doc['nodeGroups'] as Table[]),
    ];
    for (const g of groups(after)) {
      const settings = (g['bottlerocket'] as { settings?: Table } | undefined)?.settings;
      if (g['name'] === 'mng-al') assert.equal(g['bottlerocket'], undefined);
      else if (g['name'] === 'mng-br')
        assert.deepEqual(ivp(settings), { old: { trustpolicy: 'e30=' }, ...subtree(p) });
      else assert.deepEqual(ivp(settings), subtree(p));
    }
    assert.ok(merged.preserved);
    assert.equal((groups(after)[0]!['bottlerocket'] as { settings: Table }).settings['motd'], 'hi');
    assert.deepEqual(after['metadata'], before['metadata']);
    for (const comment of ['# prod cluster', '# keep me', '# greeting'])
      assert.ok(merged.text.includes(comment));
    // The TOML eksctl renders holds the same policies.
    assert.deepEqual(ivp((parseToml(merged.userData.get('ng-fips')!) as Table)['settings']), subtree(p));
  });

  test('--nodegroup: only that one; unknown or non-Bottlerocket nodegroups and non-ClusterConfig files are refused', () => {
    const merged = mergeEksctl(CLUSTER, policies(true), 'ng-fips');
    assert.deepEqual(merged.nodegroups, ['ng-fips']);
    const after = parseYaml(merged.text) as { managedNodeGroups: Table[] };
    assert.deepEqual(ivp((after.managedNodeGroups[0]!['bottlerocket'] as { settings: Table }).settings), {
      old: { trustpolicy: 'e30=' },
    });
    assert.throws(
      () => mergeEksctl(CLUSTER, policies(), 'nope'),
      /no nodegroup named 'nope' \(it has mng-br, mng-al, ng-fips\)/,
    );
    assert.throws(() => mergeEksctl(CLUSTER, policies(), 'mng-al'), /amiFamily AmazonLinux2023/);
    assert.throws(() => mergeEksctl('kind: Pod\n', policies()), /no eksctl ClusterConfig/);
    assert.throws(
      () => mergeEksctl('kind: ClusterConfig\nnodeGroups: [{name: a}]\n', policies()),
      /no nodegroup with amiFamily/,
    );
    assert.throws(() => mergeEksctl('a: [\n', policies()), /not valid YAML/);
  });
});

describe('Karpenter', () => {
  test('the EC2NodeClass parses back; its userData holds the same policies', () => {
    const p = policies(true);
    const doc = parseYaml(renderKarpenter(p, 'civ')) as { kind: string; metadata: Table; spec: Table };
    assert.equal(doc.kind, 'EC2NodeClass');
    assert.equal(doc.metadata['name'], 'civ');
    assert.equal(doc.spec['amiFamily'], 'Bottlerocket');
    assert.deepEqual(ivp((parseToml(doc.spec['userData'] as string) as Table)['settings']), subtree(p));
    assert.match(renderKarpenter(p, 'civ'), /userData: \|\n {4}\[settings\.image-verifier-plugins\]/);
  });

  const NODECLASSES = `apiVersion: karpenter.k8s.aws/v1
kind: EC2NodeClass
metadata:
  name: default
spec:
  amiSelectorTerms:
    - alias: bottlerocket@latest
  role: KarpenterNodeRole-prod # node role
  userData: |
    # keep me
    [settings.kubernetes]
    max-pods = 110

    [settings.image-verifier-plugins.old]
    trustpolicy = "e30="
---
apiVersion: karpenter.k8s.aws/v1
kind: EC2NodeClass
metadata:
  name: al2023
spec:
  amiFamily: AL2023
`;

  test('--merge-into: only the image-verifier tables inside spec.userData change', () => {
    const p = policies(true);
    const merged = mergeKarpenter(NODECLASSES, p);
    assert.deepEqual(merged.nodeClasses, ['default']);
    const docs = parseAllDocuments(merged.text) as unknown as { toJS(): Table }[];
    const first = docs[0]!.toJS() as { spec: Table };
    const userData = parseToml(first.spec['userData'] as string) as Table;
    assert.deepEqual(ivp(userData['settings']), { old: { trustpolicy: 'e30=' }, ...subtree(p) });
    assert.deepEqual(plain((userData['settings'] as Table)['kubernetes']), { 'max-pods': 110 });
    assert.equal(first.spec['role'], 'KarpenterNodeRole-prod');
    assert.deepEqual(docs[1]!.toJS(), {
      apiVersion: 'karpenter.k8s.aws/v1',
      kind: 'EC2NodeClass',
      metadata: { name: 'al2023' },
      spec: { amiFamily: 'AL2023' },
    });
    for (const comment of ['# keep me', '# node role']) assert.ok(merged.text.includes(comment));
    assert.throws(() => mergeKarpenter(NODECLASSES, p, 'al2023'), /does not run Bottlerocket/);
    assert.throws(() => mergeKarpenter(NODECLASSES, p, 'x'), /no EC2NodeClass named 'x'/);
    assert.throws(() => mergeKarpenter('kind: ClusterConfig\n', p), /no Karpenter EC2NodeClass/);
  });
});

describe('SSM', () => {
  test('the send-command input parses; its apiclient line gives apiclient exactly the KEY=VALUE arguments, through sh', () => {
    const p = policies(true);
    const input = JSON.parse(
      renderSsm(p, {
        targets: parseTargets(['Key=tag:eks:cluster-name,Values=prod,staging']),
        instanceIds: [],
      }),
    );
    assert.equal(input.DocumentName, 'AWS-RunShellScript');
    assert.deepEqual(input.Targets, [{ Key: 'tag:eks:cluster-name', Values: ['prod', 'staging'] }]);
    const dir = tempDir();
    try {
      // A stand-in apiclient that prints each argument on its own line.
      const fake = join(dir.path, 'apiclient');
      writeFileSync(fake, '#!/bin/sh\nfor a in "$@"; do printf "%s\\n" "$a"; done\n');
      chmodSync(fake, 0o755);
      const script = input.Parameters.commands.join('\n');
      const r = spawnSync('sh', ['-c', script], {
        env: { PATH: `${dir.path}:/usr/bin:/bin` },
        encoding: 'utf8',
      });
      assert.equal(r.status, 0, r.stderr);
      const lines = r.stdout.trimEnd().split('\n');
      assert.deepEqual(lines.slice(0, 5), ['set', ...apiclientArguments(p)]);
      const values = Object.fromEntries(
        lines.slice(1, 5).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
      );
      assert.equal(
        Buffer.from(values['settings.image-verifier-plugins.notation.trustpolicy']!, 'base64').toString(
          'utf8',
        ),
        HOSTILE_POLICIES[1],
      );
      assert.equal(values['settings.image-verifier-plugins.enabled'], 'true');
    } finally {
      dir.cleanup();
    }
  });

  test('targets: the AWS CLI shorthand and JSON; bad forms are usage errors', () => {
    assert.deepEqual(parseTargets(['{"Key":"InstanceIds","Values":["i-0123456789abcdef0"]}']), [
      { Key: 'InstanceIds', Values: ['i-0123456789abcdef0'] },
    ]);
    assert.throws(() => parseTargets(['tag:x=y']), /is not Key=KEY,Values=V1,V2/);
    assert.throws(() => parseTargets(['{"Key":1}']), /string Key/);
    assert.throws(() => parseTargets(Array(6).fill('Key=a,Values=b')), /at most 5 targets/);
  });
});

describe('size budgets', () => {
  test('user data: the numbers, and a refusal that names the channel that can carry it', () => {
    assert.equal(userDataBudget('userdata', 8192), 'user data: 8,192 of 16,384 bytes (50%)');
    assert.match(userDataBudget('eksctl', 100), /of 14,184 bytes/);
    assert.match(userDataBudget('karpenter', 100), /of 13,384 bytes/);
    assert.throws(
      () => userDataBudget('userdata', 16_385),
      (err: Error & { code: string }) => {
        assert.equal(err.code, 'E_CHANNEL_LIMIT');
        assert.match(
          err.message,
          /16,385 bytes, over EC2's 16,384-byte user-data limit: .*--format ssm.*apiclient apply ssm:/,
        );
        return true;
      },
    );
    assert.throws(
      () => userDataBudget('karpenter', 13_385),
      /over the 13,384 bytes EC2's 16,384-byte user-data limit leaves/,
    );
  });

  test('one apiclient argument over 128 KiB is refused with the S3 route', () => {
    ssmArgumentBudget(`k=${'A'.repeat(131_070 - 2)}`);
    assert.throws(
      () => ssmArgumentBudget(`k=${'A'.repeat(131_072)}`),
      /over Linux's 131,072-byte limit.*apiclient apply s3:/,
    );
  });
});
