import type { Admin } from '@platformatic/kafka'
import { kafkaError } from './kafka-error.ts'

export interface DescribedGroup {
  id: string
  /** The group's state as its coordinator says it (Stable, Empty, PreparingRebalance, Dead ...). */
  state: string
  members: number
}

/** DescribeGroups of the given groups (each asked of its coordinator): their state and member count. */
export async function describeConsumerGroups(admin: Admin, groups: readonly string[]): Promise<DescribedGroup[]> {
  if (groups.length === 0) return []
  try {
    const described = await admin.describeGroups({ groups: [...groups] })
    return [...described.values()].map((g) => ({ id: g.id, state: String(g.state), members: g.members.size }))
  } catch (err) {
    throw kafkaError(`DescribeGroups of ${groups.length} groups`, err, { fix: 'retry; a group coordinator may be moving' })
  }
}
