/**
 * The replication throttle is honoured, on a two-broker cluster (so the new replicas can only go to
 * broker 1): data moved by the executor at a rate limit arrives at that rate (within 10%, once the
 * executor has measured Kafka's quota for 5 s), never faster than the limit by more than 10% over any
 * 10 s window, and the throttle is gone afterwards.
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { layoutBrokers } from '../../src/core/topology/layout.ts'
import { describeReplicationThrottles } from '../../src/kafka/alter-replication-throttles.ts'
import { createAdmin } from '../../src/kafka/connection.ts'
import type { LocalCluster } from '../../src/local/local-cluster.ts'
import { removeDir, startTestCluster, tempDir } from './support/clusters.ts'
import { throttledMove } from './support/throttled-move.ts'

describe('replication throttle', { timeout: 600_000 }, () => {
  let cluster: LocalCluster
  let scratch: string
  before(async () => {
    scratch = await tempDir('throttle')
    cluster = await startTestCluster(layoutBrokers(2, [{ name: 'zone', values: ['a', 'b'] }]))
  })
  after(async () => {
    await cluster?.stop()
    await removeDir(scratch)
  })

  test('64 MiB moved at 2 MiB/s arrive at 2 MiB/s, and the throttle is removed after', async () => {
    const rate = 2 * 1024 * 1024
    const move = await throttledMove(cluster, { topic: 'throttled', from: 0, to: 1, partitions: 2, bytes: 64 * 1024 * 1024, rate, stateFile: join(scratch, 'plan.json') })
    assert.equal(move.exitCode, 0, move.output)
    // Sustained: once the executor has learnt how much of the configured rate Kafka lets through.
    const ratio = move.sustainedRate / rate
    assert.ok(ratio >= 0.9 && ratio <= 1.1, `sustained ${(move.sustainedRate / 2 ** 20).toFixed(2)} MiB/s for a 2 MiB/s throttle (${ratio.toFixed(2)}x); samples ${JSON.stringify(move.samples)}`)
    assert.ok(move.measuredRate >= rate * 0.8, `over the whole copy, warm-up included: ${(move.measuredRate / 2 ** 20).toFixed(2)} MiB/s`)
    assert.ok(move.peakRate <= rate * 1.1, `peak ${(move.peakRate / 2 ** 20).toFixed(2)} MiB/s over 10 s`)
    const admin = createAdmin({ bootstrapServers: cluster.bootstrapServers })
    try {
      assert.deepEqual(await describeReplicationThrottles(admin, [0, 1], ['throttled']), { brokers: [], topics: [] })
    } finally {
      await admin.close()
    }
  })
})
