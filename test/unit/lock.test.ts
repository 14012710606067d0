/**
 * The edit lock (src/inputs/lock.ts): who holds it, when it is taken over (only from a holder that
 * is provably gone), what a blocked run says, and that a fresh lock is never removed by a process
 * that judged an older one stale (review-3's suspected take-over race, replayed step by step).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  linkSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { apiLockPath, inspectLock, takeOver, unsafeLockFolder, withLock } from '../../src/inputs/lock.ts';
import type { Io } from '../../src/io.ts';
import { run, scratch, d, EMPTY_ALLOWLIST } from '../helpers.ts';

function quietIo(cwd: string, env: Record<string, string> = {}): Io & { err: string[] } {
  const err: string[] = [];
  return {
    err,
    stdout: { write: () => true },
    stderr: { write: (c) => err.push(String(c)) },
    readStdin: async () => new Uint8Array(),
    env,
    cwd,
  };
}

/** A PID that no process has: one that just exited. */
const deadPid = () => spawnSync(process.execPath, ['-e', '0']).pid!;
const ownStart = () => {
  const stat = readFileSync(`/proc/${process.pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]!;
};
const bootId = () => readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();

/** A lock as civctl writes it (claim file linked to the lock), for a holder of our choosing. */
function plantLock(lock: string, pid: number, start: string): string {
  const token = `${pid}.${start}.0badc0de`;
  const claim = `${lock}~${token}`;
  writeFileSync(claim, `${pid} ${start} ${bootId()} ${token}\n`);
  linkSync(claim, lock);
  return claim;
}

describe('who holds the lock', () => {
  test('a holder that died (kill -9): its lock and claim are taken over at once, nothing left', async () => {
    const dir = scratch();
    try {
      const file = dir.file('p.json', EMPTY_ALLOWLIST);
      const claim = plantLock(`${file}.civctl-lock`, deadPid(), '12345');
      const r = await run(['digests', 'add', '--file', file, d('a')], { env: { CIVCTL_LOCK_WAIT: '0' } });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(existsSync(claim), false);
      assert.deepEqual(readdirSync(dir.path), ['p.json']);
    } finally {
      dir.cleanup();
    }
  });

  test('a reused PID: the lock names a live PID with another start time, so its holder is gone', async () => {
    const dir = scratch();
    try {
      const file = dir.file('p.json', EMPTY_ALLOWLIST);
      plantLock(`${file}.civctl-lock`, process.pid, String(Number(ownStart()) + 1));
      const r = await run(['digests', 'add', '--file', file, d('a')], { env: { CIVCTL_LOCK_WAIT: '0' } });
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(readdirSync(dir.path), ['p.json']);
    } finally {
      dir.cleanup();
    }
  });

  test('a bare PID (by hand, or an older civctl): dead, or started after the lock was written → taken over', async () => {
    const dir = scratch();
    try {
      const file = dir.file('p.json', EMPTY_ALLOWLIST);
      const lock = dir.file('p.json.civctl-lock', `${deadPid()}\n`);
      assert.equal((await run(['digests', 'add', '--file', file, d('a')])).code, 0);
      assert.equal(existsSync(lock), false);
      // This process is alive, but it started long after 2001, when this lock claims to be from.
      writeFileSync(lock, `${process.pid}`);
      utimesSync(lock, new Date('2001-01-01'), new Date('2001-01-01'));
      const r = await run(['digests', 'add', '--file', file, d('b')], { env: { CIVCTL_LOCK_WAIT: '0' } });
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(readdirSync(dir.path), ['p.json']);
    } finally {
      dir.cleanup();
    }
  });

  test('m2: a live holder is named — PID, command, for how long, the lock file, and that it may be removed', async () => {
    const dir = scratch();
    try {
      const file = dir.file('p.json', EMPTY_ALLOWLIST);
      // PID 1 is alive and older than any lock: it may be the holder, so civctl waits for it.
      const lock = dir.file('p.json.civctl-lock', '1');
      const r = await run(['digests', 'add', '--file', 'p.json', d('a')], {
        cwd: dir.path,
        env: { CIVCTL_LOCK_WAIT: '0' },
      });
      assert.equal(r.code, 1);
      assert.match(
        r.stderr,
        new RegExp(
          `^civctl: gave up after 0 s: 'p\\.json' is locked by PID 1( \\(.+\\))?, which has held it for \\d+ s \\(lock file ${lock.replaceAll('.', '\\.')}\\); if that process is not civctl, remove the lock file and try again\\n$`,
        ),
      );
      assert.equal(readFileSync(file, 'utf8'), EMPTY_ALLOWLIST);
      assert.equal(readFileSync(lock, 'utf8'), '1');
    } finally {
      dir.cleanup();
    }
  });

  test('a holder in another PID namespace (another container) is waited for, never taken over', async () => {
    const dir = scratch();
    try {
      const file = dir.file('p.json', EMPTY_ALLOWLIST);
      const lock = `${file}.civctl-lock`;
      // Its PID may not exist here, but that says nothing about a process in another container.
      const token = `${deadPid()}.5.0badc0de`;
      writeFileSync(`${lock}~${token}`, `${token.split('.')[0]} 5 ${bootId()} ${token} 1\n`);
      linkSync(`${lock}~${token}`, lock);
      const r = await run(['digests', 'add', '--file', 'p.json', d('a')], {
        cwd: dir.path,
        env: { CIVCTL_LOCK_WAIT: '0' },
      });
      assert.equal(r.code, 1);
      assert.match(r.stderr, /is locked by PID \d+ of another PID namespace \(another container\)/);
      assert.ok(existsSync(lock));
      assert.equal(readFileSync(file, 'utf8'), EMPTY_ALLOWLIST);
    } finally {
      dir.cleanup();
    }
  });

  test('a live civctl holder in this process is waited for, and then the next one goes', async () => {
    const dir = scratch();
    try {
      const io = quietIo(dir.path);
      const lock = join(dir.path, 'x.lock');
      const order: string[] = [];
      let release!: () => void;
      const held = new Promise<void>((r) => (release = r));
      const first = withLock(io, lock, "'x'", async () => {
        order.push('first in');
        await held;
        order.push('first out');
      });
      await new Promise((r) => setTimeout(r, 20));
      const second = withLock(io, lock, "'x'", async () => {
        order.push('second in');
      });
      await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(order, ['first in']);
      release();
      await Promise.all([first, second]);
      assert.deepEqual(order, ['first in', 'first out', 'second in']);
      assert.deepEqual(readdirSync(dir.path), []);
    } finally {
      dir.cleanup();
    }
  });
});

describe('taking over never removes a fresh lock (the race review-3 suspected)', () => {
  // B judges the lock stale; before B acts, A takes it over and C locks afresh. B must leave C's lock.
  for (const kind of ['identified', 'bare PID'] as const)
    test(`${kind}: the process that judged an old lock stale leaves the new one alone`, async () => {
      const dir = scratch();
      try {
        const lock = join(dir.path, 'p.json.civctl-lock');
        if (kind === 'identified') plantLock(lock, deadPid(), '777');
        else writeFileSync(lock, `${deadPid()}\n`);
        const judgedByB = inspectLock(lock)!;
        assert.ok(takeOver(lock, inspectLock(lock)!)); // A
        assert.equal(existsSync(lock), false);
        await withLock(quietIo(dir.path), lock, "'p.json'", async () => {
          // C holds the lock now.
          const before = { text: readFileSync(lock, 'utf8'), ino: lstatSync(lock).ino };
          takeOver(lock, judgedByB); // B, late
          assert.equal(readFileSync(lock, 'utf8'), before.text);
          assert.equal(lstatSync(lock).ino, before.ino);
          assert.match(before.text, new RegExp(`^${process.pid} `));
        });
        assert.deepEqual(readdirSync(dir.path), []);
      } finally {
        dir.cleanup();
      }
    });
});

describe('the lock for a node', () => {
  test('lives in a folder only this user can write (no 1777 folder anyone could block)', () => {
    const dir = scratch();
    try {
      const path = apiLockPath(quietIo(dir.path, { TMPDIR: dir.path }), '/run/api.sock');
      const folder = statSync(join(path, '..'));
      assert.equal(folder.mode & 0o777, 0o700);
      assert.equal(folder.uid, process.geteuid!());
      assert.match(path, /\/api-[0-9a-f]{16}\.lock$/);
    } finally {
      dir.cleanup();
    }
  });

  test('a folder another user could write, or a link in its place, is refused, not used', () => {
    const dir = scratch();
    try {
      const open = join(dir.path, 'open');
      mkdirSync(open);
      chmodSync(open, 0o777);
      assert.match(
        unsafeLockFolder(open, lstatSync(open), process.geteuid!())!,
        /can be written by other users/,
      );
      assert.match(
        unsafeLockFolder(open, lstatSync(open), process.geteuid!() + 1)!,
        /belongs to another user/,
      );
      symlinkSync('open', join(dir.path, 'link'));
      const link = join(dir.path, 'link');
      assert.match(unsafeLockFolder(link, lstatSync(link), process.geteuid!())!, /is not a folder/);
      chmodSync(open, 0o700);
      assert.equal(unsafeLockFolder(open, lstatSync(open), process.geteuid!()), undefined);
    } finally {
      dir.cleanup();
    }
  });
});
