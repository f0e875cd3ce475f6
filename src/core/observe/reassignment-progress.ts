/**
 * Partition reassignments in flight, as the exporter sees them from Kafka alone (whoever started them:
 * a kafkaplane plan, the operator, or another tool): how many, the bytes their new replicas still have
 * to copy, and an ETA at the rate those bytes went down over the recent window. A plan's own state (its
 * moves not yet started, its name) lives in the state file of the process that runs it
 * (src/executor/plan-state.ts), not in Kafka, so the exporter counts only what is in flight.
 */
export interface ReassignmentInFlight {
  topic: string
  partition: number
  /** Brokers receiving a new replica. */
  adding: readonly number[]
}

export interface ReassignmentProgress {
  partitions: number
  /** Bytes the adding replicas still lack; undefined when the replica sizes could not be read. */
  bytesLeft: number | undefined
  /** Bytes per second bytesLeft went down over the window; undefined until two samples exist. */
  rateBytesPerSecond: number | undefined
  /** bytesLeft / rate, when the rate is above 0. */
  etaSeconds: number | undefined
}

export interface BytesLeftSample {
  at: number
  bytesLeft: number
}

/** Samples older than this do not count towards the rate. */
export const REASSIGNMENT_RATE_WINDOW_MS = 60_000

/**
 * `sizes` gives each partition's replica bytes by broker (by `${topic}\u0000${partition}`). A partition's
 * bytes left: for each adding replica, the largest size among the replicas not being added (the leader's
 * log, normally) less what the adding one holds. `earlier` are samples the caller kept (it keeps
 * `sample`); the rate counts only a decrease (new reassignments add bytes: rate 0 then, no ETA).
 */
export function reassignmentProgress(
  inFlight: readonly ReassignmentInFlight[],
  sizes: ReadonlyMap<string, ReadonlyMap<number, number>> | undefined,
  earlier: readonly BytesLeftSample[],
  now: number,
): ReassignmentProgress & { sample: BytesLeftSample | undefined } {
  if (inFlight.length === 0) return { partitions: 0, bytesLeft: 0, rateBytesPerSecond: undefined, etaSeconds: undefined, sample: { at: now, bytesLeft: 0 } }
  if (sizes === undefined) return { partitions: inFlight.length, bytesLeft: undefined, rateBytesPerSecond: undefined, etaSeconds: undefined, sample: undefined }
  let bytesLeft = 0
  for (const r of inFlight) {
    const bytes = sizes.get(`${r.topic}\u0000${r.partition}`) ?? new Map<number, number>()
    const source = Math.max(0, ...[...bytes].filter(([b]) => !r.adding.includes(b)).map(([, n]) => n))
    for (const b of r.adding) bytesLeft += Math.max(0, source - (bytes.get(b) ?? 0))
  }
  const first = earlier.find((s) => s.at >= now - REASSIGNMENT_RATE_WINDOW_MS && s.at < now)
  const rate = first ? Math.max(0, ((first.bytesLeft - bytesLeft) * 1000) / (now - first.at)) : undefined
  return {
    partitions: inFlight.length,
    bytesLeft,
    rateBytesPerSecond: rate,
    etaSeconds: rate !== undefined && rate > 0 ? bytesLeft / rate : undefined,
    sample: { at: now, bytesLeft },
  }
}
