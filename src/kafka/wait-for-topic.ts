import { setTimeout as sleep } from 'node:timers/promises'
import type { Admin } from '@platformatic/kafka'
import { KafkaplaneError } from '../core/errors.ts'

/**
 * Waits until Metadata shows `topic` with `partitions` partitions, each with a leader: a topic is
 * usable only once the controller's metadata reached the broker that answers.
 */
export async function waitForTopic(admin: Admin, topic: string, partitions: number, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  let last = 'not in metadata yet'
  for (;;) {
    try {
      const metadata = await admin.metadata({ topics: [topic], forceUpdate: true })
      const found = metadata.topics.get(topic)
      if (found && found.partitions.length === partitions && found.partitions.every((p) => p.leader >= 0)) return
      last = found ? `${found.partitions.filter((p) => p.leader >= 0).length}/${partitions} partitions have a leader` : last
    } catch (err) {
      last = (err as Error).message
    }
    if (Date.now() > deadline) {
      throw new KafkaplaneError('KAFKA_REQUEST_FAILED', `topic ${topic} is not ready after ${timeoutMs / 1000} s: ${last}`, {
        fix: 'check that the brokers of its assignment are running',
        retriable: true,
      })
    }
    await sleep(200)
  }
}
