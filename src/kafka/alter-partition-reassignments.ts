import { alterPartitionReassignmentsV0, type Connection } from '@platformatic/kafka'
import { isAuthorizationCode, kafkaError, kafkaErrorCode } from './kafka-error.ts'

/** One partition's target replicas; `null` cancels the reassignment in flight (back to its old replicas). */
export interface ReassignmentRequest {
  topic: string
  partition: number
  replicas: readonly number[] | null
}

export interface ReassignmentFailure {
  topic: string
  partition: number
  errorCode: number
  message: string
  /** The principal lacks an ACL for it (TOPIC_/CLUSTER_AUTHORIZATION_FAILED): repeating cannot help. */
  notAuthorized: boolean
}

/** Kafka's NO_REASSIGNMENT_IN_PROGRESS: cancelling a move that already finished is not a failure. */
export const NO_REASSIGNMENT_IN_PROGRESS = 85

/**
 * AlterPartitionReassignments (v0; any broker forwards it to the active controller). Starts (or
 * cancels) the moves and returns at once; the controller adds the new replicas, waits for them to join
 * the ISR, then drops the old ones. Per-partition refusals are returned, not thrown, so that a batch
 * can go on with the partitions that were accepted.
 */
export async function alterPartitionReassignments(connection: Connection, requests: readonly ReassignmentRequest[], timeoutMs = 30_000): Promise<ReassignmentFailure[]> {
  if (requests.length === 0) return []
  const byTopic = new Map<string, { partitionIndex: number; replicas: number[] | null }[]>()
  for (const r of requests) byTopic.set(r.topic, [...(byTopic.get(r.topic) ?? []), { partitionIndex: r.partition, replicas: r.replicas === null ? null : [...r.replicas] }])
  const topics = [...byTopic].map(([name, partitions]) => ({ name, partitions }))
  let response
  try {
    response = await alterPartitionReassignmentsV0.api.async(connection, timeoutMs, false, topics)
  } catch (err) {
    // Per-partition errors arrive as a ResponseError carrying the whole response.
    response = (err as { response?: Awaited<ReturnType<typeof alterPartitionReassignmentsV0.api.async>> }).response
    if (response === undefined || response.errorCode !== 0) {
      const fix = 'check that the brokers are reachable and the target brokers exist; nothing was started'
      throw response === undefined ? kafkaError('AlterPartitionReassignments', err, { fix }) : kafkaErrorCode('AlterPartitionReassignments', response.errorCode, response.errorMessage, { fix })
    }
  }
  return response.responses.flatMap((t) =>
    t.partitions
      .filter((p) => p.errorCode !== 0)
      .map((p) => ({ topic: t.name, partition: p.partitionIndex, errorCode: p.errorCode, message: p.errorMessage ?? `error ${p.errorCode}`, notAuthorized: isAuthorizationCode(p.errorCode) })),
  )
}
