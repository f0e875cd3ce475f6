import type { PlacementBroker, PlacementModel, PlacementPartition } from './model.ts'
import { SpreadIndex } from './spread.ts'

/**
 * What a partition survives. For each dimension:
 * - domain loss: any one domain of the dimension goes away (a zone outage, a Kubernetes cluster lost);
 *   writable when the replicas left are >= min.insync.replicas, readable when at least one is left;
 * - maintenance: one broker down in every domain of the dimension at once (rolling every zone in
 *   parallel, as Wise does): the partition loses one replica per domain it has replicas in;
 * - durable: min.insync.replicas > the replicas in any one domain, so an acknowledged (acks=all) write
 *   is on at least two domains and survives the loss of one.
 */
export interface DimensionSurvival {
  dimension: string
  /** Most replicas of the partition in one domain of this dimension. */
  worstDomainReplicas: number
  writableAfterDomainLoss: boolean
  readableAfterDomainLoss: boolean
  writableDuringMaintenance: boolean
  durableAfterDomainLoss: boolean
}

export function partitionSurvival(index: SpreadIndex, replicas: readonly number[], minInsync: number): DimensionSurvival[] {
  const perDimension = index.domainCounts(index.cellCounts(replicas))
  const rf = replicas.length
  return index.dimensions.map((dimension, d) => {
    const counts = perDimension[d]!
    const worst = Math.max(0, ...counts)
    const domainsUsed = counts.filter((n) => n > 0).length
    return {
      dimension,
      worstDomainReplicas: worst,
      writableAfterDomainLoss: rf - worst >= minInsync,
      readableAfterDomainLoss: rf - worst >= 1,
      writableDuringMaintenance: rf - domainsUsed >= minInsync,
      durableAfterDomainLoss: minInsync > worst,
    }
  })
}

export interface SurvivalSummary {
  dimension: string
  partitions: number
  writableAfterDomainLoss: number
  readableAfterDomainLoss: number
  writableDuringMaintenance: number
  durableAfterDomainLoss: number
}

/** Counts, per dimension, the partitions that survive each case. */
export function summarizeSurvival(index: SpreadIndex, partitions: readonly PlacementPartition[]): SurvivalSummary[] {
  const summary = index.dimensions.map((dimension) => ({
    dimension,
    partitions: 0,
    writableAfterDomainLoss: 0,
    readableAfterDomainLoss: 0,
    writableDuringMaintenance: 0,
    durableAfterDomainLoss: 0,
  }))
  for (const p of partitions) {
    partitionSurvival(index, p.replicas, p.minInsync).forEach((s, d) => {
      const row = summary[d]!
      row.partitions++
      if (s.writableAfterDomainLoss) row.writableAfterDomainLoss++
      if (s.readableAfterDomainLoss) row.readableAfterDomainLoss++
      if (s.writableDuringMaintenance) row.writableDuringMaintenance++
      if (s.durableAfterDomainLoss) row.durableAfterDomainLoss++
    })
  }
  return summary
}

export interface Advice {
  replicationFactor: number
  minInsync: number
  /** Per dimension, what the best placement for this pair survives. */
  survival: DimensionSurvival[]
  /** Writable after the loss of any one domain of every dimension. */
  survivesAnyDomainLoss: boolean
}

/**
 * For a set of brokers, which (RF, min.insync) pairs survive which failure cases, each evaluated on the
 * best placement the engine would choose. Pairs run from RF 1 to min(brokers, maxRf), min.insync 1..RF.
 */
export function advise(dimensions: readonly string[], brokers: readonly PlacementBroker[], maxRf = 6): Advice[] {
  const eligible = brokers.filter((b) => b.state === 'active')
  const index = new SpreadIndex(dimensions, eligible)
  const caps = new Int32Array(index.cells.map((c) => c.brokers.length))
  const none = new Int32Array(index.cells.length)
  const advice: Advice[] = []
  for (let rf = 1; rf <= Math.min(eligible.length, maxRf); rf++) {
    for (let minInsync = 1; minInsync <= rf; minInsync++) {
      const best = index.optimal(rf, minInsync, caps, none).patterns[0]!
      const replicas = index.cells.flatMap((cell) => cell.brokers.slice(0, best[cell.index]!))
      const survival = partitionSurvival(index, replicas, minInsync)
      advice.push({ replicationFactor: rf, minInsync, survival, survivesAnyDomainLoss: survival.every((s) => s.writableAfterDomainLoss) })
    }
  }
  return advice
}

/**
 * The recommendation for teams that cannot lose a message: among pairs with min.insync >= 2 that stay
 * writable after the loss of any one domain, the one durable on the most dimensions (acknowledged writes
 * survive the loss), then the smallest RF, then writable during maintenance on the most dimensions, then
 * the largest min.insync. Three zones give RF 3 / min.insync 2; Wise's 2 clusters x 3 zones give RF 6 /
 * min.insync 3. Undefined when no pair up to the maximum RF survives.
 */
export function recommend(advice: readonly Advice[]): Advice | undefined {
  const candidates = advice.filter((a) => a.survivesAnyDomainLoss && a.minInsync >= 2)
  const count = (a: Advice, key: 'durableAfterDomainLoss' | 'writableDuringMaintenance') => a.survival.filter((s) => s[key]).length
  const rank = (a: Advice) => [-count(a, 'durableAfterDomainLoss'), a.replicationFactor, -count(a, 'writableDuringMaintenance'), -a.minInsync]
  return candidates.sort((a, b) => {
    const ra = rank(a)
    const rb = rank(b)
    for (let i = 0; i < ra.length; i++) if (ra[i] !== rb[i]) return ra[i]! - rb[i]!
    return 0
  })[0]
}

/**
 * What removing brokers costs in survivability: for each dimension, the partitions that stay writable
 * after the loss of any one domain now but would not on `after` (the assignment once the brokers are
 * drained, on the brokers left), partition by partition (a plan may mend one partition's spread while
 * it breaks another's: they do not cancel out). Each line names the dimension, the domains left
 * without a broker, and the counts. Empty when no partition survives less.
 */
export function survivabilityLost(model: PlacementModel, after: readonly PlacementPartition[], removing: readonly number[]): string[] {
  const nowIndex = new SpreadIndex(model.dimensions, model.brokers)
  const thenIndex = new SpreadIndex(model.dimensions, model.brokers.filter((b) => !removing.includes(b.id)))
  const before = new Map(model.partitions.map((p) => [`${p.topic}-${p.partition}`, partitionSurvival(nowIndex, p.replicas, p.minInsync)]))
  const lost = model.dimensions.map(() => 0)
  const writableNow = model.dimensions.map(() => 0)
  for (const survival of before.values()) survival.forEach((s, d) => s.writableAfterDomainLoss && writableNow[d]!++)
  for (const p of after) {
    const was = before.get(`${p.topic}-${p.partition}`)
    if (!was) continue
    partitionSurvival(thenIndex, p.replicas, p.minInsync).forEach((s, d) => {
      if (was[d]!.writableAfterDomainLoss && !s.writableAfterDomainLoss) lost[d]!++
    })
  }
  const active = model.brokers.filter((b) => b.state !== 'excluded')
  const left = active.filter((b) => !removing.includes(b.id))
  return model.dimensions.flatMap((dimension, d) => {
    if (lost[d] === 0) return []
    const emptied = [...new Set(active.map((b) => b.labels[dimension]!))].filter((domain) => !left.some((b) => b.labels[dimension] === domain))
    return [
      `${lost[d]} of the ${writableNow[d]} partitions that stay writable when one ${dimension} is lost would not any more` +
        (emptied.length > 0 ? ` (${dimension} ${emptied.join(', ')} would keep no broker)` : ''),
    ]
  })
}
