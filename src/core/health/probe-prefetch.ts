/**
 * When a long-lived probe server (`kafkaplane probe serve`) should read the cluster again, so that the
 * next readiness probe finds a snapshot young enough to answer from without waiting for one.
 *
 * The kubelet probes a container at a fixed period (`periodSeconds`), so the next probe is predictable
 * from the last ones. The server answers a probe from a snapshot whose read STARTED at most `maxAgeMs`
 * before the probe arrived (the same answer a probe that ran that much earlier would have given);
 * otherwise the probe waits for a fresh read. Reading ahead costs the cluster what answering on demand
 * costs (one snapshot a period) and takes the read's time off the probe's latency.
 *
 * Algorithm:
 *   1. Needs at least 3 arrivals; the period is the median of the gaps between the last ones. When the
 *      gaps are irregular (any more than 25% off the median: a person with curl, two kubelets), there
 *      is nothing to predict: answer on demand.
 *   2. The next arrival is expected at last + period. A read that starts `lead` before it is at most
 *      `lead` old then: lead = 2 x the read's duration + 200 ms (time to finish, with a margin for a
 *      loaded machine), never more than `maxAgeMs` (a slower read is still started, and the probe
 *      waits for its end).
 *   3. No read ahead when it would start before the last arrival (probes come faster than a read takes:
 *      they share the read in flight instead).
 */
export interface PrefetchInput {
  /** Arrival times (ms) of the latest readiness probes, oldest first. */
  arrivals: readonly number[]
  /** How long a snapshot read takes (ms): the slowest of the latest few. */
  readMs: number
  /** The oldest snapshot (from the start of its read) a probe may be answered from (ms). */
  maxAgeMs: number
}

/** How many arrivals are worth keeping for the prediction. */
export const PREFETCH_HISTORY = 6

/** When to start the next read (ms, on the arrivals' clock), or undefined to read on demand. */
export function nextPrefetchAt({ arrivals, readMs, maxAgeMs }: PrefetchInput): number | undefined {
  if (arrivals.length < 3) return undefined
  const recent = arrivals.slice(-PREFETCH_HISTORY)
  const gaps = recent.slice(1).map((t, i) => t - recent[i]!)
  const period = median(gaps)
  if (period <= 0 || gaps.some((g) => Math.abs(g - period) > period * 0.25)) return undefined
  const last = recent[recent.length - 1]!
  const lead = Math.min(maxAgeMs, readMs * 2 + 200)
  const start = last + period - lead
  return start > last ? start : undefined
}

function median(xs: readonly number[]): number {
  const sorted = [...xs].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}
