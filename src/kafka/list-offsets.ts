import type { Admin } from '@platformatic/kafka'
import { kafkaError } from './kafka-error.ts'

export interface TopicPartition {
  topic: string
  partition: number
}

/** ListOffsets' special timestamps: the log start offset and the high watermark. */
const EARLIEST = -2n
const LATEST = -1n

/**
 * The log start offsets (`earliest`) or high watermarks (`latest`, read uncommitted: what
 * kafka_exporter's `current_offset` is) of the given partitions, keyed `topic` -> partition -> offset.
 * The client sends one ListOffsets to each partition's leader; give it only partitions that have one.
 */
export async function listOffsets(admin: Admin, partitions: readonly TopicPartition[], which: 'earliest' | 'latest'): Promise<Map<string, Map<number, number>>> {
  const byTopic = new Map<string, number[]>()
  for (const p of partitions) byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), p.partition])
  if (byTopic.size === 0) return new Map()
  const timestamp = which === 'earliest' ? EARLIEST : LATEST
  let listed
  try {
    listed = await admin.listOffsets({ topics: [...byTopic].map(([name, ps]) => ({ name, partitions: ps.map((partitionIndex) => ({ partitionIndex, timestamp })) })) })
  } catch (err) {
    throw kafkaError(`ListOffsets (${which}) of ${partitions.length} partitions`, err, { fix: 'retry; a partition may be changing leader' })
  }
  return new Map(listed.map((t) => [t.name, new Map(t.partitions.map((p) => [p.partitionIndex, Number(p.offset)]))]))
}
