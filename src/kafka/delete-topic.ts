import type { Admin } from '@platformatic/kafka'
import { KafkaplaneError } from '../core/errors.ts'

/** DeleteTopics of one topic, with its data. Deleting a topic that is already gone is not an error. */
export async function deleteTopic(admin: Admin, topic: string): Promise<void> {
  try {
    const existing = await admin.listTopics({ includeInternals: false })
    if (!existing.includes(topic)) return
    await admin.deleteTopics({ topics: [topic] })
  } catch (err) {
    throw new KafkaplaneError('KAFKA_REQUEST_FAILED', `DeleteTopics ${topic} failed: ${(err as Error).message}`, {
      fix: 'check that the brokers are reachable and the client may delete the topic',
      retriable: true,
      cause: err,
    })
  }
}
