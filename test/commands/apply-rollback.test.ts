/**
 * Upgrade and rollback safety: what Bottlerocket's downgrade migrations would delete, said by
 * status and by every write for each variant family and version (on the simulator), and
 * `civctl apply` restoring what `get --raw` saved, from user data or settings JSON, in one
 * transaction that is never sent when a document or policy fails.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { rollbackLosses } from '../../src/policy/rollback.ts';
import { ROOT, run, scratch, withSim } from '../helpers.ts';

const DIGESTION = join(ROOT, 'examples', 'digestion-redis.json');
const NOTATION = join(ROOT, 'examples', 'notation-aws-signer.json');
const EMPTY = join(ROOT, 'examples', 'empty-digestion.json');
const b64 = (path: string) => readFileSync(path).toString('base64');
const PLUGINS = {
  enabled: true,
  digestion: { trustpolicy: 'e30=' },
  notation: { trustpolicy: 'e30=' },
  'my-verifier': { trustpolicy: 'e30=' },
};

describe('rollbackLosses: the downgrade migrations', () => {
  test('Kubernetes variants on 1.63.0 or later lose the whole tree below 1.63.0', () => {
    const [loss, ...rest] = rollbackLosses({ variant_id: 'aws-k8s-1.34', version_id: '1.63.0' }, PLUGINS);
    assert.equal(rest.length, 0);
    assert.equal(loss!.below, '1.63.0');
    assert.deepEqual(loss!.deletes, ['digestion', 'enabled', 'my-verifier', 'notation']);
    assert.deepEqual(loss!.keeps, []);
    assert.match(loss!.text, /deletes every image-verifier setting/);
    assert.equal(
      rollbackLosses({ variant_id: 'aws-k8s-1.35-nvidia', version_id: '1.70.1' }, PLUGINS).length,
      1,
    );
  });

  test('ECS variants keep the tree below 1.63.0 and keep only enabled and notation below 1.56.0', () => {
    for (const variant_id of ['aws-ecs-3', 'aws-ecs-4', 'aws-ecs-3-nvidia']) {
      const [loss, ...rest] = rollbackLosses({ variant_id, version_id: '1.64.0' }, PLUGINS);
      assert.equal(rest.length, 0);
      assert.equal(loss!.below, '1.56.0');
      assert.deepEqual(loss!.deletes, ['digestion', 'my-verifier']);
      assert.deepEqual(loss!.keeps, ['enabled', 'notation']);
    }
    // Only what survives: nothing to say.
    assert.deepEqual(
      rollbackLosses(
        { variant_id: 'aws-ecs-3', version_id: '1.60.0' },
        { enabled: true, notation: { trustpolicy: 'e30=' } },
      ),
      [],
    );
  });

  test('nothing configured, the legacy model, or an unknown OS: nothing to lose', () => {
    assert.deepEqual(rollbackLosses({ variant_id: 'aws-k8s-1.34', version_id: '1.63.0' }, {}), []);
    assert.deepEqual(rollbackLosses({ variant_id: 'aws-ecs-3', version_id: '1.55.0' }, PLUGINS), []);
    assert.deepEqual(rollbackLosses(undefined, PLUGINS), []);
    assert.deepEqual(rollbackLosses({ variant_id: 'aws-k8s-1.34' }, PLUGINS), []);
  });
});

describe('status and writes say what a rollback would lose', () => {
  const cases = [
    {
      variant: 'aws-k8s-1.34',
      osVersion: '1.63.0',
      expect: /back below Bottlerocket 1\.63\.0 deletes every image-verifier setting \(digestion, enabled\)/,
    },
    {
      variant: 'aws-ecs-3',
      osVersion: '1.60.0',
      expect: /back below Bottlerocket 1\.56\.0 deletes the digestion verifier and keeps only enabled/,
    },
    {
      variant: 'aws-ecs-4',
      osVersion: '1.70.0',
      expect: /back below Bottlerocket 1\.56\.0 deletes the digestion verifier/,
    },
  ];
  for (const c of cases)
    test(`${c.variant} ${c.osVersion}`, () =>
      withSim(
        async (socket) => {
          const s = ['-s', socket];
          const set = await run([...s, 'set', 'digestion', DIGESTION, '--enable']);
          assert.equal(set.code, 0, set.stderr);
          assert.match(
            set.stderr,
            new RegExp(
              `note: rolling this node \\(${c.variant} ${c.osVersion.replace(/\./g, '\\.')}\\) ${c.expect.source}`,
            ),
          );
          const status = await run([...s, 'status']);
          assert.match(status.stdout, new RegExp(`^rollback: rolling this node .*${c.expect.source}`, 'm'));
          const json = JSON.parse((await run([...s, 'status', '-o', 'json'])).stdout);
          assert.equal(json.rollback.length, 1);
          assert.ok(json.rollback[0].deletes.includes('digestion'));
          const disable = await run([...s, 'disable']);
          assert.match(disable.stderr, c.expect);
        },
        { variant: c.variant, osVersion: c.osVersion },
      ));

  test('an ECS node with only notation: status says nothing about a rollback', () =>
    withSim(
      async (socket) => {
        const s = ['-s', socket];
        assert.equal((await run([...s, 'set', 'notation', NOTATION, '--enable'])).code, 0);
        const json = JSON.parse((await run([...s, 'status', '-o', 'json'])).stdout);
        assert.deepEqual(json.rollback, []);
        assert.doesNotMatch((await run([...s, 'status'])).stdout, /rollback/);
      },
      { variant: 'aws-ecs-3', osVersion: '1.63.0' },
    ));
});

describe('civctl apply', () => {
  test('restores what get --raw saved, in one transaction; a second run sends nothing', () =>
    withSim(async (socket, sim) => {
      const s = ['-s', socket];
      const dir = scratch();
      try {
        assert.equal((await run([...s, 'set', 'digestion', DIGESTION, '--enable'])).code, 0);
        assert.equal((await run([...s, 'set', 'notation', NOTATION])).code, 0);
        const saved = dir.file('saved.json', (await run([...s, 'get', '--raw'])).stdout);
        const before = new Map(sim.datastore.live);
        // What a rollback below 1.63.0 does to a Kubernetes node: the whole tree is gone.
        for (const key of [...sim.datastore.live.keys()])
          if (key.startsWith('settings.image-verifier-plugins')) sim.datastore.live.delete(key);
        const r = await run([...s, 'apply', saved]);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stdout, '');
        assert.match(r.stderr, /committed .*digestion\.trustpolicy.*enabled/);
        assert.match(r.stderr, /restarting: containerd/);
        assert.match(r.stderr, /note: rolling this node \(aws-k8s-1\.34 1\.63\.0\) back below/);
        assert.deepEqual(new Map(sim.datastore.live), before);
        assert.equal(sim.datastore.pending.size, 0);
        const again = await run([...s, 'apply', saved]);
        assert.equal(again.code, 0);
        assert.match(again.stderr, /already holds these settings; nothing sent/);
      } finally {
        dir.cleanup();
      }
    }));

  test('user-data TOML: only image-verifier-plugins is applied, other settings are named; stdin works', () =>
    withSim(async (socket, sim) => {
      const toml = `[settings.kubernetes]\ncluster-name = "prod"\n\n[settings.image-verifier-plugins]\nenabled = true\n\n[settings.image-verifier-plugins.digestion]\ntrustpolicy = "${b64(DIGESTION)}"\n`;
      const r = await run(['-s', socket, 'apply', '-'], { stdin: toml });
      assert.equal(r.code, 0, r.stderr);
      assert.match(
        r.stderr,
        /also holds settings\.kubernetes: civctl applies only settings\.image-verifier-plugins/,
      );
      assert.equal(sim.datastore.live.get('settings.image-verifier-plugins.enabled'), true);
      assert.equal(
        sim.datastore.live.get('settings.image-verifier-plugins.digestion.trustpolicy'),
        b64(DIGESTION),
      );
      assert.equal(sim.datastore.live.has('settings.kubernetes.cluster-name'), false);
    }));

  test('several documents: applied in order, later ones win, in one commit', () =>
    withSim(async (socket, sim) => {
      const dir = scratch();
      try {
        const a = dir.file(
          'a.json',
          JSON.stringify({
            settings: { 'image-verifier-plugins': { enabled: true, digestion: { trustpolicy: b64(EMPTY) } } },
          }),
        );
        const b = dir.file(
          'b.json',
          JSON.stringify({
            'image-verifier-plugins': {
              digestion: { trustpolicy: b64(DIGESTION) },
              notation: { trustpolicy: b64(NOTATION) },
            },
          }),
        );
        const r = await run(['-s', socket, 'apply', a, b]);
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stderr, /digestion: the policy in .*b\.json replaces the one in .*a\.json/);
        assert.equal(
          sim.datastore.live.get('settings.image-verifier-plugins.digestion.trustpolicy'),
          b64(DIGESTION),
        );
        assert.equal(
          sim.datastore.live.get('settings.image-verifier-plugins.notation.trustpolicy'),
          b64(NOTATION),
        );
        assert.equal((r.stderr.match(/committed/g) ?? []).length, 1);
      } finally {
        dir.cleanup();
      }
    }));

  test('a bad document, a failing policy or a legacy node: refused, nothing written', () =>
    withSim(async (socket, sim) => {
      const dir = scratch();
      try {
        const before = new Map(sim.datastore.live);
        const flat = dir.file(
          'flat.toml',
          `[settings.image-verifier-plugins]\nenabled = true\nnotation-trustpolicy = "${b64(NOTATION)}"\n`,
        );
        const r1 = await run(['-s', socket, 'apply', flat]);
        assert.equal(r1.code, 1);
        assert.match(r1.stderr, /^civctl: .*flat\.toml:3:1: "notation-trustpolicy = …" defines a plugin/m);
        const bad = dir.file(
          'bad.toml',
          `[settings.image-verifier-plugins.notation]\ntrustpolicy = "${Buffer.from('{"version":"1.0"}').toString('base64')}"\n`,
        );
        const r2 = await run(['-s', socket, 'apply', bad]);
        assert.equal(r2.code, 1);
        assert.match(
          r2.stderr,
          /the notation trust policy fails lint for the notation verifier \(on the node: rejects-all\); fix it, or pass --force/,
        );
        const broken = dir.file('broken.toml', '[settings\n');
        const r3 = await run(['-s', socket, 'apply', broken]);
        assert.equal(r3.code, 1);
        assert.match(r3.stderr, /is not a user-data or settings file/);
        const none = dir.file('none.toml', '[settings.kubernetes]\ncluster-name = "x"\n');
        const r4 = await run(['-s', socket, 'apply', none]);
        assert.equal(r4.code, 1);
        assert.match(r4.stderr, /nothing to apply/);
        assert.equal((await run(['apply', '-', '-'])).code, 2);
        assert.deepEqual(new Map(sim.datastore.live), before);
        assert.equal(sim.datastore.pending.size, 0);
      } finally {
        dir.cleanup();
      }
    }));

  test('enabling a policy that rejects every image needs --force; the legacy model refuses digestion', async () => {
    const dir = scratch();
    try {
      const rejecting = dir.file(
        'rejecting.json',
        JSON.stringify({
          'image-verifier-plugins': {
            enabled: true,
            notation: { trustpolicy: Buffer.from('{"version":"1.0","trustPolicies":[]}').toString('base64') },
          },
        }),
      );
      await withSim(async (socket, sim) => {
        const r = await run(['-s', socket, 'apply', rejecting]);
        assert.equal(r.code, 1);
        assert.equal(sim.datastore.live.has('settings.image-verifier-plugins.enabled'), false);
        const forced = await run(['-s', socket, 'apply', '--force', rejecting]);
        assert.equal(forced.code, 0, forced.stderr);
        assert.equal(sim.datastore.live.get('settings.image-verifier-plugins.enabled'), true);
      });
      const digestion = dir.file(
        'd.json',
        JSON.stringify({ 'image-verifier-plugins': { digestion: { trustpolicy: b64(DIGESTION) } } }),
      );
      await withSim(
        async (socket) => {
          const r = await run(['-s', socket, 'apply', digestion]);
          assert.equal(r.code, 1);
          assert.match(r.stderr, /legacy image-verifier model, which has only the notation verifier/);
        },
        { variant: 'aws-ecs-3', osVersion: '1.55.0' },
      );
    } finally {
      dir.cleanup();
    }
  });

  test('--dry-run prints the whole body and contacts nothing', async () => {
    const r = await run([
      '-s',
      '/nonexistent/api.sock',
      'apply',
      '--dry-run',
      join(ROOT, 'docs', 'examples', 'user-data.toml'),
    ]);
    assert.equal(r.code, 0, r.stderr);
    const body = JSON.parse(r.stdout);
    assert.equal(body['image-verifier-plugins'].enabled, true);
    assert.deepEqual(Object.keys(body['image-verifier-plugins']).sort(), [
      'digestion',
      'enabled',
      'my-verifier',
    ]);
    assert.match(r.stderr, /dry run: nothing was sent/);
  });
});
