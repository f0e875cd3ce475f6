import type { Admin } from '@platformatic/kafka'
import type { PartitionAssignment } from '../core/placement/model.ts'
import { waitForTopic } from './wait-for-topic.ts'
import { kafkaError } from './kafka-error.ts'

export interface CreateTopicRequest {
  topic: string
  /** Explicit replicas per partition (from the placement engine); Kafka places nothing itself. */
  assignment: readonly PartitionAssignment[]
  configs?: Readonly<Record<string, string>>
}

/**
 * CreateTopics with an explicit replica assignment, so the topic is well spread from its first write.
 * Resolves once every partition has a leader.
 */
export async function createTopicWithAssignment(admin: Admin, request: CreateTopicRequest): Promise<void> {
  try {
    await admin.createTopics({
      topics: [request.topic],
      assignments: request.assignment.map((p) => ({ partition: p.partition, brokers: [...p.replicas] })),
      configs: Object.entries(request.configs ?? {}).map(([name, value]) => ({ name, value })),
    })
  } catch (err) {
    throw kafkaError(`CreateTopics ${request.topic}`, err, { fix: 'check the topic does not exist yet and every broker of the assignment is registered' })
  }
  await waitForTopic(admin, request.topic, request.assignment.length)
}
