import { describeTopicPartitionsV0, type Connection } from '@platformatic/kafka'
import { kafkaError } from './kafka-error.ts'

/**
 * DescribeTopicPartitions (KIP-966), paged: each partition's Eligible Leader Replicas, the replicas that
 * left the ISR while it was below min.insync.replicas and may still lead without data loss. Kafka 4.1
 * clusters have ELR on from their first format; Metadata does not carry it.
 */
export async function describeEligibleLeaders(connection: Connection, topics: readonly string[], pageSize = 2000): Promise<Map<string, number[]>> {
  const elr = new Map<string, number[]>()
  if (topics.length === 0) return elr
  let cursor: { topicName: string; partitionIndex: number } | undefined
  try {
    do {
      const response = await describeTopicPartitionsV0.api.async(connection, topics.map((name) => ({ name })), pageSize, cursor)
      for (const t of response.topics) {
        for (const p of t.partitions) if (p.eligibleLeaderReplicas && p.eligibleLeaderReplicas.length > 0) elr.set(`${t.name}-${p.partitionIndex}`, p.eligibleLeaderReplicas)
      }
      cursor = response.nextCursor ?? undefined
    } while (cursor)
  } catch (err) {
    throw kafkaError('DescribeTopicPartitions', err, { fix: 'check the brokers run Kafka 3.8 or newer and are reachable' })
  }
  return elr
}
