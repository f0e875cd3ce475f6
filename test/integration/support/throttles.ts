/**
 * Replication throttles as the tests look for them: on every registered broker and every topic.
 *
 * A config change reaches each broker through the metadata log, after the controller acknowledged it:
 * a broker may answer with the old value for a moment (seen on a loaded CI machine, where a throttle
 * removed by a plan was still reported by its broker right after the plan ended). `assertNoThrottles`
 * therefore looks again for a few seconds before it fails.
 */
import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import { describeReplicationThrottles, type ThrottlesFound } from '../../../src/kafka/alter-replication-throttles.ts'
import { createAdmin, type KafkaConnectionOptions } from '../../../src/kafka/connection.ts'
import { describeLiveBrokers } from '../../../src/kafka/describe-live-brokers.ts'

/** Throttles set now on the registered brokers and on every topic (internal ones too). */
export async function throttles(connection: KafkaConnectionOptions): Promise<ThrottlesFound> {
  const admin = createAdmin(connection)
  try {
    const live = (await describeLiveBrokers(admin)).map((b) => b.id)
    return await describeReplicationThrottles(admin, live, await admin.listTopics({ includeInternals: true }))
  } finally {
    await admin.close()
  }
}

/** Fails unless no throttle is left anywhere within `withinMs` (the metadata log's lag). */
export async function assertNoThrottles(connection: KafkaConnectionOptions, message = 'no replication throttle is left on any broker or topic', withinMs = 10_000): Promise<void> {
  const deadline = Date.now() + withinMs
  for (;;) {
    const found = await throttles(connection)
    if ((found.brokers.length === 0 && found.topics.length === 0) || Date.now() > deadline) {
      assert.deepEqual(found, { brokers: [], topics: [] }, message)
      return
    }
    await sleep(500)
  }
}
