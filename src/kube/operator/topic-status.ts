import type { PartitionAssignment } from '../../core/placement/model.ts'
import { SpreadIndex } from '../../core/placement/spread.ts'
import { summarizeSurvival, type SurvivalSummary } from '../../core/placement/survivability.ts'
import type { Topology } from '../../core/topology/topology.ts'

export type SurvivabilityVerdict = 'survives-any-domain-loss' | 'survives-zone-loss' | 'survives-broker-loss' | 'fragile'

/** The KafkaTopic status fields the operator reads from Kafka (conditions come on top). */
export interface TopicStatusFields {
  topicName: string
  partitions: number
  replicationFactor: number
  minInsyncReplicas: number
  assignment: { partition: number; replicas: number[] }[]
  survivability: { verdict: SurvivabilityVerdict; dimensions: SurvivalSummary[] }
}

/**
 * What the actual assignment survives, from the placement engine's survivability model:
 *   survives-any-domain-loss  every partition stays writable after losing any one domain of every
 *                             dimension (any one Kubernetes cluster, any one zone);
 *   survives-zone-loss        ... of the `zone` dimension only;
 *   survives-broker-loss      every partition keeps min.insync.replicas with one broker down;
 *   fragile                   some partition stops taking acks=all writes when one broker goes.
 * Replicas on brokers the topology lacks count as one domain `(unknown)` of every dimension.
 */
export function survivabilityVerdict(summary: readonly SurvivalSummary[], assignment: readonly PartitionAssignment[], minInsync: number): SurvivabilityVerdict {
  const all = (s: SurvivalSummary | undefined) => s !== undefined && s.partitions > 0 && s.writableAfterDomainLoss === s.partitions
  if (summary.length > 0 && summary.every(all)) return 'survives-any-domain-loss'
  if (all(summary.find((s) => s.dimension === 'zone'))) return 'survives-zone-loss'
  if (assignment.length > 0 && assignment.every((p) => p.replicas.length - 1 >= minInsync)) return 'survives-broker-loss'
  return 'fragile'
}

export function topicStatusFields(topicName: string, assignment: readonly PartitionAssignment[], minInsync: number, topology: Topology): TopicStatusFields {
  const known = new Set(topology.brokers.map((b) => b.id))
  const unknown = [...new Set(assignment.flatMap((p) => p.replicas))].filter((b) => !known.has(b))
  const brokers = [...topology.brokers, ...unknown.map((id) => ({ id, labels: Object.fromEntries(topology.dimensions.map((d) => [d, '(unknown)'])) }))]
  const index = new SpreadIndex(topology.dimensions, brokers)
  const partitions = [...assignment].sort((a, b) => a.partition - b.partition)
  const summary = summarizeSurvival(index, partitions.map((p) => ({ ...p, minInsync })))
  const factors = partitions.map((p) => p.replicas.length)
  return {
    topicName,
    partitions: partitions.length,
    replicationFactor: factors.length === 0 ? 0 : Math.min(...factors),
    minInsyncReplicas: minInsync,
    assignment: partitions.map((p) => ({ partition: p.partition, replicas: [...p.replicas] })),
    survivability: { verdict: survivabilityVerdict(summary, partitions, minInsync), dimensions: summary },
  }
}
