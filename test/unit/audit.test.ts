/** audit's flow and report: each distinct image decided once, unknown ones with why, three formats. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { AuditImage } from '../../src/inputs/workloads.ts';
import {
  auditJson,
  auditMarkdown,
  auditSummary,
  auditText,
  MARKDOWN_BUDGET,
} from '../../src/output/audit.ts';
import { auditImages, mapConcurrently } from '../../src/verifiers/audit.ts';
import type { ImageDecision } from '../../src/verifiers/containerd.ts';

const D = (c: string) => `sha256:${c.repeat(64)}`;
const pod = (ns: string, name: string, container: string) => ({
  namespace: ns,
  kind: 'Pod',
  name,
  container,
  owner: { kind: 'ReplicaSet', name: name.replace(/-[^-]+$/, '') },
});
const IMAGES: AuditImage[] = [
  {
    image: 'redis:7',
    name: 'docker.io/library/redis:7',
    digest: D('1'),
    workloads: [pod('shop', 'web-7d9c-a', 'cache')],
  },
  { image: 'app:1', name: 'docker.io/library/app:1', workloads: [pod('shop', 'web-7d9c-b', 'web')] },
  { image: 'BAD', name: 'BAD', invalid: 'invalid reference format', workloads: [] },
  { image: 'ok@' + D('2'), name: 'docker.io/library/ok@' + D('2'), digest: D('2'), workloads: [] },
];

function decideBy(allowed: Set<string>) {
  const calls: string[] = [];
  const decide = async (name: string, descriptor: { digest: string }): Promise<ImageDecision> => {
    calls.push(name);
    return allowed.has(descriptor.digest)
      ? {
          name,
          digest: descriptor.digest,
          decision: 'allowed',
          reason: 'digestion-image-verifier => ',
          verifiers: [],
        }
      : {
          name,
          digest: descriptor.digest,
          decision: 'blocked',
          error: `image verifier bindir blocked pull of ${name} with digest ${descriptor.digest} for reason: …`,
          verifiers: [],
        };
  };
  return { decide, calls };
}

describe('audit flow', () => {
  test('offline: images without a digest are unknown with why; the rest decided once each', async () => {
    const { decide, calls } = decideBy(new Set([D('2')]));
    const entries = await auditImages(IMAGES, {
      offline: true,
      jobs: 4,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      resolve: async () => assert.fail('offline never resolves'),
      decide,
    });
    assert.deepEqual(
      entries.map((e) => [e.name, e.decision]),
      [
        ['docker.io/library/redis:7', 'blocked'],
        ['docker.io/library/app:1', 'unknown'],
        ['BAD', 'unknown'],
        ['docker.io/library/ok@' + D('2'), 'allowed'],
      ],
    );
    assert.match(entries[1]!.reason!, /no digest/);
    assert.match(entries[2]!.error!, /not an image reference: invalid reference format/);
    assert.deepEqual(calls, ['docker.io/library/redis:7', 'docker.io/library/ok@' + D('2')]);
  });

  test('online: tag-only images are resolved; a registry failure is unknown with its message', async () => {
    const { decide } = decideBy(new Set([D('9')]));
    const entries = await auditImages(IMAGES.slice(0, 2), {
      offline: false,
      jobs: 2,
      mediaType: 'x',
      resolve: async (name) => {
        if (name === 'docker.io/library/app:1') return { mediaType: 'm', digest: D('9'), size: 5 };
        throw new Error('unreachable');
      },
      decide,
    });
    assert.equal(entries[1]!.decision, 'allowed');
    assert.equal(entries[1]!.digest, D('9'));
    const failing = await auditImages([IMAGES[1]!], {
      offline: false,
      jobs: 1,
      mediaType: 'x',
      resolve: async () => {
        throw new Error('connection refused by registry.example.com');
      },
      decide,
    });
    assert.deepEqual(
      [failing[0]!.decision, failing[0]!.error],
      ['unknown', 'connection refused by registry.example.com'],
    );
  });

  test('at most jobs look-ups at a time, results in order', async () => {
    let running = 0;
    let peak = 0;
    const out = await mapConcurrently([5, 1, 4, 2, 3, 0], 3, async (n) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setImmediate(r));
      running--;
      return n * 2;
    });
    assert.deepEqual(out, [10, 2, 8, 4, 6, 0]);
    assert.equal(peak, 3);
    assert.deepEqual(await mapConcurrently([], 3, async (n: number) => n), []);
  });
});

describe('audit flow: one pull, one decision', () => {
  test('a pod that reported a digest and another whose tag resolves to it are one image, decided once', async () => {
    const { decide, calls } = decideBy(new Set());
    const entries = await auditImages(
      [
        {
          image: 'app:1',
          name: 'docker.io/library/app:1',
          digest: D('9'),
          workloads: [pod('a', 'web-1-x', 'c')],
        },
        { image: 'app:1', name: 'docker.io/library/app:1', workloads: [pod('b', 'job-1-y', 'c')] },
      ],
      {
        offline: false,
        jobs: 2,
        mediaType: 'm',
        resolve: async () => ({ mediaType: 'm', digest: D('9'), size: 5 }),
        decide,
      },
    );
    assert.equal(entries.length, 1);
    assert.deepEqual(calls, ['docker.io/library/app:1']);
    assert.deepEqual(
      entries[0]!.workloads.map((w) => w.namespace),
      ['a', 'b'],
    );
  });
});

describe('audit report', () => {
  const entries = [
    {
      image: 'redis:7',
      name: 'docker.io/library/redis:7',
      digest: D('1'),
      decision: 'blocked' as const,
      error: 'E',
      workloads: [
        pod('shop', 'web-7d9c-a', 'cache'),
        pod('shop', 'web-7d9c-b', 'cache'),
        pod('ops', 'mon-1-x', 'redis'),
      ],
    },
    {
      image: 'app:1',
      name: 'docker.io/library/app:1',
      decision: 'unknown' as const,
      reason: 'no digest',
      workloads: [],
    },
    {
      image: 'ok',
      name: 'docker.io/library/ok:latest',
      digest: D('2'),
      decision: 'allowed' as const,
      reason: 'digestion-image-verifier => ',
      workloads: [],
    },
  ];
  const summary = auditSummary(entries, 3);
  test('JSON: every image with its workloads, a digest or null, and the summary', () => {
    const json = JSON.parse(auditJson(entries, summary));
    assert.deepEqual(json.summary, {
      images: 3,
      workloads: 3,
      allowed: 1,
      blocked: 1,
      'signature-required': 0,
      unknown: 1,
    });
    assert.equal(json.images[1].digest, null);
    assert.deepEqual(Object.keys(json.images[0]), [
      'image',
      'name',
      'digest',
      'decision',
      'error',
      'workloads',
    ]);
    assert.deepEqual(json.images[0].workloads[0], pod('shop', 'web-7d9c-a', 'cache'));
  });
  test('text: blocked and unknown first, by namespace, then one summary line', () => {
    const text = auditText(entries, summary);
    assert.equal(
      text,
      [
        'namespace ops:',
        `  BLOCKED docker.io/library/redis:7@${D('1')}`,
        '    E',
        '    used by ReplicaSet/mon-1 (1 pod) container redis',
        'namespace shop:',
        `  BLOCKED docker.io/library/redis:7@${D('1')}`,
        '    E',
        '    used by ReplicaSet/web-7d9c (2 pods) container cache',
        'not used by a workload read:',
        '  UNKNOWN docker.io/library/app:1',
        '    no digest',
        `ALLOWED docker.io/library/ok:latest@${D('2')}`,
        '3 images in 3 workload containers: 1 allowed, 1 blocked, 0 signature-required, 1 unknown',
        '',
      ].join('\n'),
    );
  });
  test('Markdown: a table, blocked rows first, cells that cannot break it', () => {
    const md = auditMarkdown(
      [...entries, { image: 'x', name: 'x|y', decision: 'blocked', error: 'a|b <script>', workloads: [] }],
      summary,
    );
    const rows = md.split('\n').filter((l) => l.startsWith('| '));
    assert.equal(rows.length, 6);
    assert.match(rows[2]!, /^\| ❌ blocked \| `docker.io\/library\/redis:7`/);
    assert.match(rows[3]!, /x\\\|y.*a\\\|b &lt;script&gt;/);
    for (const row of rows) assert.equal(row.split(/(?<!\\)\|/).length, 8, row);
  });
});

describe('audit report: Markdown within a pull-request comment', () => {
  test('rows past the budget are counted, blocked rows kept first', () => {
    const entries = Array.from({ length: 2000 }, (_, i) => ({
      image: `app${i}:1`,
      name: `docker.io/library/app${i}:1`,
      digest: D('1'),
      decision: (i % 2 === 0 ? 'allowed' : 'blocked') as 'allowed' | 'blocked',
      ...(i % 2 === 0 ? {} : { error: 'image verifier bindir blocked pull' }),
      workloads: [pod('shop', `web${i}-7d9c-a`, 'c')],
    }));
    const md = auditMarkdown(entries, auditSummary(entries, 2000));
    assert.ok(md.length <= MARKDOWN_BUDGET, String(md.length));
    const left = /_(\d+) more rows left out to fit a pull-request comment/.exec(md);
    assert.ok(left, md.slice(-300));
    const shownRows = md.split('\n').filter((l) => /^\| (❌|✅)/.test(l));
    assert.equal(shownRows.length + Number(left[1]), 2000);
    assert.match(shownRows[0]!, /^\| ❌ blocked/);
  });
});
