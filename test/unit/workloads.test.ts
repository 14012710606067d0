/** Reading what a cluster runs: kubectl pod lists, workload manifests, crictl images, image lists. */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { loadFastYaml } from '../../src/inputs/workload-files.ts';
import { digestOfImageId, distinctImages, parseSelector, readWorkloads } from '../../src/inputs/workloads.ts';
import { parseImageReference } from '../../src/registry/reference.ts';
import { ROOT } from '../helpers.ts';

const FIXTURES = join(ROOT, 'test', 'fixtures', 'audit');
const loadYaml = () => import('yaml');
const read = (text: string, label = 'f') => readWorkloads(text, label, loadYaml);
const fixture = (name: string) => readFileSync(join(FIXTURES, name), 'utf8');
const normalise = (image: string) => {
  try {
    const ref = parseImageReference(image);
    return { name: ref.name, ...(ref.digest ? { digest: ref.digest } : {}) };
  } catch (err) {
    return { error: (err as Error).message };
  }
};
const D = (c: string) => `sha256:${c.repeat(64)}`;

describe('workload inputs', () => {
  test('kubectl get pods -o json: every container, init and ephemeral ones too, with the digest it ran', async () => {
    const { uses, warnings } = await read(fixture('pods.json'));
    assert.deepEqual(warnings, []);
    assert.equal(uses.length, 8);
    const migrate = uses.find((u) => u.workload?.container === 'migrate')!;
    assert.equal(migrate.digest, D('3'));
    const debug = uses.find((u) => u.workload?.container === 'debugger-r7x2')!;
    assert.deepEqual(debug.workload, {
      namespace: 'shop',
      kind: 'Pod',
      name: 'web-7d9c6b5f4-9hq4s',
      container: 'debugger-r7x2',
      owner: { kind: 'ReplicaSet', name: 'web-7d9c6b5f4' },
    });
    assert.equal(debug.digest, D('4'));
    const pending = uses.find((u) => u.workload?.container === 'report')!;
    assert.equal(pending.digest, undefined, 'a pod that has not run has no digest');
    assert.equal(pending.image, 'registry.example.com/shop/report:1.0');
  });

  test('kubectl get pods -o yaml reads the same as -o json', async () => {
    const { stringify } = await import('yaml');
    const fromJson = await read(fixture('pods.json'));
    const fromYaml = await read(stringify(JSON.parse(fixture('pods.json'))));
    assert.deepEqual(fromYaml, fromJson);
  });

  test('workload manifests: templates of every kind, a Service skipped with its line', async () => {
    const { uses, warnings } = await read(fixture('deploy.yaml'), 'deploy.yaml');
    assert.deepEqual(
      uses.map((u) => [u.workload!.kind, u.workload!.name, u.workload!.container, u.image]),
      [
        ['Deployment', 'web', 'web', `registry.example.com/shop/web:2.4.1@${D('2')}`],
        ['Deployment', 'web', 'cache', 'redis:7'],
        ['Deployment', 'web', 'migrate', `registry.example.com/shop/migrate@${D('3')}`],
        ['CronJob', 'report', 'report', `registry.example.com/shop/report@${D('6')}`],
      ],
    );
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /^deploy\.yaml:44: kind Service runs no containers/);
  });

  test('every templated kind, and a namespace defaulted to "default"', async () => {
    const template = { template: { spec: { containers: [{ name: 'c', image: 'x:1' }] } } };
    for (const kind of [
      'Deployment',
      'StatefulSet',
      'DaemonSet',
      'ReplicaSet',
      'Job',
      'ReplicationController',
    ]) {
      const { uses } = await read(JSON.stringify({ kind, metadata: { name: 'n' }, spec: template }));
      assert.deepEqual(uses[0]!.workload, { namespace: 'default', kind, name: 'n', container: 'c' }, kind);
    }
  });

  test('crictl images -o json: one use per tag, its repo digest; an imported image (no repo digest) left out', async () => {
    const { uses, warnings } = await read(fixture('crictl-images.json'));
    assert.deepEqual(uses, [{ image: 'docker.io/library/redis:7', digest: D('1') }]);
    assert.match(
      warnings[0]!,
      /localhost\/kubernetes\/pause:0\.1\.0: no repo digest, so the image was imported, not pulled/,
    );
  });

  test('plain image lists: comments and blank lines ignored', async () => {
    const { uses, warnings } = await read(fixture('images.txt'));
    assert.deepEqual(warnings, []);
    assert.deepEqual(
      uses.map((u) => u.image),
      ['redis:7', `registry.example.com/shop/web@${D('2')}`, 'nginx'],
    );
  });

  test('malformed documents are warnings with their line, never a crash', async () => {
    const cases: [string, RegExp][] = [
      ['{"kind": "Pod",', /^f(:1)?: it is not valid JSON/],
      ['kind: Pod\nspec: [unclosed\n', /^f:\d+: it is not valid YAML/],
      ['[1, "x"]', /^f: element 1: it is not an object; skipped/],
      ['{"kind":"ConfigMap"}', /^f: kind ConfigMap runs no containers/],
      ['{"apiVersion":"v1"}', /^f: it has no kind; skipped/],
      ['{"kind":"Pod","metadata":{"name":"p"}}', /^f: it has no pod spec; skipped/],
      [
        '{"kind":"List","items":[{"kind":"Pod","spec":{"containers":[{"name":"a"}]}}, 7]}',
        /^f: item 2 of the List: it is not an object/,
      ],
      ['', /^f: it is empty/],
      ['key: value\n- item\n', /^f:\d+: it is not valid YAML/],
    ];
    for (const [text, expected] of cases) {
      const { warnings } = await read(text);
      assert.ok(
        warnings.some((w) => expected.test(w)),
        `${text}: ${warnings.join(' | ')}`,
      );
    }
  });

  test('a container without an image, or that is not an object, is skipped with a warning; statuses that are not objects quietly', async () => {
    const pod = {
      kind: 'Pod',
      metadata: { name: 'p' },
      spec: { containers: [{ name: 'a' }, 'junk', { name: 'b', image: 'b:1' }] },
      status: { containerStatuses: [null, 3, { name: 'b', imageID: 'sha256:' + 'f'.repeat(64) }] },
    };
    const { uses, warnings } = await read(JSON.stringify(pod));
    assert.deepEqual(warnings, [
      'f: Pod default/p: container a names no image; skipped',
      'f: Pod default/p: containers entry 2 is not a container; skipped',
    ]);
    assert.deepEqual(
      uses.map((u) => [u.image, u.digest]),
      [['b:1', undefined]],
    );
  });

  test('imageID forms', () => {
    assert.deepEqual(digestOfImageId(`docker.io/library/redis@${D('1')}`), { digest: D('1') });
    assert.deepEqual(digestOfImageId(`docker-pullable://redis@${D('1')}`), { digest: D('1') });
    assert.deepEqual(digestOfImageId(D('1')), {}, "a bare ID is the image's config, not what was presented");
    assert.deepEqual(digestOfImageId(''), {});
    assert.deepEqual(digestOfImageId(null), {});
    assert.match(digestOfImageId('redis@sha256:abc').invalid ?? '', /^'sha256:abc' /);
    assert.match(digestOfImageId('redis@SHA256:AAAA').invalid ?? '', /^'SHA256:AAAA' /);
  });

  test('a byte-order mark, CRLF lines with comments, a Helm empty template, merge keys', async () => {
    const pod = JSON.stringify({
      kind: 'Pod',
      metadata: { name: 'p' },
      spec: { containers: [{ name: 'c', image: 'r:1' }] },
    });
    assert.deepEqual(
      (await read(`\uFEFF${pod}`)).uses.map((u) => u.image),
      ['r:1'],
    );
    assert.deepEqual(
      (await read('# list\r\nnginx\r\nredis:7 # cache\r\n')).uses.map((u) => u.image),
      ['nginx', 'redis:7'],
    );
    const helm = await read('---\n# Source: chart/templates/empty.yaml\n');
    assert.deepEqual([helm.uses, helm.warnings], [[], []]);
    const merged = await read(
      [
        'kind: Pod',
        'metadata: {name: p}',
        'spec:',
        '  containers:',
        '    - &base {name: a, image: "nginx:1.25"}',
        '    - <<: *base',
        '      name: b',
      ].join('\n'),
    );
    assert.deepEqual(
      merged.uses.map((u) => [u.workload?.container, u.image]),
      [
        ['a', 'nginx:1.25'],
        ['b', 'nginx:1.25'],
      ],
    );
  });

  test('an alias to another document, or an alias bomb, skips that document only', async () => {
    const other = await read(
      'a: &x 1\n---\nb: *x\n---\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, image: "r:1"}]}\n',
    );
    assert.deepEqual(
      other.uses.map((u) => u.image),
      ['r:1'],
    );
    assert.ok(
      other.warnings.some((w) => /^f:3: .*alias.*; the document is skipped$/i.test(w)),
      other.warnings.join('\n'),
    );
    const bomb = [
      'a: &a [x, x, x, x, x, x, x, x, x, x]',
      'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]',
      'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]',
      'd: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]',
      '---',
      'kind: Pod',
      'metadata: {name: p}',
      'spec: {containers: [{name: c, image: "r:1"}]}',
    ].join('\n');
    const bombed = await read(bomb);
    assert.deepEqual(
      bombed.uses.map((u) => u.image),
      ['r:1'],
    );
    assert.ok(
      bombed.warnings.some((w) => /^f:1: .*; the document is skipped$/.test(w)),
      bombed.warnings.join('\n'),
    );
  });

  test('a PodList from the API (items without kind) is a list of pods; only the controller is the owner', async () => {
    const list = {
      kind: 'PodList',
      items: [
        {
          metadata: { name: 'p', ownerReferences: [{ kind: 'Node', name: 'n1' }] },
          spec: { containers: [{ name: 'c', image: 'r:1' }] },
        },
      ],
    };
    const { uses, warnings } = await read(JSON.stringify(list));
    assert.deepEqual(warnings, []);
    assert.deepEqual(uses[0]!.workload, { namespace: 'default', kind: 'Pod', name: 'p', container: 'c' });
  });
});

describe('distinct images', () => {
  test('grouped by the name CRI gives and the digest presented; tags beside digests dropped', async () => {
    const pods = await read(fixture('pods.json'));
    const manifests = await read(fixture('deploy.yaml'));
    const images = distinctImages([...pods.uses, ...manifests.uses], normalise);
    assert.deepEqual(
      images.map((i) => [i.name, i.digest, i.workloads.length]),
      [
        ['docker.io/library/redis:7', D('1'), 2],
        ['registry.example.com/shop/web:2.4.1', D('2'), 2],
        [`registry.example.com/shop/migrate@${D('3')}`, D('3'), 2],
        ['docker.io/library/busybox:1.36', D('4'), 1],
        ['602401143452.dkr.ecr.us-west-2.amazonaws.com/eks/coredns:v1.11.4-eksbuild.2', D('5'), 1],
        ['registry.example.com/shop/report:1.0', undefined, 1],
        [`registry.example.com/shop/web@${D('2')}`, D('2'), 1],
        ['docker.io/library/redis:7', undefined, 1],
        [`registry.example.com/shop/report@${D('6')}`, D('6'), 1],
      ],
    );
  });

  test('nginx is docker.io/library/nginx:latest; a reference CRI refuses is kept with its reason', () => {
    const images = distinctImages(
      [{ image: 'nginx' }, { image: 'docker.io/library/nginx:latest' }, { image: 'docker.io/UPPER/case' }],
      normalise,
    );
    assert.equal(images.length, 2);
    assert.equal(images[0]!.name, 'docker.io/library/nginx:latest');
    assert.equal(images[0]!.image, 'nginx');
    assert.match(images[1]!.invalid!, /must be lowercase/);
  });
});

describe('label selectors', () => {
  test('equality, inequality, existence', () => {
    const labels = { app: 'web', tier: 'front' };
    const matches = (s: string) => {
      const f = parseSelector(s);
      assert.equal(typeof f, 'function', s);
      return (f as (l: Record<string, string>) => boolean)(labels);
    };
    assert.equal(matches('app=web'), true);
    assert.equal(matches('app==web,tier=front'), true);
    assert.equal(matches('app!=web'), false);
    assert.equal(matches('tier'), true);
    assert.equal(matches('!tier'), false);
    assert.equal(matches('app=db'), false);
  });
  test('set forms, as kubectl takes them: in and notin, commas inside the parentheses', () => {
    const matches = (s: string, labels: Record<string, string>) => {
      const f = parseSelector(s);
      assert.equal(typeof f, 'function', s);
      return (f as (l: Record<string, string>) => boolean)(labels);
    };
    assert.equal(matches('env in (prod, qa)', { env: 'qa' }), true);
    assert.equal(matches('env in (prod,qa),tier=front', { env: 'prod', tier: 'front' }), true);
    assert.equal(matches('env in (prod)', {}), false);
    assert.equal(matches('env notin (prod)', {}), true, 'notin matches a pod without the label');
    assert.equal(matches('env notin (prod, qa)', { env: 'qa' }), false);
  });
  test('malformed selectors are named', () => {
    assert.match(parseSelector('app in a,b') as string, /not a label selector term/);
    assert.match(parseSelector('app in (a b)') as string, /not a label selector term/);
    assert.match(parseSelector('a=b,,c') as string, /empty term/);
  });
});

describe('the fast YAML reader (js-yaml) reads what the exact one (yaml) reads', () => {
  const cases = [
    ...readdirSync(FIXTURES)
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => [f, fixture(f)] as const),
    [
      'a label that looks like a date stays a string',
      'kind: Pod\nmetadata: {name: p, labels: {day: 2024-01-01, on: yes}}\nspec: {containers: [{name: c, image: "r:1"}]}\n',
    ],
    [
      'merge keys',
      'kind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n    - &b {name: a, image: "n:1"}\n    - <<: *b\n      name: b\n',
    ],
    ['a Service beside a Deployment (warnings: read again exactly)', fixture('deploy.yaml')],
    ['duplicate keys', 'kind: Pod\nkind: Pod\n'],
  ] as const;
  for (const [name, text] of cases)
    test(name, async () => {
      const exact = await readWorkloads(text, 'f', loadYaml);
      const fast = await readWorkloads(text, 'f', loadYaml, loadFastYaml);
      assert.deepEqual(fast, exact);
    });
});
