/** digests list | add | remove, on a local file and on the node (the simulator), in-process. */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { run, scratch, withServer, withSim, d } from '../helpers.ts';

describe('digests on a file', () => {
  test('a missing file is created as the empty allowlist, then added to', async () => {
    const dir = scratch();
    try {
      const r = await run(['digests', 'add', '--file', 'd.json', d('a')], { cwd: dir.path });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(
        readFileSync(join(dir.path, 'd.json'), 'utf8'),
        `{"version":"1.0","trustedDigests":["${d('a')}"]}`,
      );
      assert.match(r.stderr, /added 1 digest in 'd\.json'/);
      assert.match(
        r.stderr,
        /the allowlist holds 1 digest; user data: \d+ of 16,384 bytes \(2%\), room for about 1\d\d more; API request: \d+ of 2,097,152 bytes/,
      );
      assert.equal(existsSync(join(dir.path, 'd.json.civctl-lock')), false);
    } finally {
      dir.cleanup();
    }
  });

  test('other keys, the order and spelling of existing entries are kept; no duplicates', async () => {
    const dir = scratch();
    try {
      const original = `{\n  "x-owner": "team-a",\n  "version": "1.0",\n  "trustedDigests": [\n    "${d('c')}",\n    "${d('b')}"\n  ],\n  "z": [1, 2]\n}\n`;
      const file = dir.file('p.json', original);
      const r = await run(['digests', 'add', '--file', file, d('a'), d('b'), d('a')]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, new RegExp(`${d('b')} is already listed`));
      assert.equal(
        readFileSync(file, 'utf8'),
        `{\n  "x-owner": "team-a",\n  "version": "1.0",\n  "trustedDigests": [\n    "${d('c')}",\n    "${d('b')}",\n    "${d('a')}"\n  ],\n  "z": [1, 2]\n}\n`,
      );
      const removed = await run(['digests', 'remove', '--file', file, d('c'), d('e')]);
      assert.equal(removed.code, 0, removed.stderr);
      assert.match(removed.stderr, new RegExp(`${d('e')} is not listed`));
      assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')).trustedDigests, [d('b'), d('a')]);
      const list = await run(['digests', 'list', '--file', file]);
      assert.equal(list.stdout, `${d('b')}\n${d('a')}\n`);
    } finally {
      dir.cleanup();
    }
  });

  test('the file is replaced atomically and keeps its mode; --dry-run writes nothing', async () => {
    const dir = scratch();
    try {
      const file = dir.file('p.json', `{"version":"1.0","trustedDigests":[]}`);
      const { chmodSync, statSync } = await import('node:fs');
      chmodSync(file, 0o600);
      const dry = await run(['digests', 'add', '--dry-run', '--file', file, d('a')]);
      assert.equal(dry.stdout, `{"version":"1.0","trustedDigests":["${d('a')}"]}`);
      assert.equal(readFileSync(file, 'utf8'), `{"version":"1.0","trustedDigests":[]}`);
      assert.equal((await run(['digests', 'add', '--file', file, d('a')])).code, 0);
      assert.equal(statSync(file).mode & 0o777, 0o600);
    } finally {
      dir.cleanup();
    }
  });

  test('removing the last digest (allow every image) needs --force; nothing changed means nothing written', async () => {
    const dir = scratch();
    try {
      const file = dir.file('p.json', `{"version":"1.0","trustedDigests":["${d('a')}"]}`);
      const refused = await run(['digests', 'remove', '--file', file, d('a')]);
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /empties the allowlist, which allows every image/);
      assert.equal((await run(['digests', 'remove', '--force', '--file', file, d('a')])).code, 0);
      assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')).trustedDigests, []);
      const same = await run(['digests', 'remove', '--file', file, d('a')]);
      assert.match(same.stderr, /already holds this allowlist; nothing written/);
    } finally {
      dir.cleanup();
    }
  });

  test('bad input: usage errors (exit 2) and files that are not allowlists (exit 1)', async () => {
    const dir = scratch();
    try {
      for (const args of [
        ['digests', 'frob'],
        ['digests', 'add'],
        ['digests', 'list', 'x'],
        ['digests', 'add', 'sha256:abc'],
        ['digests', 'add', 'Not/An:Image'],
      ])
        assert.equal((await run(args)).code, 2, args.join(' '));
      const notes = dir.file('n.json', '{"trustPolicies": []}');
      const r = await run(['digests', 'add', '--file', notes, d('a')]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /cannot be edited as a digest allowlist/);
      assert.equal(readFileSync(notes, 'utf8'), '{"trustPolicies": []}');
      const missing = await run(['digests', 'list', '--file', join(dir.path, 'none.json')]);
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /does not exist/);
    } finally {
      dir.cleanup();
    }
  });

  test('an image@digest needs no registry', async () => {
    const dir = scratch();
    try {
      const r = await run(['digests', 'add', '--file', 'p.json', `redis:7@${d('f')}`], { cwd: dir.path });
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(JSON.parse(readFileSync(join(dir.path, 'p.json'), 'utf8')).trustedDigests, [d('f')]);
    } finally {
      dir.cleanup();
    }
  });
});

describe('digests on the node', () => {
  test('add, list, remove: lint, a private transaction, nothing sent when unchanged, --dry-run', () =>
    withSim(async (socket, sim) => {
      const s = ['-s', socket];
      const added = await run([...s, 'digests', 'add', d('a'), d('b')]);
      assert.equal(added.code, 0, added.stderr);
      assert.match(added.stderr, /added 2 digests on the node/);
      assert.match(added.stderr, /note: image verification is not enabled/);
      assert.equal((await run([...s, 'digests', 'list'])).stdout, `${d('a')}\n${d('b')}\n`);
      const commits = () => [...sim.datastore.live.keys()].length;
      const before = commits();
      const again = await run([...s, 'digests', 'add', d('a')]);
      assert.match(again.stderr, /the node already holds this allowlist; nothing sent/);
      assert.equal(commits(), before);
      const dry = await run([...s, 'digests', 'remove', '--dry-run', d('a')]);
      assert.equal(dry.code, 0);
      const body = JSON.parse(dry.stdout);
      assert.deepEqual(
        JSON.parse(Buffer.from(body['image-verifier-plugins'].digestion.trustpolicy, 'base64').toString())
          .trustedDigests,
        [d('b')],
      );
      assert.equal((await run([...s, 'digests', 'list'])).stdout, `${d('a')}\n${d('b')}\n`);
      assert.equal((await run([...s, 'digests', 'remove', d('a')])).code, 0);
      assert.equal((await run([...s, 'digests', 'list'])).stdout, `${d('b')}\n`);
      assert.deepEqual([...sim.datastore.pending.keys()], []);
    }));

  test('a node with no digestion policy lists nothing and starts from the empty allowlist', () =>
    withSim(async (socket) => {
      const r = await run(['-s', socket, 'digests', 'list']);
      assert.equal(r.code, 0);
      assert.equal(r.stdout, '');
    }));

  test('another writer undoing the change between commit and re-read: civctl re-applies it', async () => {
    let stored: string | undefined;
    let commits = 0;
    const pending = new Map<string, string>();
    const handler = (req: IncomingMessage, res: ServerResponse, body: string) => {
      const url = new URL(req.url ?? '/', 'http://x');
      const tx = url.searchParams.get('tx') ?? '';
      const json = (v: unknown) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(v));
      };
      if (url.pathname === '/os') return json({ variant_id: 'aws-k8s-1.34', version_id: '1.63.0' });
      if (req.method === 'GET' && url.pathname === '/')
        return json(
          stored
            ? {
                settings: { 'image-verifier-plugins': { enabled: true, digestion: { trustpolicy: stored } } },
              }
            : {},
        );
      if (req.method === 'PATCH') {
        pending.set(tx, JSON.parse(body)['image-verifier-plugins'].digestion.trustpolicy);
        res.writeHead(204);
        return res.end();
      }
      if (req.method === 'POST') {
        commits++;
        stored = pending.get(tx);
        pending.delete(tx);
        // Right after the first commit, "another machine" writes a list without it.
        if (commits === 1)
          stored = Buffer.from(`{"version":"1.0","trustedDigests":["${d('9')}"]}`).toString('base64');
        return json(['settings.image-verifier-plugins.digestion.trustpolicy']);
      }
      if (req.method === 'DELETE') return json([]);
      res.writeHead(404);
      res.end();
    };
    await withServer(handler, async (socket) => {
      const r = await run(['-s', socket, 'digests', 'add', d('a')]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /another writer changed the allowlist at the same time; re-applying 1/);
      assert.equal(commits, 2);
      assert.deepEqual(JSON.parse(Buffer.from(stored!, 'base64').toString()).trustedDigests, [
        d('9'),
        d('a'),
      ]);
    });
  });
});

describe('the lock', () => {
  test('a lock left by a process that died is taken over', async () => {
    const dir = scratch();
    try {
      const { spawnSync } = await import('node:child_process');
      const dead = spawnSync(process.execPath, ['-e', '0']).pid;
      const file = dir.file('p.json', '{"version":"1.0","trustedDigests":[]}');
      dir.file('p.json.civctl-lock', `${dead}\n`);
      const r = await run(['digests', 'add', '--file', file, d('a')]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(existsSync(`${file}.civctl-lock`), false);
      assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')).trustedDigests, [d('a')]);
    } finally {
      dir.cleanup();
    }
  });
});

describe('digests list --format json', () => {
  test('a file: its digests as JSON, in order; text stays one digest a line', async () => {
    const dir = scratch();
    try {
      const file = dir.file('p.json', `{"version":"1.0","trustedDigests":["${d('b')}","${d('a')}"]}`);
      const r = await run(['digests', 'list', '--format', 'json', '--file', 'p.json'], { cwd: dir.path });
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(JSON.parse(r.stdout), { file: 'p.json', digests: [d('b'), d('a')] });
      assert.equal((await run(['digests', 'list', '--file', file])).stdout, `${d('b')}\n${d('a')}\n`);
      const misuse = await run(['digests', 'add', '--format', 'json', '--file', file, d('c')]);
      assert.equal(misuse.code, 2);
      assert.match(misuse.stderr, /--format applies to digests list only/);
    } finally {
      dir.cleanup();
    }
  });

  test('the node: file is null', () =>
    withSim(async (socket) => {
      assert.equal((await run(['-s', socket, 'digests', 'add', d('a')])).code, 0);
      const r = await run(['-s', socket, 'digests', 'list', '--format', 'json']);
      assert.deepEqual(JSON.parse(r.stdout), { file: null, digests: [d('a')] });
    }));
});

describe('m19: a list over the API’s 2 MiB limit', () => {
  // Padding after the document keeps it a valid allowlist; its base64 no longer fits a request.
  const big = `{"version":"1.0","trustedDigests":["${d('a')}"]}${' '.repeat(1_600_000)}`;
  test('digests add refuses it and never calls it "valid; on the node: enforced"', async () => {
    const dir = scratch();
    try {
      const file = dir.file('big.json', big);
      const r = await run(['digests', 'add', '--file', file, d('b')]);
      assert.equal(r.code, 1);
      assert.doesNotMatch(r.stderr, /on the node: enforced/);
      assert.match(r.stderr, /\[api\/too-large\]/);
      assert.match(
        r.stderr,
        /big\.json: digestion policy, valid; cannot be set on a node: its settings request is over the API's 2 MiB limit/,
      );
      assert.match(
        r.stderr,
        /the edited allowlist fails lint \(cannot be set on a node: its settings request is over the API's 2 MiB limit\); fix it, or pass --force/,
      );
      assert.equal(readFileSync(file, 'utf8'), big);
    } finally {
      dir.cleanup();
    }
  });

  test('lint says the same in every format: text, JSON ("settable": false), GitHub', async () => {
    const dir = scratch();
    try {
      const file = dir.file('big.json', big);
      const text = await run(['lint', file]);
      assert.equal(text.code, 1);
      assert.match(text.stdout, /big\.json: digestion policy, valid; cannot be set on a node/);
      const json = JSON.parse((await run(['lint', '--format', 'json', file])).stdout);
      assert.equal(json.results[0].settable, false);
      assert.equal(json.results[0].valid, true);
      const github = await run(['lint', '--format', 'github', file]);
      assert.match(github.stdout, /title=effect::.*big\.json: cannot be set on a node/);
      // A policy within the limit has no "settable" key at all.
      const small = dir.file('small.json', `{"version":"1.0","trustedDigests":["${d('a')}"]}`);
      assert.equal(
        'settable' in JSON.parse((await run(['lint', '-f', 'json', small])).stdout).results[0],
        false,
      );
    } finally {
      dir.cleanup();
    }
  });
});
