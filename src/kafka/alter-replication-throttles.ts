import type { Admin } from '@platformatic/kafka'
import type { ThrottlePlan } from '../core/plan/moves.ts'
import { alterEachBroker, BROKER_RESOURCE, type BrokerConfigFailure, type BrokerConfigs } from './alter-broker-configs.ts'
import { kafkaError } from './kafka-error.ts'

const TOPIC_RESOURCE = 2 as const
const SET = 0 as const
const DELETE = 1 as const

export const BROKER_THROTTLE_RATES = ['leader.replication.throttled.rate', 'follower.replication.throttled.rate'] as const
export const TOPIC_THROTTLED_REPLICAS = ['leader.replication.throttled.replicas', 'follower.replication.throttled.replicas'] as const

/** A broker that did not take a throttle change (a dead or fenced broker cannot: Kafka routes a
 * broker's dynamic config to that broker itself), with the reason. */
export type ThrottleFailure = BrokerConfigFailure

/**
 * Sets a throttle plan (IncrementalAlterConfigs): the leader and follower rates on each of its brokers
 * (sent per broker id, each to that broker), the throttled replica lists on each of its topics (any
 * broker takes those). Brokers are changed one by one: a broker that does not answer is returned with
 * the reason and keeps no one else from their throttle. A failure of the topics' change throws.
 */
export async function setReplicationThrottles(admin: Admin, plan: ThrottlePlan): Promise<ThrottleFailure[]> {
  const rate = String(Math.max(1, Math.round(plan.rateBytesPerSecond)))
  const failures = await perBroker(admin, plan.brokers, BROKER_THROTTLE_RATES.map((name) => ({ name, configOperation: SET, value: rate })))
  await alter(
    admin,
    [...plan.topics].map(([topic, t]) => ({
      resourceType: TOPIC_RESOURCE,
      resourceName: topic,
      configs: [
        { name: TOPIC_THROTTLED_REPLICAS[0], configOperation: SET, value: t.leader },
        { name: TOPIC_THROTTLED_REPLICAS[1], configOperation: SET, value: t.follower },
      ],
    })),
  )
  return failures
}

/**
 * Removes the throttle configs from these brokers and topics (absent ones are fine). Topics first (a
 * rate without throttled replicas limits nothing), then each broker; returns the brokers that did not
 * take it.
 */
export async function clearReplicationThrottles(admin: Admin, brokers: readonly number[], topics: readonly string[]): Promise<ThrottleFailure[]> {
  await alter(admin, topics.map((topic) => ({ resourceType: TOPIC_RESOURCE, resourceName: topic, configs: TOPIC_THROTTLED_REPLICAS.map((name) => ({ name, configOperation: DELETE })) })))
  return perBroker(admin, brokers, BROKER_THROTTLE_RATES.map((name) => ({ name, configOperation: DELETE })))
}

function perBroker(admin: Admin, brokers: readonly number[], configs: BrokerConfigs): Promise<ThrottleFailure[]> {
  return alterEachBroker(admin, brokers, configs, 'replication throttles', () => 'check that the brokers are reachable; the throttle change can be repeated safely')
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
    throw kafkaError('DescribeConfigs of replication throttles', err, { fix: 'check that the brokers are reachable' })
  }
  return found
}

async function alter(admin: Admin, resources: Parameters<Admin['incrementalAlterConfigs']>[0]['resources'], broker?: number): Promise<void> {
  if (resources.length === 0) return
  try {
    await admin.incrementalAlterConfigs({ resources })
  } catch (err) {
    throw kafkaError(`IncrementalAlterConfigs of replication throttles${broker === undefined ? '' : ` on broker ${broker}`}`, err, {
      fix: 'check that the brokers are reachable; the throttle change can be repeated safely',
      ...(broker === undefined ? {} : { resource: { broker } }),
    })
  }
}
