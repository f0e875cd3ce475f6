import type { Admin } from '@platformatic/kafka'
import type { PartitionAssignment } from '../core/placement/model.ts'
import { kafkaError } from './kafka-error.ts'

/**
 * The current replica assignment of topics, as the placement engine reads it (replicas in Kafka's
 * order: the first is the preferred leader). Without `topics`, every topic but the internal ones.
 */
export async function describeAssignment(admin: Admin, topics?: readonly string[]): Promise<PartitionAssignment[]> {
  try {
    const names = topics ? [...topics] : await admin.listTopics({ includeInternals: false })
    if (names.length === 0) return []
    const metadata = await admin.metadata({ topics: names, forceUpdate: true })
    const out: PartitionAssignment[] = []
    for (const name of [...names].sort()) {
      const topic = metadata.topics.get(name)
      if (!topic) continue
      topic.partitions.forEach((p, partition) => out.push({ topic: name, partition, replicas: [...p.replicas] }))
    }
    return out
  } catch (err) {
    throw kafkaError(`reading the assignment of ${topics?.join(', ') ?? 'the topics'}`, err, { fix: 'check that the bootstrap servers are reachable and the topics exist' })
  }
}
