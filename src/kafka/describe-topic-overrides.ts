import type { Admin } from '@platformatic/kafka'
import { kafkaError } from './kafka-error.ts'

const TOPIC_RESOURCE = 2
const DYNAMIC_TOPIC_CONFIG = 1

/**
 * The configs set on a topic itself (source DYNAMIC_TOPIC_CONFIG): what `kafka-configs --describe
 * --entity-type topics` lists, not the broker defaults the topic inherits. Sensitive values read as "".
 */
export async function describeTopicOverrides(admin: Admin, topic: string): Promise<Record<string, string>> {
  try {
    const [described] = await admin.describeConfigs({ resources: [{ resourceType: TOPIC_RESOURCE, resourceName: topic }] })
    return Object.fromEntries((described?.configs ?? []).filter((c) => c.configSource === DYNAMIC_TOPIC_CONFIG).map((c) => [c.name, c.value ?? '']))
  } catch (err) {
    throw kafkaError(`DescribeConfigs of topic ${topic}`, err, { fix: 'check that the brokers are reachable and the client may describe topic configs' })
  }
}
