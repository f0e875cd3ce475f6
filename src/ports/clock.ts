/**
 * Time, for long loops (a roll, a plan, the self-healer): passed in so that their waits and limits are
 * unit-tested without waiting. `systemClock` (src/operations/system-clock.ts) is the real one.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number
  /** Resolves after `ms`, or at once when `signal` aborts (never rejects). */
  sleep(ms: number, signal?: AbortSignal): Promise<void>
}
