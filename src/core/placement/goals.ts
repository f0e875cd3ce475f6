import type { PlacementState } from './placement-state.ts'
import { compareScores } from './spread.ts'

/**
 * A placement goal (after Cruise Control's Goal): a name, hard or soft, how well a placement meets it,
 * and whether a change to one partition is acceptable to it. Goals run in priority order; an optimizer
 * working for a later goal only makes changes that every earlier goal accepts, so a later goal never
 * undoes an earlier one.
 */
export interface Goal {
  name: string
  hard: boolean
  /** How the placement stands against this goal, for a person. */
  evaluate(state: PlacementState): GoalStatus
  /** Would setting partition `i` to `replicas` keep this goal at least as well met as now? */
  accept(state: PlacementState, i: number, replicas: readonly number[]): boolean
}

export interface GoalStatus {
  satisfied: boolean
  /** One line, e.g. "3 partitions unevenly spread (payments-0, ...)". */
  detail: string
}

export interface BalanceOptions {
  /** Allowed relative deviation from a broker's fair share before it counts as unbalanced (0.05 = 5%). */
  tolerance: number
}

export const DEFAULT_TOLERANCE = 0.05

function examples(names: string[]): string {
  return names.length === 0 ? '' : ` (${names.slice(0, 3).join(', ')}${names.length > 3 ? ', ...' : ''})`
}

export const distinctBrokers: Goal = {
  name: 'distinct-brokers',
  hard: true,
  evaluate(state) {
    const bad = state.partitions.filter((p) => new Set(p.replicas).size !== p.replicas.length)
    return { satisfied: bad.length === 0, detail: `${bad.length} partitions with a broker twice${examples(bad.map((p) => `${p.topic}-${p.partition}`))}` }
  },
  accept: (_state, _i, replicas) => new Set(replicas).size === replicas.length,
}

export const noReplicasOnLeavingBrokers: Goal = {
  name: 'no-replicas-on-draining-or-excluded',
  hard: true,
  evaluate(state) {
    const bad = state.partitions.filter((p) => p.replicas.some((b) => state.brokers.get(b)?.state === 'draining'))
    return {
      satisfied: bad.length === 0,
      detail: `${bad.length} partitions with replicas on draining brokers${examples(bad.map((p) => `${p.topic}-${p.partition}`))}`,
    }
  },
  accept(state, i, replicas) {
    const before = new Set(state.partitions[i]!.replicas)
    // No replica on a draining broker; no NEW replica on an excluded one.
    return replicas.every((b) => {
      const s = state.brokers.get(b)?.state
      return s === 'active' || (s === 'excluded' && before.has(b))
    })
  },
}

export const evenSpread: Goal = {
  name: 'even-spread-on-every-dimension',
  hard: true,
  evaluate(state) {
    const bad: string[] = []
    state.partitions.forEach((p, i) => {
      if (!state.spreadIsOptimal(i)) bad.push(`${p.topic}-${p.partition}`)
    })
    return { satisfied: bad.length === 0, detail: `${bad.length} partitions spread worse than their brokers allow${examples(bad)}` }
  },
  accept(state, i, replicas) {
    const p = state.partitions[i]!
    return compareScores(state.index.score(replicas, p.minInsync), state.index.score(p.replicas, p.minInsync)) <= 0
  },
}

/** Fair share bounds of a broker: [floor(share x (1 - tol)), ceil(share x (1 + tol))]. */
export function shareBounds(share: number, tolerance: number): [number, number] {
  return [Math.floor(share * (1 - tolerance) + 1e-9), Math.ceil(share * (1 + tolerance) - 1e-9)]
}

/** Fair replica share of every active broker, weighted by capacity. */
export function replicaShares(state: PlacementState): Map<number, number> {
  const active = [...state.brokers.values()].filter((b) => b.state === 'active')
  const total = active.reduce((n, b) => n + state.replicaLoad.get(b.id)!, 0)
  const capacity = active.reduce((n, b) => n + b.capacity, 0)
  return new Map(active.map((b) => [b.id, (total * b.capacity) / capacity]))
}

export function replicaBalance(options: BalanceOptions): Goal {
  return {
    name: 'replica-balance',
    hard: false,
    evaluate(state) {
      const shares = replicaShares(state)
      const out: string[] = []
      for (const [id, share] of shares) {
        const [low, high] = shareBounds(share, options.tolerance)
        const load = state.replicaLoad.get(id)!
        if (load < low || load > high) out.push(`broker ${id} has ${load} (fair ${share.toFixed(1)})`)
      }
      return { satisfied: out.length === 0, detail: `${out.length} brokers outside ${Math.round(options.tolerance * 100)}% of their fair replica share${examples(out)}` }
    },
    accept(state, i, replicas) {
      // A change may not push any broker further outside its band than it already is.
      const shares = replicaShares(state)
      const before = state.partitions[i]!.replicas
      for (const b of replicas.filter((x) => !before.includes(x))) {
        const share = shares.get(b)
        if (share !== undefined && state.replicaLoad.get(b)! + 1 > shareBounds(share, options.tolerance)[1]) return false
      }
      for (const b of before.filter((x) => !replicas.includes(x))) {
        const share = shares.get(b)
        if (share !== undefined && state.replicaLoad.get(b)! - 1 < shareBounds(share, options.tolerance)[0]) return false
      }
      return true
    },
  }
}

/** Fair leader share of every broker that may lead (active or excluded), weighted by capacity. */
export function leaderShares(state: PlacementState): Map<number, number> {
  const leaders = [...state.brokers.values()].filter((b) => b.state !== 'draining')
  const capacity = leaders.reduce((n, b) => n + b.capacity, 0)
  return new Map(leaders.map((b) => [b.id, (state.partitions.length * b.capacity) / capacity]))
}

export function leaderBalance(options: BalanceOptions): Goal {
  return {
    name: 'leader-balance',
    hard: false,
    evaluate(state) {
      const shares = leaderShares(state)
      const out: string[] = []
      for (const [id, share] of shares) {
        const load = state.leaderLoad.get(id)!
        if (load > shareBounds(share, options.tolerance)[1]) out.push(`broker ${id} leads ${load} (fair ${share.toFixed(1)})`)
      }
      const domains = domainLeaderSpread(state)
      return {
        satisfied: out.length === 0,
        detail: `${out.length} brokers lead more than their share${examples(out)}; leaders per domain: ${domains}`,
      }
    },
    accept(state, i, replicas) {
      const before = state.partitions[i]!.replicas[0]
      const after = replicas[0]
      if (before === after || after === undefined) return true
      const share = leaderShares(state).get(after)
      return share !== undefined && state.leaderLoad.get(after)! + 1 <= shareBounds(share, options.tolerance)[1]
    },
  }
}

/** Fair share of bytes of every active broker, weighted by capacity; empty when no sizes are known. */
export function byteShares(state: PlacementState): Map<number, number> {
  const active = [...state.brokers.values()].filter((b) => b.state === 'active')
  const total = active.reduce((n, b) => n + state.bytesLoad.get(b.id)!, 0)
  if (total === 0) return new Map()
  const capacity = active.reduce((n, b) => n + b.capacity, 0)
  return new Map(active.map((b) => [b.id, (total * b.capacity) / capacity]))
}

export function diskBalance(options: BalanceOptions): Goal {
  const over = (state: PlacementState, b: number, bytes: number, shares: Map<number, number>) =>
    shares.has(b) && bytes > shares.get(b)! * (1 + options.tolerance)
  return {
    name: 'disk-balance',
    hard: false,
    evaluate(state) {
      const shares = byteShares(state)
      if (shares.size === 0) return { satisfied: true, detail: 'no partition sizes given' }
      const out = [...shares.keys()].filter((b) => over(state, b, state.bytesLoad.get(b)!, shares))
      return {
        satisfied: out.length === 0,
        detail: `${out.length} brokers hold more than ${Math.round(options.tolerance * 100)}% over their fair share of bytes${examples(out.map((b) => `broker ${b}: ${state.bytesLoad.get(b)} bytes`))}`,
      }
    },
    accept(state, i, replicas) {
      const shares = byteShares(state)
      const size = state.partitions[i]!.sizeBytes ?? 0
      if (shares.size === 0 || size === 0) return true
      const before = state.partitions[i]!.replicas
      return replicas.filter((b) => !before.includes(b)).every((b) => !over(state, b, state.bytesLoad.get(b)! + size, shares))
    },
  }
}

/** "zone a/b/c 34/33/33" for every dimension: the leader spread over domains, for reports. */
export function domainLeaderSpread(state: PlacementState): string {
  return state.dimensions
    .map((dimension, d) => {
      const counts = new Array<number>(state.index.domains[d]!.length).fill(0)
      for (const p of state.partitions) {
        const leader = p.replicas[0]
        if (leader !== undefined && state.brokers.has(leader)) counts[state.index.cells[state.index.cellOf(leader)]!.domains[d]!]!++
      }
      return `${dimension} ${state.index.domains[d]!.join('/')} ${counts.join('/')}`
    })
    .join(', ')
}

/**
 * Fair share of one topic's replicas of every active broker, weighted by capacity: a topic's traffic
 * spreads over the brokers only when its replicas do, whatever the other topics hold.
 */
export function topicShares(state: PlacementState, topic: string): Map<number, number> {
  const active = [...state.brokers.values()].filter((b) => b.state === 'active')
  const total = active.reduce((n, b) => n + state.topicLoad(topic, b.id), 0)
  const capacity = active.reduce((n, b) => n + b.capacity, 0)
  return new Map(active.map((b) => [b.id, (total * b.capacity) / capacity]))
}

/**
 * A topic's band around a broker's share: the tolerance rounded inward, but never tighter than
 * [floor(share), ceil(share)]. A topic's share per broker is often a few replicas, where the global band
 * (rounded outward) would call 2 or 4 replicas a fair share of 3; for large shares both agree.
 */
export function topicShareBounds(share: number, tolerance: number): [number, number] {
  return [
    Math.min(Math.ceil(share * (1 - tolerance) - 1e-9), Math.floor(share + 1e-9)),
    Math.max(Math.floor(share * (1 + tolerance) + 1e-9), Math.ceil(share - 1e-9)),
  ]
}

export function topicReplicaBalance(options: BalanceOptions): Goal {
  return {
    name: 'topic-replica-balance',
    hard: false,
    evaluate(state) {
      if (!Number.isFinite(options.tolerance)) return { satisfied: true, detail: 'no tolerance: not balanced' }
      const out: string[] = []
      for (const topic of state.topicPartitions.keys()) {
        const shares = topicShares(state, topic)
        for (const [b, share] of shares) {
          const load = state.topicLoad(topic, b)
          const [low, high] = topicShareBounds(share, options.tolerance)
          if (load < low || load > high) out.push(`${topic} on broker ${b}: ${load} (fair ${share.toFixed(1)})`)
        }
      }
      return { satisfied: out.length === 0, detail: `${out.length} topic replica counts outside their fair share${examples(out)}` }
    },
    accept(state, i, replicas) {
      // A change may not push a broker further outside its band for the partition's topic.
      if (!Number.isFinite(options.tolerance)) return true
      const topic = state.partitions[i]!.topic
      const before = state.partitions[i]!.replicas
      const shares = topicShares(state, topic)
      const changed = [...replicas.filter((b) => !before.includes(b)), ...before.filter((b) => !replicas.includes(b))]
      return changed.every((b) => {
        if (!shares.has(b)) return true
        const [low, high] = topicShareBounds(shares.get(b)!, options.tolerance)
        const now = state.topicLoad(topic, b)
        const after = now + (replicas.includes(b) ? 1 : -1)
        return after >= low && after <= high ? true : Math.abs(after - shares.get(b)!) <= Math.abs(now - shares.get(b)!)
      })
    },
  }
}

/** The goals in priority order. */
export function goals(options: BalanceOptions): Goal[] {
  return [
    distinctBrokers,
    noReplicasOnLeavingBrokers,
    evenSpread,
    replicaBalance(options),
    topicReplicaBalance(options),
    leaderBalance(options),
    diskBalance(options),
  ]
}
