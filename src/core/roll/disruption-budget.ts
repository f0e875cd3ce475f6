import type { ClusterSnapshot } from '../health/snapshot.ts'

/**
 * Voluntary disruptions (node drains, evictions) in every Kubernetes cluster of a stretched Kafka cluster
 * at the same moment must never take a partition below min.insync.replicas. Each Kubernetes cluster's
 * PodDisruptionBudget only sees its own pods, so no budget alone can promise that: the operator sets
 * them together, from the live cluster, with these rules.
 *
 * What a budget in force allows. A PodDisruptionBudget allows an eviction while its cluster has fewer
 * than `maxUnavailable` broker pods down; a pod that comes back ready frees one more, whichever broker
 * it is, until the operator looks again (seconds, or minutes while the operator itself is being
 * replaced; `kubectl drain` asks every 5 s and takes it at once). So a budget must be safe for whatever
 * its cluster may have down while it stays in force: any `maxUnavailable` of its brokers, or those down
 * now while more are down than that. A pod comes back ready only once its broker is in the ISR of every
 * partition it hosts (core/health/readiness.ts), so a broker down now counts as in sync again when it
 * returns; one that is up but out of the ISR counts as lost.
 */

/**
 * Brokers of which at most `spare` may be down at once: a partition's replicas that are in sync or will
 * be when their pods return, and how many of them it can lose and keep its min.insync.replicas.
 */
export interface ReplicaGroup {
  replicas: readonly number[]
  spare: number
  /** What losing one more than `spare` would do, for people: `partition payments.events-1 below its min.insync.replicas (2)`. */
  what: string
}

/**
 * The live cluster's groups, one per distinct replica set (the smallest spare of the partitions that
 * share it). `down`: brokers whose pods are not up (evicted, being deleted, not ready, not made yet),
 * whatever Kafka says of them yet. Partitions whose RF is at or below their min.insync.replicas have
 * nothing to spare and are left out (as in the restart check: they would block every drain for ever);
 * a replica a reassignment is adding counts only once it is in sync.
 */
export function partitionGroups(snapshot: Pick<ClusterSnapshot, 'partitions'>, down: ReadonlySet<number>): ReplicaGroup[] {
  const groups = new Map<string, ReplicaGroup>()
  for (const p of snapshot.partitions) {
    if (p.replicas.length <= p.minInsync) continue
    const adding = p.reassigning ? (p.adding ?? []) : []
    const counted = p.replicas.filter((id) => p.isr.includes(id) || (down.has(id) && !adding.includes(id))).sort((a, b) => a - b)
    const spare = Math.max(0, counted.length - p.minInsync)
    const key = counted.join(',')
    const known = groups.get(key)
    if (!known || spare < known.spare) groups.set(key, { replicas: counted, spare, what: `partition ${p.topic}-${p.partition} below its min.insync.replicas (${p.minInsync})` })
  }
  return [...groups.values()]
}

/**
 * The placement policy's worst case, when Kafka cannot be read: any RF brokers may share a partition,
 * so no more than RF - min.insync.replicas of all brokers may be down at once.
 */
export function policyGroup(brokers: readonly number[], replicationFactor: number, minInsyncReplicas: number): ReplicaGroup {
  return { replicas: [...brokers], spare: Math.max(0, replicationFactor - minInsyncReplicas), what: `a partition below min.insync.replicas ${minInsyncReplicas} (the placement policy's RF ${replicationFactor}, on any brokers: Kafka could not be read)` }
}

/**
 * The KRaft quorum of dedicated controllers as a group: its voters, of which fewer than half may be
 * down (one of three, two of five), so that a majority always elects and commits. A voter counts as
 * down while its pod is not ready, which it is only once caught up with the leader
 * (core/health/readiness.ts controllerReadiness).
 */
export function quorumGroup(voters: readonly number[]): ReplicaGroup {
  return { replicas: [...voters].sort((a, b) => a - b), spare: Math.floor((voters.length - 1) / 2), what: `the KRaft quorum below a majority of its ${voters.length} controllers` }
}

export interface DisruptionBudgetInput {
  /** The Kubernetes clusters, in spec order, with their brokers. */
  clusters: readonly { name: string; brokers: readonly number[] }[]
  /** Brokers whose pods are down now (not ready, terminating, missing). */
  down: ReadonlySet<number>
  /** What must keep its min.insync.replicas: `partitionGroups` of the live cluster, else `policyGroup`. */
  groups: readonly ReplicaGroup[]
  /** At most this many brokers of one Kubernetes cluster down at once, whatever took them down (spec.rolling.maxUnavailable). */
  cap: number
  /** Whose turn it is when the spare does not reach every cluster (a counter the operator advances). */
  turn: number
  /**
   * A roll's batch about to be evicted in one Kubernetes cluster: `count` of its brokers still up, which
   * the roller has already checked may stop together. That cluster gets them first, so that the batch
   * is not split by its own budget.
   */
  reserved?: { cluster: string; count: number }
}

export interface DisruptionBudgets {
  /** Each Kubernetes cluster's PodDisruptionBudget `maxUnavailable`. */
  maxUnavailable: Map<string, number>
  /** Whether another turn would give other budgets (so the operator looks again when the turn passes). */
  rotating: boolean
  /** Why a Kubernetes cluster may not have more of its brokers down than its budget says (none: up to the cap may be). */
  held: Map<string, string>
}

/**
 * Each Kubernetes cluster's PodDisruptionBudget `maxUnavailable`:
 *   1. a cluster given `g` evictions gets `maxUnavailable` = its pods down now + g (a PDB counts its own
 *      unavailable pods against it); one given none gets 0, so that its pods coming back free nothing;
 *   2. evictions are given one at a time, first to a roll's batch (`reserved`, up to its count), then
 *      round and round the clusters from the one whose turn it is (`turn`), each until `cap` are down:
 *      an even share, and what does not divide evenly to whose turn it is, so that with room for one
 *      eviction over 2 clusters a drain in the other cluster waits for its turn, not for ever;
 *   3. one is given only if every group stays safe with the budgets in force for as long as they are:
 *      in each cluster, any `maxUnavailable` of its brokers down, or those down now if more, take no
 *      more of a group than its spare (a group over it already, with pods down now, may lose no more).
 * With nothing to spare (a partition at min ISR already) every cluster gets 0: no drain goes on anywhere.
 */
export function disruptionBudgets(input: DisruptionBudgetInput): DisruptionBudgets {
  const worst = worstLosses(input)
  const { maxUnavailable, held } = givenBudgets(input, worst, input.turn)
  const n = input.clusters.length
  const rotating = Array.from({ length: n - 1 }, (_, k) => givenBudgets(input, worst, input.turn + k + 1).maxUnavailable).some((other) => [...other].some(([c, b]) => maxUnavailable.get(c) !== b))
  return { maxUnavailable, rotating, held }
}

/** The clusters with their pods down now, and what each group loses at worst under given budgets (one per cluster, in order). */
interface WorstLosses {
  clusters: { name: string; downNow: number }[]
  /** The first group these budgets could take below its minimum (or lower than it is), if any. */
  unsafeFor(budgets: readonly number[]): ReplicaGroup | undefined
}

function worstLosses(input: DisruptionBudgetInput): WorstLosses {
  const clusters = input.clusters.map((c) => ({ name: c.name, brokers: new Set(c.brokers), downNow: c.brokers.filter((id) => input.down.has(id)).length }))
  // Per cluster, any `budget` of the group's replicas there, or its replicas down now if more.
  const perCluster = input.groups.map((g) => clusters.map((c) => ({ there: g.replicas.filter((id) => c.brokers.has(id)).length, downThere: g.replicas.filter((id) => c.brokers.has(id) && input.down.has(id)).length })))
  const loss = (gi: number, budgets: readonly number[]) => perCluster[gi]!.reduce((sum, x, ci) => sum + Math.max(x.downThere, Math.min(budgets[ci]!, x.there)), 0)
  const zero = clusters.map(() => 0)
  const allowed = input.groups.map((g, gi) => Math.max(g.spare, loss(gi, zero)))
  return { clusters, unsafeFor: (budgets) => input.groups.find((_, gi) => loss(gi, budgets) > allowed[gi]!) }
}

function givenBudgets(input: DisruptionBudgetInput, { clusters, unsafeFor }: WorstLosses, turn: number): Pick<DisruptionBudgets, 'maxUnavailable' | 'held'> {
  const given = new Map(clusters.map((c) => [c.name, 0]))
  const budgetOf = (c: (typeof clusters)[number], g: number) => (g > 0 ? c.downNow + g : 0)
  const held = new Map<string, string>()
  /** Gives cluster `ci` one more eviction if that stays safe; false once it cannot have more. */
  const giveOne = (ci: number, limit: number): boolean => {
    const c = clusters[ci]!
    const g = given.get(c.name)!
    if (held.has(c.name) || g >= limit) return false
    const budgets = clusters.map((x, i) => budgetOf(x, i === ci ? g + 1 : given.get(x.name)!))
    const group = unsafeFor(budgets)
    if (group) {
      // A group's loss only grows with a budget: no more for this cluster now.
      const down = group.replicas.filter((id) => input.down.has(id))
      held.set(c.name, `one more broker down here could take ${group.what}: its replicas in sync or coming back are [${group.replicas.join(', ')}]${down.length > 0 ? `, of which [${down.join(', ')}] are down` : ''}`)
      return false
    }
    given.set(c.name, g + 1)
    return true
  }
  const reservedAt = input.reserved ? clusters.findIndex((c) => c.name === input.reserved!.cluster) : -1
  if (reservedAt >= 0) while (giveOne(reservedAt, Math.min(input.reserved!.count, input.cap - clusters[reservedAt]!.downNow)));
  const n = clusters.length
  const start = n === 0 ? 0 : ((turn % n) + n) % n
  for (let progress = true; progress; ) {
    progress = false
    for (let k = 0; k < n; k++) progress = giveOne((start + k) % n, input.cap - clusters[(start + k) % n]!.downNow) || progress
  }
  for (const c of clusters) {
    if (!held.has(c.name) && c.downNow + given.get(c.name)! >= input.cap) held.set(c.name, `spec.rolling.maxUnavailable is ${input.cap}${c.downNow > 0 ? ` and ${c.downNow} of its brokers are down` : ''}`)
  }
  return {
    maxUnavailable: new Map(clusters.map((c) => [c.name, budgetOf(c, given.get(c.name)!)])),
    held: new Map(clusters.filter((c) => held.has(c.name)).map((c) => [c.name, held.get(c.name)!])),
  }
}

/**
 * The budgets to write now, given those in force (`current`; a cluster without a budget yet has none in
 * force) and those wanted: a budget that rises while another falls (room handed from one Kubernetes
 * cluster to another) waits for the fall to be in force first, else for a moment both clusters could
 * evict on the old and the new budget together. So the falls are written alone (`deferred`: write
 * again soon, after looking at the live cluster anew); with no fall pending, the rises go.
 */
export function budgetsToWrite(current: ReadonlyMap<string, number>, wanted: ReadonlyMap<string, number>): { write: Map<string, number>; deferred: boolean } {
  const falls = [...wanted].some(([c, n]) => current.has(c) && n < current.get(c)!)
  const rises = [...wanted].some(([c, n]) => current.has(c) && n > current.get(c)!)
  if (!(falls && rises)) return { write: new Map(wanted), deferred: false }
  return { write: new Map([...wanted].map(([c, n]) => [c, current.has(c) ? Math.min(n, current.get(c)!) : n])), deferred: true }
}
