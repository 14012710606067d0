/**
 * Running image verifier binaries exactly as containerd v2.1's io.containerd.image-verifier.v1.bindir
 * plugin runs them (pkg/imageverifier/bindir): each entry of the directory in name order, with
 * `-name N -digest D -stdin-media-type application/vnd.oci.descriptor.v1+json`, the descriptor as
 * JSON on stdin (written without waiting for the verifier to read it), stdout trimmed and capped
 * at 32 KiB, stderr captured, a timeout on the whole process group, and pipes that cannot hang the
 * caller. This module spawns processes but never prints.
 */
import { spawn } from 'node:child_process';
import { readdirSync, type Dirent } from 'node:fs';
import { join } from 'node:path';

export const DESCRIPTOR_MEDIA_TYPE = 'application/vnd.oci.descriptor.v1+json';
/** containerd's outputLimitBytes: 1 << 15. */
export const OUTPUT_LIMIT = 1 << 15;

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
}

export interface BinaryRun {
  /** The exit code, when the process exited on its own. */
  exitCode: number;
  /** containerd's reason: stdout trimmed, with "(stdout truncated)" when cut. */
  reason: string;
  stderr: string;
  /** Set when containerd would not have a judgement: it could not run or wait for the verifier. */
  error?: string;
  runtimeNs: bigint;
}

/** Go's errno texts for the failures a verifier's exec can meet. */
const ERRNO_TEXT: Record<string, string> = {
  EACCES: 'permission denied',
  ENOENT: 'no such file or directory',
  ENOEXEC: 'exec format error',
  ENOTDIR: 'not a directory',
  EISDIR: 'is a directory',
  ETXTBSY: 'text file busy',
  E2BIG: 'argument list too long',
  ENOMEM: 'cannot allocate memory',
  ELOOP: 'too many levels of symbolic links',
};

/** Go's os.ProcessState text for a process ended by a signal ("signal: killed"). */
const SIGNAL_TEXT: Record<string, string> = {
  SIGKILL: 'killed',
  SIGTERM: 'terminated',
  SIGINT: 'interrupt',
  SIGHUP: 'hangup',
  SIGQUIT: 'quit',
  SIGABRT: 'aborted',
  SIGSEGV: 'segmentation fault',
  SIGBUS: 'bus error',
  SIGFPE: 'floating point exception',
  SIGILL: 'illegal instruction',
  SIGPIPE: 'broken pipe',
  SIGALRM: 'alarm clock',
  SIGUSR1: 'user defined signal 1',
  SIGUSR2: 'user defined signal 2',
  SIGTRAP: 'trace/breakpoint trap',
};

/** Go's time.Duration.String(): 0s, 850ns, 1.5µs, 12.345ms, 10.001234567s, 1m2.5s. */
export function goDuration(ns: bigint): string {
  if (ns === 0n) return '0s';
  const neg = ns < 0n;
  let v = neg ? -ns : ns;
  const frac = (value: bigint, digits: number) => {
    const unit = 10n ** BigInt(digits);
    const whole = value / unit;
    const rest = (value % unit).toString().padStart(digits, '0').replace(/0+$/, '');
    return rest ? `${whole}.${rest}` : `${whole}`;
  };
  let out: string;
  if (v < 1000n) out = `${v}ns`;
  else if (v < 1_000_000n) out = `${frac(v, 3)}µs`;
  else if (v < 1_000_000_000n) out = `${frac(v, 6)}ms`;
  else {
    const hours = v / 3_600_000_000_000n;
    v %= 3_600_000_000_000n;
    const minutes = v / 60_000_000_000n;
    v %= 60_000_000_000n;
    out = `${hours > 0n ? `${hours}h` : ''}${hours > 0n || minutes > 0n ? `${minutes}m` : ''}${frac(v, 9)}s`;
  }
  return neg ? `-${out}` : out;
}

/** The directory's entries in containerd's order (os.ReadDir: sorted by name), or why not. */
export function listVerifiers(dir: string): { entries: string[] } | { missing: true } | { error: string } {
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    if (code === 'ENOENT') return { missing: true };
    return {
      error: `failed to list directory contents: open ${dir}: ${ERRNO_TEXT[code] ?? (err as Error).message}`,
    };
  }
  // Go sorts by byte order, as a plain JavaScript sort of ASCII names does.
  return {
    entries: entries.map((e) => e.name).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))),
  };
}

/** Runs one verifier binary as containerd does. Never throws; failures come back in `error`. */
export function runVerifierBinary(
  dir: string,
  bin: string,
  name: string,
  descriptor: Descriptor,
  timeoutMs: number,
  env: NodeJS.ProcessEnv,
): Promise<BinaryRun> {
  const path = join(dir, bin);
  const args = ['-name', name, '-digest', descriptor.digest, '-stdin-media-type', DESCRIPTOR_MEDIA_TYPE];
  const started = process.hrtime.bigint();
  const runtime = () => process.hrtime.bigint() - started;
  return new Promise((resolve) => {
    let settled = false;
    const finish = (run: Omit<BinaryRun, 'runtimeNs'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ ...run, runtimeNs: runtime() });
    };
    // A process group of its own (setsid), so that a timeout ends everything it started.
    const child = spawn(path, args, { env, detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let stdoutBytes = 0;
    let stderrBytes = 0;
    let stdoutTruncated = false;
    let stderrTruncated = false;
    let stdoutEnded = false;
    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    let timedOut = false;
    const killGroup = () => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    const conclude = () => {
      // containerd reads stdout to its end (or the deadline), then waits for the process.
      if (!exit || (!stdoutEnded && !timedOut)) return;
      const text = Buffer.concat(stdout).toString('utf8').trim();
      const reason = timedOut && !stdoutEnded ? '' : stdoutTruncated ? `${text}(stdout truncated)` : text;
      const errText = `${Buffer.concat(stderr).toString('utf8')}${stderrTruncated ? '(previous logs may be truncated)\n' : ''}`;
      if (exit.code === null)
        finish({
          exitCode: -1,
          reason: '',
          stderr: errText,
          error: `waiting on command to exit: signal: ${SIGNAL_TEXT[exit.signal ?? ''] ?? exit.signal}`,
        });
      else finish({ exitCode: exit.code, reason, stderr: errText });
      // Nothing of the verifier may outlive its judgement.
      killGroup();
      child.stdout?.destroy();
      child.stderr?.destroy();
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
      // The deadline closes the parent's ends of the pipes: a grandchild holding them cannot hang civctl.
      child.stdout?.destroy();
      child.stderr?.destroy();
      child.stdin?.destroy();
      conclude();
    }, timeoutMs);
    child.on('error', (err: NodeJS.ErrnoException) => {
      const code = err.code ?? '';
      finish({
        exitCode: -1,
        reason: '',
        stderr: '',
        error: `fork/exec ${path}: ${ERRNO_TEXT[code] ?? err.message}`,
      });
    });
    child.stdout.on('data', (chunk: Buffer) => {
      if (stdoutBytes < OUTPUT_LIMIT) stdout.push(chunk.subarray(0, OUTPUT_LIMIT - stdoutBytes));
      if (stdoutBytes + chunk.length > OUTPUT_LIMIT) stdoutTruncated = true;
      stdoutBytes += chunk.length;
    });
    child.stdout.on('end', () => {
      stdoutEnded = true;
      conclude();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      if (stderrBytes < OUTPUT_LIMIT) stderr.push(chunk.subarray(0, OUTPUT_LIMIT - stderrBytes));
      if (stderrBytes + chunk.length > OUTPUT_LIMIT) stderrTruncated = true;
      stderrBytes += chunk.length;
    });
    child.on('exit', (code, signal) => {
      exit = { code, signal };
      conclude();
    });
    // The descriptor, as json.Encoder writes it (field order, a newline), without waiting for a
    // reader: a verifier that never reads stdin gets EPIPE on our side, which is ignored.
    child.stdin.on('error', () => undefined);
    child.stdin.end(
      `${JSON.stringify({ mediaType: descriptor.mediaType, digest: descriptor.digest, size: descriptor.size })}\n`,
    );
  });
}
