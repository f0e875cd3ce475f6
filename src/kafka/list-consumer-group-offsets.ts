import type { Admin } from '@platformatic/kafka'
import type { CommittedOffset } from '../core/observe/exporter-series.ts'
import { kafkaError } from './kafka-error.ts'

/**
 * OffsetFetch of every committed offset of the given groups (each asked of its coordinator), by group
 * id; partitions without a commit (offset -1) are left out.
 */
export async function listConsumerGroupOffsets(admin: Admin, groups: readonly string[]): Promise<Map<string, CommittedOffset[]>> {
  if (groups.length === 0) return new Map()
  let listed
  try {
    listed = await admin.listConsumerGroupOffsets({ groups: [...groups] })
  } catch (err) {
    throw kafkaError(`OffsetFetch of ${groups.length} groups`, err, { fix: 'retry; a group coordinator may be moving' })
  }
  return new Map(
    listed.map((g) => [
      g.groupId,
      g.topics.flatMap((t) => t.partitions.filter((p) => p.committedOffset >= 0n).map((p) => ({ topic: t.name, partition: p.partitionIndex, offset: Number(p.committedOffset) }))),
    ]),
  )
}
