/**
 * Credential helpers named by the Docker config (`docker-credential-<name> get`), under faults:
 * a helper that never reads its stdin, one that hangs, one that fails with its own text, one that
 * leaks its secret, and SIGINT/SIGTERM while one runs. Against a loopback registry that asks for
 * Basic credentials.
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { FULL, isOneCleanLine, liveInGroup, pidFrom, run, scratch, waitUntil } from '../helpers.ts';

const SECRET = 's3cr3t-from-the-helper';
const DIGEST = `sha256:${'a'.repeat(64)}`;

/** A registry that refuses anonymous requests with a Basic challenge and accepts u:SECRET. */
function basicRegistry(): Promise<{ server: Server; host: string }> {
  const server = createServer((req, res) => {
    const expected = `Basic ${Buffer.from(`u:${SECRET}`).toString('base64')}`;
    if (req.headers.authorization !== expected) {
      res.writeHead(401, { 'www-authenticate': 'Basic realm="test"' });
      return res.end();
    }
    res.writeHead(200, {
      'content-type': 'application/vnd.oci.image.index.v1+json',
      'docker-content-digest': DIGEST,
      'content-length': '2',
    });
    res.end(req.method === 'HEAD' ? undefined : '{}');
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ server, host: `127.0.0.1:${(server.address() as { port: number }).port}` }),
    ),
  );
}

describe('credential helpers', () => {
  let registry: { server: Server; host: string };
  before(async () => {
    registry = await basicRegistry();
  });
  after(() => {
    registry.server.closeAllConnections();
    registry.server.close();
  });

  /** A Docker config naming helper `name` (credHelpers, or credsStore) whose script body is given. */
  function withHelper(body: string, options: { store?: boolean } = {}) {
    const dir = scratch();
    const bin = join(dir.path, 'bin');
    mkdirSync(bin);
    const program = join(bin, 'docker-credential-civtest');
    writeFileSync(program, `#!/bin/sh\n${body}\n`);
    chmodSync(program, 0o755);
    dir.file(
      'config.json',
      JSON.stringify(
        options.store ? { credsStore: 'civtest' } : { credHelpers: { [registry.host]: 'civtest' } },
      ),
    );
    const resolve = (extra: string[] = [], interrupts?: AbortController) =>
      run([...extra, 'resolve', `${registry.host}/demo/app:v1`], {
        env: { DOCKER_CONFIG: dir.path, PATH: `${bin}:${process.env['PATH'] ?? ''}` },
        ...(interrupts ? { interrupts } : {}),
      });
    return { ...dir, resolve };
  }

  test('a helper that answers: its credentials are used', async () => {
    const helper = withHelper(`cat >/dev/null; echo '{"ServerURL":"x","Username":"u","Secret":"${SECRET}"}'`);
    try {
      const r = await helper.resolve();
      assert.equal(r.stdout, `${DIGEST}\n`, r.stderr);
      assert.equal(r.stderr, '');
    } finally {
      helper.cleanup();
    }
  });

  test('a helper that exits without reading its stdin never crashes civctl (many runs: the race is real)', async () => {
    // "credentials not found" means none: anonymous, then the registry's refusal.
    const notFound = withHelper('echo "credentials not found in native keychain"; exit 1');
    // Garbage, unread stdin: an error naming the helper.
    const garbage = withHelper('echo "garbage"; exit 0');
    try {
      // 40 runs in CI's full run, 10 otherwise: each run is a new chance of the race.
      for (let i = 0; i < (FULL ? 40 : 10); i++) {
        const r = await notFound.resolve();
        assert.equal(r.code, 1);
        assert.ok(isOneCleanLine(r.stderr), r.stderr);
        assert.match(
          r.stderr,
          /authentication required: 127\.0\.0\.1:\d+ refused anonymous pull of demo\/app/,
        );
        const g = await garbage.resolve();
        assert.equal(g.code, 1);
        assert.ok(isOneCleanLine(g.stderr), g.stderr);
        assert.match(
          g.stderr,
          /the credential helper docker-credential-civtest did not answer with credentials in JSON/,
        );
      }
    } finally {
      notFound.cleanup();
      garbage.cleanup();
    }
  });

  test('a helper that hangs is stopped at --timeout, with everything it started', async () => {
    const helper = withHelper('echo $$ > "$(dirname "$0")/../pid"; sleep 60 & sleep 60; wait');
    try {
      const started = Date.now();
      const r = await helper.resolve(['--timeout', '1']);
      assert.ok(Date.now() - started < 15_000, `${Date.now() - started} ms`);
      assert.equal(r.code, 1);
      assert.ok(isOneCleanLine(r.stderr), r.stderr);
      assert.match(
        r.stderr,
        /: the credential helper docker-credential-civtest did not answer within 1 s and was stopped; /,
      );
      const pid = await pidFrom(join(helper.path, 'pid'));
      await waitUntil('the helper’s group is gone', () => liveInGroup(pid).length === 0);
    } finally {
      helper.cleanup();
    }
  });

  test('a helper’s own error text is shown, naming it: stdout (the protocol’s error message) and stderr', async () => {
    const helper = withHelper(
      'cat >/dev/null; echo "keychain is locked"; echo "helper failed: no agent" >&2; exit 3',
    );
    try {
      const r = await helper.resolve();
      assert.equal(r.code, 1);
      assert.ok(isOneCleanLine(r.stderr), r.stderr);
      assert.match(
        r.stderr,
        /: the credential helper docker-credential-civtest failed \(exit status 3\): keychain is locked; stderr: helper failed: no agent; fix it or give --username\n$/,
      );
    } finally {
      helper.cleanup();
    }
    const store = withHelper('echo "helper failed: no agent" >&2; exit 1', { store: true });
    try {
      const r = await store.resolve();
      assert.match(
        r.stderr,
        /the credential helper docker-credential-civtest failed \(exit status 1\): stderr: helper failed: no agent;/,
      );
    } finally {
      store.cleanup();
    }
  });

  test('a helper that is not installed: one line naming it', async () => {
    const helper = withHelper('exit 0');
    try {
      helper.file('config.json', JSON.stringify({ credHelpers: { [registry.host]: 'civnosuch' } }));
      const r = await helper.resolve();
      assert.equal(r.code, 1);
      assert.ok(isOneCleanLine(r.stderr), r.stderr);
      assert.match(
        r.stderr,
        /names the credential helper docker-credential-civnosuch, which is not installed/,
      );
    } finally {
      helper.cleanup();
    }
  });

  test('"credentials not found" with a note on stderr: anonymous, and the note shown naming the helper', async () => {
    const helper = withHelper(
      'cat >/dev/null; echo "credentials not found in native keychain"; echo "helper failed: no entry" >&2; exit 1',
    );
    try {
      const r = await helper.resolve();
      assert.equal(r.code, 1);
      const lines = r.stderr.trimEnd().split('\n');
      assert.deepEqual(lines[0], 'civctl: note: docker-credential-civtest: helper failed: no entry');
      assert.match(lines[1]!, /authentication required/);
      assert.equal(lines.length, 2);
    } finally {
      helper.cleanup();
    }
  });

  test('a helper’s secret never reaches a message, even when it prints it where errors go', async () => {
    const credentials = `{"Username":"u","Secret":"${SECRET}"}`;
    const failing = withHelper(`echo '${credentials}'; echo "debug: ${SECRET}" >&2; exit 1`);
    const chatty = withHelper(`echo '${credentials}'; echo "debug: using ${SECRET}" >&2; exit 0`);
    const long = withHelper(`printf 'x%.0s' $(seq 5000); exit 1`);
    try {
      const f = await failing.resolve();
      assert.equal(f.code, 1);
      assert.doesNotMatch(f.stderr, new RegExp(SECRET));
      assert.match(
        f.stderr,
        /failed \(exit status 1\): \(its stdout held credentials: not shown\); stderr: debug: \*\*\*;/,
      );
      const c = await chatty.resolve();
      assert.equal(c.stdout, `${DIGEST}\n`);
      assert.equal(c.stderr, 'civctl: note: docker-credential-civtest: debug: using ***\n');
      // A helper's text is bounded.
      const l = await long.resolve();
      assert.ok(l.stderr.length < 600, `${l.stderr.length} characters`);
    } finally {
      failing.cleanup();
      chatty.cleanup();
      long.cleanup();
    }
  });

  for (const signal of ['SIGINT', 'SIGTERM'] as const)
    test(`${signal} while a helper runs: its process group is killed, exit ${signal === 'SIGINT' ? 130 : 143}`, async () => {
      const helper = withHelper('echo $$ > "$(dirname "$0")/../pid"; sleep 60 & sleep 60; wait');
      try {
        const interrupts = new AbortController();
        const running = helper.resolve(['--timeout', '60'], interrupts);
        const pid = await pidFrom(join(helper.path, 'pid'));
        interrupts.abort(signal);
        const r = await running;
        assert.equal(r.code, signal === 'SIGINT' ? 130 : 143, r.stderr);
        assert.equal(
          r.stderr,
          `civctl: interrupted by ${signal} while the credential helper docker-credential-civtest ran; it was stopped\n`,
        );
        await waitUntil('the helper’s group is gone', () => liveInGroup(pid).length === 0);
      } finally {
        helper.cleanup();
      }
    });
});
