import { underMinIsrByReplicationFactor } from './partition-health.ts'
import type { ClusterSnapshot, PartitionState, QuorumState } from './snapshot.ts'
import { caughtUp, caughtUpSince } from './quorum.ts'

/**
 * Is broker `id` ready to serve (the readiness probe)? In order, the first failing rule is the reason:
 *   1. it is registered and unfenced;
 *   2. it has caught up: it is in the ISR of every partition it hosts (not being reassigned onto it);
 *   3. as a controller voter, it caught up with the quorum leader within `quorumLagMs`;
 *   4. the cluster has no offline and no under-min-ISR partitions. A partition under min.insync.replicas
 *      only because its replication factor is below it (every replica in sync) does not count: nothing
 *      is failing, no broker's readiness can change it, and counting it would hold every broker unready
 *      until someone raises its replication factor.
 * A StatefulSet rolling update moves on only when the restarted broker is ready, so a roll never takes
 * down a broker while acks=all writes to some partition are failing.
 */
export interface Readiness {
  ready: boolean
  reason: string
}

export function brokerReadiness(snapshot: ClusterSnapshot, id: number, options: { quorumLagMs?: number } = {}): Readiness {
  if (!snapshot.brokers.some((b) => b.id === id)) {
    const fenced = snapshot.fencedBrokers?.some((b) => b.id === id)
    if (fenced === true) return { ready: false, reason: `broker ${id} is registered but fenced (catching up on cluster metadata, or shutting down)` }
    return { ready: false, reason: `broker ${id} is not registered${fenced === undefined ? ' or is fenced' : ''}` }
  }
  // One pass over the partitions (a probe evaluates once, cold, over every partition of the cluster).
  const behind: PartitionState[] = []
  const offline: PartitionState[] = []
  const underMin: PartitionState[] = []
  for (const p of snapshot.partitions) {
    const isr = p.isr
    if (p.leader < 0 || isr.length === 0) offline.push(p)
    else if (isr.length < p.minInsync && !underMinIsrByReplicationFactor(p)) underMin.push(p)
    if (replicaBehind(p, id)) behind.push(p)
  }
  if (behind.length > 0) {
    return { ready: false, reason: `broker ${id} is catching up: not yet in the ISR of ${behind.length} partition${behind.length > 1 ? 's' : ''} (${examples(behind)})` }
  }
  const quorum = snapshot.quorum
  const voter = quorum?.voters.find((v) => v.id === id)
  if (quorum && voter && !caughtUp(quorum, voter, options.quorumLagMs)) {
    return { ready: false, reason: `controller ${id} has not caught up with the quorum leader ${quorum.leaderId}` }
  }
  if (offline.length > 0) return { ready: false, reason: `${offline.length} partitions are offline (${examples(offline)})` }
  if (underMin.length > 0) return { ready: false, reason: `${underMin.length} partitions are under min.insync.replicas (${examples(underMin)})` }
  return { ready: true, reason: `broker ${id} is registered, in sync, and no partition is offline or under min.insync.replicas` }
}

/**
 * Is controller-only node `id` ready (the readiness probe of a dedicated controller, which hosts no
 * partition)? In order, the first failing rule is the reason:
 *   1. the quorum has a leader;
 *   2. `id` is one of its voters;
 *   3. it leads, or caught up with the leader within `quorumLagMs`, and after `since` when given (when
 *      its process started: the leader keeps the old process's last catch-up time for a while, which
 *      says nothing of the new one).
 * A quorum whose majority is caught up keeps the cluster's metadata moving; the roller restarts a
 * controller only when the others stay such a majority, and waits for it to be ready again.
 */
export function controllerReadiness(quorum: QuorumState, id: number, options: { quorumLagMs?: number; since?: number } = {}): Readiness {
  if (quorum.leaderId < 0) return { ready: false, reason: 'the controller quorum has no leader (an election is under way, or too few controllers run)' }
  const voter = quorum.voters.find((v) => v.id === id)
  if (!voter) return { ready: false, reason: `node ${id} is not a voter of the controller quorum (voters: ${quorum.voters.map((v) => v.id).join(', ')})` }
  if (voter.id === quorum.leaderId) return { ready: true, reason: `controller ${id} leads the quorum` }
  const current = options.since === undefined ? caughtUp(quorum, voter, options.quorumLagMs) : caughtUpSince(quorum, voter, options.since, options.quorumLagMs)
  if (!current) {
    const last = voter.caughtUpAgoMs === undefined ? 'never' : `${Math.round(voter.caughtUpAgoMs / 100) / 10} s ago`
    return { ready: false, reason: `controller ${id} has not caught up with the quorum leader ${quorum.leaderId}${options.since === undefined ? '' : ' since it started'} (last caught up ${last})` }
  }
  return { ready: true, reason: `controller ${id} is caught up with the quorum leader ${quorum.leaderId}` }
}

/**
 * Whether broker `id` hosts a replica of `p` that is out of sync: the "caught up" rule of readiness
 * here and of the roller's return check (core/roll/roll-rules.ts `partitionsBehind`, which leaves out
 * partitions with no leader: those wait on no one broker). A replica a reassignment is adding does not
 * count: it is not in sync until the move ends. The partition's other replicas do: a broker is ready
 * only once back in the ISR of every partition it already held, moving or not (the disruption budgets
 * count on that, core/roll/disruption-budget.ts). When what a reassignment adds is not known, none of
 * its replicas count.
 */
export function replicaBehind(p: PartitionState, id: number): boolean {
  if (!p.replicas.includes(id) || p.isr.includes(id)) return false
  return !p.reassigning || (p.adding !== undefined && !p.adding.includes(id))
}

function examples(partitions: readonly { topic: string; partition: number }[]): string {
  const names = partitions.slice(0, 3).map((p) => `${p.topic}-${p.partition}`)
  return names.join(', ') + (partitions.length > 3 ? ', ...' : '')
}
