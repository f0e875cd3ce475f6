import type { Admin } from '@platformatic/kafka'
import type { PartitionAssignment } from '../core/placement/model.ts'
import { waitForTopic } from './wait-for-topic.ts'
import { kafkaError } from './kafka-error.ts'

/** CreatePartitions with explicit replicas for the new partitions; resolves once they have leaders. */
export async function createPartitions(admin: Admin, topic: string, total: number, added: readonly PartitionAssignment[]): Promise<void> {
  try {
    await admin.createPartitions({ topics: [{ name: topic, count: total, assignments: added.map((p) => ({ brokerIds: [...p.replicas] })) }] })
  } catch (err) {
    throw kafkaError(`CreatePartitions of ${topic} to ${total}`, err, { fix: 'check the topic exists and every broker of the assignment is registered' })
  }
  await waitForTopic(admin, topic, total)
}
