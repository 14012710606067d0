/**
 * check --user-data, decode --userdata and apply read eksctl ClusterConfigs and Karpenter
 * EC2NodeClasses as lint does, with one reader: the settings a Bottlerocket nodegroup or NodeClass
 * gives its nodes, --nodegroup/--nodeclass when they differ, and a usage error naming the choices
 * rather than a guess.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { isOneCleanLine, ROOT, run, scratch, withSim } from '../helpers.ts';

const tmp = scratch();
after(() => tmp.cleanup());
const DIGESTION = join(ROOT, 'examples', 'digestion-redis.json');
const ALLOWED = `public.ecr.aws/docker/library/redis@sha256:7aec734b2bb298a1d769fd8729f13b8514a41bf90fcdd1f38ec52267fbaa8ee6`;
const OTHER = `public.ecr.aws/docker/library/redis@sha256:77697a75da9f94e9357b61fcaf8345f69e3d9d32e9d15032c8415c21263977dc`;
const b64 = () => Buffer.from(readFileSync(DIGESTION)).toString('base64');

const CLUSTER = () =>
  tmp.file(
    'cluster.yaml',
    `apiVersion: eksctl.io/v1alpha5
kind: ClusterConfig
metadata: {name: prod}
managedNodeGroups:
  - name: ng-a
    amiFamily: Bottlerocket
    bottlerocket:
      settings:
        image-verifier-plugins:
          enabled: true
          digestion: {trustpolicy: "${b64()}"}
  - name: ng-b
    amiFamily: Bottlerocket
  - name: al
    amiFamily: AmazonLinux2023
`,
  );

const NODECLASSES = () =>
  tmp.file(
    'nodeclasses.yaml',
    `kind: EC2NodeClass
metadata: {name: verified}
spec:
  amiFamily: Bottlerocket
  userData: |
    [settings.image-verifier-plugins]
    enabled = true
    [settings.image-verifier-plugins.digestion]
    trustpolicy = "${b64()}"
---
kind: EC2NodeClass
metadata: {name: open}
spec:
  amiSelectorTerms: [{alias: bottlerocket@latest}]
  userData: |
    [settings.host-containers.admin]
    enabled = true
`,
  );

describe('check --user-data reads eksctl and Karpenter files', () => {
  test('nodegroups whose settings differ: a usage error naming the choices, then each decides as its nodes would', async () => {
    const cluster = CLUSTER();
    const ambiguous = await run(['check', '--offline', '--user-data', cluster, OTHER]);
    assert.equal(ambiguous.code, 2);
    assert.equal(ambiguous.stdout, '');
    assert.match(
      ambiguous.stderr,
      /gives its Bottlerocket nodegroups different image-verifier settings; choose one with --nodegroup: ng-a, ng-b$/m,
    );
    const a = await run([
      'check',
      '--offline',
      '--user-data',
      cluster,
      '--nodegroup',
      'ng-a',
      OTHER,
      ALLOWED,
    ]);
    assert.equal(a.code, 1);
    assert.match(a.stdout, /^BLOCKED .*77697a75/m);
    assert.match(a.stdout, /^ALLOWED .*7aec734b/m);
    assert.match(
      a.stderr,
      /note: deciding with the image-verifier settings of '.*cluster\.yaml' \(nodegroup ng-a\)/,
    );
    const b = await run(['check', '--offline', '--user-data', cluster, '--nodegroup', 'ng-b', OTHER]);
    assert.equal(b.code, 0);
    assert.match(b.stdout, /^ALLOWED .*image verification is disabled/m);
  });

  test('an unknown or non-Bottlerocket nodegroup, or a selector for another kind of file, is a usage error', async () => {
    const cluster = CLUSTER();
    for (const [args, message] of [
      [['--nodegroup', 'nope'], /has no nodegroup 'nope'; its Bottlerocket nodegroups: ng-a, ng-b/],
      [['--nodegroup', 'al'], /nodegroup 'al' of .* does not run Bottlerocket/],
      [['--nodeclass', 'x'], /--nodeclass picks an EC2NodeClass of a Karpenter file; .* has none/],
    ] as const) {
      const r = await run(['check', '--offline', '--user-data', cluster, ...args, OTHER]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, message);
    }
    const toml = tmp.file('ud.toml', '[settings.image-verifier-plugins]\nenabled = true\n');
    const r = await run(['check', '--offline', '--user-data', toml, '--nodegroup', 'a', OTHER]);
    assert.equal(r.code, 2);
    assert.match(
      r.stderr,
      /--nodegroup picks a section of an eksctl or Karpenter file; .* is user-data TOML/,
    );
    const alone = await run(['check', '--offline', '--nodegroup', 'a', OTHER]);
    assert.equal(alone.code, 2);
  });

  test('Karpenter: --nodeclass picks the NodeClass; one that is the same everywhere needs no choice', async () => {
    const file = NODECLASSES();
    assert.equal((await run(['check', '--offline', '--user-data', file, OTHER])).code, 2);
    const verified = await run(['check', '--offline', '--user-data', file, '--nodeclass', 'verified', OTHER]);
    assert.equal(verified.code, 1);
    assert.match(verified.stdout, /^BLOCKED /m);
    assert.match(verified.stderr, /\(EC2NodeClass verified\)/);
    const single = tmp.file('single.yaml', readFileSync(file, 'utf8').split('---\n')[0]!);
    const r = await run(['check', '--offline', '--user-data', single, ALLOWED]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^ALLOWED /m);
  });

  test('docs/examples/cluster.yaml is read, not refused as TOML; a duplicate key is one clear line', async () => {
    const r = await run([
      'check',
      '--offline',
      '--user-data',
      join(ROOT, 'docs', 'examples', 'cluster.yaml'),
      OTHER,
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /not valid TOML/);
    assert.match(r.stderr, /nodegroup bottlerocket-a/);
    const dup = tmp.file('dup.yaml', 'kind: ClusterConfig\nmetadata:\n  name: a\n  name: b\n');
    const d = await run(['check', '--offline', '--user-data', dup, OTHER]);
    assert.equal(d.code, 1);
    assert.ok(isOneCleanLine(d.stderr.split('\n').slice(1).join('\n')), d.stderr);
    assert.match(
      d.stderr,
      /dup\.yaml:4:3: not a valid ClusterConfig\/YAML: eksctl would reject the file \(Map keys must be unique\)/,
    );
  });
});

describe('decode --userdata and apply read them the same way', () => {
  test('decode: the chosen nodegroup’s policy, exactly; ambiguity is a usage error', async () => {
    const cluster = CLUSTER();
    const r = await run(['decode', '--userdata', cluster, '--nodegroup', 'ng-a', 'digestion']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, readFileSync(DIGESTION, 'utf8'));
    assert.equal((await run(['decode', '--userdata', cluster, 'digestion'])).code, 2);
    const none = await run(['decode', '--userdata', cluster, '--nodegroup', 'ng-b', 'digestion']);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /\(nodegroup ng-b\) has no trust policy for 'digestion'/);
    const k = await run(['decode', '--userdata', NODECLASSES(), '--nodeclass', 'verified', 'digestion']);
    assert.equal(k.stdout, readFileSync(DIGESTION, 'utf8'));
  });

  test('apply: the chosen nodegroup’s settings reach the node', async () => {
    await withSim(async (socket) => {
      const cluster = CLUSTER();
      const refused = await run(['-s', socket, 'apply', cluster]);
      assert.equal(refused.code, 2, refused.stderr);
      const r = await run(['-s', socket, 'apply', cluster, '--nodegroup', 'ng-a']);
      assert.equal(r.code, 0, r.stderr);
      const got = await run(['decode', '--userdata', '-', 'digestion'], {
        stdin: (await run(['-s', socket, 'get', '--raw'])).stdout,
      });
      assert.equal(got.stdout, readFileSync(DIGESTION, 'utf8'));
    });
  });
});
