/**
 * Exclusive access to something civctl edits (an allowlist file, a node's policy), shared by every
 * civctl process on this machine: a lock file created with O_EXCL that holds the owner's PID. A
 * lock whose owner is gone (a crash, kill -9) is taken over; a live one is waited for, bounded.
 */
import {
  chmodSync,
  mkdirSync,
  openSync,
  readFileSync,
  closeSync,
  writeSync,
  unlinkSync,
  realpathSync,
} from 'node:fs';
import { join, resolve } from 'node:path';
import { CivError } from '../errors.ts';

/** How long to wait for another civctl process before giving up. */
const WAIT_MS = 60_000;

function ownerAlive(lockPath: string): boolean {
  let pid: number;
  try {
    pid = Number(readFileSync(lockPath, 'utf8').trim());
  } catch {
    return true; // just released or being written: try again
  }
  if (!Number.isInteger(pid) || pid <= 0) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Runs fn while holding the lock file `lockPath`. */
export async function withLock<T>(lockPath: string, what: string, fn: () => Promise<T>): Promise<T> {
  const started = Date.now();
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(lockPath, 'wx', 0o644);
      try {
        writeSync(fd, `${process.pid}\n`);
      } finally {
        closeSync(fd);
      }
      break;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST')
        throw new CivError(
          'E_LOCKED',
          `cannot create the lock file ${lockPath} for ${what} (${code}); check the folder's permissions`,
        );
      if (!ownerAlive(lockPath)) {
        try {
          unlinkSync(lockPath);
        } catch {
          // another process took it over first
        }
        continue;
      }
      if (Date.now() - started > WAIT_MS)
        throw new CivError(
          'E_LOCKED',
          `another civctl process has been editing ${what} for over ${WAIT_MS / 1000} s (lock ${lockPath}); try again`,
        );
      // Jittered, growing waits: many processes do not wake up together.
      await new Promise((r) => setTimeout(r, Math.min(200, 5 + attempt * 5) + Math.random() * 20));
    }
  }
  try {
    return await fn();
  } finally {
    try {
      unlinkSync(lockPath);
    } catch {
      // already gone: nothing to release
    }
  }
}

/** The lock for a file civctl edits: beside it, so every process editing that file finds it. */
export function fileLockPath(cwd: string, path: string): string {
  return `${resolve(cwd, path)}.civctl-lock`;
}

/** The lock for a node's API socket, in a folder every user on this machine can use (as /tmp). */
export function apiLockPath(socketPath: string): string {
  let target = resolve(socketPath);
  try {
    target = realpathSync(target);
  } catch {
    // a socket that does not exist yet: its path names it
  }
  const dir = join(process.env['TMPDIR'] || '/tmp', 'civctl-locks');
  try {
    mkdirSync(dir, { recursive: true, mode: 0o1777 });
    chmodSync(dir, 0o1777);
  } catch {
    // created by another user: it already has the right mode
  }
  return join(dir, `api-${fnv1a(target)}.lock`);
}

/** A short, stable name for a path (FNV-1a, 32 bits twice): node:crypto costs start-up for one hash. */
function fnv1a(text: string): string {
  let a = 0x811c9dc5;
  let b = 0x01000193;
  for (let i = 0; i < text.length; i++) {
    a = Math.imul(a ^ text.charCodeAt(i), 0x01000193) >>> 0;
    b = Math.imul(b ^ text.charCodeAt(i), 0x811c9dc5) >>> 0;
  }
  return a.toString(16).padStart(8, '0') + b.toString(16).padStart(8, '0');
}
