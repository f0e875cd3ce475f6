import type { Admin } from '@platformatic/kafka'
import { kafkaError } from './kafka-error.ts'

const TOPIC_RESOURCE = 2
const SET = 0
const DELETE = 1

/** IncrementalAlterConfigs of one topic: `set` values, `remove` names (back to the broker default). */
export async function alterTopicConfigs(admin: Admin, topic: string, set: Readonly<Record<string, string>>, remove: readonly string[] = []): Promise<void> {
  try {
    await admin.incrementalAlterConfigs({
      resources: [
        {
          resourceType: TOPIC_RESOURCE,
          resourceName: topic,
          configs: [
            ...Object.entries(set).map(([name, value]) => ({ name, configOperation: SET as 0, value })),
            ...remove.map((name) => ({ name, configOperation: DELETE as 1 })),
          ],
        },
      ],
    })
  } catch (err) {
    throw kafkaError(`IncrementalAlterConfigs of topic ${topic}`, err, { fix: 'check the config names and values (kafka-configs --describe --all shows them)' })
  }
}
