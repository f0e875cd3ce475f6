import type { Proposal } from '../placement/model.ts'

/**
 * How a plan's proposals become reassignments, a few at a time (the executor's pure half).
 *
 * A move is one partition going from its old replicas to its new ones. It loads the brokers whose
 * replica set changes (the ones gaining a replica receive its data; the ones losing it are counted
 * too, as Cruise Control does, so that a broker being drained is not swamped). A move that only
 * reorders the same replicas carries no data: it is a leadership change, done by the final election.
 */
export interface Move extends Proposal {
  /** Bytes the move copies: the partition's size times the replicas it adds (0 when unknown). */
  bytes: number
  /** Fix first: the partition is at risk (its ISR is at or below min.insync.replicas, or its RF is). */
  urgent: boolean
}

/** Limits on moves in flight at once. */
export interface MoveLimits {
  /** Moves touching any one broker (gaining or losing a replica). Default 5. */
  perBroker: number
  /** Moves in the whole cluster. Default 50. */
  perCluster: number
}

export const DEFAULT_MOVE_LIMITS: MoveLimits = { perBroker: 5, perCluster: 50 }

export function addedReplicas(p: Pick<Proposal, 'oldReplicas' | 'newReplicas'>): number[] {
  return p.newReplicas.filter((b) => !p.oldReplicas.includes(b))
}

export function removedReplicas(p: Pick<Proposal, 'oldReplicas' | 'newReplicas'>): number[] {
  return p.oldReplicas.filter((b) => !p.newReplicas.includes(b))
}

/** The brokers a move loads: those gaining or losing a replica. Empty for a reorder. */
export function touchedBrokers(p: Pick<Proposal, 'oldReplicas' | 'newReplicas'>): number[] {
  return [...addedReplicas(p), ...removedReplicas(p)]
}

/**
 * What a move loads now, for the limits of `nextMoves`. A broker that is not registered does no work:
 * its replicas being dropped count against no limit, and a move that waits for it (a new replica there:
 * in flight, Kafka finishes it only once that broker is back) copies nothing to it. A move whose every
 * new broker is absent copies nothing at all and holds no slot: otherwise the moves waiting for a dead
 * broker would hold the slots of every broker they share, and stall the moves that do not need it.
 */
export function loadNow<T extends Move>(m: T, registered: ReadonlySet<number>): T {
  const added = addedReplicas(m)
  if (added.length > 0 && added.every((b) => !registered.has(b))) return { ...m, newReplicas: [...m.oldReplicas] }
  return {
    ...m,
    oldReplicas: m.oldReplicas.filter((b) => registered.has(b) || m.newReplicas.includes(b)),
    newReplicas: m.newReplicas.filter((b) => registered.has(b) || m.oldReplicas.includes(b)),
  }
}

/**
 * The moves to start now, given those in flight: urgent moves first, then the smallest (many small
 * moves finish, and free their brokers, sooner than one large one), ties by topic and partition so
 * the order is stable. A move starts only while every broker it touches and the cluster are under
 * their limits. Reorders need no data and start regardless of the limits.
 */
export function nextMoves(pending: readonly Move[], inFlight: readonly Proposal[], limits: MoveLimits = DEFAULT_MOVE_LIMITS): Move[] {
  const perBroker = new Map<number, number>()
  let cluster = 0
  for (const m of inFlight) {
    const brokers = touchedBrokers(m)
    if (brokers.length === 0) continue
    cluster++
    for (const b of brokers) perBroker.set(b, (perBroker.get(b) ?? 0) + 1)
  }
  const ordered = [...pending].sort(
    (a, b) => Number(b.urgent) - Number(a.urgent) || a.bytes - b.bytes || a.topic.localeCompare(b.topic) || a.partition - b.partition,
  )
  const chosen: Move[] = []
  for (const m of ordered) {
    const brokers = touchedBrokers(m)
    if (brokers.length === 0) {
      chosen.push(m)
      continue
    }
    if (cluster >= limits.perCluster) continue
    if (brokers.some((b) => (perBroker.get(b) ?? 0) >= limits.perBroker)) continue
    chosen.push(m)
    cluster++
    for (const b of brokers) perBroker.set(b, (perBroker.get(b) ?? 0) + 1)
  }
  return chosen
}

/**
 * The replication throttle for the moves in flight, as `kafka-reassign-partitions` sets it (Kafka 4.1):
 * on every topic moving, `leader.replication.throttled.replicas` lists `partition:broker` for each
 * current replica (any may lead and serve the copy) and `follower.replication.throttled.replicas` each
 * new replica; every broker involved gets the leader and follower rates. Replicas not listed replicate
 * at full speed, so the rest of the cluster is not slowed.
 */
export interface ThrottlePlan {
  rateBytesPerSecond: number
  brokers: number[]
  topics: Map<string, { leader: string; follower: string }>
}

export function throttlePlan(moves: readonly Proposal[], rateBytesPerSecond: number): ThrottlePlan {
  const brokers = new Set<number>()
  const leader = new Map<string, string[]>()
  const follower = new Map<string, string[]>()
  for (const m of moves) {
    const added = addedReplicas(m)
    if (added.length === 0) continue
    for (const b of m.oldReplicas) {
      brokers.add(b)
      leader.set(m.topic, [...(leader.get(m.topic) ?? []), `${m.partition}:${b}`])
    }
    for (const b of added) {
      brokers.add(b)
      follower.set(m.topic, [...(follower.get(m.topic) ?? []), `${m.partition}:${b}`])
    }
  }
  const topics = new Map<string, { leader: string; follower: string }>()
  for (const topic of [...leader.keys()].sort()) topics.set(topic, { leader: leader.get(topic)!.join(','), follower: follower.get(topic)!.join(',') })
  return { rateBytesPerSecond, brokers: [...brokers].sort((a, b) => a - b), topics }
}

/** Two throttle plans set the same configs (so nothing needs to be sent again). */
export function sameThrottle(a: ThrottlePlan | undefined, b: ThrottlePlan): boolean {
  if (!a || a.rateBytesPerSecond !== b.rateBytesPerSecond || a.brokers.join() !== b.brokers.join() || a.topics.size !== b.topics.size) return false
  for (const [topic, t] of b.topics) {
    const other = a.topics.get(topic)
    if (!other || other.leader !== t.leader || other.follower !== t.follower) return false
  }
  return true
}

/**
 * The moves of a plan: each proposal with the bytes it copies (the partition's size times the replicas
 * it adds) and whether it is urgent (the partition is at risk now: its ISR or its replication factor is
 * at or below min.insync.replicas, so one more loss stops acks=all writes).
 */
export function toMoves(
  proposals: readonly Proposal[],
  partitions: ReadonlyMap<string, { isr: readonly number[]; minInsync: number }>,
  sizeBytes: (key: string) => number | undefined,
): Move[] {
  return proposals.map((p) => {
    const key = `${p.topic}-${p.partition}`
    const state = partitions.get(key)
    const urgent = state !== undefined && (state.isr.length <= state.minInsync || p.oldReplicas.length <= state.minInsync) && p.newReplicas.length > p.oldReplicas.length
    return { ...p, bytes: (sizeBytes(key) ?? 0) * addedReplicas(p).length, urgent }
  })
}
