/**
 * encode --merge-into never loses what the user's file had: the verifiers not named and `enabled`
 * stay unless --enable/--disable says otherwise, what is turned off or replaced is said, and every
 * line the merge does not change stays byte for byte — in user-data TOML, eksctl ClusterConfigs
 * (flow mappings, aliases) and Karpenter EC2NodeClasses.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parse as parseToml } from 'smol-toml';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import { mergeEksctl } from '../../src/formats/eksctl.ts';
import { mergeKarpenter } from '../../src/formats/karpenter.ts';
import { mergeSubtree } from '../../src/formats/merge.ts';
import { mergeUserData } from '../../src/formats/userdata.ts';
import type { PluginPolicies } from '../../src/policy/settings.ts';

type Table = Record<string, unknown>;
const plain = (v: unknown) => JSON.parse(JSON.stringify(v));
const NEW = 'bmV3'; // base64 of "new"
const given = (enabled?: boolean): PluginPolicies => ({
  plugins: new Map([['notation', NEW]]),
  ...(enabled !== undefined ? { enabled } : {}),
});

/** The lines of `before` that are not in `after`, and those of `after` not in `before`. */
function changedLines(before: string, after: string): { removed: string[]; added: string[] } {
  const a = before.split('\n');
  const b = after.split('\n');
  return { removed: a.filter((l) => !b.includes(l)), added: b.filter((l) => !a.includes(l)) };
}

describe('the merged image-verifier settings', () => {
  const had = { enabled: true, digestion: { trustpolicy: 'ZGln' }, notation: { trustpolicy: 'b2xk' } };

  test('verifiers not named and enabled stay as the file had them', () => {
    const m = mergeSubtree(had, given());
    assert.deepEqual(m.subtree, {
      enabled: true,
      digestion: { trustpolicy: 'ZGln' },
      notation: { trustpolicy: NEW },
    });
    assert.deepEqual(m.changes, [{ path: ['notation', 'trustpolicy'], value: NEW }]);
    assert.deepEqual(
      m.notices.map((n) => n.level),
      ['warning', 'note'],
    );
    assert.match(m.notices[0]!.message, /the notation trust policy the file had is replaced/);
    assert.match(m.notices[1]!.message, /kept what the file had for digestion/);
  });

  test('--disable over enabled = true is said; --enable over false is not a loss', () => {
    const off = mergeSubtree(had, given(false));
    assert.equal(off.subtree['enabled'], false);
    assert.ok(
      off.notices.some(
        (n) => n.level === 'warning' && /--disable turns image verification off/.test(n.message),
      ),
    );
    const on = mergeSubtree({ ...had, enabled: false }, given(true));
    assert.equal(on.subtree['enabled'], true);
    assert.ok(!on.notices.some((n) => /turns image verification off/.test(n.message)));
  });

  test('a result that verifies nothing says so; an unchanged policy says nothing', () => {
    const m = mergeSubtree({ notation: { trustpolicy: NEW } }, given());
    assert.deepEqual(m.changes, []);
    assert.deepEqual(
      m.notices.map((n) => n.message),
      [
        'enabled is not set (default false): nodes with these settings verify no image; add --enable to turn verification on',
      ],
    );
  });

  test('the file’s spelling trust-policy is kept; a non-table is replaced with a warning', () => {
    assert.deepEqual(mergeSubtree({ notation: { 'trust-policy': 'b2xk' } }, given()).subtree['notation'], {
      'trust-policy': NEW,
    });
    const flat = mergeSubtree({ notation: 'b2xk' }, given());
    assert.deepEqual(flat.subtree['notation'], { trustpolicy: NEW });
    assert.ok(flat.notices.some((n) => n.level === 'warning' && /not a plugin table/.test(n.message)));
    const notTable = mergeSubtree('notation', given(true));
    assert.ok(notTable.whole);
    assert.ok(notTable.notices.some((n) => n.level === 'warning' && /not a table/.test(n.message)));
  });
});

describe('user-data TOML', () => {
  const FILE = `# fleet user data
[settings.kubernetes]
cluster-name = "prod" # the cluster

[settings.image-verifier-plugins]
# verification on
enabled = true

[settings.image-verifier-plugins.digestion]
trustpolicy = "ZGln" # allowlist

[settings.image-verifier-plugins.notation]
trustpolicy = 'b2xk'

# the admin container
[settings.host-containers.admin]
enabled = true
`;

  test('only the notation value changes; every other line stays byte for byte', () => {
    const m = mergeUserData(FILE, given());
    assert.ok(m.preserved);
    assert.deepEqual(changedLines(FILE, m.text), {
      removed: ["trustpolicy = 'b2xk'"],
      added: [`trustpolicy = "${NEW}"`],
    });
    assert.deepEqual(plain(parseToml(m.text)).settings['image-verifier-plugins'], {
      enabled: true,
      digestion: { trustpolicy: 'ZGln' },
      notation: { trustpolicy: NEW },
    });
  });

  test('a new verifier is a new table after the last image-verifier table; --disable changes enabled in place', () => {
    const m = mergeUserData(FILE, { plugins: new Map([['my-verifier', NEW]]), enabled: false });
    assert.deepEqual(changedLines(FILE, m.text), {
      removed: [], // 'enabled = true' is still the admin container's line
      added: ['enabled = false', '[settings.image-verifier-plugins.my-verifier]', `trustpolicy = "${NEW}"`],
    });
    const doc = plain(parseToml(m.text));
    assert.equal(doc.settings['image-verifier-plugins'].enabled, false);
    assert.equal(doc.settings['host-containers'].admin.enabled, true);
    assert.ok(m.text.indexOf('my-verifier') < m.text.indexOf('# the admin container'));
  });
});

describe('eksctl ClusterConfig', () => {
  const CLUSTER = `apiVersion: eksctl.io/v1alpha5
kind: ClusterConfig
metadata: {name: prod, region: us-west-2}
vpc:
  publicAccessCIDRs: &cidrs ["10.0.0.0/8", "192.168.0.0/16"]
  extra: [*cidrs, *cidrs]
managedNodeGroups:
  - name: br # Bottlerocket
    amiFamily: Bottlerocket
    labels: {team: a,   tier: "1"}
    bottlerocket:
      settings:
        motd: 'hi'   # greeting
        image-verifier-plugins:
          enabled: true # on
          digestion: {trustpolicy: "ZGln"}
          notation:
            trustpolicy: "b2xk"
  - {name: flow-br, amiFamily: Bottlerocket, tags: {a: b}}
  - name: al
    amiFamily: AmazonLinux2023
`;

  test('flow mappings, flow sequences with aliases and comments stay byte for byte', () => {
    const m = mergeEksctl(CLUSTER, given());
    assert.ok(m.preserved);
    const { removed, added } = changedLines(CLUSTER, m.text);
    assert.deepEqual(removed, [
      '            trustpolicy: "b2xk"',
      '  - {name: flow-br, amiFamily: Bottlerocket, tags: {a: b}}',
    ]);
    assert.equal(added.length, 2);
    assert.equal(added[0], `            trustpolicy: "${NEW}"`);
    // Into a flow mapping: a key added before its closing brace, the rest of the line as written.
    assert.ok(
      added[1]!.startsWith('  - {name: flow-br, amiFamily: Bottlerocket, tags: {a: b}, bottlerocket: '),
    );
    for (const line of [
      'metadata: {name: prod, region: us-west-2}',
      '  extra: [*cidrs, *cidrs]',
      "        motd: 'hi'   # greeting",
      '          digestion: {trustpolicy: "ZGln"}',
    ])
      assert.ok(m.text.includes(`${line}\n`), line);
    const after = parseYaml(m.text) as { managedNodeGroups: Table[] };
    const ivp = (k: number) =>
      plain(
        (after.managedNodeGroups[k]!['bottlerocket'] as { settings: Table }).settings[
          'image-verifier-plugins'
        ],
      );
    assert.deepEqual(ivp(0), {
      enabled: true,
      digestion: { trustpolicy: 'ZGln' },
      notation: { trustpolicy: NEW },
    });
    assert.deepEqual(ivp(1), { notation: { trustpolicy: NEW } });
    assert.equal(after.managedNodeGroups[2]!['bottlerocket'], undefined);
    assert.ok(m.notices.get('br')!.some((n) => /kept what the file had for digestion/.test(n.message)));
  });

  test('a nodegroup without bottlerocket settings gets a block at its own indentation', () => {
    const text = `kind: ClusterConfig
metadata:
    name: prod
nodeGroups:
    -   name: a
        amiFamily: BottlerocketFips # fips
        desiredCapacity: 2
`;
    const m = mergeEksctl(text, given(true));
    assert.ok(m.preserved);
    assert.ok(m.text.startsWith(text));
    assert.equal(
      m.text.slice(text.length),
      `        bottlerocket:\n          settings:\n            image-verifier-plugins:\n              enabled: true\n              notation:\n                trustpolicy: "${NEW}"\n`,
    );
  });

  test('settings reached through an alias: the alias is replaced by what it named, with the change', () => {
    const text = `kind: ClusterConfig
x-common: &common {motd: hi, image-verifier-plugins: {digestion: {trustpolicy: "ZGln"}}}
nodeGroups:
  - name: a
    amiFamily: Bottlerocket
    bottlerocket:
      settings: *common
`;
    const m = mergeEksctl(text, given(true));
    const after = parseYaml(m.text) as { nodeGroups: { bottlerocket: { settings: Table } }[] };
    assert.deepEqual(plain(after.nodeGroups[0]!.bottlerocket.settings), {
      motd: 'hi',
      'image-verifier-plugins': {
        enabled: true,
        digestion: { trustpolicy: 'ZGln' },
        notation: { trustpolicy: NEW },
      },
    });
    assert.ok(
      m.text.includes(
        'x-common: &common {motd: hi, image-verifier-plugins: {digestion: {trustpolicy: "ZGln"}}}\n',
      ),
    );
  });
});

describe('Karpenter EC2NodeClass', () => {
  const NODECLASS = `apiVersion: karpenter.k8s.aws/v1
kind: EC2NodeClass
metadata: { name: bottlerocket-civ }
spec:
  amiSelectorTerms: [{ alias: bottlerocket@latest }]
  subnetSelectorTerms: [{tags: {karpenter.sh/discovery: my-cluster}}]
  userData: |
    # ours
    [settings.image-verifier-plugins]
    enabled = true

    [settings.image-verifier-plugins.digestion]
    trustpolicy = "ZGln"
  tags: {team: a}
`;

  test('only userData changes; its other tables and the rest of the file stay as written', () => {
    const m = mergeKarpenter(NODECLASS, given());
    assert.ok(m.preserved);
    const { removed, added } = changedLines(NODECLASS, m.text);
    assert.deepEqual(removed, []);
    assert.deepEqual(added, ['    [settings.image-verifier-plugins.notation]', `    trustpolicy = "${NEW}"`]);
    const doc = parseAllDocuments(m.text)[0]!.toJS() as { spec: { userData: string } };
    assert.deepEqual(plain(parseToml(doc.spec.userData)).settings['image-verifier-plugins'], {
      enabled: true,
      digestion: { trustpolicy: 'ZGln' },
      notation: { trustpolicy: NEW },
    });
    assert.ok(
      m.userData
        .get('bottlerocket-civ')!
        .notices.some((n) => /kept what the file had for digestion/.test(n.message)),
    );
  });

  test('a flow spec without userData gains one, the line otherwise as written', () => {
    const text = 'kind: EC2NodeClass\nmetadata: {name: a}\nspec: {amiFamily: Bottlerocket}\n';
    const m = mergeKarpenter(text, given(true));
    assert.ok(m.preserved);
    assert.ok(
      m.text.startsWith(
        'kind: EC2NodeClass\nmetadata: {name: a}\nspec: {amiFamily: Bottlerocket, userData: "',
      ),
    );
    const doc = parseYaml(m.text) as { spec: { userData: string } };
    assert.deepEqual(plain(parseToml(doc.spec.userData)).settings['image-verifier-plugins'], {
      enabled: true,
      notation: { trustpolicy: NEW },
    });
  });
});

describe('line ends', () => {
  test('a CRLF ClusterConfig stays CRLF, with every other line as written', () => {
    const text =
      'kind: ClusterConfig\r\nmetadata: {name: prod}\r\nnodeGroups:\r\n  - name: a\r\n    amiFamily: Bottlerocket\r\n';
    const m = mergeEksctl(text, given(true));
    assert.ok(m.preserved);
    assert.ok(m.text.startsWith(text));
    assert.doesNotMatch(m.text.replace(/\r\n/g, ''), /\n/);
  });
  test('a CRLF user-data file stays CRLF', () => {
    const text = '[settings.kubernetes]\r\nmax-pods = 1\r\n';
    const m = mergeUserData(text, given(true));
    assert.ok(m.preserved);
    assert.ok(m.text.startsWith(text));
    assert.doesNotMatch(m.text.replace(/\r\n/g, ''), /\n/);
  });
});

describe('settings shared through a YAML anchor', () => {
  const SHARED = `kind: ClusterConfig
nodeGroups:
  - name: a
    amiFamily: Bottlerocket
    bottlerocket: &br
      settings: {motd: hi}
  - name: b
    amiFamily: Bottlerocket
    bottlerocket: *br
`;
  test('merged into every nodegroup that shares them: the anchor is edited once, in place', () => {
    const m = mergeEksctl(SHARED, given(true));
    assert.ok(m.preserved);
    const after = parseYaml(m.text) as { nodeGroups: { bottlerocket: { settings: Table } }[] };
    for (const g of after.nodeGroups)
      assert.deepEqual(plain(g.bottlerocket.settings['image-verifier-plugins']), {
        enabled: true,
        notation: { trustpolicy: NEW },
      });
    assert.ok(m.text.endsWith('    bottlerocket: *br\n'));
  });
  test('into one of them only: refused, since the other would change too', () => {
    assert.throws(() => mergeEksctl(SHARED, given(true), 'a'), /shared through a YAML anchor/);
  });
});
