import type { Admin } from '@platformatic/kafka'
import { KafkaplaneError } from '../core/errors.ts'
import type { ThrottlePlan } from '../core/plan/moves.ts'

const TOPIC_RESOURCE = 2 as const
const BROKER_RESOURCE = 4 as const
const SET = 0 as const
const DELETE = 1 as const

export const BROKER_THROTTLE_RATES = ['leader.replication.throttled.rate', 'follower.replication.throttled.rate'] as const
export const TOPIC_THROTTLED_REPLICAS = ['leader.replication.throttled.replicas', 'follower.replication.throttled.replicas'] as const

/**
 * Sets a throttle plan (IncrementalAlterConfigs): the leader and follower rates on each of its brokers
 * (sent per broker id, each to that broker), the throttled replica lists on each of its topics.
 */
export async function setReplicationThrottles(admin: Admin, plan: ThrottlePlan): Promise<void> {
  const rate = String(Math.max(1, Math.round(plan.rateBytesPerSecond)))
  await alter(admin, [
    ...plan.brokers.map((b) => ({
      resourceType: BROKER_RESOURCE,
      resourceName: String(b),
      configs: BROKER_THROTTLE_RATES.map((name) => ({ name, configOperation: SET, value: rate })),
    })),
    ...[...plan.topics].map(([topic, t]) => ({
      resourceType: TOPIC_RESOURCE,
      resourceName: topic,
      configs: [
        { name: TOPIC_THROTTLED_REPLICAS[0], configOperation: SET, value: t.leader },
        { name: TOPIC_THROTTLED_REPLICAS[1], configOperation: SET, value: t.follower },
      ],
    })),
  ])
}

/** Removes the throttle configs from these brokers and topics (absent ones are fine). */
export async function clearReplicationThrottles(admin: Admin, brokers: readonly number[], topics: readonly string[]): Promise<void> {
  await alter(admin, [
    ...brokers.map((b) => ({ resourceType: BROKER_RESOURCE, resourceName: String(b), configs: BROKER_THROTTLE_RATES.map((name) => ({ name, configOperation: DELETE })) })),
    ...topics.map((topic) => ({ resourceType: TOPIC_RESOURCE, resourceName: topic, configs: TOPIC_THROTTLED_REPLICAS.map((name) => ({ name, configOperation: DELETE })) })),
  ])
}

export interface ThrottlesFound {
  /** Brokers with a replication rate set, and the rates. */
  brokers: { broker: number; leaderRate?: number; followerRate?: number }[]
  /** Topics with throttled replica lists. */
  topics: { topic: string; leader?: string; follower?: string }[]
}

/** The replication throttles set now on these brokers and topics (to find stale ones). */
export async function describeReplicationThrottles(admin: Admin, brokers: readonly number[], topics: readonly string[]): Promise<ThrottlesFound> {
  const found: ThrottlesFound = { brokers: [], topics: [] }
  try {
    // One broker at a time: a broker's dynamic configs are answered by that broker.
    for (const b of brokers) {
      const [d] = await admin.describeConfigs({ resources: [{ resourceType: BROKER_RESOURCE, resourceName: String(b), configurationKeys: [...BROKER_THROTTLE_RATES] }] })
      const value = (name: string) => {
        const v = d?.configs.find((c) => c.name === name)?.value
        return v === undefined || v === null || v === '' ? undefined : Number(v)
      }
      const leaderRate = value(BROKER_THROTTLE_RATES[0])
      const followerRate = value(BROKER_THROTTLE_RATES[1])
      // Kafka reports the default (Long.MAX_VALUE) when none is set.
      const set = (r: number | undefined) => (r !== undefined && r < Number.MAX_SAFE_INTEGER ? r : undefined)
      if (set(leaderRate) !== undefined || set(followerRate) !== undefined) found.brokers.push({ broker: b, leaderRate: set(leaderRate), followerRate: set(followerRate) })
    }
    if (topics.length > 0) {
      const described = await admin.describeConfigs({
        resources: topics.map((t) => ({ resourceType: TOPIC_RESOURCE, resourceName: t, configurationKeys: [...TOPIC_THROTTLED_REPLICAS] })),
      })
      for (const d of described) {
        const value = (name: string) => d.configs.find((c) => c.name === name)?.value || undefined
        const leader = value(TOPIC_THROTTLED_REPLICAS[0])
        const follower = value(TOPIC_THROTTLED_REPLICAS[1])
        if (leader || follower) found.topics.push({ topic: d.resourceName, leader: leader ?? undefined, follower: follower ?? undefined })
      }
    }
  } catch (err) {
    throw new KafkaplaneError('KAFKA_REQUEST_FAILED', `DescribeConfigs of replication throttles failed: ${(err as Error).message}`, {
      fix: 'check that the brokers are reachable',
      retriable: true,
      cause: err,
    })
  }
  return found
}

async function alter(admin: Admin, resources: Parameters<Admin['incrementalAlterConfigs']>[0]['resources']): Promise<void> {
  if (resources.length === 0) return
  try {
    await admin.incrementalAlterConfigs({ resources })
  } catch (err) {
    throw new KafkaplaneError('KAFKA_REQUEST_FAILED', `IncrementalAlterConfigs of replication throttles failed: ${(err as Error).message}`, {
      fix: 'check that the brokers are reachable; the throttle change can be repeated safely',
      retriable: true,
      cause: err,
    })
  }
}
