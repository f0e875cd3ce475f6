import { listOffsetsV8, type Connection } from '@platformatic/kafka'
import { kafkaError } from './kafka-error.ts'

export interface TopicPartition {
  topic: string
  partition: number
}

/** ListOffsets' special timestamps: the log start offset and the high watermark. */
const EARLIEST = -2n
const LATEST = -1n
const CONSUMER_REPLICA = -1
const READ_UNCOMMITTED = 0

/**
 * ListOffsets (v8) of partitions all led by the broker behind `connection`: their log start offsets
 * (`earliest`) or high watermarks (`latest`, read uncommitted: what kafka_exporter's `current_offset`
 * is), keyed `topic` -> partition -> offset. A partition Kafka answers with an error (its leader just
 * moved) is left out; the others are kept.
 *
 * The raw request rather than Admin.listOffsets: the client's (2.12.1) looks each topic up in a fresh
 * Metadata that leaves internal topics out, and throws inside its callback for `__consumer_offsets`,
 * which kills the process.
 */
export async function listOffsets(connection: Connection, partitions: readonly TopicPartition[], which: 'earliest' | 'latest'): Promise<Map<string, Map<number, number>>> {
  const byTopic = new Map<string, number[]>()
  for (const p of partitions) byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), p.partition])
  if (byTopic.size === 0) return new Map()
  const timestamp = which === 'earliest' ? EARLIEST : LATEST
  let response
  try {
    response = await listOffsetsV8.api.async(connection, CONSUMER_REPLICA, READ_UNCOMMITTED, [...byTopic].map(([name, ps]) => ({ name, partitions: ps.map((partitionIndex) => ({ partitionIndex, currentLeaderEpoch: -1, timestamp })) })))
  } catch (err) {
    // Per-partition errors arrive as a ResponseError carrying the whole response.
    response = (err as { response?: Awaited<ReturnType<typeof listOffsetsV8.api.async>> }).response
    if (response?.topics === undefined) throw kafkaError(`ListOffsets (${which}) of ${partitions.length} partitions`, err, { fix: 'retry; a partition may be changing leader' })
  }
  return new Map(response.topics.map((t) => [t.name, new Map(t.partitions.filter((p) => p.errorCode === 0).map((p) => [p.partitionIndex, Number(p.offset)]))]))
}
