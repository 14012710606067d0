/**
 * Running image verifier binaries exactly as containerd v2.1's io.containerd.image-verifier.v1.bindir
 * plugin runs them (pkg/imageverifier/bindir): each entry of the directory in name order, with
 * `-name N -digest D -stdin-media-type application/vnd.oci.descriptor.v1+json`, the descriptor as
 * JSON on stdin (written without waiting for the verifier to read it), stdout trimmed and capped
 * at 32 KiB, stderr captured, a timeout on the whole process group, and pipes that cannot hang the
 * caller. This module spawns processes but never prints.
 */
import { readdirSync, type Dirent } from 'node:fs';
import { join } from 'node:path';
import { InterruptedError } from '../errors.ts';
import { goExitText, spawnGroup } from '../process-group.ts';
import type { Descriptor } from '../registry/oci.ts';

export const DESCRIPTOR_MEDIA_TYPE = 'application/vnd.oci.descriptor.v1+json';
/** containerd's outputLimitBytes: 1 << 15. */
export const OUTPUT_LIMIT = 1 << 15;
/** Node's timers hold at most 2^31-1 ms; a longer deadline is as good as none. */
const MAX_TIMER_MS = 2 ** 31 - 1;

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

/**
 * Runs one verifier binary as containerd does. Never throws for what the verifier does: failures
 * come back in `error`. Rejects with InterruptedError only when `signal` (SIGINT/SIGTERM) aborts,
 * after killing the verifier's process group.
 *
 * The deadline works as containerd's does. containerd gives its parent-side pipe ends a deadline
 * equal to the per-verifier context's, reads stdout (io.ReadAll of the first 32 KiB) and stderr to
 * their ends, and only then waits for the process (exec.CommandContext, no WaitDelay); when the
 * context expires, Cancel kills the process group. So a verifier whose child keeps stdout or
 * stderr open past the verifier's own exit (`sleep 60 & echo ok; exit 0`) holds the judgement
 * until the deadline: then the read fails (the printed text is dropped, not kept), Cancel kills
 * the group, and Wait reports the context's error although the verifier exited 0 —
 * `waiting on command to exit: context deadline exceeded`, an error that blocks the pull. With a
 * non-zero exit code it is a rejection instead, with the text read before the deadline (none, if
 * stdout was the pipe held open).
 */
export function runVerifierBinary(
  dir: string,
  bin: string,
  name: string,
  descriptor: Descriptor,
  timeoutMs: number,
  env: NodeJS.ProcessEnv,
  signal: AbortSignal,
): Promise<BinaryRun> {
  const path = join(dir, bin);
  const args = ['-name', name, '-digest', descriptor.digest, '-stdin-media-type', DESCRIPTOR_MEDIA_TYPE];
  const started = process.hrtime.bigint();
  const runtime = () => process.hrtime.bigint() - started;
  const interrupted = (signalName: string) =>
    new InterruptedError(
      signalName,
      `interrupted by ${signalName} while the verifier ${bin} ran; its process group was killed`,
    );
  return new Promise((resolve, reject) => {
    let settled = false;
    const group = spawnGroup(path, args, {
      env,
      signal,
      onInterrupt: (signalName) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reject(interrupted(signalName));
      },
    });
    if (!group) return reject(interrupted(String(signal.reason)));
    const { child } = group;
    const finish = (run: Omit<BinaryRun, 'runtimeNs'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      // Nothing of the verifier may outlive its judgement.
      group.finish();
      resolve({ ...run, runtimeNs: runtime() });
    };
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let stdoutBytes = 0;
    let stderrBytes = 0;
    let stdoutEnded = false;
    let stderrEnded = false;
    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    let timedOut = false;
    const conclude = () => {
      // containerd reads both pipes to their ends (or the deadline), then waits for the process.
      if (!exit || (!(stdoutEnded && stderrEnded) && !timedOut)) return;
      const errText = `${Buffer.concat(stderr).toString('utf8')}${stderrBytes > OUTPUT_LIMIT ? '(previous logs may be truncated)\n' : ''}`;
      if (exit.code === null)
        return finish({
          exitCode: -1,
          reason: '',
          stderr: errText,
          error: `waiting on command to exit: ${goExitText(exit.code, exit.signal)}`,
        });
      if (timedOut && exit.code === 0)
        return finish({
          exitCode: -1,
          reason: '',
          stderr: errText,
          error: 'waiting on command to exit: context deadline exceeded',
        });
      // containerd's reason is known once its first 32 KiB (and the byte after, its truncation
      // test) were read, or stdout ended, before the deadline.
      const text = Buffer.concat(stdout).toString('utf8').trim();
      const reason =
        stdoutBytes > OUTPUT_LIMIT
          ? `${text}(stdout truncated)`
          : stdoutEnded || stdoutBytes === OUTPUT_LIMIT
            ? text
            : '';
      finish({ exitCode: exit.code, reason, stderr: errText });
    };
    const timer = setTimeout(
      () => {
        timedOut = true;
        // The context's Cancel, and the pipes' deadline: nothing the verifier started, and no
        // grandchild holding a pipe, can hang civctl past it.
        group.kill();
        child.stdout.destroy();
        child.stderr.destroy();
        child.stdin.destroy();
        conclude();
      },
      Math.min(timeoutMs, MAX_TIMER_MS),
    );
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
      stdoutBytes += chunk.length;
    });
    child.stdout.on('end', () => {
      stdoutEnded = true;
      conclude();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      if (stderrBytes < OUTPUT_LIMIT) stderr.push(chunk.subarray(0, OUTPUT_LIMIT - stderrBytes));
      stderrBytes += chunk.length;
    });
    child.stderr.on('end', () => {
      stderrEnded = true;
      conclude();
    });
    child.on('exit', (code, exitSignal) => {
      exit = { code, signal: exitSignal };
      conclude();
    });
    // The descriptor, as json.Encoder writes it (field order, a newline), without waiting for a
    // reader: a verifier that never reads stdin makes this fail with EPIPE, which is ignored.
    child.stdin.end(
      `${JSON.stringify({ mediaType: descriptor.mediaType, digest: descriptor.digest, size: descriptor.size })}\n`,
    );
  });
}
