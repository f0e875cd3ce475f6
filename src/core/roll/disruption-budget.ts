import type { ClusterSnapshot } from '../health/snapshot.ts'

/**
 * Voluntary disruptions (node drains, evictions) in every Kubernetes cluster of a stretched Kafka cluster
 * at the same moment must never take a partition below min.insync.replicas. Each Kubernetes cluster's
 * PodDisruptionBudget only sees its own pods, so no budget alone can promise that: the operator sets
 * them together, from the live cluster, with these rules.
 */

/**
 * How many more brokers may go down at once, anywhere, without any partition falling below its
 * min.insync.replicas: brokers down together may share a partition, so it is the smallest slack of any
 * partition (in-sync replicas beyond min.insync.replicas). Brokers in `down` (their pods evicted, being
 * deleted or not ready) count as out of sync already: Kafka takes a moment to shrink the ISR of a broker
 * that is shutting down, and a budget must not hand out that moment twice. Partitions whose RF is at or
 * below their min.insync.replicas have no slack to give and are left out (as in the restart check: they
 * would block every drain for ever). `cap` when no partition counts (an empty cluster).
 */
export function clusterSlack(snapshot: Pick<ClusterSnapshot, 'partitions'>, cap: number, down: ReadonlySet<number> = new Set()): number {
  let slack = cap
  for (const p of snapshot.partitions) {
    if (p.replicas.length <= p.minInsync) continue
    const inSync = p.isr.filter((id) => !down.has(id)).length
    slack = Math.min(slack, Math.max(0, inSync - p.minInsync))
  }
  return slack
}

export interface DisruptionBudgetInput {
  /** The Kubernetes clusters, in spec order. */
  clusters: readonly string[]
  /** Broker pods unavailable now, per Kubernetes cluster (not ready, terminating, missing). */
  unavailable: ReadonlyMap<string, number>
  /** `clusterSlack` of the live cluster. */
  slack: number
  /** At most this many brokers of one Kubernetes cluster down through disruptions (spec.rolling.maxUnavailable). */
  cap: number
  /** Whose turn it is when the slack does not reach every cluster (a counter the operator advances). */
  turn: number
  /**
   * A roll's batch about to be evicted in one Kubernetes cluster: `count` of its brokers still up, which
   * the roller has already checked may stop together. That cluster gets them first, so that the batch
   * is not split by its own budget.
   */
  reserved?: { cluster: string; count: number }
}

/**
 * Each Kubernetes cluster's PodDisruptionBudget `maxUnavailable`, so that the evictions all of them
 * allow at the same moment add up to no more than the slack:
 *   1. a roll's batch (`reserved`) gets its brokers first, within the slack and the cap;
 *   2. the rest is shared out one at a time, round and round the clusters from the one whose turn it
 *      is (`turn`), each up to `cap`: an even share, and what does not divide evenly to whose turn it
 *      is, so that with a slack of 1 over 2 clusters a drain in the other cluster waits for its turn,
 *      not for ever;
 *   3. a PDB counts its own cluster's unavailable pods against its `maxUnavailable`: each cluster's
 *      share is added to what it has unavailable now, so that its share is what it may still evict.
 * A slack of 0 (a partition at min ISR already) gives every cluster 0 more: no drain goes on anywhere.
 */
export function disruptionBudgets(input: DisruptionBudgetInput): Map<string, number> {
  const n = input.clusters.length
  const share = new Map(input.clusters.map((c) => [c, 0]))
  if (n === 0) return share
  let left = Math.max(0, input.slack)
  const reserved = input.reserved
  if (reserved && share.has(reserved.cluster)) {
    const first = Math.max(0, Math.min(reserved.count, input.cap, left))
    share.set(reserved.cluster, first)
    left -= first
  }
  // One more each, round and round from whose turn it is, while the slack lasts and a cluster is under
  // the cap: an even share, the remainder to the clusters whose turn it is.
  const start = ((input.turn % n) + n) % n
  while (left > 0 && input.clusters.some((c) => share.get(c)! < input.cap)) {
    for (let k = 0; k < n && left > 0; k++) {
      const c = input.clusters[(start + k) % n]!
      if (share.get(c)! < input.cap) {
        share.set(c, share.get(c)! + 1)
        left--
      }
    }
  }
  return new Map(input.clusters.map((c) => [c, share.get(c)! + (input.unavailable.get(c) ?? 0)]))
}

/**
 * The budgets to write now, given those in force (`current`; a cluster without a budget yet has none in
 * force) and those wanted: a budget that rises while another falls (the slack handed from one Kubernetes
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
