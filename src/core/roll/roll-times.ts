/**
 * Where a roll's time went, from the batches it recorded (src/operations/roller.ts, `RollState.done`):
 * the ideal is the sum of each batch's restart (down until registered again) and catch-up (until back in
 * sync); the rest is the time between batches: the previous batch's leaders given back, then the gate (a
 * node down outside the roll, a drained Kubernetes node, a disruption budget that refused), the roller's
 * own restart, its polls. A roll's figure is read against its ideal only beside that rest.
 */
export interface RolledBatch {
  ids: readonly number[]
  /** When its restart began (epoch ms); absent in rolls saved before it was recorded. */
  startedAt?: number
  restartMs: number
  catchUpMs: number
}

export interface RollTimes {
  /** Sum of every batch's restart and catch-up (ms). */
  idealMs: number
  /** From `startedAt` (when the roll was asked for) to the first batch's restart (ms); undefined without times. */
  beforeFirstMs: number | undefined
  /**
   * Before each batch after the first: from the previous batch back in sync to this one's restart (ms),
   * with what was restarted; empty without times.
   */
  between: { ids: number[]; ms: number }[]
  /** The sum of `between` (ms). */
  betweenMs: number
  /** From the last batch back in sync to `finishedAt` (ms); undefined without times. */
  afterLastMs: number | undefined
}

/** `startedAt`/`finishedAt`: the roll's own start and end (epoch ms), when known. */
export function rollTimes(done: readonly RolledBatch[], span: { startedAt?: number; finishedAt?: number } = {}): RollTimes {
  const idealMs = done.reduce((sum, b) => sum + b.restartMs + b.catchUpMs, 0)
  const timed = done.length > 0 && done.every((b) => b.startedAt !== undefined)
  if (!timed) return { idealMs, beforeFirstMs: undefined, between: [], betweenMs: 0, afterLastMs: undefined }
  const backAt = (b: RolledBatch) => b.startedAt! + b.restartMs + b.catchUpMs
  const between = done.slice(1).map((b, i) => ({ ids: [...b.ids], ms: Math.max(0, b.startedAt! - backAt(done[i]!)) }))
  const first = done[0]!
  const last = done.at(-1)!
  return {
    idealMs,
    beforeFirstMs: span.startedAt === undefined ? undefined : Math.max(0, first.startedAt! - span.startedAt),
    between,
    betweenMs: between.reduce((sum, b) => sum + b.ms, 0),
    afterLastMs: span.finishedAt === undefined ? undefined : Math.max(0, span.finishedAt - backAt(last)),
  }
}

/** `restarts and catch-ups 154.1 s, between batches 80.2 s`; empty for a roll that restarted nothing. */
export function describeRollTimes(times: RollTimes): string {
  if (times.idealMs === 0 && times.between.length === 0) return ''
  const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`
  return `restarts and catch-ups ${s(times.idealMs)}${times.between.length > 0 ? `, between batches ${s(times.betweenMs)}` : ''}`
}
