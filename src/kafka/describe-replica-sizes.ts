import type { Admin } from '@platformatic/kafka'
import { pushTo } from '../core/collections.ts'
import type { PartitionAssignment } from '../core/placement/model.ts'
import { kafkaError } from './kafka-error.ts'

export interface ReplicaSize {
  topic: string
  partition: number
  broker: number
  bytes: number
  logDir: string
}

/** DescribeLogDirs: the bytes of every replica of the given partitions, on every broker that has one. */
export async function describeReplicaSizes(admin: Admin, partitions: readonly Pick<PartitionAssignment, 'topic' | 'partition'>[]): Promise<ReplicaSize[]> {
  if (partitions.length === 0) return []
  const byTopic = new Map<string, number[]>()
  for (const p of partitions) pushTo(byTopic, p.topic, p.partition)
  try {
    const described = await admin.describeLogDirs({ topics: [...byTopic].map(([name, ps]) => ({ name, partitions: ps })) })
    return described.flatMap((b) =>
      b.results.flatMap((dir) =>
        dir.topics.flatMap((t) =>
          t.partitions.filter((p) => !p.isFutureKey).map((p) => ({ topic: t.name, partition: p.partitionIndex, broker: b.broker, bytes: Number(p.partitionSize), logDir: dir.logDir })),
        ),
      ),
    )
  } catch (err) {
    throw kafkaError('DescribeLogDirs', err, { fix: 'check that every broker is reachable' })
  }
}

/** The size placement weighs a partition by: its largest replica (the leader's, normally). */
export function partitionSizes(replicas: readonly ReplicaSize[]): Map<string, number> {
  const sizes = new Map<string, number>()
  for (const r of replicas) {
    const key = `${r.topic}-${r.partition}`
    sizes.set(key, Math.max(sizes.get(key) ?? 0, r.bytes))
  }
  return sizes
}

export interface BrokerDisk {
  broker: number
  logDir: string
  /** Bytes of the replicas asked about, in this log dir. */
  replicaBytes: number
  /** Size and free space of the log dir's volume (-1 when the broker cannot tell). */
  totalBytes: number
  usableBytes: number
}

/** DescribeLogDirs: every broker's log dirs with their volume size, free space and the bytes of these partitions. */
export async function describeBrokerDisks(admin: Admin, partitions: readonly PartitionAssignment[]): Promise<BrokerDisk[]> {
  const byTopic = new Map<string, number[]>()
  for (const p of partitions) pushTo(byTopic, p.topic, p.partition)
  try {
    const described = await admin.describeLogDirs({ topics: [...byTopic].map(([name, ps]) => ({ name, partitions: ps })) })
    return described
      .flatMap((b) =>
        b.results.map((dir) => ({
          broker: b.broker,
          logDir: dir.logDir,
          replicaBytes: dir.topics.reduce((sum, t) => sum + t.partitions.reduce((s, p) => s + Number(p.partitionSize), 0), 0),
          totalBytes: Number(dir.totalBytes),
          usableBytes: Number(dir.usableBytes),
        })),
      )
      .sort((a, b) => a.broker - b.broker || a.logDir.localeCompare(b.logDir))
  } catch (err) {
    throw kafkaError('DescribeLogDirs', err, { fix: 'check that every broker is reachable' })
  }
}
