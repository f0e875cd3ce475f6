import { pushTo } from '../collections.ts'
import { partitionHealth, underMinIsrByReplicationFactor, type PartitionHealth } from './partition-health.ts'
import type { ClusterSnapshot, PartitionState } from './snapshot.ts'
import { caughtUp } from './quorum.ts'

/**
 * The cluster verdict with reasons a person can act on:
 *   unhealthy  offline or under-min-ISR partitions (replicas out of sync), or no active controller
 *   degraded   at-min-ISR or under-replicated partitions, expected brokers missing, lagging voters,
 *              partitions whose replication factor is below their min.insync.replicas (every replica in
 *              sync, so nothing is failing, but no acks=all write can succeed until the RF is raised)
 *   healthy    none of these
 */
export type ClusterStatus = 'healthy' | 'degraded' | 'unhealthy'

export interface ClusterVerdict {
  status: ClusterStatus
  reasons: string[]
  partitions: Record<PartitionHealth, number>
}

export function clusterVerdict(snapshot: ClusterSnapshot, options: { quorumLagMs?: number } = {}): ClusterVerdict {
  const unhealthy: string[] = []
  const degraded: string[] = []
  const registered = new Set(snapshot.brokers.map((b) => b.id))
  const fenced = new Set((snapshot.fencedBrokers ?? []).map((b) => b.id))
  const missing = snapshot.expectedBrokerIds.filter((id) => !registered.has(id) && !fenced.has(id))
  const plural = (ids: readonly number[]) => `broker${ids.length > 1 ? 's' : ''} ${ids.join(', ')}`
  if (fenced.size > 0) degraded.push(`${plural([...fenced].sort((a, b) => a - b))} registered but fenced`)
  if (missing.length > 0) degraded.push(`${plural(missing)} not registered${snapshot.fencedBrokers === undefined ? ' or fenced' : ''}`)
  const quorum = snapshot.quorum
  if (quorum !== undefined) {
    if (quorum.leaderId < 0) unhealthy.push('the controller quorum has no leader')
    const lagging = quorum.voters.filter((v) => !caughtUp(quorum, v, options.quorumLagMs))
    if (lagging.length > 0) degraded.push(`controller voter${lagging.length > 1 ? 's' : ''} ${lagging.map((v) => v.id).join(', ')} behind the quorum leader ${quorum.leaderId}`)
  }
  const byHealth = new Map<PartitionHealth, PartitionState[]>()
  const lowReplicationFactor: PartitionState[] = []
  const partitions: Record<PartitionHealth, number> = { offline: 0, 'under-min-isr': 0, 'at-min-isr': 0, 'under-replicated': 0, healthy: 0 }
  for (const p of snapshot.partitions) {
    const h = partitionHealth(p)
    partitions[h]++
    if (h === 'under-min-isr' && underMinIsrByReplicationFactor(p)) lowReplicationFactor.push(p)
    else if (h !== 'healthy') pushTo(byHealth, h, p)
  }
  const describe = (health: PartitionHealth, what: string) => {
    const ps = byHealth.get(health) ?? []
    return ps.length === 0 ? [] : groupByTopic(ps).map(([topic, list]) => `${list.length} partition${list.length > 1 ? 's' : ''} of ${topic} ${what}${missingReplicas(list)}`)
  }
  unhealthy.push(...describe('offline', 'offline'), ...describe('under-min-isr', 'under min.insync.replicas'))
  degraded.push(
    ...groupByTopic(lowReplicationFactor).map(([topic, list]) => {
      const p = list[0]!
      return `${list.length} partition${list.length > 1 ? 's' : ''} of ${topic} at replication factor ${p.replicas.length}, below min.insync.replicas ${p.minInsync}: no acks=all write can succeed (raise it: kafkaplane replication-factor fix --topics '${topic.replace(/[.]/g, '\\.')}' --target ${Math.max(p.minInsync + 1, 3)})`
    }),
    ...describe('at-min-isr', 'at min.insync.replicas'),
    ...describe('under-replicated', 'under-replicated'),
  )
  const status: ClusterStatus = unhealthy.length > 0 ? 'unhealthy' : degraded.length > 0 ? 'degraded' : 'healthy'
  return { status, reasons: [...unhealthy, ...degraded], partitions }
}

function groupByTopic(partitions: readonly PartitionState[]): [string, PartitionState[]][] {
  const groups = new Map<string, PartitionState[]>()
  for (const p of partitions) pushTo(groups, p.topic, p)
  return [...groups].sort(([a], [b]) => a.localeCompare(b))
}

/**
 * " (out of sync: broker 4)" — the brokers whose replicas are missing from the ISR — and, where Kafka
 * keeps Eligible Leader Replicas, "; eligible leaders: broker 4" (they can lead again without data loss).
 */
function missingReplicas(partitions: readonly PartitionState[]): string {
  const missing = new Set<number>()
  const eligible = new Set<number>()
  for (const p of partitions) {
    for (const b of p.replicas) if (!p.isr.includes(b)) missing.add(b)
    for (const b of p.elr ?? []) eligible.add(b)
  }
  const list = (s: Set<number>) => `broker${s.size > 1 ? 's' : ''} ${[...s].sort((a, b) => a - b).join(', ')}`
  if (missing.size === 0) return ''
  return ` (out of sync: ${list(missing)}${eligible.size > 0 ? `; eligible leaders: ${list(eligible)}` : ''})`
}
