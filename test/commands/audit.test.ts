/** civctl audit and digests add --from, in-process: inputs, decisions, formats, exit codes, faults. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { ROOT, run, scratch, startFakeRegistry, withSim } from '../helpers.ts';

const FIXTURES = join(ROOT, 'test', 'fixtures', 'audit');
const PODS = join(FIXTURES, 'pods.json');
const SEED = join(FIXTURES, 'seed-pods.yaml');
const DIGESTION = join(ROOT, 'examples', 'digestion-redis.json');
const NOTATION = join(ROOT, 'examples', 'notation-aws-signer.json');
const REDIS_748 = 'sha256:7aec734b2bb298a1d769fd8729f13b8514a41bf90fcdd1f38ec52267fbaa8ee6';
const REDIS_6220 = 'sha256:77697a75da9f94e9357b61fcaf8345f69e3d9d32e9d15032c8415c21263977dc';
const tmp = scratch();
after(() => tmp.cleanup());

const json = (stdout: string) =>
  JSON.parse(stdout) as {
    images: {
      image: string;
      name: string;
      digest: string | null;
      decision: string;
      reason?: string;
      error?: string;
      workloads: unknown[];
    }[];
    summary: Record<string, number>;
  };

describe('audit: the upstream scenarios as a running cluster', () => {
  test('digestion: the listed redis is allowed, the other blocked with containerd’s text, a pod that never ran unknown', async () => {
    const r = await run([
      'audit',
      '--offline',
      '--policy',
      `digestion=${DIGESTION}`,
      '--format',
      'json',
      SEED,
    ]);
    assert.equal(r.code, 1);
    const { images, summary } = json(r.stdout);
    const by = (name: string) => images.find((i) => i.name === name)!;
    assert.equal(by('public.ecr.aws/docker/library/redis:7.4.8-alpine3.21').decision, 'allowed');
    assert.equal(by('public.ecr.aws/docker/library/redis:7.4.8-alpine3.21').digest, REDIS_748);
    const old = by('public.ecr.aws/docker/library/redis:6.2.20-alpine3.21');
    assert.equal(old.decision, 'blocked');
    assert.equal(
      old.error,
      `image verifier bindir blocked pull of public.ecr.aws/docker/library/redis:6.2.20-alpine3.21 with digest ${REDIS_6220} for reason: verifier digestion-image-verifier rejected image (exit code 1): image verification failed: digest not in allowlist`,
    );
    assert.deepEqual(old.workloads, [
      {
        namespace: 'data',
        kind: 'Pod',
        name: 'legacy-cache-7f9d8c6b5-l2m4n',
        container: 'redis',
        owner: { kind: 'ReplicaSet', name: 'legacy-cache-7f9d8c6b5' },
      },
    ]);
    const pending = by('public.ecr.aws/o7o0w6s5/public-alpine-clone:latest');
    assert.deepEqual([pending.decision, pending.digest], ['unknown', null]);
    assert.match(pending.reason!, /no digest/);
    assert.deepEqual(summary, {
      images: 4,
      workloads: 4,
      allowed: 1,
      blocked: 2,
      'signature-required': 0,
      unknown: 1,
    });
  });

  test('notation: every image in scope needs a signature; nothing is allowed yet', async () => {
    const r = await run(['audit', '--offline', '--policy', `notation=${NOTATION}`, '--format', 'json', SEED]);
    assert.equal(r.code, 1);
    const { images } = json(r.stdout);
    assert.deepEqual(
      images.map((i) => i.decision),
      ['signature-required', 'signature-required', 'signature-required', 'unknown'],
    );
    assert.match(images[0]!.reason!, /requires a signature; trust stores signingAuthority:aws-signer-ts/);
  });

  test('verification disabled in the user data: everything is allowed and the exit is 0', async () => {
    const ud = tmp.file('off.toml', '[settings.image-verifier-plugins]\nenabled = false\n');
    const r = await run(['audit', '--offline', '--user-data', ud, '--format', 'json', PODS]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(json(r.stdout).summary['allowed'], 6, 'no digest is needed where nothing is verified');
    assert.match(json(r.stdout).images[0]!.reason!, /image verification is disabled/);
  });

  test('exit 0 only when every image is allowed', async () => {
    const list = tmp.file('one.txt', `public.ecr.aws/docker/library/redis@${REDIS_748}\n`);
    const r = await run(['audit', '--offline', '--policy', `digestion=${DIGESTION}`, list]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      r.stdout.split('\n').at(-2),
      '1 image in 0 workload containers: 1 allowed, 0 blocked, 0 signature-required, 0 unknown',
    );
  });
});

describe('audit: inputs', () => {
  test('several files and stdin at once; a Service is named with its line and skipped', async () => {
    const r = await run(
      [
        'audit',
        '--offline',
        '--policy',
        `digestion=${DIGESTION}`,
        '--format',
        'json',
        join(FIXTURES, 'deploy.yaml'),
        '-',
      ],
      { stdin: readFileSync(join(FIXTURES, 'crictl-images.json')) },
    );
    assert.equal(r.code, 1);
    assert.match(r.stderr, /deploy\.yaml:44: kind Service runs no containers civctl reads/);
    const { summary } = json(r.stdout);
    assert.equal(summary['workloads'], 4);
    assert.equal(summary['images'], 5, 'the imported pause image is left out');
  });

  test('--namespace and --selector filter what is read', async () => {
    const r = await run([
      'audit',
      '--offline',
      '--policy',
      `digestion=${DIGESTION}`,
      '-f',
      'json',
      '-n',
      'kube-system',
      PODS,
    ]);
    assert.deepEqual(
      json(r.stdout).images.map((i) => i.name),
      ['602401143452.dkr.ecr.us-west-2.amazonaws.com/eks/coredns:v1.11.4-eksbuild.2'],
    );
    const s = await run([
      'audit',
      '--offline',
      '--policy',
      `digestion=${DIGESTION}`,
      '-f',
      'json',
      '-l',
      'app=web',
      PODS,
    ]);
    assert.equal(json(s.stdout).summary['workloads'], 6);
  });

  test('malformed documents, pods without status, empty files: warnings and decisions, never a crash', async () => {
    const bad = tmp.file('bad.yaml', 'kind: Pod\nmetadata: {name: p}\n---\n: : :\n---\n- just a list\n');
    const empty = tmp.file('empty.json', '');
    const nostatus = tmp.file(
      'nostatus.json',
      JSON.stringify({
        kind: 'Pod',
        metadata: { name: 'p' },
        spec: { containers: [{ name: 'c', image: `x@${REDIS_6220}` }] },
      }),
    );
    const r = await run([
      'audit',
      '--offline',
      '--policy',
      `digestion=${DIGESTION}`,
      '-f',
      'json',
      bad,
      empty,
      nostatus,
    ]);
    assert.equal(r.code, 1);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
    assert.match(r.stderr, /bad\.yaml:1: it has no pod spec; skipped/);
    assert.match(r.stderr, /empty\.json: it is empty/);
    assert.deepEqual(
      json(r.stdout).images.map((i) => [i.name, i.decision]),
      [[`docker.io/library/x@${REDIS_6220}`, 'blocked']],
    );
  });

  test('usage errors exit 2', async () => {
    for (const args of [
      ['audit', '--jobs', '0', PODS],
      ['audit', '--jobs', '1.5', PODS],
      ['audit', '--format', 'yaml', PODS],
      ['audit', '--selector', 'app in a', PODS],
      ['audit', '-', '-'],
    ]) {
      const r = await run(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stdout, '');
    }
  });

  test('a bad registry option is one usage error before any look-up', async () => {
    const r = await run(['audit', '--username', 'u', '--policy', `digestion=${DIGESTION}`, '-'], {
      stdin: 'app:1\nweb:2\nredis:7\n',
    });
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.equal(r.stdout, '');
  });

  test('nothing read because every input was skipped fails; an empty List is 0 images, exit 0', async () => {
    const skipped = await run(['audit', '--offline', '--policy', `digestion=${DIGESTION}`, '-'], {
      stdin: '{"kind": "Pod", "spec": ',
    });
    assert.equal(skipped.code, 1);
    assert.match(skipped.stderr, /no image was read from the inputs/);
    const empty = await run(['audit', '--offline', '--policy', `digestion=${DIGESTION}`, '-'], {
      stdin: '{"apiVersion": "v1", "kind": "List", "items": []}',
    });
    assert.equal(empty.code, 0, empty.stderr);
    assert.match(empty.stdout, /^0 images in 0 workload containers/);
    const unmatched = await run([
      'audit',
      '--offline',
      '--policy',
      `digestion=${DIGESTION}`,
      '-n',
      'nope',
      PODS,
    ]);
    assert.equal(unmatched.code, 1);
    assert.match(unmatched.stderr, /no workload matched --namespace nope/);
  });

  test('a kubectl list saved by PowerShell (UTF-16 with a byte-order mark) reads as the same list', async () => {
    const text = readFileSync(PODS, 'utf8');
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
    const args = ['audit', '--offline', '--policy', `digestion=${DIGESTION}`, '--format', 'json', '-'];
    const a = await run(args, { stdin: text });
    const b = await run(args, { stdin: utf16 });
    assert.equal(b.stdout, a.stdout);
    assert.equal(b.code, a.code);
  });

  test('custom verifiers without --bin-dir: a note says they are not run', async () => {
    const r = await run([
      'audit',
      '--offline',
      '--policy',
      `digestion=${DIGESTION}`,
      '--policy',
      `my-verifier=${DIGESTION}`,
      PODS,
    ]);
    assert.match(r.stderr, /custom verifiers \(my-verifier\) are not run without --bin-dir/);
  });

  test('a file that does not exist is one line and exit 1', async () => {
    const r = await run([
      'audit',
      '--offline',
      '--policy',
      `digestion=${DIGESTION}`,
      join(tmp.path, 'nope.json'),
    ]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /nope\.json' does not exist/);
  });
});

describe('audit: signed images, verified as check verifies them', () => {
  const E = join(ROOT, 'examples', 'signatures');
  const GOOD =
    'registry.example.com/good@sha256:fc0adf96c1c208259827395b5a24a9cee790b07f06ed1c756c21f8b17a6abe1c';
  const EXPIRED =
    'registry.example.com/expired@sha256:6eca3f1bdefc8cca1567da4bb7bbb0325b3ac38e533bd7983893729c9f9103f1';
  const list = `${GOOD}\n${EXPIRED}\n`;
  test('with a trust store and an OCI layout: allowed, or blocked with the reason the node hides', async () => {
    const r = await run(
      [
        'audit',
        '--offline',
        '--oci-layout',
        join(E, 'layout'),
        '--trust-store',
        join(E, 'truststore'),
        '--policy',
        `notation=${join(E, 'policy.json')}`,
        '--format',
        'json',
        '-',
      ],
      { stdin: list },
    );
    assert.equal(r.code, 1, r.stderr);
    const { images } = json(r.stdout);
    const by = (name: string) => images.find((i) => i.name === name)!;
    assert.equal(by(GOOD).decision, 'allowed');
    assert.equal(by(EXPIRED).decision, 'blocked');
    assert.match(
      by(EXPIRED).error!,
      /signature verification failed for all the signatures associated with registry\.example\.com\/expired@/,
    );
    assert.match(by(EXPIRED).reason!, /it was expired at/);
  });
  test('without a trust store: signature-required, as check says', async () => {
    const r = await run(
      ['audit', '--offline', '--policy', `notation=${join(E, 'policy.json')}`, '--format', 'json', '-'],
      {
        stdin: list,
      },
    );
    assert.deepEqual(
      json(r.stdout).images.map((i) => i.decision),
      ['signature-required', 'signature-required'],
    );
  });
});

describe('audit: online', () => {
  test('tag-only images are resolved through the registry; a failing one is unknown with its error', async () => {
    const registry = await startFakeRegistry();
    try {
      const list = tmp.file('online.txt', `${registry.address}/app:v1\n${registry.address}/missing:v1\n`);
      const allow = tmp.file(
        'allow.json',
        JSON.stringify({ version: '1.0', trustedDigests: [registry.manifest.digest] }),
      );
      const r = await run(['audit', '--policy', `digestion=${allow}`, '--format', 'json', list]);
      assert.equal(r.code, 1);
      const { images } = json(r.stdout);
      assert.deepEqual([images[0]!.decision, images[0]!.digest], ['allowed', registry.manifest.digest]);
      assert.equal(images[1]!.decision, 'unknown');
      assert.match(images[1]!.error!, /missing/);
    } finally {
      await registry.close();
    }
  });

  test('the node’s own policies by default', async () => {
    await withSim(async (socket) => {
      const set = await run(['-s', socket, 'set', 'digestion', DIGESTION, '--enable']);
      assert.equal(set.code, 0, set.stderr);
      const r = await run(['-s', socket, 'audit', '--offline', '--format', 'json', SEED]);
      assert.deepEqual(json(r.stdout).summary, {
        images: 4,
        workloads: 4,
        allowed: 1,
        blocked: 2,
        'signature-required': 0,
        unknown: 1,
      });
    });
  });
});

describe('audit: formats', () => {
  test('text: blocked and unknown first, by namespace, then the summary', async () => {
    const r = await run(['audit', '--offline', '--policy', `digestion=${DIGESTION}`, SEED]);
    const lines = r.stdout.split('\n');
    assert.deepEqual(
      lines.filter((l) => /^\S/.test(l)),
      [
        'namespace data:',
        'namespace default:',
        `ALLOWED public.ecr.aws/docker/library/redis:7.4.8-alpine3.21@${REDIS_748}`,
        '4 images in 4 workload containers: 1 allowed, 2 blocked, 0 signature-required, 1 unknown',
      ],
    );
  });
  test('markdown: a table for a pull-request comment', async () => {
    const r = await run([
      'audit',
      '--offline',
      '--policy',
      `digestion=${DIGESTION}`,
      '--format',
      'markdown',
      SEED,
    ]);
    assert.match(r.stdout, /^### civctl audit\n/);
    assert.match(r.stdout, /\| decision \| image \| digest \| namespaces \| workloads \| why \|/);
    assert.equal(r.stdout.split('\n').filter((l) => l.startsWith('| ❌ blocked')).length, 2);
  });
});

describe('digests add --from', () => {
  test('the digests of what runs, each once; a summary of how many were new', async () => {
    const file = join(tmp.path, 'from.json');
    const r = await run(['digests', 'add', '--file', file, '--from', PODS, '--namespace', 'shop']);
    assert.equal(r.code, 1, 'the pending pod has a tag-only image that does not resolve here');
    const pinned = tmp.file('pinned.txt', `x@${REDIS_748}\ny@${REDIS_6220}\nz@${REDIS_748}\n`);
    const ok = await run(['digests', 'add', '--file', file, '--from', pinned]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stderr, /--from: 3 images in 0 workload containers; 3 with a known digest, 0 to resolve/);
    assert.match(ok.stderr, /added 2 digests/);
    assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')).trustedDigests, [REDIS_748, REDIS_6220]);
    const again = await run(['digests', 'add', '--file', file, '--from', pinned]);
    assert.match(again.stderr, /already holds this allowlist/);
  });
  test('--from is for add; filters need --from', async () => {
    assert.equal((await run(['digests', 'remove', '--file', 'x.json', '--from', PODS])).code, 2);
    assert.equal(
      (await run(['digests', 'add', '--file', 'x.json', '-n', 'a', 'sha256:' + '1'.repeat(64)])).code,
      2,
    );
  });
});
