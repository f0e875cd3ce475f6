import type { Admin } from '@platformatic/kafka'
import { kafkaError } from './kafka-error.ts'

/** DeleteTopics of one topic, with its data. Deleting a topic that is already gone is not an error. */
export async function deleteTopic(admin: Admin, topic: string): Promise<void> {
  try {
    const existing = await admin.listTopics({ includeInternals: false })
    if (!existing.includes(topic)) return
    await admin.deleteTopics({ topics: [topic] })
  } catch (err) {
    throw kafkaError(`DeleteTopics ${topic}`, err, { fix: 'check that the brokers are reachable and the client may delete the topic' })
  }
}
