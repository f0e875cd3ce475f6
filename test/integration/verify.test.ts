/**
 * `kafkaplane verify` and its workload against a real 3-broker cluster (one broker per zone): a clean
 * run, a run through a SIGKILLed broker (acks=all, min.insync 2: nothing lost), and a run that really
 * loses acknowledged records (RF 1, the only replica's partition directories wiped while its broker is
 * down), which the verifier must fail; and the same failure on kafkaplane's defaults (RF 3,
 * min.insync.replicas 2), where the records are lost by another tool's DeleteRecords.
 */
import { after, before, describe, test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { readdir, rm } from 'node:fs/promises'
import { connect, createServer, type Socket } from 'node:net'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { layoutBrokers } from '../../src/core/topology/layout.ts'
import { createAdmin } from '../../src/kafka/connection.ts'
import { createTopicWithAssignment } from '../../src/kafka/create-topic.ts'
import { waitForTopic } from '../../src/kafka/wait-for-topic.ts'
import type { LocalCluster } from '../../src/local/local-cluster.ts'
import { findLiveBootstrap, noAddressAnswered, type BrokerProbe } from '../../src/verify/live-bootstrap.ts'
import { metadataProbe } from '../../src/verify/metadata-probe.ts'
import { startWorkload, type WorkloadHandle, type WorkloadReport } from '../../src/verify/workload.ts'
import { startTestCluster } from './support/clusters.ts'
import { runCli, startWatchedCli, type WatchedCli } from './support/cli.ts'
import { startSynDroppingRelay, type SynDroppingRelay } from './support/syn-dropping-relay.ts'

const TOPICS = ['verify-a', 'verify-b']

describe('kafkaplane verify on a real cluster', { timeout: 600_000 }, () => {
  let cluster: LocalCluster
  const connection = () => ({ bootstrapServers: cluster.bootstrapServers })

  before(async () => {
    cluster = await startTestCluster(layoutBrokers(3, [{ name: 'zone', values: ['a', 'b', 'c'] }]))
    const admin = createAdmin(connection())
    try {
      for (const topic of TOPICS) {
        await admin.createTopics({ topics: [topic], partitions: 6, replicas: 3, configs: [{ name: 'min.insync.replicas', value: '2' }] })
        await waitForTopic(admin, topic, 6)
      }
      // RF 1, every partition on broker 1 only: nothing protects it from losing its disk. At RF 1 only
      // min.insync.replicas 1 leaves it writable; the topics above run on the default (2).
      await createTopicWithAssignment(admin, {
        topic: 'verify-fragile',
        assignment: [0, 1, 2].map((partition) => ({ topic: 'verify-fragile', partition, replicas: [1] })),
        configs: { 'min.insync.replicas': '1' },
      })
    } finally {
      await admin.close()
    }
  })
  after(async () => {
    await cluster?.stop()
  })

  test('a clean run: every acknowledged record read back once, in order, with latencies', async () => {
    const workload = await startWorkload({ connection: connection(), topics: TOPICS, recordsPerSecond: 200, durationMs: 8000, drainTimeoutMs: 60_000 })
    await sleep(8000)
    const report = await workload.stop()
    assertClean(report)
    assert.equal(report.acknowledged, report.sent)
    assert.ok(report.sent >= 1000, `about 1600 records in 8 s at 200/s, got ${report.sent}`)
    assert.equal(report.decidedBy, 'final-read')
    assert.equal(report.consumed, report.acknowledged)
    assert.equal(report.partitions.length, 12, 'records on all 2 x 6 partitions')
    for (const p of report.partitions) assert.ok(p.acknowledged > 0 && p.consumed === p.acknowledged, `${p.topic}-${p.partition}`)
    const l = report.latencyMs!
    assert.ok(l.p50 > 0 && l.p50 <= l.p99 && l.p99 <= l.max, JSON.stringify(l))
    assert.deepEqual(report.verdict, { ok: true, failures: [], warnings: [] })
  })

  test('the CLI passes a clean run and refuses bad input with exit 2', async () => {
    const bootstrap = cluster.bootstrapServers.join(',')
    const ok = await runCli(['verify', '--topics', TOPICS.join(','), '--rate', '100', '--duration-seconds', '5', '--producers', '2', '--bootstrap-server', bootstrap])
    assert.equal(ok.code, 0, ok.stdout + ok.stderr)
    assert.match(ok.stdout, /^verify run \w+: verify-a, verify-b \(12 partitions\), 2 producers/)
    assert.match(ok.stdout, /lost\s+0/)
    assert.match(ok.stdout, /produce latency \(send to ack\): p50 [\d.]+ ms, p99 [\d.]+ ms, max [\d.]+ ms/)
    assert.match(ok.stdout, /verdict: PASS/)
    assert.match(ok.stderr, /producing stopped/)

    const unknown = await runCli(['verify', '--topics', 'verify-a,no-such-topic', '--rate', '10', '--bootstrap-server', bootstrap])
    assert.equal(unknown.code, 2, unknown.stderr)
    assert.match(unknown.stderr, /topic no-such-topic does not exist/)
    assert.match(unknown.stderr, /fix: create it first/)
    const rate = await runCli(['verify', '--topics', 'verify-a', '--rate=-5', '--bootstrap-server', bootstrap])
    assert.equal(rate.code, 2)
    assert.match(rate.stderr, /--rate -5 is not a positive number/)
    const missing = await runCli(['verify', '--rate', '10', '--bootstrap-server', bootstrap])
    assert.equal(missing.code, 2)
    assert.match(missing.stderr, /needs --topics/)
  })

  test('kill -9 of a broker mid-run: acks=all with min.insync 2 loses nothing', async (t) => {
    const workload = await startWorkload({ connection: connection(), topics: TOPICS, recordsPerSecond: 200, drainTimeoutMs: 90_000 })
    let report: WorkloadReport
    try {
      await until(workload, (p) => p.acknowledged >= 400)
      await cluster.killBroker(1)
      const atKill = workload.progress().acknowledged
      // Past broker.session.timeout.ms (9 s): the controller fences broker 1, its partitions get new
      // leaders and it leaves every ISR (acks=all waits for it until then).
      await sleep(10_000)
      await cluster.startBroker(1)
      await until(workload, (p) => p.acknowledged >= atKill + 200)
    } finally {
      report = await workload.stop()
    }
    t.diagnostic(summary(report))
    assertClean(report)
    assert.ok(report.acknowledged >= 600, `acknowledged ${report.acknowledged}`)
    assert.equal(report.unacknowledged, 0)
    assert.equal(report.verdict.ok, true, JSON.stringify(report.verdict))
  })

  test('the only address it was given goes away for good: its final read bootstraps from the brokers its clients last saw', async (t) => {
    // As on Kubernetes after a roll, where every broker pod has a new IP: no address given answers at the end.
    const only = 2
    const workload = await startWorkload({ connection: { bootstrapServers: [`127.0.0.1:${cluster.node(only).brokerPort}`] }, topics: TOPICS, recordsPerSecond: 200, drainTimeoutMs: 60_000 })
    let report: WorkloadReport
    try {
      await until(workload, (p) => p.acknowledged >= 400)
      await cluster.stopBroker(only)
      const atStop = workload.progress().acknowledged
      await until(workload, (p) => p.acknowledged >= atStop + 400)
    } finally {
      report = await workload.stop()
      await cluster.startBroker(only)
    }
    t.diagnostic(summary(report))
    assertClean(report)
    assert.equal(report.unacknowledged, 0)
    assert.equal(report.decidedBy, 'final-read')
    assert.equal(report.verdict.ok, true, JSON.stringify(report.verdict))
  })

  test('every address it was given stops answering (a blackhole, like old pod IPs after a roll on Kubernetes): its producers and readers go on at the brokers the cluster told them of', async (t) => {
    // The one address given is a relay to broker 0 that, at some point, accepts connections and answers nothing:
    // no RST, so every request sent there waits out its timeout. Stopping broker 1 moves leaders: every client
    // refreshes its metadata, which the client library bootstraps from the given addresses first.
    const relay = await startRelay(cluster.node(0).brokerPort!)
    const workload = await startWorkload({ connection: { bootstrapServers: [relay.address] }, topics: TOPICS, recordsPerSecond: 200, drainTimeoutMs: 60_000 })
    let report: WorkloadReport
    try {
      await until(workload, (p) => p.acknowledged >= 400)
      relay.blackhole()
      await cluster.stopBroker(1)
      const atStop = workload.progress().acknowledged
      await until(workload, (p) => p.acknowledged >= atStop + 1000)
      await cluster.startBroker(1)
      const atStart = workload.progress().acknowledged
      await until(workload, (p) => p.acknowledged >= atStart + 400)
    } finally {
      report = await workload.stop()
      await cluster.startBroker(1)
      relay.close()
    }
    t.diagnostic(summary(report))
    assertClean(report)
    assert.equal(report.unacknowledged, 0)
    assert.equal(report.finalRead.complete, true)
    assert.equal(report.verdict.ok, true, JSON.stringify(report.verdict))
  })

  test('three addresses it knows drop every connection attempt at the end, ahead of the live ones: its end phase asks every address at once and reads everything back in time', async (t) => {
    // Like old pod IPs after a roll on Kubernetes: a connect there gets no answer and waits out its timeout
    // (5 s), and the client library, left to itself, tries bootstrap addresses one after another. The three come first in
    // the addresses given; until dropSyns() each relays to a broker, so the run starts as usual. (A local
    // broker keeps its address, so the brokers the clients saw stay live here: the test after this one
    // shows the dead addresses asked at once against the live one.)
    const relays: SynDroppingRelay[] = []
    let report: WorkloadReport | undefined
    try {
      for (const id of [0, 1, 2]) relays.push(await startSynDroppingRelay(cluster.node(id).brokerPort!))
      const workload = await startWorkload({ connection: { bootstrapServers: [...relays.map((r) => r.address), ...cluster.bootstrapServers] }, topics: TOPICS, recordsPerSecond: 200, drainTimeoutMs: 60_000 })
      try {
        await until(workload, (p) => p.acknowledged >= 400)
        for (const relay of relays) await relay.dropSyns()
        const atDrop = workload.progress().acknowledged
        await until(workload, (p) => p.acknowledged >= atDrop + 400)
      } finally {
        report = await workload.stop()
      }
    } finally {
      for (const relay of relays) relay.stop()
    }
    t.diagnostic(summary(report))
    assertClean(report)
    assert.equal(report.unacknowledged, 0)
    assert.equal(report.decidedBy, 'final-read')
    assert.equal(report.finalRead.unreachable, undefined)
    assert.equal(report.verdict.ok, true, JSON.stringify(report.verdict))
  })

  test('asked at once, three addresses that drop connection attempts do not hold up a live one, and none answering ends in one wait', async (t) => {
    const relays: SynDroppingRelay[] = []
    try {
      for (const id of [0, 1, 2]) relays.push(await startSynDroppingRelay(cluster.node(id).brokerPort!))
      for (const relay of relays) await relay.dropSyns()
      const dead = relays.map((r) => r.address)
      const live = cluster.bootstrapServers[1]!
      // The real probe (a Metadata request on a client of its own), its starts and ends in order.
      const events: string[] = []
      const real = metadataProbe(connection(), 3000)
      const probe: BrokerProbe = async (address, signal) => {
        events.push(`start ${address}`)
        try {
          return await real(address, signal)
        } finally {
          events.push(`end ${address}`)
        }
      }

      let started = performance.now()
      const found = await findLiveBootstrap([...dead, live], probe, 6000)
      const foundMs = performance.now() - started
      assert.deepEqual(found.answered, [live])
      assert.deepEqual(found.bootstrap.slice(0, 3).sort(), [...cluster.bootstrapServers].sort(), 'the brokers of its answer first')
      assert.deepEqual(found.bootstrap.slice(3), dead)
      // Every address asked before any answered: the live one did not wait for the dead ones' connect timeouts.
      assert.deepEqual(events.slice(0, 5), [...[...dead, live].map((a) => `start ${a}`), `end ${live}`])

      events.length = 0
      started = performance.now()
      const none = await findLiveBootstrap(dead, probe, 6000)
      const noneMs = performance.now() - started
      assert.deepEqual(none.answered, [])
      assert.match(noAddressAnswered(none), /^no address answered of 3 tried: 127\.0\.0\.1:\d+, /)
      // The three waited out their connect timeouts side by side, not one after another.
      assert.deepEqual(events.slice(0, 3), dead.map((a) => `start ${a}`))
      t.diagnostic(`a live address found in ${Math.round(foundMs)} ms; none found after ${Math.round(noneMs)} ms (3 s to connect each)`)
    } finally {
      for (const relay of relays) relay.stop()
    }
  })

  test('the verifier fails a run that really lost acknowledged records (RF 1, its only disk wiped)', async (t) => {
    const verify = startWatchedCli(['verify', '--topics', 'verify-fragile', '--rate', '60', '--duration-seconds', '15', '--json', '--bootstrap-server', cluster.bootstrapServers.join(',')])
    try {
      // Some records acknowledged (and read by the live read) before the disk goes.
      await verify.waitFor(/acknowledged \d{3,}/, 60_000)
      assert.match(verify.stderr(), /acknowledged \d{3,}/, verify.stderr())
      await cluster.killBroker(1)
      const data = join(cluster.dataDir, 'node-1', 'data')
      const wiped = (await readdir(data)).filter((d) => d.startsWith('verify-fragile-'))
      assert.equal(wiped.length, 3, `partition directories of verify-fragile in ${data}`)
      for (const dir of wiped) await rm(join(data, dir), { recursive: true, force: true })
      await cluster.startBroker(1)
      const lostIn = await failedWithLoss(verify, t)
      assert.ok(lostIn.length > 0 && lostIn.every((p) => p.topic === 'verify-fragile' && p.lostOffsets.length > 0), JSON.stringify(lostIn))
    } finally {
      verify.child.kill('SIGKILL')
      await cluster.startBroker(1).catch(() => {})
    }
  })

  test('on the defaults (RF 3, min.insync.replicas 2) the verifier fails a run whose acknowledged records another tool deleted', async (t) => {
    const admin = createAdmin(connection())
    try {
      await admin.createTopics({ topics: ['verify-deleted'], partitions: 3, replicas: 3, configs: [{ name: 'min.insync.replicas', value: '2' }] })
      await waitForTopic(admin, 'verify-deleted', 3)
      const verify = startWatchedCli(['verify', '--topics', 'verify-deleted', '--rate', '60', '--duration-seconds', '15', '--json', '--bootstrap-server', cluster.bootstrapServers.join(',')])
      try {
        await verify.waitFor(/acknowledged \d{3,}/, 60_000)
        // Everything partition 0 holds now, acknowledged by its in-sync replicas, deleted (offset -1: up to its high watermark).
        await admin.deleteRecords({ topics: [{ name: 'verify-deleted', partitions: [{ partition: 0, offset: -1n }] }] })
        const lostIn = await failedWithLoss(verify, t)
        assert.deepEqual(lostIn.map((p) => `${p.topic}-${p.partition}`), ['verify-deleted-0'], JSON.stringify(lostIn))
      } finally {
        verify.child.kill('SIGKILL')
      }
    } finally {
      await admin.close()
    }
  })
})

/** The verify run's exit and --json report once it ends: failed (exit 1) for lost acknowledged records; the partitions that lost them. */
async function failedWithLoss(verify: WatchedCli, t: TestContext): Promise<WorkloadReport['partitions']> {
  const code = await verify.exited
  const report = JSON.parse(verify.stdout()) as WorkloadReport
  t.diagnostic(summary(report))
  assert.equal(code, 1, verify.stderr())
  assert.ok(report.lost > 0, `lost ${report.lost}`)
  assert.equal(report.verdict.ok, false)
  assert.match(report.verdict.failures.join('\n'), /acknowledged records? lost/)
  return report.partitions.filter((p) => p.lost > 0)
}

function summary(r: WorkloadReport): string {
  const { sent, acknowledged, unacknowledged, produceErrors, lost, duplicated, outOfOrder, live, latencyMs, readerRestarts, readerErrors, finishingMs, finalRead } = r
  return JSON.stringify({ sent, acknowledged, unacknowledged, produceErrors, lost, duplicated, outOfOrder, live, latencyMs, readerRestarts, readerErrors, finishingMs, finalRead, lostIn: r.partitions.filter((p) => p.lost > 0).map((p) => `${p.topic}-${p.partition} ${p.lostOffsets.join(' ')}`) })
}

function assertClean(report: WorkloadReport): void {
  const summary = JSON.stringify({ ...report, partitions: report.partitions.filter((p) => p.lost + p.duplicated + p.outOfOrder + p.unverified > 0) })
  assert.equal(report.lost, 0, summary)
  assert.equal(report.unverified, 0, summary)
  assert.equal(report.outOfOrder, 0, summary)
  assert.deepEqual(report.duplicated, { records: 0, extraCopies: 0 }, summary)
  assert.equal(report.phantom, 0, summary)
  assert.ok(report.acknowledged > 0, summary)
  assert.ok(report.finalRead.complete, summary)
}

async function until(workload: WorkloadHandle, done: (p: ReturnType<WorkloadHandle['progress']>) => boolean, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!done(workload.progress())) {
    if (Date.now() > deadline) throw new Error(`workload did not get there: ${JSON.stringify(workload.progress())}`)
    await sleep(200)
  }
}

/**
 * A TCP relay on a free loopback port to `port`, until blackhole(): from then on it accepts connections
 * and answers nothing, and the connections it relayed go silent (no RST), as a pod IP does on Kubernetes
 * once its pod is gone.
 */
async function startRelay(port: number): Promise<{ address: string; blackhole(): void; close(): void }> {
  const clients = new Set<Socket>()
  const upstreams = new Set<Socket>()
  let silent = false
  const server = createServer((client) => {
    clients.add(client)
    client.on('error', () => {})
    if (silent) return
    const upstream = connect(port, '127.0.0.1')
    upstreams.add(upstream)
    upstream.on('error', () => client.destroy())
    client.pipe(upstream).pipe(client)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port: relayPort } = server.address() as { port: number }
  return {
    address: `127.0.0.1:${relayPort}`,
    blackhole() {
      silent = true
      for (const c of clients) c.unpipe()
      for (const u of upstreams) {
        u.unpipe()
        u.removeAllListeners('error')
        u.on('error', () => {})
        u.destroy()
      }
    },
    close() {
      for (const c of clients) c.destroy()
      server.close()
    },
  }
}
