import type { PartitionState } from './snapshot.ts'

/**
 * The health of one partition, worst first:
 *   offline          no leader: nobody can read or write it
 *   under-min-isr    ISR below min.insync.replicas: acks=all writes fail
 *   at-min-isr       ISR exactly at min.insync.replicas (and below RF): one more loss stops writes
 *   under-replicated ISR below the replica count, above min.insync.replicas
 *   healthy          every replica in sync
 */
export type PartitionHealth = 'offline' | 'under-min-isr' | 'at-min-isr' | 'under-replicated' | 'healthy'

export const PARTITION_HEALTH_ORDER: readonly PartitionHealth[] = ['offline', 'under-min-isr', 'at-min-isr', 'under-replicated', 'healthy']

export function partitionHealth(p: PartitionState): PartitionHealth {
  if (p.leader < 0 || p.isr.length === 0) return 'offline'
  if (p.isr.length < p.minInsync) return 'under-min-isr'
  if (p.isr.length === p.minInsync && p.isr.length < p.replicas.length) return 'at-min-isr'
  if (p.isr.length < p.replicas.length) return 'under-replicated'
  return 'healthy'
}

/**
 * Under min.insync.replicas only because its replication factor is below it: it has a leader and every
 * replica is alive and in the ISR. Nothing is failing (acks=all writes never could succeed); raising the
 * replication factor is the fix, and no rule that guards against failures may hold that fix back (the
 * health gate, readiness) or wait for this partition to "recover".
 */
export function underMinIsrByReplicationFactor(p: PartitionState): boolean {
  return p.leader >= 0 && p.replicas.length < p.minInsync && p.isr.length === p.replicas.length
}

/**
 * A failure is going on: the partition is offline, or under min.insync.replicas because replicas fell
 * out of its ISR (as opposed to `underMinIsrByReplicationFactor`).
 */
export function failing(p: PartitionState): boolean {
  const h = partitionHealth(p)
  return h === 'offline' || (h === 'under-min-isr' && !underMinIsrByReplicationFactor(p))
}

export function countByHealth(partitions: readonly PartitionState[]): Record<PartitionHealth, number> {
  const counts: Record<PartitionHealth, number> = { offline: 0, 'under-min-isr': 0, 'at-min-isr': 0, 'under-replicated': 0, healthy: 0 }
  for (const p of partitions) counts[partitionHealth(p)]++
  return counts
}
