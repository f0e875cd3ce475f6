import type { Admin } from '@platformatic/kafka'
import { KafkaplaneError } from '../core/errors.ts'
import type { PartitionAssignment } from '../core/placement/model.ts'
import { waitForTopic } from './wait-for-topic.ts'

/** CreatePartitions with explicit replicas for the new partitions; resolves once they have leaders. */
export async function createPartitions(admin: Admin, topic: string, total: number, added: readonly PartitionAssignment[]): Promise<void> {
  try {
    await admin.createPartitions({ topics: [{ name: topic, count: total, assignments: added.map((p) => ({ brokerIds: [...p.replicas] })) }] })
  } catch (err) {
    throw new KafkaplaneError('KAFKA_REQUEST_FAILED', `CreatePartitions of ${topic} to ${total} failed: ${(err as Error).message}`, {
      fix: 'check the topic exists and every broker of the assignment is registered',
      cause: err,
    })
  }
  await waitForTopic(admin, topic, total)
}
