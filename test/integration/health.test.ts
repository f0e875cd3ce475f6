/**
 * The health model against a real 4-node cluster (3 controllers + 1 broker) with a topic at RF 3 and
 * min.insync.replicas 2: brokers stopped one and two at a time, the active controller killed, the
 * readiness probe (as a process) and its override.
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { writeFile, rm, utimes } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { layoutBrokers } from '../../src/core/topology/layout.ts'
import { brokerReadiness } from '../../src/core/health/readiness.ts'
import { canStop } from '../../src/core/health/restart-check.ts'
import type { ClusterSnapshot } from '../../src/core/health/snapshot.ts'
import { clusterVerdict } from '../../src/core/health/verdict.ts'
import { createAdmin } from '../../src/kafka/connection.ts'
import { describeClusterSnapshot } from '../../src/kafka/describe-cluster-snapshot.ts'
import type { LocalCluster } from '../../src/local/local-cluster.ts'
import { startTestCluster, tempDir, removeDir } from './support/clusters.ts'
import { runCli } from './support/cli.ts'
import { produce } from './support/kafka-io.ts'

const topology = layoutBrokers(4, [{ name: 'zone', values: ['a', 'b', 'c'] }])

describe('cluster health on a real cluster', { timeout: 600_000 }, () => {
  let cluster: LocalCluster
  let scratch: string
  const snapshot = async (): Promise<ClusterSnapshot> => {
    const admin = createAdmin({ bootstrapServers: cluster.bootstrapServers })
    try {
      return await describeClusterSnapshot(admin, { bootstrapServers: cluster.bootstrapServers, expectedBrokerIds: cluster.brokerIds() })
    } finally {
      await admin.close()
    }
  }
  const waitFor = async (what: string, check: (s: ClusterSnapshot) => boolean, timeoutMs = 90_000): Promise<ClusterSnapshot> => {
    const deadline = Date.now() + timeoutMs
    let last: ClusterSnapshot | undefined
    while (Date.now() < deadline) {
      // Ask a broker that is running: the one asked may be the one stopped.
      last = await snapshot().catch(() => last)
      if (last && check(last)) return last
      await sleep(500)
    }
    throw new Error(`timed out waiting for ${what}: ${JSON.stringify(last && clusterVerdict(last))}`)
  }
  const probe = (id: number, env: NodeJS.ProcessEnv = {}) => {
    const port = cluster.node(id === 3 ? 0 : id).brokerPort
    return runCli(['probe', 'ready', '--broker-id', String(id), '--bootstrap-server', `127.0.0.1:${port}`, '--override-file', join(scratch, 'override')], {
      env: { ...process.env, ...env },
    })
  }

  before(async () => {
    scratch = await tempDir('health')
    cluster = await startTestCluster(topology)
    const admin = createAdmin({ bootstrapServers: cluster.bootstrapServers })
    await admin.createTopics({ topics: ['payments'], partitions: 8, replicas: 3 })
    await admin.close()
    await produce(cluster.bootstrapServers, 'payments', 'p', 40)
  })
  after(async () => {
    await cluster?.stop()
    await removeDir(scratch)
  })

  test('healthy: every broker ready, every broker may restart', async () => {
    const s = await waitFor('a healthy cluster', (x) => clusterVerdict(x).status === 'healthy')
    for (const id of cluster.brokerIds()) {
      assert.equal(brokerReadiness(s, id).ready, true, brokerReadiness(s, id).reason)
      assert.equal(canStop(s, [id]).ok, true, canStop(s, [id]).blockers.join('; '))
    }
    assert.ok(s.quorum && s.quorum.leaderId >= 0 && s.quorum.voters.length === 3)
    const r = await probe(1)
    assert.equal(r.code, 0, r.stdout + r.stderr)
    assert.match(r.stdout, /^ready: broker 1 is registered, in sync/)
  })

  test('one broker down: under-replicated, the others ready, its partners may not restart', async () => {
    await cluster.stopBroker(3)
    const s = await waitFor('broker 3 out of every ISR', (x) => x.partitions.every((p) => !p.isr.includes(3)) && !x.brokers.some((b) => b.id === 3))
    const v = clusterVerdict(s)
    assert.equal(v.status, 'degraded')
    assert.ok(v.reasons.some((r) => /partitions? of payments at min.insync.replicas \(out of sync: broker 3\)/.test(r)), v.reasons.join('\n'))
    // A broker shut down stays registered, fenced: DescribeCluster v2 tells it from a broker never seen.
    assert.deepEqual(s.fencedBrokers?.map((b) => b.id), [3])
    assert.equal(brokerReadiness(s, 3).reason, 'broker 3 is registered but fenced (catching up on cluster metadata, or shutting down)')
    assert.ok(v.reasons.includes('broker 3 registered but fenced'), v.reasons.join('\n'))
    const hostedBy3 = s.partitions.filter((p) => p.topic === 'payments' && p.replicas.includes(3))
    assert.ok(hostedBy3.length > 0)
    for (const id of [0, 1, 2]) {
      assert.equal(brokerReadiness(s, id).ready, true, `broker ${id}: ${brokerReadiness(s, id).reason}`)
      const partner = hostedBy3.some((p) => p.isr.includes(id))
      const check = canStop(s, [id])
      assert.equal(check.ok, !partner, `broker ${id} ${partner ? 'shares' : 'does not share'} a partition with broker 3: ${check.blockers.join('; ')}`)
      if (partner) assert.match(check.blockers.join('\n'), /of payments would drop below min.insync.replicas 2 without broker \d/)
    }
    assert.equal((await probe(0)).code, 0)
    assert.equal((await probe(3)).code, 1)
  })

  test('a second broker down on the same partitions: under min ISR, nobody ready; the override works and expires', async () => {
    let s = await snapshot()
    const shared = s.partitions.find((p) => p.topic === 'payments' && p.replicas.includes(3))!
    const second = shared.isr.find((b) => b !== shared.leader) ?? shared.isr[0]!
    await cluster.stopBroker(second)
    s = await waitFor('a partition under min ISR', (x) => clusterVerdict(x).partitions['under-min-isr'] > 0)
    assert.equal(clusterVerdict(s).status, 'unhealthy')
    // Kafka 4.1 keeps Eligible Leader Replicas (KIP-966) for partitions below min.insync; the snapshot reads them.
    s = await waitFor('eligible leader replicas', (x) => x.partitions.some((p) => p.isr.length < p.minInsync && (p.elr?.length ?? 0) > 0), 30_000)
    assert.ok(clusterVerdict(s).reasons.some((r) => /under min.insync.replicas \(out of sync: .*; eligible leaders: broker/.test(r)), clusterVerdict(s).reasons.join('\n'))
    const survivor = [0, 1, 2].find((b) => b !== second)!
    assert.match(brokerReadiness(s, survivor).reason, /partitions are under min.insync.replicas \(.*payments-/)
    const notReady = await probe(survivor)
    assert.equal(notReady.code, 1)
    assert.match(notReady.stdout, /^not ready: \d+ partitions are under min.insync.replicas/)

    // Override by file, in force: ready with a loud warning.
    const file = join(scratch, 'override')
    await writeFile(file, new Date(Date.now() + 60_000).toISOString())
    const overridden = await probe(survivor)
    assert.equal(overridden.code, 0)
    assert.match(overridden.stderr, /WARNING: readiness of broker \d+ is OVERRIDDEN until .* \(file .*override\); its real state: NOT ready/)
    // Expired: ignored, and said so.
    await writeFile(file, new Date(Date.now() - 1000).toISOString())
    const expired = await probe(survivor)
    assert.equal(expired.code, 1)
    assert.match(expired.stderr, /override \(file .*\) expired at/)
    // An empty file expires an hour after it was written.
    await writeFile(file, '')
    await utimes(file, new Date(), new Date(Date.now() - 2 * 3600_000))
    assert.equal((await probe(survivor)).code, 1)
    await rm(file)
    // By environment variable.
    const byEnv = await probe(survivor, { KAFKAPLANE_READY_OVERRIDE_UNTIL: new Date(Date.now() + 60_000).toISOString() })
    assert.equal(byEnv.code, 0)
    assert.match(byEnv.stderr, /OVERRIDDEN .*KAFKAPLANE_READY_OVERRIDE_UNTIL/)

    await cluster.startBroker(second)
    await cluster.startBroker(3)
    s = await waitFor('every broker ready again', (x) => cluster.brokerIds().every((id) => brokerReadiness(x, id).ready))
    assert.equal(clusterVerdict(s).status, 'healthy')
    assert.equal((await probe(3)).code, 0)
  })

  test('a partition whose only replica is down is offline, and status says so', async () => {
    const admin = createAdmin({ bootstrapServers: cluster.bootstrapServers })
    try {
      await admin.createTopics({ topics: ['solo'], partitions: -1, replicas: -1, assignments: [{ partition: 0, brokers: [3] }], configs: [{ name: 'min.insync.replicas', value: '1' }] })
    } finally {
      await admin.close()
    }
    await waitFor('solo created', (x) => x.partitions.some((p) => p.topic === 'solo' && p.leader === 3))
    await cluster.stopBroker(3)
    const s = await waitFor('solo offline', (x) => x.partitions.some((p) => p.topic === 'solo' && p.leader < 0))
    assert.ok(clusterVerdict(s).reasons.includes('1 partition of solo offline (out of sync: broker 3)') || clusterVerdict(s).reasons.some((r) => r.startsWith('1 partition of solo offline')), clusterVerdict(s).reasons.join('\n'))
    const status = await runCli(['status', '--bootstrap-server', cluster.bootstrapServers[0]!])
    assert.equal(status.code, 1, status.stdout + status.stderr)
    assert.match(status.stdout, /^cluster: UNHEALTHY/)
    assert.match(status.stdout, /1 partition of solo offline/)
    assert.match((await probe(0)).stdout, /^not ready: 1 partitions are offline \(solo-0\)/)
    // A stopped broker stays registered and fenced in KRaft: status calls it down once it no longer
    // follows the metadata log (fenced is for a broker starting or catching up), never up.
    const states: string[] = []
    for (let i = 0; i < 30 && states.at(-1) !== 'down'; i++) {
      if (i > 0) await sleep(1000)
      const json = await runCli(['status', '--json', '--bootstrap-server', cluster.bootstrapServers[0]!])
      states.push((JSON.parse(json.stdout) as { brokers: { id: number; state: string }[] }).brokers.find((b) => b.id === 3)?.state ?? 'missing')
    }
    assert.equal(states.at(-1), 'down', `broker 3's states in status --json: ${states.join(', ')}`)
    assert.ok(!states.includes('up'), states.join(', '))
    await cluster.startBroker(3)
    await waitFor('solo back', (x) => x.partitions.some((p) => p.topic === 'solo' && p.leader === 3))
  })

  test('the active controller killed: a new leader, and the quorum blocks a second controller restart', async () => {
    let s = await snapshot()
    const killed = s.quorum!.leaderId
    await cluster.killBroker(killed)
    s = await waitFor('a new quorum leader', (x) => x.quorum !== undefined && x.quorum.leaderId >= 0 && x.quorum.leaderId !== killed)
    // Once the killed voter has not caught up for longer than the lag allowance, it no longer counts.
    await sleep(11_000)
    s = await snapshot()
    const other = s.quorum!.voters.map((v) => v.id).find((id) => id !== killed && id !== s.quorum!.leaderId)!
    const check = canStop(s, [other])
    assert.equal(check.ok, false)
    assert.ok(check.blockers.includes(`the controller quorum would keep 1 caught-up voter of 3 without broker ${other}; a majority needs 2`), check.blockers.join('\n'))
    assert.ok(clusterVerdict(s).reasons.some((r) => r.includes(`controller voter ${killed} behind the quorum leader`)), clusterVerdict(s).reasons.join('\n'))
    await cluster.startBroker(killed)
    s = await waitFor('a healthy quorum', (x) => clusterVerdict(x).status === 'healthy')
    assert.equal(canStop(s, [other]).ok, true)
  })
})
