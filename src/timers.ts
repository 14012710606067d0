/**
 * Durations given in seconds, as Node's timers take them. Node keeps a timer (setTimeout,
 * AbortSignal.timeout, undici's timeouts) of at most 2^31−1 ms; a longer one fires after 1 ms
 * with a TimeoutOverflowWarning, so duration options refuse more (spec.ts, range 'duration').
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** The longest duration option, in seconds: 2147483.647 (about 24.8 days). */
export const MAX_TIMER_SECONDS = MAX_TIMER_MS / 1000;

/**
 * Seconds as a timer's milliseconds: rounded, and at least 1 ms. A tiny positive value must not
 * become 0: undici reads a timeout of 0 as "no timeout at all".
 */
export function timerMs(seconds: number): number {
  return Math.max(1, Math.round(seconds * 1000));
}
