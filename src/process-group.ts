/**
 * The one way civctl starts a child process (verifier binaries, credential helpers), so that no
 * child ever crashes civctl or outlives it:
 * - the child leads a process group of its own (setsid), so one kill(-pgid) ends everything it
 *   started, and a terminal's Ctrl-C reaches civctl only, which then decides;
 * - writes to its stdin never throw: a child that exits without reading makes them fail with
 *   EPIPE, which is the child's business, not an error of civctl's;
 * - it runs inside an interruptible section (Io.interruptible): when SIGINT/SIGTERM abort the
 *   section's signal, the group is killed and the run is told, so that it fails with
 *   InterruptedError and bin.ts exits 130/143;
 * - a group still alive when civctl exits anyway (a second signal, a crash) is killed on 'exit'.
 * Runners kill the group on their own deadline and when their run ends (finish).
 */
import type { ChildProcessWithoutNullStreams } from 'node:child_process';

export interface GroupChild {
  child: ChildProcessWithoutNullStreams;
  /** SIGKILL to the whole group (once): the child and everything it started in its group. */
  kill(): void;
  /** Ends the run: the group killed, the parent's ends of the pipes closed, the signal no longer watched. */
  finish(): void;
}

/** Groups that are still to be finished, killed if civctl exits first. */
const live = new Set<GroupChild>();
let exitHookInstalled = false;

/**
 * Spawns `program args` as the leader of a new process group. `signal` is the interruptible
 * section's: when it aborts, the group is killed and `onInterrupt(signalName)` is called. When it
 * has already aborted, nothing is spawned and undefined is returned: the caller is interrupted.
 */
export function spawnGroup(
  program: string,
  args: string[],
  options: {
    env: NodeJS.ProcessEnv;
    signal: AbortSignal;
    onInterrupt: (signalName: string) => void;
  },
): GroupChild | undefined {
  if (options.signal.aborted) return undefined;
  // node:child_process loads only when a child has to run.
  const { spawn } = process.getBuiltinModule('node:child_process');
  const child = spawn(program, args, {
    env: options.env,
    detached: true,
    stdio: ['pipe', 'pipe', 'pipe'],
  }) as ChildProcessWithoutNullStreams;
  child.stdin.on('error', () => undefined);
  child.stdout.on('error', () => undefined);
  child.stderr.on('error', () => undefined);
  let killed = false;
  const onAbort = () => {
    group.finish();
    options.onInterrupt(String(options.signal.reason));
  };
  const group: GroupChild = {
    child,
    kill() {
      if (killed || child.pid === undefined) return;
      killed = true;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // the group is gone already
      }
    },
    finish() {
      group.kill();
      options.signal.removeEventListener('abort', onAbort);
      live.delete(group);
      child.stdin.destroy();
      child.stdout.destroy();
      child.stderr.destroy();
    },
  };
  options.signal.addEventListener('abort', onAbort, { once: true });
  live.add(group);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => {
      for (const g of live) g.kill();
    });
  }
  return group;
}

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

/** How a process ended, as Go's exec.ExitError says it: "exit status 1", "signal: killed". */
export function goExitText(code: number | null, signal: NodeJS.Signals | null): string {
  return code !== null ? `exit status ${code}` : `signal: ${SIGNAL_TEXT[signal ?? ''] ?? signal}`;
}
