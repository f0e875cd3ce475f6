import type { Admin } from '@platformatic/kafka'
import { KafkaplaneError } from '../core/errors.ts'
import type { ClusterSnapshot, QuorumState } from '../core/health/snapshot.ts'
import { anyConnection } from './connection.ts'
import { describeMinInsync } from './describe-min-insync.ts'
import { describeEligibleLeaders } from './describe-eligible-leaders.ts'
import { describeQuorum } from './describe-quorum.ts'
import { listPartitionReassignments } from './list-partition-reassignments.ts'

export interface SnapshotOptions {
  bootstrapServers: readonly string[]
  /** Broker ids the cluster should have; default: the registered ones and the controller voters. */
  expectedBrokerIds?: readonly number[]
}

/**
 * One snapshot of a cluster for the health model: brokers and partitions (Metadata, every topic,
 * internal ones included), each topic's effective min.insync.replicas (DescribeConfigs), the
 * controller quorum (DescribeQuorum), the reassignments in flight, and the Eligible Leader Replicas of
 * partitions below min.insync.replicas (DescribeTopicPartitions). The quorum is optional: when
 * DescribeQuorum fails, the snapshot says so (undefined) rather than failing whole.
 */
export async function describeClusterSnapshot(admin: Admin, options: SnapshotOptions): Promise<ClusterSnapshot> {
  let metadata
  try {
    const topics = await admin.listTopics({ includeInternals: true })
    metadata = await admin.metadata({ topics, forceUpdate: true })
  } catch (err) {
    throw new KafkaplaneError('KAFKA_REQUEST_FAILED', `Metadata request failed: ${(err as Error).message}`, {
      fix: `check that ${options.bootstrapServers.join(',')} is reachable`,
      retriable: true,
      cause: err,
    })
  }
  const topicNames = [...metadata.topics.keys()]
  const connection = await anyConnection(admin, options.bootstrapServers)
  const minInsync = await describeMinInsync(admin, topicNames)
  // ELR only fills while a partition is below its min.insync.replicas: ask only then, for those topics,
  // and before DescribeQuorum (which, without a quorum, can take the connection down with it).
  const belowMin = [...metadata.topics].filter(([topic, t]) => t.partitions.some((p) => p.isr.length < (minInsync.get(topic) ?? 1))).map(([topic]) => topic)
  let elr = new Map<string, number[]>()
  if (belowMin.length > 0) {
    try {
      elr = await describeEligibleLeaders(connection, belowMin)
    } catch {
      // best effort: the health model works without ELR
    }
  }
  const [quorum, reassignments] = await Promise.all([
    describeQuorum(connection).catch((): QuorumState | undefined => undefined),
    listPartitionReassignments(connection).catch(() => []),
  ])
  const moving = new Set(reassignments.map((r) => `${r.topic}-${r.partition}`))
  const brokers = [...metadata.brokers].map(([id, b]) => ({ id, host: b.host, port: b.port, rack: b.rack ?? undefined })).sort((a, b) => a.id - b.id)
  return {
    brokers,
    expectedBrokerIds: options.expectedBrokerIds ?? [...new Set([...brokers.map((b) => b.id), ...(quorum?.voters.map((v) => v.id) ?? [])])].sort((a, b) => a - b),
    quorum,
    partitions: [...metadata.topics].flatMap(([topic, t]) =>
      t.partitions.map((p, partition) => ({
        topic,
        partition,
        leader: p.leader,
        replicas: [...p.replicas],
        isr: [...p.isr],
        minInsync: minInsync.get(topic) ?? 1,
        reassigning: moving.has(`${topic}-${partition}`),
        elr: elr.get(`${topic}-${partition}`) ?? [],
      })),
    ),
    takenAt: Date.now(),
  }
}
