/**
 * Exclusive access to something civctl edits (an allowlist file, a node's policy), shared by every
 * civctl process that edits it. Node has no flock(), so the lock is a file, and the protocol is
 * built so that a lock is only ever removed by its holder or by a process that has proved the
 * holder gone — a fresh lock is never taken over:
 *
 * - **Holder identity**: PID, the process's start time (/proc/PID/stat, clock ticks after boot)
 *   and the boot id. A PID that was reused, a process that is gone, or another boot all mean the
 *   holder is gone, with no guessing.
 * - **Acquire**: write the identity to a claim file `LOCK~TOKEN` beside the lock, then link() it to
 *   `LOCK` (atomic; fails while someone holds it). The claim is removed again at once when the
 *   link fails, so waiting leaves nothing behind.
 * - **Release**: unlink `LOCK`, then the claim; also on process exit (a second Ctrl-C), and every
 *   command holding it runs inside an interruptible section, so SIGINT/SIGTERM release it too.
 * - **Take-over**: the holder's claim `LOCK~TOKEN` is renamed to `LOCK~TOKEN~reaped-OWN` — a rename
 *   that succeeds for one process only. That process then removes `LOCK` if it is still the same
 *   file (inode) as the claim: a new lock can only be created once `LOCK` is gone, so it can
 *   never be the one removed.
 * - A lock file without an identity (written by hand, or by an older civctl) is taken over when
 *   its PID is gone, or started after the lock was written (a reused PID), by renaming it aside
 *   and checking it was the file judged; a live PID is waited for, and the message names it.
 */
import {
  closeSync,
  constants,
  fstatSync,
  linkSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  renameSync,
  type Stats,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { CivError, InterruptedError } from '../errors.ts';
import { type Io, interruptibly } from '../io.ts';
import { say } from '../output/messages.ts';

/** How long to wait for another civctl process before giving up (CIVCTL_LOCK_WAIT, seconds). */
const DEFAULT_WAIT_SECONDS = 60;
/** When a wait starts being worth a line on stderr. */
const ANNOUNCE_AFTER_MS = 2000;
/** A lock file without a PID (empty, or garbage) is someone's half-written lock for this long. */
const UNNAMED_GRACE_MS = 5000;
/** USER_HZ: the unit of /proc/PID/stat start times, 100 on every Linux architecture. */
const CLOCK_TICKS_PER_SECOND = 100;

interface Identity {
  pid: number;
  /** Start time in clock ticks after boot; '' where /proc cannot tell. */
  start: string;
  boot: string;
  /** The PID namespace (a container has its own): a PID means nothing in another one. */
  ns: string;
  token: string;
}

let bootIdCache: string | undefined;
function bootId(): string {
  if (bootIdCache === undefined) {
    try {
      bootIdCache = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    } catch {
      bootIdCache = '';
    }
  }
  return bootIdCache;
}

let pidNamespaceCache: string | undefined;
function pidNamespace(): string {
  if (pidNamespaceCache === undefined) {
    try {
      pidNamespaceCache = /\[(\d+)\]/.exec(readlinkSync('/proc/self/ns/pid'))?.[1] ?? '';
    } catch {
      pidNamespaceCache = '';
    }
  }
  return pidNamespaceCache;
}

/** A process's start time from /proc/PID/stat (field 22, after the command name in parentheses). */
function startTicks(pid: number): string | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return fields[19];
}

function ownIdentity(): Identity {
  const start = startTicks(process.pid) ?? '';
  const random = Math.floor(Math.random() * 0x100000000)
    .toString(16)
    .padStart(8, '0');
  return {
    pid: process.pid,
    start,
    boot: bootId(),
    ns: pidNamespace(),
    token: `${process.pid}.${start || '0'}.${random}`,
  };
}

/** The lock file's text: `PID START BOOT TOKEN PIDNS`, one line. */
function identityText(id: Identity): string {
  return `${id.pid} ${id.start || '0'} ${id.boot || '-'} ${id.token} ${id.ns || '-'}\n`;
}

/** What a lock file says about its holder. */
type Holder =
  | { kind: 'identified'; id: Identity }
  /** A bare PID: written by hand, or by an older civctl. */
  | { kind: 'pid'; pid: number }
  | { kind: 'unnamed' };

function parseHolder(text: string): Holder {
  const fields = text.trim().split(/\s+/);
  const pid = Number(fields[0]);
  if (!/^\d+$/.test(fields[0] ?? '') || !Number.isSafeInteger(pid) || pid <= 0) return { kind: 'unnamed' };
  if ((fields.length === 4 || fields.length === 5) && /^\d+\.\d+\.[0-9a-f]+$/.test(fields[3]!))
    return {
      kind: 'identified',
      id: {
        pid,
        start: fields[1] === '0' ? '' : fields[1]!,
        boot: fields[2] === '-' ? '' : fields[2]!,
        token: fields[3]!,
        ns: fields[4] === undefined || fields[4] === '-' ? '' : fields[4],
      },
    };
  return { kind: 'pid', pid };
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** When a process started, in ms since the epoch (from /proc), or undefined. */
function startedAtMs(pid: number): number | undefined {
  const ticks = startTicks(pid);
  if (ticks === undefined) return undefined;
  let bootTime: number | undefined;
  try {
    const btime = /^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1];
    bootTime = btime === undefined ? undefined : Number(btime) * 1000;
  } catch {
    return undefined;
  }
  return bootTime === undefined ? undefined : bootTime + (Number(ticks) * 1000) / CLOCK_TICKS_PER_SECOND;
}

/** Whether the holder a lock file names is gone for good. */
function holderGone(holder: Holder, lockStat: Stats): boolean {
  switch (holder.kind) {
    case 'identified': {
      const { id } = holder;
      if (id.boot !== '' && bootId() !== '' && id.boot !== bootId()) return true;
      // A holder in another container: its PID cannot be looked up here, so it is waited for.
      if (otherNamespace(id)) return false;
      // /proc may hide other users' processes (hidepid): then only kill(pid, 0) can tell.
      const now = id.start !== '' ? startTicks(id.pid) : undefined;
      return now !== undefined ? now !== id.start : !pidAlive(id.pid);
    }
    case 'pid': {
      if (!pidAlive(holder.pid)) return true;
      // A process that started after the lock was written cannot have written it: a reused PID.
      const started = startedAtMs(holder.pid);
      return started !== undefined && started > lockStat.mtimeMs + 1000;
    }
    case 'unnamed':
      return Date.now() - lockStat.mtimeMs > UNNAMED_GRACE_MS;
  }
}

function otherNamespace(id: Identity): boolean {
  return id.ns !== '' && pidNamespace() !== '' && id.ns !== pidNamespace();
}

/** The holder's command line, for messages. */
function commandOf(pid: number): string | undefined {
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8')
      .split('\0')
      .filter((a) => a !== '');
    if (argv.length === 0) return undefined;
    const text = argv.join(' ');
    return text.length > 80 ? `${text.slice(0, 77)}...` : text;
  } catch {
    return undefined;
  }
}

function seconds(ms: number): string {
  return `${Math.max(0, Math.round(ms / 1000))} s`;
}

/** "PID 123 (node civctl.cjs digests add …)", or "a process that wrote no PID". */
function describeHolder(holder: Holder): string {
  if (holder.kind === 'unnamed') return 'a process that wrote no PID into it';
  if (holder.kind === 'identified' && otherNamespace(holder.id))
    return `PID ${holder.id.pid} of another PID namespace (another container)`;
  const pid = holder.kind === 'identified' ? holder.id.pid : holder.pid;
  const command = commandOf(pid);
  return `PID ${pid}${command !== undefined ? ` (${command})` : ''}`;
}

export interface Seen {
  holder: Holder;
  stat: Stats;
  text: string;
}

/** The lock as it is now, or undefined when there is none. */
export function inspectLock(lockPath: string): Seen | undefined {
  try {
    // Never through a symlink, and never blocked by a FIFO put in its place.
    const fd = openSync(lockPath, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    try {
      const stat = fstatSync(fd);
      const text = readFileSync(fd, 'utf8');
      return { holder: parseHolder(text), stat, text };
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'ELOOP') {
      const stat = lstatSync(lockPath, { throwIfNoEntry: false });
      return stat ? { holder: { kind: 'unnamed' }, stat, text: '' } : undefined;
    }
    throw lockError(lockPath, err);
  }
}

function sameFile(a: Stats, b: Stats): boolean {
  return a.ino === b.ino && a.dev === b.dev;
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}

const claimPath = (lockPath: string, token: string) => `${lockPath}~${token}`;

/**
 * Takes over a lock whose identified holder is gone. Only the process whose rename of the claim
 * succeeds removes the lock, and only if it is still the claim's file. Returns false when the
 * claim is missing (another process is taking over, or died doing so).
 */
function reapIdentified(lockPath: string, seen: Seen, own: Identity): boolean {
  const { id } = seen.holder as Extract<Holder, { kind: 'identified' }>;
  const claim = claimPath(lockPath, id.token);
  const reaped = `${claim}~reaped-${own.token}`;
  try {
    renameSync(claim, reaped);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw lockError(lockPath, err);
  }
  try {
    const now = lstatSync(lockPath, { throwIfNoEntry: false });
    if (now && sameFile(now, lstatSync(reaped))) unlinkSync(lockPath);
  } finally {
    unlinkQuietly(reaped);
  }
  collectOrphans(lockPath);
  return true;
}

/**
 * Takes over a lock file without a claim (a bare PID, or one whose claim vanished with a process
 * killed while taking it over): renamed aside, checked to be the file judged, removed; a lock
 * that turns out to be another one (it changed in between) is put back.
 */
function reapUnclaimed(lockPath: string, seen: Seen, own: Identity): void {
  const aside = `${lockPath}~reaped-${own.token}`;
  try {
    renameSync(lockPath, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw lockError(lockPath, err);
  }
  try {
    // The inode alone cannot tell: the judged file may have been removed since, and its inode
    // number given to a new lock. Its time and content can (a civctl lock holds a random token).
    const now = lstatSync(aside);
    const same =
      sameFile(now, seen.stat) && now.mtimeMs === seen.stat.mtimeMs && readText(aside) === seen.text;
    if (!same) {
      try {
        linkSync(aside, lockPath);
      } catch {
        // a third process locked in between; the one put aside still holds its claim file
      }
    }
  } finally {
    unlinkQuietly(aside);
  }
  collectOrphans(lockPath);
}

/**
 * Removes claim files left by processes killed between writing and linking them (SIGKILL in a
 * window of microseconds): unlinked to the lock, and naming a holder of this boot and PID
 * namespace that is gone. A waiter's live claim is never touched.
 */
function collectOrphans(lockPath: string): void {
  const dir = dirname(lockPath);
  const prefix = `${basename(lockPath)}~`;
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.startsWith(prefix) && !n.includes('~', prefix.length));
  } catch {
    return;
  }
  for (const name of names) {
    const path = join(dir, name);
    const stat = lstatSync(path, { throwIfNoEntry: false });
    const text = readText(path);
    if (stat?.nlink !== 1 || text === undefined) continue;
    const holder = parseHolder(text);
    if (holder.kind !== 'identified' || otherNamespace(holder.id) || `${prefix}${holder.id.token}` !== name)
      continue;
    if (holderGone(holder, stat)) unlinkQuietly(path);
  }
}

function lockError(lockPath: string, err: unknown): CivError {
  const code = (err as NodeJS.ErrnoException).code;
  const dir = dirname(lockPath);
  if (code === 'ENOENT') return new CivError('E_LOCKED', `the folder '${dir}' does not exist`);
  if (code === 'EACCES' || code === 'EPERM')
    return new CivError(
      'E_LOCKED',
      `cannot create the lock file ${lockPath}: permission denied; civctl needs to write in the folder '${dir}'`,
    );
  if (code === 'EROFS')
    return new CivError(
      'E_LOCKED',
      `cannot create the lock file ${lockPath}: '${dir}' is on a read-only file system`,
    );
  return new CivError('E_LOCKED', `cannot use the lock file ${lockPath} (${code ?? (err as Error).message})`);
}

/** Writes this process's claim; the caller links it to the lock, or removes it. */
function writeClaim(lockPath: string, own: Identity): string {
  const path = claimPath(lockPath, own.token);
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o644);
  } catch (err) {
    throw lockError(lockPath, err);
  }
  try {
    writeSync(fd, identityText(own));
  } finally {
    closeSync(fd);
  }
  return path;
}

/**
 * Takes over a lock judged (as `seen`) to belong to a holder that is gone; false when its claim
 * is missing. Safe against a lock that changed since it was judged: a newer lock is never removed.
 */
export function takeOver(lockPath: string, seen: Seen, options: { withoutClaim?: boolean } = {}): boolean {
  const own = ownIdentity();
  if (seen.holder.kind === 'identified' && !options.withoutClaim) return reapIdentified(lockPath, seen, own);
  reapUnclaimed(lockPath, seen, own);
  return true;
}

/** Errors of link() that mean the file system has no hard links (some FUSE and network mounts). */
const NO_HARD_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS']);

/** One attempt: true when this process now holds the lock. */
function tryLock(lockPath: string, own: Identity): boolean {
  const claim = writeClaim(lockPath, own);
  try {
    linkSync(claim, lockPath);
    return true;
  } catch (err) {
    unlinkQuietly(claim);
    const code = (err as NodeJS.ErrnoException).code ?? '';
    if (code === 'EEXIST') return false;
    // The claim vanished (removed by hand) while its folder is still there: try again.
    if (code === 'ENOENT' && lstatSync(dirname(lockPath), { throwIfNoEntry: false })) return false;
    if (!NO_HARD_LINKS.has(code)) throw lockError(lockPath, err);
  }
  // Without hard links: the lock file itself, created exclusively. Taking it over then goes
  // through reapUnclaimed, which checks it removes the file it judged.
  let fd: number;
  try {
    fd = openSync(lockPath, 'wx', 0o644);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw lockError(lockPath, err);
  }
  try {
    writeSync(fd, identityText(own));
  } finally {
    closeSync(fd);
  }
  return true;
}

function interrupted(signal: AbortSignal, what: string): InterruptedError {
  const name = String(signal.reason);
  return new InterruptedError(
    name,
    `interrupted by ${name} while waiting for the lock on ${what}; nothing changed`,
  );
}

/** Waits ms, or less when the signal aborts. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolvePause) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolvePause();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

function waitLimitMs(io: Io): number {
  const configured = Number(io.env['CIVCTL_LOCK_WAIT']);
  return Number.isFinite(configured) && configured >= 0
    ? Math.min(configured, 86_400) * 1000
    : DEFAULT_WAIT_SECONDS * 1000;
}

/** Takes the lock, waiting (bounded) for a live holder; returns the release function. */
async function acquire(io: Io, lockPath: string, what: string, signal: AbortSignal): Promise<() => void> {
  const own = ownIdentity();
  const limit = waitLimitMs(io);
  const started = Date.now();
  let announced = false;
  let claimMissingSince: { stat: Stats; at: number } | undefined;
  for (let attempt = 0; ; attempt++) {
    if (signal.aborted) throw interrupted(signal, what);
    if (tryLock(lockPath, own)) {
      let released = false;
      return () => {
        if (released) return;
        released = true;
        // Only this process's own lock: the claim's file, or (without hard links) its text.
        const claim = claimPath(lockPath, own.token);
        try {
          const mine = lstatSync(claim, { throwIfNoEntry: false });
          const now = lstatSync(lockPath, { throwIfNoEntry: false });
          if (now && (mine ? sameFile(mine, now) : readText(lockPath) === identityText(own)))
            unlinkQuietly(lockPath);
        } catch {
          // the folder is gone or unreadable: nothing left to release
        } finally {
          unlinkQuietly(claim);
        }
      };
    }
    const seen = inspectLock(lockPath);
    if (seen === undefined) continue; // released just now
    if (holderGone(seen.holder, seen.stat)) {
      if (takeOver(lockPath, seen)) continue;
      // The claim is gone but the lock stays: another process is taking it over right now, or
      // died doing so (kill -9); after a moment, the lock is taken over without its claim.
      if (!claimMissingSince || !sameFile(claimMissingSince.stat, seen.stat))
        claimMissingSince = { stat: seen.stat, at: Date.now() };
      else if (Date.now() - claimMissingSince.at > 1000) {
        takeOver(lockPath, seen, { withoutClaim: true });
        continue;
      }
    } else {
      const waited = Date.now() - started;
      const held = `${describeHolder(seen.holder)}, which has held it for ${seconds(Date.now() - seen.stat.mtimeMs)}`;
      if (waited >= limit)
        throw new CivError(
          'E_LOCKED',
          `gave up after ${seconds(waited)}: ${what} is locked by ${held} (lock file ${lockPath}); if that process is not civctl, remove the lock file and try again`,
        );
      if (!announced && waited >= ANNOUNCE_AFTER_MS) {
        announced = true;
        say(io, `waiting for the lock on ${what}: ${held}`);
      }
    }
    // Jittered, growing waits: many processes do not wake up together.
    await pause(Math.min(200, 5 + attempt * 5) + Math.random() * 20, signal);
  }
}

/**
 * Runs fn while holding the lock file `lockPath`, inside an interruptible section: SIGINT/SIGTERM
 * abort fn's signal (fn stops at its next step) and the lock is released on the way out, also
 * when the process exits early.
 */
export function withLock<T>(
  io: Io,
  lockPath: string,
  what: string,
  fn: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  return interruptibly(io, async (signal) => {
    const release = await acquire(io, lockPath, what, signal);
    process.on('exit', release);
    try {
      return await fn(signal);
    } finally {
      release();
      process.off('exit', release);
    }
  });
}

/** The lock for a file civctl edits: beside it, so every process editing that file finds it. */
export function fileLockPath(target: string): string {
  return `${target}.civctl-lock`;
}

/** Why a lock folder could be used by others to block or fool this user, or undefined. */
export function unsafeLockFolder(dir: string, stat: Stats | undefined, uid: number): string | undefined {
  if (!stat?.isDirectory()) return `${dir} is not a folder`;
  if (uid !== -1 && stat.uid !== uid) return `${dir} belongs to another user (uid ${stat.uid})`;
  if ((stat.mode & 0o022) !== 0) return `${dir} can be written by other users`;
  return undefined;
}

/**
 * A folder for locks that only this user can write: /run/civctl-locks for root, else
 * $XDG_RUNTIME_DIR/civctl-locks, else $TMPDIR/civctl-locks-UID. A folder every user can write
 * (the old /tmp/civctl-locks, mode 1777) let any local user block root's edits with a lock file.
 */
function privateLockFolder(env: Record<string, string | undefined>): string {
  const uid = process.geteuid?.() ?? -1;
  const candidates: string[] = [];
  if (uid === 0) candidates.push('/run/civctl-locks');
  const runtime = env['XDG_RUNTIME_DIR'];
  if (runtime) candidates.push(join(runtime, 'civctl-locks'));
  candidates.push(join(env['TMPDIR'] || '/tmp', `civctl-locks-${uid}`));
  let problem = '';
  for (const dir of candidates) {
    try {
      mkdirSync(dir, { mode: 0o700 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        problem = `cannot create ${dir} (${(err as NodeJS.ErrnoException).code})`;
        continue;
      }
    }
    const unsafe = unsafeLockFolder(dir, lstatSync(dir, { throwIfNoEntry: false }), uid);
    if (unsafe === undefined) return dir;
    problem = unsafe;
  }
  throw new CivError(
    'E_LOCKED',
    `no private folder for civctl's lock: ${problem}; remove it, or set TMPDIR to a folder only you can write`,
  );
}

/** The lock for a node's API socket: one per socket, in a folder only this user can write. */
export function apiLockPath(io: Io, socketPath: string): string {
  let target = resolve(io.cwd, socketPath);
  try {
    target = realpathSync(target);
  } catch {
    // a socket that does not exist yet: its path names it
  }
  return join(privateLockFolder(io.env), `api-${fnv1a(target)}.lock`);
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
