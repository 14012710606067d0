/**
 * What the program tells the bundle's loader: phase marks for the benchmarks (CIVCTL_TRACE_PHASES=1:
 * the loader creates the list, the program adds named moments to it, and the loader prints them at
 * exit; without the variable, a mark is one property read), and that a long run is ahead.
 */
type Marks = [string, number][];

export function mark(name: string): void {
  const marks = (globalThis as { __civctlMarks?: Marks | null }).__civctlMarks;
  if (marks) marks.push([name, performance.now()]);
}

/** Inputs at least this large make a long run, for expectLongRun. */
export const LONG_RUN_BYTES = 256 * 1024;

/**
 * Tells the bundle's loader that a long run of JavaScript over one large input is ahead (under
 * Node 20 it then tunes V8 for it: scripts/loader.cjs). Nothing happens outside the bundle.
 */
export function expectLongRun(): void {
  (globalThis as { __civctlLongRun?: () => void }).__civctlLongRun?.();
}
