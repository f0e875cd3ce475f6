/** Exponential backoff: how long to wait before attempt `attempt` (1 = the first retry). */
export interface BackoffOptions {
  /** The first delay, milliseconds (default 500). */
  baseMs?: number
  /** The longest delay, milliseconds (default 60 000). */
  maxMs?: number
}

/** `baseMs * 2^(attempt-1)`, at most `maxMs`. Deterministic (no jitter): one operator, few keys. */
export function backoffDelay(attempt: number, options: BackoffOptions = {}): number {
  const base = options.baseMs ?? 500
  const max = options.maxMs ?? 60_000
  return Math.min(max, base * 2 ** Math.max(0, Math.min(attempt - 1, 30)))
}
