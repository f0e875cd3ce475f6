import { describeGroupsV5, FindCoordinatorKeyTypes, type Admin } from '@platformatic/kafka'
import { pushTo } from '../core/collections.ts'
import { kafkaError } from './kafka-error.ts'

export interface DescribedGroup {
  id: string
  /** The group's state as its coordinator says it (Stable, Empty, PreparingRebalance, Dead ...). */
  state: string
  members: number
}

/**
 * DescribeGroups (v5) of the given groups, each asked of its coordinator (FindCoordinator, batched by
 * the client): their state and member count. A group its coordinator answers with an error (a group of
 * the new consumer protocol, KIP-848, is not a classic group) is left out; the others are kept.
 *
 * The raw request rather than Admin.describeGroups: the client's (2.12.1) decodes every member's
 * metadata as a consumer subscription, which a group of another protocol (Kafka Connect's) does not
 * hold, and one group's error fails the whole answer.
 */
export async function describeConsumerGroups(admin: Admin, groups: readonly string[]): Promise<DescribedGroup[]> {
  if (groups.length === 0) return []
  const request = `DescribeGroups of ${groups.length} groups`
  try {
    const coordinators = await admin.findCoordinator({ keyType: FindCoordinatorKeyTypes.GROUP, keys: [...groups] })
    const byCoordinator = new Map<string, string[]>()
    for (const c of coordinators) pushTo(byCoordinator, `${c.host}\u0000${c.port}`, c.key)
    const answers = await Promise.all(
      [...byCoordinator].map(async ([address, ids]) => {
        const [host, port] = address.split('\u0000')
        const connection = await admin.connections.get({ host: host!, port: Number(port) })
        try {
          return (await describeGroupsV5.api.async(connection, ids, false)).groups
        } catch (err) {
          // Per-group errors arrive as a ResponseError carrying the whole response.
          const response = (err as { response?: Awaited<ReturnType<typeof describeGroupsV5.api.async>> }).response
          if (response?.groups === undefined) throw err
          return response.groups
        }
      }),
    )
    return answers.flat().filter((g) => g.errorCode === 0).map((g) => ({ id: g.groupId, state: g.groupState, members: g.members.length }))
  } catch (err) {
    throw kafkaError(request, err, { fix: 'retry; a group coordinator may be moving' })
  }
}
