import type { Admin } from '@platformatic/kafka'
import { kafkaError } from './kafka-error.ts'

/** The names of the cluster's topics (internal ones left out unless asked for). */
export async function listTopicNames(admin: Admin, options: { includeInternals?: boolean } = {}): Promise<string[]> {
  try {
    return await admin.listTopics({ includeInternals: options.includeInternals ?? false })
  } catch (err) {
    throw kafkaError('ListTopics', err, { fix: 'check that the brokers are reachable' })
  }
}
