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
 * partition (in-sync replicas beyond min.insync.replicas). Partitions whose RF is at or below their
 * min.insync.replicas have no slack to give and are left out (as in the restart check: they would block
 * every drain for ever). `cap` when no partition counts (an empty cluster).
 */
export function clusterSlack(snapshot: Pick<ClusterSnapshot, 'partitions'>, cap: number): number {
  let slack = cap
  for (const p of snapshot.partitions) {
    if (p.replicas.length <= p.minInsync) continue
    slack = Math.min(slack, Math.max(0, p.isr.length - p.minInsync))
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
}

/**
 * Each Kubernetes cluster's PodDisruptionBudget `maxUnavailable`, so that the evictions all of them
 * allow at the same moment add up to no more than the slack:
 *   1. the slack is shared out: every cluster gets floor(slack / clusters), capped at `cap`;
 *   2. what is left (fewer than one each) goes one at a time to the clusters whose turn it is, starting
 *      at `turn` and going round, so that with a slack of 1 over 2 clusters a drain in the other cluster
 *      waits for its turn, not for ever;
 *   3. a PDB counts its own cluster's unavailable pods against its `maxUnavailable`: each cluster's
 *      share is added to what it has unavailable now, so that its share is what it may still evict.
 * A slack of 0 (a partition at min ISR already) gives every cluster 0 more: no drain goes on anywhere.
 */
export function disruptionBudgets(input: DisruptionBudgetInput): Map<string, number> {
  const n = input.clusters.length
  const share = new Map(input.clusters.map((c) => [c, 0]))
  if (n === 0) return share
  const even = Math.min(input.cap, Math.floor(input.slack / n))
  for (const c of input.clusters) share.set(c, even)
  let left = input.slack - even * n
  for (let k = 0; k < n && left > 0; k++) {
    const c = input.clusters[(((input.turn % n) + n) % n + k) % n]!
    if (share.get(c)! < input.cap) {
      share.set(c, share.get(c)! + 1)
      left--
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
