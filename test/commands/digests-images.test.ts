/**
 * digests with several images: every image is resolved, and when any of them fails nothing is
 * written (file or node) and every failure is named. A loopback registry (plain HTTP, as
 * containerd uses for a loopback host) answers one image and fails the others in two ways.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { run, scratch, withSim, d, EMPTY_ALLOWLIST } from '../helpers.ts';

let server: Server;
let host = '';
before(async () => {
  server = createServer((req, res) => {
    if (req.url === '/v2/app/manifests/ok') {
      res.writeHead(200, {
        'docker-content-digest': d('a'),
        'content-length': '10',
        'content-type': 'application/vnd.oci.image.index.v1+json',
      });
      return res.end();
    }
    if (req.url?.startsWith('/v2/broken/')) {
      res.writeHead(500);
      return res.end();
    }
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ errors: [{ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown' }] }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => {
  server.closeAllConnections();
  server.close();
});

describe('digests with several images', () => {
  test('to a file: one image fails another way than the next; nothing written, each failure named', async () => {
    const dir = scratch();
    try {
      const file = dir.file('p.json', EMPTY_ALLOWLIST);
      const r = await run([
        'digests',
        'add',
        '--file',
        file,
        `${host}/app:ok`,
        `${host}/app:missing`,
        d('b'),
        `${host}/broken:v1`,
      ]);
      assert.equal(r.code, 1);
      const lines = r.stderr.trimEnd().split('\n');
      assert.deepEqual(
        lines.map((l) => l.replace(/:.*$/, '')),
        ['civctl', 'civctl', 'civctl'],
      );
      assert.match(lines[0]!, new RegExp(`^civctl: ${host}/app:missing: `));
      assert.match(lines[1]!, new RegExp(`^civctl: ${host}/broken:v1: .*500`));
      assert.equal(lines[2], 'civctl: 2 of 3 images could not be resolved; nothing was changed');
      assert.equal(readFileSync(file, 'utf8'), EMPTY_ALLOWLIST);
    } finally {
      dir.cleanup();
    }
  });

  test('to the node: nothing is sent when one image fails', () =>
    withSim(async (socket, sim) => {
      const r = await run(['-s', socket, 'digests', 'add', `${host}/app:ok`, `${host}/app:gone`]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, new RegExp(`${host}/app:gone: `));
      assert.match(r.stderr, /1 of 2 images could not be resolved; nothing was changed/);
      assert.equal(
        sim.datastore.live.get('settings.image-verifier-plugins.digestion.trustpolicy'),
        undefined,
      );
      assert.deepEqual([...sim.datastore.pending.keys()], []);
    }));

  test('all resolve: every digest is added, each image shown with its digest', async () => {
    const dir = scratch();
    try {
      const file = dir.file('p.json', EMPTY_ALLOWLIST);
      const r = await run(['digests', 'add', '--file', file, `${host}/app:ok`, d('b')]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, new RegExp(`${host}/app:ok → ${d('a')}`));
      assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')).trustedDigests, [d('a'), d('b')]);
    } finally {
      dir.cleanup();
    }
  });
});
