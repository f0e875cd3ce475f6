/**
 * A consumer group's status, Burrow's way (linkedin/Burrow, core/internal/evaluator/caching.go): each
 * partition the group committed is judged over a window of its last `intervals` offset samples (10 by
 * default, Burrow's `intervals`), and the group takes the worst partition status, where STOP, STALL and
 * REWIND count as ERR.
 *
 * A sample is one observation of the group's committed offset: its offset, when it was seen, and the lag
 * then (the partition's high watermark minus the offset). Burrow reads every commit from
 * __consumer_offsets; the exporter instead observes the committed offsets at each collection and records
 * a sample when the group has members (a live consumer commits, even the same offset again) or when the
 * offset moved (src/observe/collector.ts). A group without members adds no samples, so its window ages
 * and it shows STOP, as Burrow's does when commits stop.
 *
 * Rules of one partition, in this order (`currentLag` is the lag now):
 *   0. currentLag <= allowedLag (0 by default): OK.
 *   1. STOP: the last sample is older than the window is long (now - last > last - first), unless the
 *      partition's recent high watermarks show the consumer was caught up (one at or below the last
 *      committed offset).
 *   2. REWIND: the offset went backwards within the window and has not come back to where it was.
 *   3. If the lag was at or below allowedLag in any sample: OK. Otherwise:
 *   4. STALL: every sample has the same offset (committing without moving);
 *   5. WARN: the offsets move but the lag never decreases from one sample to the next (a slow consumer).
 *   6. OK.
 * A window with fewer samples than `intervals` is incomplete; Burrow evaluates it only when it is at
 * least `minimumComplete` full (0 by default: always).
 */
export interface OffsetSample {
  offset: number
  /** When the offset was seen (ms since epoch). */
  at: number
  /** The partition's high watermark minus the offset when seen; undefined when the watermark was unknown. */
  lag: number | undefined
}

export interface PartitionWindow {
  /** Oldest first, at most `intervals`. */
  samples: readonly OffsetSample[]
  /** The partition's recent high watermarks (Burrow's broker offsets), oldest first, at most `intervals`. */
  highWatermarks: readonly number[]
}

export type PartitionStatus = 'OK' | 'WARN' | 'STOP' | 'STALL' | 'REWIND'
export type GroupStatus = 'OK' | 'WARN' | 'ERR'

export const PARTITION_STATUSES: readonly PartitionStatus[] = ['OK', 'WARN', 'STOP', 'STALL', 'REWIND']
export const GROUP_STATUSES: readonly GroupStatus[] = ['OK', 'WARN', 'ERR']

export interface EvaluatorOptions {
  /** Samples kept per partition (Burrow's `intervals`, default 10). */
  intervals: number
  /** Lag at or below which a partition is never in trouble (Burrow's `allowed-lag`, default 0). */
  allowedLag: number
  /** Fraction of the window that must be filled before a partition is judged (Burrow's `minimum-complete`, default 0). */
  minimumComplete: number
}

export const DEFAULT_EVALUATOR: EvaluatorOptions = { intervals: 10, allowedLag: 0, minimumComplete: 0 }

export const EMPTY_WINDOW: PartitionWindow = { samples: [], highWatermarks: [] }

/** The window with one more high watermark, and one more sample when given; the oldest drop out. */
export function observe(window: PartitionWindow, highWatermark: number | undefined, sample: OffsetSample | undefined, intervals = DEFAULT_EVALUATOR.intervals): PartitionWindow {
  const keep = <T>(list: readonly T[], item: T | undefined): readonly T[] => (item === undefined ? list : [...list, item].slice(-intervals))
  return { samples: keep(window.samples, sample), highWatermarks: keep(window.highWatermarks, highWatermark) }
}

/**
 * The window after one collection saw the group's committed offset (`offset`) with `members` members
 * and the partition's high watermark (undefined when it could not be read): the high watermark always
 * joins it, and a sample when the group has members (a live consumer commits, even the same offset) or
 * the offset moved since `previousOffset`.
 */
export function observeCommit(
  window: PartitionWindow,
  seen: { offset: number; previousOffset: number | undefined; members: number; highWatermark: number | undefined; at: number },
  intervals = DEFAULT_EVALUATOR.intervals,
): PartitionWindow {
  const lag = seen.highWatermark === undefined ? undefined : Math.max(0, seen.highWatermark - seen.offset)
  const committed = seen.members > 0 || seen.offset !== seen.previousOffset
  return observe(window, seen.highWatermark, committed ? { offset: seen.offset, at: seen.at, lag } : undefined, intervals)
}

/** One partition's status at `now` (ms), with `currentLag` the lag now. */
export function partitionStatus(window: PartitionWindow, currentLag: number, now: number, options: EvaluatorOptions = DEFAULT_EVALUATOR): PartitionStatus {
  const samples = window.samples
  if (samples.length === 0) return 'OK'
  if (samples.length / options.intervals < options.minimumComplete) return 'OK'
  if (currentLag <= options.allowedLag) return 'OK'
  const first = samples[0]!
  const last = samples[samples.length - 1]!
  const recentlyCaughtUp = window.highWatermarks.some((hw) => hw <= last.offset)
  if (now - last.at > last.at - first.at && !recentlyCaughtUp) return 'STOP'
  const rewind = samples.findIndex((s, i) => i > 0 && s.offset < samples[i - 1]!.offset)
  if (rewind > 0 && !samples.slice(rewind).some((s) => s.offset >= samples[rewind - 1]!.offset)) return 'REWIND'
  if (samples.some((s) => s.lag !== undefined && s.lag <= options.allowedLag)) return 'OK'
  if (samples.every((s) => s.offset === first.offset)) return 'STALL'
  if (lagNeverDecreases(samples)) return 'WARN'
  return 'OK'
}

function lagNeverDecreases(samples: readonly OffsetSample[]): boolean {
  let previous: number | undefined
  for (const s of samples) {
    if (s.lag === undefined) continue
    if (previous !== undefined && s.lag < previous) return false
    previous = s.lag
  }
  return true
}

/** The group's status from its partitions': the worst, STOP, STALL and REWIND counting as ERR (Burrow). */
export function groupStatus(partitions: Iterable<PartitionStatus>): GroupStatus {
  let status: GroupStatus = 'OK'
  for (const p of partitions) {
    if (p === 'WARN' && status === 'OK') status = 'WARN'
    else if (p === 'STOP' || p === 'STALL' || p === 'REWIND') return 'ERR'
  }
  return status
}
