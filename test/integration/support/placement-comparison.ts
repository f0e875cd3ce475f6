import { layoutBrokers } from '../../../src/core/topology/layout.ts'
import { modelFromTopology, type PartitionAssignment, type PlacementModel } from '../../../src/core/placement/model.ts'
import { planAssign } from '../../../src/core/placement/operations.ts'
import { SpreadIndex } from '../../../src/core/placement/spread.ts'
import { summarizeSurvival, type SurvivalSummary } from '../../../src/core/placement/survivability.ts'
import { createAdmin } from '../../../src/kafka/connection.ts'
import { createTopicWithAssignment } from '../../../src/kafka/create-topic.ts'
import { describeAssignment } from '../../../src/kafka/describe-assignment.ts'
import { waitForTopic } from '../../../src/kafka/wait-for-topic.ts'
import type { LocalCluster } from '../../../src/local/local-cluster.ts'

/** The Wise layout: 6 brokers over 2 Kubernetes clusters x 3 zones. */
export const WISE_TOPOLOGY = layoutBrokers(6, [
  { name: 'cluster', values: ['k8s-1', 'k8s-2'] },
  { name: 'zone', values: ['a', 'b', 'c'] },
])

export interface PlacementComparison {
  replicationFactor: number
  minInsync: number
  /** Kafka's own placement (CreateTopics with a replica count only), read back from the cluster. */
  kafka: { assignment: PartitionAssignment[]; survival: SurvivalSummary[] }
  /** kafkaplane's placement, created with an explicit assignment and read back from the cluster. */
  kafkaplane: { planned: PartitionAssignment[]; assignment: PartitionAssignment[]; survival: SurvivalSummary[] }
  model: PlacementModel
}

/**
 * Creates two topics of the same shape on a real cluster, one placed by Kafka, one by kafkaplane, reads
 * both assignments back and evaluates what each survives on every failure dimension of the cluster.
 */
export async function comparePlacements(cluster: LocalCluster, name: string, partitions: number, replicationFactor: number, minInsync: number): Promise<PlacementComparison> {
  const topology = cluster.spec.topology
  const empty = modelFromTopology(topology, [], () => minInsync)
  const admin = createAdmin({ bootstrapServers: cluster.bootstrapServers })
  try {
    const kafkaTopic = `${name}-kafka`
    const ourTopic = `${name}-kafkaplane`
    await admin.createTopics({ topics: [kafkaTopic], partitions, replicas: replicationFactor })
    await waitForTopic(admin, kafkaTopic, partitions)
    const planned = planAssign(empty, { topic: ourTopic, partitions, replicationFactor, minInsync })
    if (!planned.ok) throw new Error(planned.problems.join('; '))
    const plannedAssignment = planned.after.map((p) => ({ topic: p.topic, partition: p.partition, replicas: p.replicas }))
    await createTopicWithAssignment(admin, { topic: ourTopic, assignment: plannedAssignment, configs: { 'min.insync.replicas': String(minInsync) } })
    const kafkaAssignment = await describeAssignment(admin, [kafkaTopic])
    const ourAssignment = await describeAssignment(admin, [ourTopic])
    const index = new SpreadIndex(empty.dimensions, empty.brokers)
    const survival = (a: PartitionAssignment[]) => summarizeSurvival(index, a.map((p) => ({ ...p, minInsync })))
    return {
      replicationFactor,
      minInsync,
      kafka: { assignment: kafkaAssignment, survival: survival(kafkaAssignment) },
      kafkaplane: { planned: plannedAssignment, assignment: ourAssignment, survival: survival(ourAssignment) },
      model: modelFromTopology(topology, ourAssignment, () => minInsync),
    }
  } finally {
    await admin.close()
  }
}
