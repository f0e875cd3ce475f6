import { canStop, domainsThatCanStop, type RestartCheck } from '../health/restart-check.ts'
import type { ClusterSnapshot } from '../health/snapshot.ts'
import { DEFAULT_TOLERANCE, goals } from '../placement/goals.ts'
import { modelFromTopology, type PlacementModel } from '../placement/model.ts'
import { PlacementState } from '../placement/placement-state.ts'
import { SpreadIndex } from '../placement/spread.ts'
import { summarizeSurvival } from '../placement/survivability.ts'
import type { Topology } from '../topology/topology.ts'

/**
 * What the exporter says about the risks of a cluster, from one snapshot and its failure domains, with
 * no I/O. Each part is the core's own rule, run for every broker and every domain:
 *   - restartability: may each live broker, and each whole domain of each dimension, go down now?
 *     (core/health/restart-check.ts: the ISR left stays at min.insync.replicas, the controller quorum
 *     keeps a caught-up majority), with what blocks it: partitions per topic, or the quorum;
 *   - survivability per failure case: for the loss of each single domain, the partitions that would stop
 *     taking acks=all writes (fewer than min.insync.replicas of their replicas outside it) or lose every
 *     replica, as assigned (core/placement/survivability.ts's rule, domain by domain); and per dimension,
 *     the partitions that survive the loss of ANY one domain (summarizeSurvival);
 *   - placement goals (core/placement/goals.ts, in priority order): whether each is met, and per topic the
 *     partitions spread worse than their brokers allow (the hard spread goal, on every dimension).
 * Domains come from the topology recorded in the cluster, else from broker.rack (`effectiveTopology`).
 */
export interface DomainRestart {
  dimension: string
  domain: string
  check: RestartCheck
}

export interface DomainLoss {
  dimension: string
  domain: string
  /** Partitions with at least one replica in the domain. */
  partitions: number
  /** Partitions left with fewer than min.insync.replicas replicas: acks=all writes stop. */
  unwritable: number
  /** Partitions left with no replica. */
  unreadable: number
}

export interface DimensionSurvivability {
  dimension: string
  partitions: number
  /** Partitions that stay writable whichever one domain of the dimension is lost. */
  writableAfterAnyDomainLoss: number
}

export interface GoalState {
  goal: string
  hard: boolean
  satisfied: boolean
  detail: string
}

export interface ClusterRisk {
  brokers: { id: number; check: RestartCheck }[]
  /** Empty when no failure domains are known. */
  domains: DomainRestart[]
  domainLoss: DomainLoss[]
  survivability: DimensionSurvivability[]
  goals: GoalState[]
  /** Partitions per topic whose spread is worse than their brokers allow (topics with none left out). */
  spreadViolations: { topic: string; partitions: number }[]
}

const UNKNOWN = '(unknown)'

/**
 * The failure domains to judge by: the topology when known, else one dimension `rack` from broker.rack
 * when every broker the snapshot knows has one; undefined otherwise.
 */
export function effectiveTopology(snapshot: ClusterSnapshot, topology: Topology | undefined): Topology | undefined {
  if (topology) return topology
  const known = [...snapshot.brokers, ...(snapshot.fencedBrokers ?? [])]
  if (known.length === 0 || known.some((b) => b.rack === undefined || b.rack === '')) return undefined
  return { dimensions: ['rack'], brokers: known.map((b) => ({ id: b.id, labels: { rack: b.rack! } })) }
}

/**
 * The placement model of what runs: the topology's brokers (one not registered now is `excluded`: it
 * keeps its replicas, takes none), brokers holding replicas that the topology lacks labelled
 * `(unknown)` in every dimension and excluded too, and every partition with its topic's min.insync.replicas.
 */
export function liveModel(snapshot: ClusterSnapshot, topology: Topology): PlacementModel {
  const registered = new Set(snapshot.brokers.map((b) => b.id))
  const known = new Set(topology.brokers.map((b) => b.id))
  const unknown = [...new Set(snapshot.partitions.flatMap((p) => p.replicas))].filter((id) => !known.has(id))
  const brokers = [
    ...topology.brokers.map((b) => ({ ...b, state: registered.has(b.id) ? (b.state ?? 'active') : ('excluded' as const) })),
    ...unknown.map((id) => ({ id, labels: Object.fromEntries(topology.dimensions.map((d) => [d, UNKNOWN])), state: 'excluded' as const })),
  ]
  const minInsync = new Map(snapshot.partitions.map((p) => [p.topic, p.minInsync]))
  return modelFromTopology({ dimensions: topology.dimensions, brokers }, snapshot.partitions, (t) => minInsync.get(t) ?? 1)
}

export function clusterRisk(snapshot: ClusterSnapshot, topology: Topology | undefined, options: { quorumLagMs?: number } = {}): ClusterRisk {
  const brokers = snapshot.brokers.map((b) => ({ id: b.id, check: canStop(snapshot, [b.id], options) }))
  const domains = effectiveTopology(snapshot, topology)
  if (!domains) return { brokers, domains: [], domainLoss: [], survivability: [], goals: [], spreadViolations: [] }
  const labels = new Map(domains.brokers.map((b) => [b.id, b.labels]))
  const model = liveModel(snapshot, domains)
  const index = new SpreadIndex(model.dimensions, model.brokers)
  const state = new PlacementState(model)
  const spread = new Map<string, number>()
  state.partitions.forEach((p, i) => {
    if (!state.spreadIsOptimal(i)) spread.set(p.topic, (spread.get(p.topic) ?? 0) + 1)
  })
  return {
    brokers,
    domains: domainsThatCanStop(snapshot, domains.dimensions, labels, options),
    domainLoss: domainLoss(index, model),
    survivability: summarizeSurvival(index, model.partitions).map((s) => ({ dimension: s.dimension, partitions: s.partitions, writableAfterAnyDomainLoss: s.writableAfterDomainLoss })),
    goals: goals({ tolerance: DEFAULT_TOLERANCE }).map((g) => ({ goal: g.name, hard: g.hard, ...g.evaluate(state) })),
    spreadViolations: [...spread].sort(([a], [b]) => a.localeCompare(b)).map(([topic, partitions]) => ({ topic, partitions })),
  }
}

/** For the loss of each single domain (the `(unknown)` one left out): what stops being writable or readable. */
function domainLoss(index: SpreadIndex, model: PlacementModel): DomainLoss[] {
  const rows = index.dimensions.map((dimension, d) => index.domains[d]!.map((domain) => ({ dimension, domain, partitions: 0, unwritable: 0, unreadable: 0 })))
  for (const p of model.partitions) {
    const rf = p.replicas.length
    index.domainCounts(index.cellCounts(p.replicas)).forEach((counts, d) => {
      counts.forEach((inDomain, k) => {
        if (inDomain === 0) return
        const row = rows[d]![k]!
        row.partitions++
        if (rf - inDomain < p.minInsync) row.unwritable++
        if (rf - inDomain === 0) row.unreadable++
      })
    })
  }
  return rows.flat().filter((r) => r.domain !== UNKNOWN)
}
