import { listPartitionReassignmentsV0, type Connection } from '@platformatic/kafka'
import { kafkaError } from './kafka-error.ts'

export interface OngoingReassignment {
  topic: string
  partition: number
  replicas: number[]
  adding: number[]
  removing: number[]
}

/** ListPartitionReassignments for every topic: the reassignments in flight right now. */
export async function listPartitionReassignments(connection: Connection, timeoutMs = 10_000): Promise<OngoingReassignment[]> {
  try {
    const response = await listPartitionReassignmentsV0.api.async(connection, timeoutMs, null)
    if (response.errorCode !== 0) throw new Error(`error ${response.errorCode}: ${response.errorMessage ?? ''}`)
    return response.topics.flatMap((t) =>
      t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, replicas: p.replicas, adding: p.addingReplicas, removing: p.removingReplicas })),
    )
  } catch (err) {
    throw kafkaError('ListPartitionReassignments', err, { fix: 'check that the brokers are reachable' })
  }
}
