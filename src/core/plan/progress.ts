import { partitionKey } from '../placement/model.ts'
import type { Move } from './moves.ts'

export type MoveStatus = 'pending' | 'in-flight' | 'done'

/** Where a running plan stands, for the progress line and the summary. */
export interface Progress {
  partitions: Record<MoveStatus, number>
  bytesDone: number
  bytesLeft: number
  /** Copy rate over the recent window, bytes per second (undefined until two samples exist). */
  rateBytesPerSecond: number | undefined
  /** Seconds left at that rate (undefined when unknown). */
  etaSeconds: number | undefined
}

export interface ProgressSample {
  at: number
  bytesDone: number
}

/** Samples older than this do not count towards the current rate. */
export const RATE_WINDOW_MS = 30_000

/**
 * Progress of `moves`: finished moves count whole; moves in flight count the bytes their new replicas
 * already hold (`copied`, by partition key, at most the move's bytes). The rate is measured from the
 * earlier samples of the last RATE_WINDOW_MS to this one, taken `now` (the caller keeps one per poll:
 * `sample` is the one to keep).
 */
export function progressOf(
  moves: readonly Move[],
  status: ReadonlyMap<string, MoveStatus>,
  copied: ReadonlyMap<string, number>,
  earlier: readonly ProgressSample[],
  now: number,
): Progress & { sample: ProgressSample } {
  const partitions: Record<MoveStatus, number> = { pending: 0, 'in-flight': 0, done: 0 }
  let bytesDone = 0
  let total = 0
  for (const m of moves) {
    const key = partitionKey(m)
    const s = status.get(key) ?? 'pending'
    partitions[s]++
    total += m.bytes
    if (s === 'done') bytesDone += m.bytes
    else if (s === 'in-flight') bytesDone += Math.min(m.bytes, copied.get(key) ?? 0)
  }
  const bytesLeft = total - bytesDone
  const sample = { at: now, bytesDone }
  const first = earlier.find((x) => x.at >= now - RATE_WINDOW_MS)
  const rate = first && now > first.at ? ((bytesDone - first.bytesDone) * 1000) / (now - first.at) : undefined
  return {
    sample,
    partitions,
    bytesDone,
    bytesLeft,
    rateBytesPerSecond: rate,
    etaSeconds: rate !== undefined && rate > 0 ? bytesLeft / rate : undefined,
  }
}
