/**
 * digests add|remove --file: the file really edited (symbolic links followed, kept), what a
 * rewrite keeps (owner, group, mode) and what it refuses (read-only files, owners it cannot keep,
 * hard links, missing folders) with one line and nothing written. Owner and permission cases run
 * civctl as another user, which needs root (CI runs as root); they are skipped, saying so, elsewhere.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  copyFileSync,
  existsSync,
  linkSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
} from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { BIN, isOneCleanLine, run, scratch, tempDir, d, EMPTY_ALLOWLIST } from '../helpers.ts';

const listed = (path: string) => JSON.parse(readFileSync(path, 'utf8')).trustedDigests as string[];

const isRoot = process.geteuid?.() === 0;
const NOT_ROOT = isRoot
  ? false
  : 'needs root: civctl runs as user nobody (uid 65534) and files get other owners';
if (!isRoot) process.stderr.write(`digests-file tests: ${NOT_ROOT}; skipped\n`);
const NOBODY = 65534;

describe('digests --file through symbolic links', () => {
  test('a chain of links: the file at its end gets the digest, and every link stays a link', async () => {
    const dir = scratch();
    try {
      const real = dir.file('real.json', EMPTY_ALLOWLIST);
      symlinkSync('real.json', join(dir.path, 'link.json'));
      mkdirSync(join(dir.path, 'sub'));
      symlinkSync('../link.json', join(dir.path, 'sub', 'l2.json'));
      const r = await run(['digests', 'add', '--file', 'sub/l2.json', d('a')], { cwd: dir.path });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /added 1 digest in 'sub\/l2\.json' → 'real\.json'/);
      assert.deepEqual(listed(real), [d('a')]);
      assert.ok(lstatSync(join(dir.path, 'link.json')).isSymbolicLink());
      assert.ok(lstatSync(join(dir.path, 'sub', 'l2.json')).isSymbolicLink());
      const removed = await run(['digests', 'remove', '--file', 'link.json', d('a'), '--force'], {
        cwd: dir.path,
      });
      assert.equal(removed.code, 0, removed.stderr);
      assert.deepEqual(listed(real), []);
      assert.ok(lstatSync(join(dir.path, 'link.json')).isSymbolicLink());
      // Nothing left beside either: no lock, no temporary file.
      assert.deepEqual(readdirSync(dir.path).sort(), ['link.json', 'real.json', 'sub']);
      assert.deepEqual(readdirSync(join(dir.path, 'sub')), ['l2.json']);
    } finally {
      dir.cleanup();
    }
  });

  test('a relative link inside a linked folder is read as the kernel reads it (`..` of the real folder)', async () => {
    const dir = scratch();
    try {
      mkdirSync(join(dir.path, 'real', 'inner'), { recursive: true });
      const real = dir.file('real/p.json', EMPTY_ALLOWLIST);
      const decoy = dir.file('p.json', EMPTY_ALLOWLIST);
      symlinkSync('../p.json', join(dir.path, 'real', 'inner', 'l.json'));
      symlinkSync('real/inner', join(dir.path, 'dl'));
      const r = await run(['digests', 'add', '--file', 'dl/l.json', d('a')], { cwd: dir.path });
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(listed(real), [d('a')]);
      assert.deepEqual(listed(decoy), []);
    } finally {
      dir.cleanup();
    }
  });

  test('a link to a file that does not exist yet: add creates that file, and the link stays', async () => {
    const dir = scratch();
    try {
      mkdirSync(join(dir.path, 'store'));
      symlinkSync('store/allow.json', join(dir.path, 'allow.json'));
      const r = await run(['digests', 'add', '--file', 'allow.json', d('b')], { cwd: dir.path });
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(listed(join(dir.path, 'store', 'allow.json')), [d('b')]);
      assert.ok(lstatSync(join(dir.path, 'allow.json')).isSymbolicLink());
    } finally {
      dir.cleanup();
    }
  });

  test('a loop of links is one line, exit 1', async () => {
    const dir = scratch();
    try {
      symlinkSync('b.json', join(dir.path, 'a.json'));
      symlinkSync('a.json', join(dir.path, 'b.json'));
      const r = await run(['digests', 'add', '--file', 'a.json', d('c')], { cwd: dir.path });
      assert.equal(r.code, 1);
      assert.ok(isOneCleanLine(r.stderr), r.stderr);
      assert.match(r.stderr, /'a\.json' is a loop of symbolic links/);
    } finally {
      dir.cleanup();
    }
  });
});

describe('a rewrite keeps the file’s mode, owner and group', () => {
  test('mode 0666 stays 0666 whatever the umask, and 0640 stays 0640', async () => {
    const dir = scratch();
    try {
      for (const mode of [0o666, 0o640, 0o600]) {
        const file = dir.file(`m${mode.toString(8)}.json`, EMPTY_ALLOWLIST);
        chmodSync(file, mode);
        const r = await run(['digests', 'add', '--file', file, d('a')]);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(statSync(file).mode & 0o7777, mode, mode.toString(8));
        assert.deepEqual(listed(file), [d('a')]);
      }
    } finally {
      dir.cleanup();
    }
  });

  test('as root, a file of nobody:nogroup stays theirs, so they can still read it', {
    skip: NOT_ROOT,
  }, async () => {
    const dir = scratch();
    try {
      const file = dir.file('own.json', EMPTY_ALLOWLIST);
      chownSync(file, NOBODY, NOBODY);
      chmodSync(file, 0o600);
      const r = await run(['digests', 'add', '--file', file, d('a')]);
      assert.equal(r.code, 0, r.stderr);
      const info = statSync(file);
      assert.deepEqual([info.uid, info.gid, info.mode & 0o7777], [NOBODY, NOBODY, 0o600]);
      assert.deepEqual(listed(file), [d('a')]);
    } finally {
      dir.cleanup();
    }
  });
});

describe('edits that cannot be made faithfully are refused, with one line and nothing written', () => {
  test('a read-only file (mode without w), even for root; --dry-run still prints', async () => {
    const dir = scratch();
    try {
      const file = dir.file('ro.json', EMPTY_ALLOWLIST);
      chmodSync(file, 0o444);
      const r = await run(['digests', 'add', '--file', 'ro.json', d('a')], { cwd: dir.path });
      assert.equal(r.code, 1);
      assert.ok(isOneCleanLine(r.stderr), r.stderr);
      assert.match(r.stderr, /'ro\.json' is read-only \(mode 0444\); nothing was written/);
      assert.equal(readFileSync(file, 'utf8'), EMPTY_ALLOWLIST);
      assert.equal(statSync(file).mode & 0o777, 0o444);
      assert.deepEqual(readdirSync(dir.path), ['ro.json']);
      const dry = await run(['digests', 'add', '--dry-run', '--file', 'ro.json', d('a')], { cwd: dir.path });
      assert.equal(dry.code, 0, dry.stderr);
      assert.match(dry.stdout, new RegExp(d('a')));
    } finally {
      dir.cleanup();
    }
  });

  test('a read-only file behind a link is refused too, and the link is left alone', async () => {
    const dir = scratch();
    try {
      const file = dir.file('real.json', EMPTY_ALLOWLIST);
      chmodSync(file, 0o444);
      symlinkSync('real.json', join(dir.path, 'link.json'));
      const r = await run(['digests', 'add', '--file', 'link.json', d('a')], { cwd: dir.path });
      assert.equal(r.code, 1);
      assert.match(r.stderr, /'link\.json' is read-only/);
      assert.ok(lstatSync(join(dir.path, 'link.json')).isSymbolicLink());
      assert.equal(readFileSync(file, 'utf8'), EMPTY_ALLOWLIST);
    } finally {
      dir.cleanup();
    }
  });

  test('a file with other hard links (they would keep the old list)', async () => {
    const dir = scratch();
    try {
      const file = dir.file('a.json', EMPTY_ALLOWLIST);
      linkSync(file, join(dir.path, 'b.json'));
      const r = await run(['digests', 'add', '--file', file, d('a')]);
      assert.equal(r.code, 1);
      assert.ok(isOneCleanLine(r.stderr), r.stderr);
      assert.match(r.stderr, /has 2 hard links/);
      assert.equal(readFileSync(file, 'utf8'), EMPTY_ALLOWLIST);
    } finally {
      dir.cleanup();
    }
  });

  test('m5: a folder that does not exist is named as such, not as a permissions problem', async () => {
    const dir = scratch();
    try {
      const r = await run(['digests', 'add', '--file', 'nope/x/a.json', d('a')], { cwd: dir.path });
      assert.equal(r.code, 1);
      assert.ok(isOneCleanLine(r.stderr), r.stderr);
      assert.equal(r.stderr, "civctl: the folder 'nope/x' does not exist; create it first\n");
      assert.equal(existsSync(join(dir.path, 'nope')), false);
    } finally {
      dir.cleanup();
    }
  });

  describe('as another user (nobody)', { skip: NOT_ROOT }, () => {
    // The bundle, copied where nobody can read it (the repository may sit in root's home).
    const place = tempDir();
    const bin = join(place.path, 'civctl.cjs');
    before(() => {
      chmodSync(place.path, 0o755);
      copyFileSync(BIN, bin);
    });
    after(() => place.cleanup());

    /** A folder nobody may write in, with one file of the given owner, group and mode. */
    function setUp(uid: number, gid: number, mode: number) {
      const dir = scratch();
      chmodSync(dir.path, 0o755);
      chownSync(dir.path, NOBODY, NOBODY);
      const file = dir.file('p.json', EMPTY_ALLOWLIST);
      chownSync(file, uid, gid);
      chmodSync(file, mode);
      const r = spawnSync(process.execPath, [bin, 'digests', 'add', '--file', 'p.json', d('a')], {
        cwd: dir.path,
        uid: NOBODY,
        gid: NOBODY,
        env: { PATH: process.env['PATH'] ?? '' },
      });
      return { dir, file, code: r.status, stderr: r.stderr.toString() };
    }

    for (const [name, uid, gid, mode, message] of [
      [
        'its own read-only file',
        NOBODY,
        NOBODY,
        0o444,
        /'p\.json' is read-only \(mode 0444\); nothing was written/,
      ],
      [
        "root's file it may not write",
        0,
        0,
        0o644,
        /'p\.json' is not writable for this user \(mode 0644, owner root\)/,
      ],
      [
        "root's file it may write (the new file would be nobody's)",
        0,
        0,
        0o666,
        /cannot keep its owner root on 'p\.json'/,
      ],
      [
        'its file in a group it is not in',
        NOBODY,
        0,
        0o644,
        /cannot keep its group root \(nobody is not a member\) on 'p\.json'/,
      ],
    ] as const)
      test(`${name}: refused`, () => {
        const { dir, file, code, stderr } = setUp(uid, gid, mode);
        try {
          assert.equal(code, 1, stderr);
          assert.ok(isOneCleanLine(stderr), stderr);
          assert.match(stderr, message);
          const info = statSync(file);
          assert.deepEqual([info.uid, info.gid, info.mode & 0o7777], [uid, gid, mode]);
          assert.equal(readFileSync(file, 'utf8'), EMPTY_ALLOWLIST);
          assert.deepEqual(readdirSync(dir.path), ['p.json']);
        } finally {
          dir.cleanup();
        }
      });

    test('its own writable file: edited, owner, group and mode kept', () => {
      const { dir, file, code, stderr } = setUp(NOBODY, NOBODY, 0o640);
      try {
        assert.equal(code, 0, stderr);
        const info = statSync(file);
        assert.deepEqual([info.uid, info.gid, info.mode & 0o7777], [NOBODY, NOBODY, 0o640]);
        assert.deepEqual(listed(file), [d('a')]);
        assert.deepEqual(readdirSync(dir.path), ['p.json']);
      } finally {
        dir.cleanup();
      }
    });
  });
});
