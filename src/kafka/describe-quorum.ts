import { describeQuorumV2, type Connection } from '@platformatic/kafka'
import { KafkaplaneError } from '../core/errors.ts'
import type { QuorumState } from '../core/health/snapshot.ts'
import { kafkaError, kafkaErrorCode } from './kafka-error.ts'

/**
 * DescribeQuorum of the KRaft metadata log (`__cluster_metadata`, partition 0): the active controller
 * (leaderId; Metadata's controllerId is a random broker in KRaft), the voters and observers with how
 * long ago each caught up with the leader.
 */
export async function describeQuorum(connection: Connection, now = Date.now()): Promise<QuorumState> {
  let response
  try {
    response = await describeQuorumV2.api.async(connection, [{ topicName: '__cluster_metadata', partitions: [{ partitionIndex: 0 }] }])
  } catch (err) {
    throw kafkaError('DescribeQuorum', err, { fix: 'check the brokers run in KRaft mode and are reachable' })
  }
  const partition = response.topics[0]?.partitions[0]
  if (!partition || partition.errorCode !== 0) {
    const fix = 'retry; the controller quorum may be electing a leader'
    if (!partition) throw new KafkaplaneError('KAFKA_REQUEST_FAILED', 'DescribeQuorum returned no partition', { fix, retriable: true })
    throw kafkaErrorCode('DescribeQuorum', partition.errorCode, partition.errorMessage, { fix })
  }
  const member = (m: { replicaId: number; logEndOffset: bigint; lastCaughtUpTimestamp: bigint }) => ({
    id: m.replicaId,
    logEndOffset: m.logEndOffset,
    caughtUpAgoMs: m.replicaId === partition.leaderId ? 0 : m.lastCaughtUpTimestamp < 0n ? undefined : Math.max(0, now - Number(m.lastCaughtUpTimestamp)),
  })
  return {
    leaderId: partition.leaderId,
    leaderEpoch: partition.leaderEpoch,
    highWatermark: partition.highWatermark,
    describedAt: now,
    voters: partition.currentVoters.map(member),
    observers: partition.observers.map(member),
  }
}
