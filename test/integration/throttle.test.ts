/**
 * The replication throttle is honoured, on a two-broker cluster (so the new replicas can only go to
 * broker 1): data moved by the executor at a rate limit never arrives faster than the limit by more
 * than 10%, sustained or over any 10 s window, and the throttle is gone afterwards.
 *
 * How close to the limit the copy runs (the 0.85 of the ideal) is a speed figure, measured by
 * `bench/run executor` and recorded in bench/RESULTS.md, not asserted here: on a loaded 2-core machine
 * the rate Kafka's quota lets through wanders by more than a test may assume (CI saw 0.88 once where
 * the bench gives 0.93-0.98). The test keeps a floor of half the limit, which still fails a throttle
 * that strangles the move or an executor that mis-learns the quota.
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { layoutBrokers } from '../../src/core/topology/layout.ts'
import type { LocalCluster } from '../../src/local/local-cluster.ts'
import { removeDir, startTestCluster, tempDir } from './support/clusters.ts'
import { throttledMove } from './support/throttled-move.ts'
import { assertNoThrottles } from './support/throttles.ts'

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

  test('64 MiB moved at 2 MiB/s never arrive faster than 2.2 MiB/s, and the throttle is removed after', async () => {
    const rate = 2 * 1024 * 1024
    const move = await throttledMove(cluster, { topic: 'throttled', from: 0, to: 1, partitions: 2, bytes: 64 * 1024 * 1024, rate, stateFile: join(scratch, 'plan.json') })
    assert.equal(move.exitCode, 0, move.output)
    // Sustained: once the executor has learnt how much of the configured rate Kafka lets through.
    const ratio = move.sustainedRate / rate
    const mib = (bytesPerSecond: number) => `${(bytesPerSecond / 2 ** 20).toFixed(2)} MiB/s`
    const figures = `sustained ${mib(move.sustainedRate)} (${ratio.toFixed(2)}x), whole copy ${mib(move.measuredRate)}, peak 10 s ${mib(move.peakRate)} for a 2 MiB/s throttle; samples ${JSON.stringify(move.samples)}`
    console.log(figures)
    assert.ok(ratio <= 1.1, `over the limit: ${figures}`)
    assert.ok(move.peakRate <= rate * 1.1, `over the limit in a 10 s window: ${figures}`)
    assert.ok(move.measuredRate >= rate * 0.5, `strangled, under half the limit: ${figures}`)
    await assertNoThrottles({ bootstrapServers: cluster.bootstrapServers }, `the throttle is removed after the move; its output:\n${move.output}`)
  })
})
