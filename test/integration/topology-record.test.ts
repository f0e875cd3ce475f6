/**
 * The cluster remembers its topology (issue 10, defect 4): `kafkaplane up` (through the CLI) lays 6
 * brokers over 2 Kubernetes clusters x 3 zones and records every broker's failure domains in the
 * cluster itself; then `status`, `topics create` and `heal` find both dimensions from the bootstrap
 * address alone, without --topology. After broker 4 dies, `heal` keeps every partition in both
 * Kubernetes clusters (the case seen in the issue: all 3 replicas ended in the other cluster).
 * Every JVM is killed by pid in after(), also when a test fails.
 */
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { describeRecordedTopology } from '../../src/kafka/describe-recorded-topology.ts'
import { createAdmin } from '../../src/kafka/connection.ts'
import { describeAssignment } from '../../src/kafka/describe-assignment.ts'
import { describeLiveBrokers } from '../../src/kafka/describe-live-brokers.ts'
import { readClusterState } from '../../src/local/cluster-state.ts'
import { runCli } from './support/cli.ts'
import { freeBasePort, killClusterIn, removeDir, TEST_JVM_OPTIONS, tempDir } from './support/clusters.ts'

/** `up`'s default layout: broker i in cluster k8s-(i%2+1), zone "abc"[i%3]. */
const CLUSTER = (id: number) => `k8s-${(id % 2) + 1}`
const ZONE = (id: number) => 'abc'[id % 3]!

describe('the cluster records its own failure domains', { timeout: 900_000 }, () => {
  let root: string
  let dataDir: string
  let bootstrap: string[]
  const cli = (...args: string[]) => runCli([...args, '--bootstrap-server', bootstrap.join(',')])

  before(async () => {
    root = await tempDir('topology-record')
    dataDir = join(root, 'cluster')
    const basePort = await freeBasePort(6)
    const up = await runCli(['up', '--detach', '--data-dir', dataDir, '--base-port', String(basePort), '--heap', '384m', ...TEST_JVM_OPTIONS.map((o) => `--jvm-option=${o}`), '--timeout-seconds', '420'], { timeoutMs: 480_000 })
    assert.equal(up.code, 0, up.stderr)
    bootstrap = [0, 1, 2].map((i) => `127.0.0.1:${basePort + i}`)
  })
  after(async () => {
    if (dataDir) await killClusterIn(dataDir)
    if (root) await removeDir(root)
  })

  test('up records every broker with both dimensions, in priority order', async () => {
    const admin = createAdmin({ bootstrapServers: bootstrap })
    try {
      const { topology, problems } = await describeRecordedTopology(admin, bootstrap)
      assert.deepEqual(problems, [])
      assert.deepEqual(topology, {
        dimensions: ['cluster', 'zone'],
        brokers: [0, 1, 2, 3, 4, 5].map((id) => ({ id, labels: { cluster: CLUSTER(id), zone: ZONE(id) } })),
      })
    } finally {
      await admin.close()
    }
  })

  test('status and topics create see both dimensions without --topology', async () => {
    const status = await cli('status')
    assert.equal(status.code, 0, status.stdout + status.stderr)
    assert.match(status.stdout, /brokers by cluster: k8s-1: 0\S* 2\S* 4\S* \| k8s-2: 1\S* 3\S* 5/)
    assert.match(status.stdout, /brokers by zone: a: 0\S* 3\S* \| b: 1\S* 4\S* \| c: 2\S* 5/)
    const created = await cli('topics', 'create', '--topic', 'payments', '--partitions', '12', '--replication-factor', '3')
    assert.equal(created.code, 0, created.stderr)
    assert.match(created.stdout, /placed on cluster and zone/)
    await assertSpread('payments', 12, [])
  })

  test('after broker 4 dies, heal keeps every partition in both Kubernetes clusters', async () => {
    const state = (await readClusterState(dataDir))!
    process.kill(state.pids['4']!, 'SIGKILL')
    const admin = createAdmin({ bootstrapServers: bootstrap })
    try {
      // Fenced once its session times out; heal drains a fenced broker after the grace period.
      for (let i = 0; i < 60 && (await describeLiveBrokers(admin)).some((b) => b.id === 4); i++) await sleep(1000)
      assert.ok(!(await describeLiveBrokers(admin)).some((b) => b.id === 4), 'broker 4 fenced')
    } finally {
      await admin.close()
    }
    // --throttle 0: a dead broker takes no throttle config (issue 10, defect 2, is another fix).
    const heal = await cli('heal', '--grace-seconds', '0', '--throttle', '0', '--state-file', join(root, 'heal.json'))
    assert.equal(heal.code, 0, heal.stdout + heal.stderr)
    assert.match(heal.stdout + heal.stderr, /broker 4 gone/)
    await assertSpread('payments', 12, [4])
  })

  /** Every partition: RF 3, both Kubernetes clusters, 3 zones, no replica on `dead`. */
  async function assertSpread(topic: string, partitions: number, dead: number[]): Promise<void> {
    const admin = createAdmin({ bootstrapServers: bootstrap })
    try {
      const assignment = await describeAssignment(admin, [topic])
      assert.equal(assignment.length, partitions)
      for (const p of assignment) {
        const where = `${topic}-${p.partition}: [${p.replicas.join(',')}]`
        assert.equal(p.replicas.length, 3, where)
        assert.ok(!p.replicas.some((b) => dead.includes(b)), `${where} holds a dead broker`)
        assert.equal(new Set(p.replicas.map(CLUSTER)).size, 2, `${where} is in one Kubernetes cluster`)
        assert.equal(new Set(p.replicas.map(ZONE)).size, 3, `${where} repeats a zone`)
      }
    } finally {
      await admin.close()
    }
  }
})
