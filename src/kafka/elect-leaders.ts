import { createAPI, Writer, type Connection, type Reader } from '@platformatic/kafka'
import { kafkaError, kafkaErrorCode } from './kafka-error.ts'

/*
  ElectLeaders Request (Version: 2) => election_type [topic_partitions] timeout_ms TAG_BUFFER
    election_type => INT8                 0 = preferred, 1 = unclean
    topic_partitions => topic [partitions] TAG_BUFFER      (compact, nullable: null = every partition)
      topic => COMPACT_STRING
      partitions => INT32
    timeout_ms => INT32
  The client has no ElectLeaders; it is written here in the client's style (createAPI, Writer, Reader).
*/
interface TopicPartitions {
  topic: string
  partitions: number[]
}

function createRequest(electionType: number, topicPartitions: TopicPartitions[] | null, timeoutMs: number): Writer {
  return Writer.create()
    .appendInt8(electionType)
    .appendArray(topicPartitions, (w, t) => {
      w.appendString(t.topic).appendArray(t.partitions, (w, p) => w.appendInt32(p), true, false)
    })
    .appendInt32(timeoutMs)
    .appendTaggedFields()
}

export interface ElectLeadersPartitionResult {
  partitionId: number
  errorCode: number
  errorMessage: string | null
}

export interface ElectLeadersResponse {
  throttleTimeMs: number
  errorCode: number
  results: { topic: string; partitionResult: ElectLeadersPartitionResult[] }[]
}

/*
  ElectLeaders Response (Version: 2) => throttle_time_ms error_code [replica_election_results] TAG_BUFFER
    replica_election_results => topic [partition_result] TAG_BUFFER
      partition_result => partition_id error_code error_message TAG_BUFFER
  Per-partition errors are returned, not thrown: ELECTION_NOT_NEEDED is the common, harmless one.
*/
function parseResponse(_correlationId: number, _apiKey: number, _apiVersion: number, reader: Reader): ElectLeadersResponse {
  const response: ElectLeadersResponse = {
    throttleTimeMs: reader.readInt32(),
    errorCode: reader.readInt16(),
    results: reader.readArray((r) => ({
      topic: r.readString(),
      partitionResult: r.readArray((p) => ({ partitionId: p.readInt32(), errorCode: p.readInt16(), errorMessage: p.readNullableString() })),
    })),
  }
  reader.readTaggedFields()
  return response
}

export const electLeadersV2 = createAPI<[electionType: number, topicPartitions: TopicPartitions[] | null, timeoutMs: number], ElectLeadersResponse>(43, 2, createRequest, parseResponse)

const PREFERRED = 0
/** Kafka error codes met here: the preferred leader already leads; it is not in the ISR (yet). */
export const ELECTION_NOT_NEEDED = 84
export const PREFERRED_LEADER_NOT_AVAILABLE = 80

export interface ElectionOutcome {
  /** Partitions whose preferred leader now leads (elected now, or already leading). */
  elected: number
  /** Partitions where the election failed, with Kafka's error code and message. */
  failed: { topic: string; partition: number; errorCode: number; message: string }[]
}

/**
 * Preferred-leader election for these partitions (never "all": an empty list elects nothing), so that
 * leadership follows the first replica of each assignment again after a move. Any broker forwards it to
 * the active controller.
 */
export async function electPreferredLeaders(connection: Connection, partitions: readonly { topic: string; partition: number }[], timeoutMs = 30_000): Promise<ElectionOutcome> {
  if (partitions.length === 0) return { elected: 0, failed: [] }
  const byTopic = new Map<string, number[]>()
  for (const p of partitions) byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), p.partition])
  let response: ElectLeadersResponse
  try {
    response = await electLeadersV2.async(connection, PREFERRED, [...byTopic].map(([topic, ps]) => ({ topic, partitions: ps })), timeoutMs)
  } catch (err) {
    throw kafkaError('ElectLeaders', err, { fix: 'check that the brokers are reachable; the election can be repeated safely' })
  }
  if (response.errorCode !== 0) {
    throw kafkaErrorCode('ElectLeaders', response.errorCode, null, { fix: 'retry; the controller may be moving' })
  }
  const outcome: ElectionOutcome = { elected: 0, failed: [] }
  for (const t of response.results) {
    for (const p of t.partitionResult) {
      if (p.errorCode === 0 || p.errorCode === ELECTION_NOT_NEEDED) outcome.elected++
      else outcome.failed.push({ topic: t.topic, partition: p.partitionId, errorCode: p.errorCode, message: p.errorMessage ?? `error ${p.errorCode}` })
    }
  }
  return outcome
}
