import type { Admin } from '@platformatic/kafka'
import { kafkaError } from './kafka-error.ts'

const TOPIC_RESOURCE = 2

/**
 * The effective min.insync.replicas of each topic (a topic override, else the cluster's dynamic or
 * static default: DescribeConfigs already resolves it).
 */
export async function describeMinInsync(admin: Admin, topics: readonly string[]): Promise<Map<string, number>> {
  if (topics.length === 0) return new Map()
  try {
    const described = await admin.describeConfigs({
      resources: topics.map((t) => ({ resourceType: TOPIC_RESOURCE, resourceName: t, configurationKeys: ['min.insync.replicas'] })),
    })
    return new Map(
      described.map((d) => {
        const value = d.configs.find((c) => c.name === 'min.insync.replicas')?.value
        return [d.resourceName, value ? Number(value) : 1]
      }),
    )
  } catch (err) {
    throw kafkaError(`DescribeConfigs of ${topics.length} topics`, err, { fix: 'check that the brokers are reachable and the client may describe topic configs' })
  }
}

const BROKER_RESOURCE = 4

/** The min.insync.replicas a new topic gets on this cluster: the broker default, as broker `id` sees it. */
export async function describeDefaultMinInsync(admin: Admin, brokerId: number): Promise<number> {
  try {
    const [described] = await admin.describeConfigs({ resources: [{ resourceType: BROKER_RESOURCE, resourceName: String(brokerId), configurationKeys: ['min.insync.replicas'] }] })
    const value = described?.configs.find((c) => c.name === 'min.insync.replicas')?.value
    return value ? Number(value) : 1
  } catch (err) {
    throw kafkaError(`DescribeConfigs of broker ${brokerId}`, err, { fix: 'check that the brokers are reachable and the client may describe broker configs' })
  }
}
