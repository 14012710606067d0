/**
 * Phase marks for the benchmarks (CIVCTL_TRACE_PHASES=1): the loader creates the list, the program
 * adds named moments to it, and the loader prints them at exit. Without the variable, a mark is
 * one property read.
 */
type Marks = [string, number][];

export function mark(name: string): void {
  const marks = (globalThis as { __civctlMarks?: Marks | null }).__civctlMarks;
  if (marks) marks.push([name, performance.now()]);
}
