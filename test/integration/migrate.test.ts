/**
 * Blockport's migration on a real 6-broker cluster: every partition (internal topics included) moves
 * off the three "old" brokers onto the three others in stages, under continuous verify load; then the
 * old brokers are stopped. Nothing acknowledged is lost and the consumers never see a gap.
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { layoutBrokers } from '../../src/core/topology/layout.ts'
import { createAdmin } from '../../src/kafka/connection.ts'
import { describeClusterSnapshot } from '../../src/kafka/describe-cluster-snapshot.ts'
import { waitForTopic } from '../../src/kafka/wait-for-topic.ts'
import type { LocalCluster } from '../../src/local/local-cluster.ts'
import { startWorkload } from '../../src/verify/workload.ts'
import { removeDir, startTestCluster, tempDir } from './support/clusters.ts'
import { runCli } from './support/cli.ts'

describe('staged migration onto new brokers', { timeout: 1_200_000 }, () => {
  let cluster: LocalCluster
  let scratch: string
  const old = [3, 4, 5]
  before(async () => {
    scratch = await tempDir('migrate')
    cluster = await startTestCluster(layoutBrokers(6, [{ name: 'zone', values: ['a', 'b', 'c'] }]), { heap: '320m' })
  })
  after(async () => {
    await cluster?.stop()
    await removeDir(scratch)
  })

  test('every replica moves off brokers 3, 4, 5 in stages; they stop; nothing lost, no gap', async (t) => {
    const admin = createAdmin({ bootstrapServers: cluster.bootstrapServers })
    try {
      for (const topic of ['orders', 'payments']) {
        await admin.createTopics({
          topics: [topic],
          partitions: -1,
          replicas: -1,
          assignments: Array.from({ length: 6 }, (_, partition) => ({ partition, brokers: [old[partition % 3]!, old[(partition + 1) % 3]!, old[(partition + 2) % 3]!] })),
        })
        await waitForTopic(admin, topic, 6, 60_000)
      }
    } finally {
      await admin.close()
    }
    const workload = await startWorkload({ connection: { bootstrapServers: cluster.bootstrapServers.slice(0, 3) }, topics: ['orders', 'payments'], recordsPerSecond: 150 })
    let stopped = false
    t.after(async () => {
      if (!stopped) await workload.stop().catch(() => {})
    })
    await sleep(3000)
    const args = ['migrate', '--from', old.join(','), '--to', '0,1,2', '--max-moves-per-stage', '6', '--bootstrap-server', cluster.bootstrapServers.slice(0, 3).join(','), '--state-file', join(scratch, 'plan.json'), '--poll-ms', '500']
    const dry = await runCli([...args, '--dry-run'])
    assert.equal(dry.code, 0, dry.stderr)
    const stages = (JSON.parse(dry.stdout) as { stages: unknown[][] }).stages
    assert.ok(stages.length >= 3, `RF 3 at min.insync 2 moves one replica of a partition per stage: ${stages.length} stages`)
    const migrated = await runCli(args, { timeoutMs: 900_000 })
    assert.equal(migrated.code, 0, migrated.stdout + migrated.stderr)
    assert.match(migrated.stdout, /migration done: brokers 3, 4, 5 hold no replicas/)
    assert.match(migrated.stderr, /stage 2 /)

    const check = createAdmin({ bootstrapServers: cluster.bootstrapServers.slice(0, 3) })
    try {
      const snapshot = await describeClusterSnapshot(check, { bootstrapServers: cluster.bootstrapServers.slice(0, 3) })
      const left = snapshot.partitions.filter((p) => p.replicas.some((b) => old.includes(b)))
      assert.deepEqual(left.map((p) => `${p.topic}-${p.partition}`), [], 'no replica (internal topics included) is left on the old brokers')
    } finally {
      await check.close()
    }
    for (const id of old) await cluster.stopBroker(id)
    await sleep(5000)
    stopped = true
    const report = await workload.stop()
    assert.ok(report.acknowledged > 1000, `the load ran: ${report.acknowledged}`)
    assert.equal(report.lost, 0, JSON.stringify(report.partitions.filter((p) => p.lost > 0)))
    assert.equal(report.outOfOrder, 0)
  })
})
