/**
 * No lost updates: many civctl processes adding different digests at the same time, to one file
 * and to one node, all land — every round, several rounds. 4 processes × 2 rounds by default;
 * the stress variant (CIVCTL_FULL=1, as CI runs it) 12 × 3.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { FULL, runBuiltAsync, scratch, withSim } from '../helpers.ts';

const PROCESSES = FULL ? 12 : 4;
const ROUNDS = FULL ? 3 : 2;
const env = { CIVCTL_COMPILE_CACHE: '0' };

const civctl = (args: string[], cwd: string) => runBuiltAsync(args, { cwd, env, timeoutMs: 120_000 });

const deadPid = () => spawnSync(process.execPath, ['-e', '0']).pid!;
const digest = (round: number, i: number) => `sha256:${(round * 100 + i).toString(16).padStart(64, '0')}`;

describe(`${PROCESSES} concurrent digests add, ${ROUNDS} rounds`, () => {
  test('to one file: every digest lands, onto a stale lock each round, and nothing is left beside it', async () => {
    const dir = scratch();
    try {
      for (let round = 0; round < ROUNDS; round++) {
        // A lock left by a process that died: every process races to take it over, one at a time.
        writeFileSync(join(dir.path, 'p.json.civctl-lock'), `${deadPid()}\n`);
        const runs = Array.from({ length: PROCESSES }, (_, i) =>
          civctl(['digests', 'add', '--file', 'p.json', digest(round, i)], dir.path),
        );
        for (const r of await Promise.all(runs)) assert.equal(r.code, 0, r.stderr);
        const listed = JSON.parse(readFileSync(join(dir.path, 'p.json'), 'utf8')).trustedDigests as string[];
        assert.equal(listed.length, (round + 1) * PROCESSES);
        for (let i = 0; i < PROCESSES; i++) assert.ok(listed.includes(digest(round, i)));
        assert.deepEqual(readdirSync(dir.path), ['p.json']);
      }
    } finally {
      dir.cleanup();
    }
  });

  test('to one node: every digest lands, nothing is left pending', () =>
    withSim(async (socket, sim) => {
      const dir = scratch();
      try {
        for (let round = 0; round < ROUNDS; round++) {
          const runs = Array.from({ length: PROCESSES }, (_, i) =>
            civctl(['-s', socket, 'digests', 'add', digest(round, i)], dir.path),
          );
          for (const r of await Promise.all(runs)) assert.equal(r.code, 0, r.stderr);
          const stored = sim.datastore.live.get(
            'settings.image-verifier-plugins.digestion.trustpolicy',
          ) as string;
          const listed = JSON.parse(Buffer.from(stored, 'base64').toString()).trustedDigests as string[];
          assert.equal(listed.length, (round + 1) * PROCESSES);
          assert.deepEqual([...sim.datastore.pending.keys()], []);
        }
      } finally {
        dir.cleanup();
      }
    }));
});
