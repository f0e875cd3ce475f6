import { fetchV12, type Connection } from '@platformatic/kafka'
import { kafkaError } from './kafka-error.ts'

export interface RecordAt {
  topic: string
  partition: number
  offset: number
}

/** Record batch attribute bits (Kafka's DefaultRecordBatch): LogAppendTime, control batch. */
const LOG_APPEND_TIME = 0x08
const CONTROL = 0x20
/** Full fetch, no fetch session (KIP-227: session id 0, epoch -1). */
const NO_SESSION_ID = 0
const NO_SESSION_EPOCH = -1
const READ_UNCOMMITTED = 0

/**
 * Fetch (v12, by topic name) of the records at the given offsets, all led by the broker behind
 * `connection`, in one request without waiting: the timestamp (ms) of each, keyed `topic`, partition.
 * The record at an offset is the first data record at or after it (a compacted or transactional log
 * may have no record at that exact offset). The timestamp is the batch's when the topic keeps
 * LogAppendTime, the record's own (CreateTime) otherwise.
 *
 * A partition may come back without a whole batch when it is not the first in the response and its
 * batch is larger than `partitionMaxBytes` (KIP-74 only guarantees progress for the first): it is
 * then missing from the result, and the caller asks for it again alone.
 */
export async function fetchRecordTimestamps(connection: Connection, records: readonly RecordAt[], partitionMaxBytes = 64 * 1024): Promise<Map<string, Map<number, number>>> {
  const byTopic = new Map<string, RecordAt[]>()
  for (const r of records) byTopic.set(r.topic, [...(byTopic.get(r.topic) ?? []), r])
  let response
  try {
    response = await fetchV12.api.async(
      connection,
      0,
      0,
      Math.max(partitionMaxBytes, partitionMaxBytes * records.length),
      READ_UNCOMMITTED,
      NO_SESSION_ID,
      NO_SESSION_EPOCH,
      [...byTopic].map(([topicId, rs]) => ({
        topicId,
        partitions: rs.map((r) => ({ partition: r.partition, currentLeaderEpoch: -1, fetchOffset: BigInt(r.offset), lastFetchedEpoch: -1, partitionMaxBytes })),
      })),
      [],
      '',
    )
  } catch (err) {
    // Per-partition errors arrive as a ResponseError carrying the whole response: keep the others.
    response = (err as { response?: Awaited<ReturnType<typeof fetchV12.api.async>> }).response
    if (response?.responses === undefined) throw kafkaError(`Fetch of ${records.length} records`, err, { fix: 'retry; a partition may be changing leader' })
  }
  const result = new Map<string, Map<number, number>>()
  for (const topic of response.responses) {
    const wanted = new Map((byTopic.get(topic.topicId) ?? []).map((r) => [r.partition, BigInt(r.offset)]))
    for (const p of topic.partitions) {
      const offset = wanted.get(p.partitionIndex)
      if (offset === undefined || p.errorCode !== 0) continue
      const timestamp = firstTimestampFrom(p.records ?? [], offset)
      if (timestamp === undefined) continue
      const partitions = result.get(topic.topicId) ?? new Map<number, number>()
      partitions.set(p.partitionIndex, timestamp)
      result.set(topic.topicId, partitions)
    }
  }
  return result
}

type Batch = NonNullable<Awaited<ReturnType<typeof fetchV12.api.async>>['responses'][number]['partitions'][number]['records']>[number]

function firstTimestampFrom(batches: readonly Batch[], offset: bigint): number | undefined {
  for (const batch of batches) {
    if ((batch.attributes & CONTROL) !== 0) continue
    for (const record of batch.records) {
      if (batch.firstOffset + BigInt(record.offsetDelta) < offset) continue
      return Number((batch.attributes & LOG_APPEND_TIME) !== 0 ? batch.maxTimestamp : batch.firstTimestamp + record.timestampDelta)
    }
  }
  return undefined
}
