import { describeQuorumV2, type Connection } from '@platformatic/kafka'
import { KafkaplaneError } from '../core/errors.ts'
import type { QuorumState } from '../core/health/snapshot.ts'

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
    throw new KafkaplaneError('KAFKA_REQUEST_FAILED', `DescribeQuorum failed: ${(err as Error).message}`, {
      fix: 'check the brokers run in KRaft mode and are reachable',
      retriable: true,
      cause: err,
    })
  }
  const partition = response.topics[0]?.partitions[0]
  if (!partition || partition.errorCode !== 0) {
    throw new KafkaplaneError('KAFKA_REQUEST_FAILED', `DescribeQuorum returned error ${partition?.errorCode ?? 'no partition'}`, {
      fix: 'retry; the controller quorum may be electing a leader',
      retriable: true,
    })
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
    voters: partition.currentVoters.map(member),
    observers: partition.observers.map(member),
  }
}
