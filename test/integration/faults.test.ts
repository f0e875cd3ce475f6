/**
 * Regressions of issue 10 on a real cluster with kafkaplane's own safe defaults (min.insync.replicas 2,
 * RF 3): the RF fixer on topics made at RF 1 by another tool, a broker killed and left dead during a
 * drain, a broker killed as a drain ends (its throttle rate removed once it is back), stale throttles
 * removed by heal (also from a broker that was dead), and Kafka's refusals
 * reported as such.
 */
import { after, afterEach, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { Producer, ProduceAcks, stringSerializers } from '@platformatic/kafka'
import { layoutBrokers } from '../../src/core/topology/layout.ts'
import { throttlePlan } from '../../src/core/plan/moves.ts'
import { setReplicationThrottles } from '../../src/kafka/alter-replication-throttles.ts'
import { createAdmin } from '../../src/kafka/connection.ts'
import { createTopicWithAssignment } from '../../src/kafka/create-topic.ts'
import type { LocalCluster } from '../../src/local/local-cluster.ts'
import { readPlanState } from '../../src/executor/plan-state.ts'
import { startWorkload, type WorkloadHandle } from '../../src/verify/workload.ts'
import { removeDir, startTestCluster, tempDir } from './support/clusters.ts'
import { runCli, startWatchedCli } from './support/cli.ts'
import { consume, describeTopic, fill, waitForPartitions } from './support/kafka-io.ts'
import { assertNoThrottles as assertNoThrottlesOn, throttles as throttlesOn } from './support/throttles.ts'

describe('faults and hostile states on kafkaplane defaults (min.insync.replicas 2)', { timeout: 1_500_000 }, () => {
  let cluster: LocalCluster
  let scratch: string
  let bootstrap: string
  const cli = (name: string, ...args: string[]) =>
    runCli([...args, '--bootstrap-server', bootstrap, '--state-file', join(scratch, `${name}.json`), '--poll-ms', '500'], { timeoutMs: 600_000 })
  const admin = () => createAdmin({ bootstrapServers: cluster.bootstrapServers })
  const running = new Set<WorkloadHandle>()
  const load = async (topics: string[]) => {
    const handle = await startWorkload({ connection: { bootstrapServers: cluster.bootstrapServers }, topics, recordsPerSecond: 100 })
    running.add(handle)
    return async () => {
      running.delete(handle)
      return handle.stop()
    }
  }
  afterEach(async () => {
    for (const handle of running) await handle.stop().catch(() => {})
    running.clear()
    // A test that failed with a broker down leaves none down for the next.
    for (let id = 0; id < 6; id++) await cluster.startBroker(id)
  })
  const throttles = () => throttlesOn({ bootstrapServers: cluster.bootstrapServers })
  const assertNoThrottles = () => assertNoThrottlesOn({ bootstrapServers: cluster.bootstrapServers })
  const inSync = (topic: string) => waitForPartitions(cluster.bootstrapServers, topic, (ps) => ps.every((p) => p.isr.length === p.replicas.length), 120_000)

  before(async () => {
    scratch = await tempDir('faults')
    cluster = await startTestCluster(layoutBrokers(6, [{ name: 'zone', values: ['a', 'b', 'c'] }]))
    bootstrap = cluster.bootstrapServers.join(',')
  })
  after(async () => {
    await cluster?.stop()
    await removeDir(scratch)
  })

  test('RF 1 -> 3 where min.insync.replicas is 2, on topics made at RF 1 by another tool: moved first, not held back; readiness and status name it', async () => {
    const topics = ['auto-0', 'auto-1', 'auto-2']
    const a = admin()
    try {
      // As auto-creation or another tool makes them: RF 1, the cluster's default min.insync.replicas (2).
      await a.createTopics({ topics, partitions: 2, replicas: 1 })
    } finally {
      await a.close()
    }
    // Their producers could only write with acks=1.
    const producer = new Producer({ clientId: 'acks-1', bootstrapBrokers: cluster.bootstrapServers, serializers: stringSerializers, acks: ProduceAcks.LEADER, retries: 20, retryDelay: 500 })
    try {
      for (const topic of topics) await producer.send({ messages: Array.from({ length: 200 }, (_, i) => ({ topic, key: `k${i}`, value: `${topic}-${i}` })) })
    } finally {
      await producer.close()
    }
    const status = await runCli(['status', '--bootstrap-server', bootstrap])
    assert.equal(status.code, 0, 'nothing is failing: degraded, not unhealthy\n' + status.stdout + status.stderr)
    assert.match(status.stdout, /2 partitions of auto-0 at replication factor 1, below min.insync.replicas 2: no acks=all write can succeed \(raise it: kafkaplane replication-factor fix/)
    const ready = await runCli(['probe', 'ready', '--broker-id', '0', '--bootstrap-server', bootstrap, '--override-file', '/nonexistent/override'])
    assert.equal(ready.code, 0, 'an RF-1 topic holds no broker unready\n' + ready.stdout + ready.stderr)

    const create = await runCli(['topics', 'create', '--topic', 'steady', '--partitions', '3', '--replication-factor', '3', '--bootstrap-server', bootstrap])
    assert.equal(create.code, 0, create.stdout + create.stderr)
    const stop = await load(['steady'])
    const fix = await cli('rf', 'replication-factor', 'fix', '--target', '3', '--topics', 'auto-.*', '--throttle', '20MiB')
    assert.equal(fix.code, 0, fix.stdout + fix.stderr)
    assert.match(fix.stdout, /^done: 6 partitions moved/)
    assert.doesNotMatch(fix.stderr, /held back/, 'no move of an RF-1 partition is held back')
    for (const topic of topics) {
      const partitions = await inSync(topic)
      assert.ok(partitions.every((p) => p.replicas.length === 3 && p.isr.length === 3), JSON.stringify(partitions))
      const values = await consume(cluster.bootstrapServers, topic, 200)
      assert.deepEqual(new Set(values), new Set(Array.from({ length: 200 }, (_, i) => `${topic}-${i}`)), `every record of ${topic} written before the fix is still there`)
    }
    // Now acks=all writes to them succeed.
    const stopAuto = await load(topics)
    await sleep(3000)
    const autoReport = await stopAuto()
    assert.ok(autoReport.acknowledged > 100, `acks=all writes succeed after the fix: ${autoReport.acknowledged}`)
    assert.equal(autoReport.lost, 0)
    const report = await stop()
    assert.equal(report.lost, 0, JSON.stringify(report.partitions.filter((p) => p.lost > 0)))
    assert.equal(report.produceErrors.count, 0, JSON.stringify(report.produceErrors))
    await assertNoThrottles()
  })

  test('heal raises the replication factor of a topic made at RF 1 by another tool, on min.insync.replicas 2: its acks=1 records kept, then acks=all writes succeed', async () => {
    const a = admin()
    try {
      await a.createTopics({ topics: ['heal-low'], partitions: 1, replicas: 1 })
    } finally {
      await a.close()
    }
    const producer = new Producer({ clientId: 'acks-1-heal', bootstrapBrokers: cluster.bootstrapServers, serializers: stringSerializers, acks: ProduceAcks.LEADER, retries: 20, retryDelay: 500 })
    try {
      await producer.send({ messages: Array.from({ length: 100 }, (_, i) => ({ topic: 'heal-low', key: `k${i}`, value: `heal-low-${i}` })) })
    } finally {
      await producer.close()
    }
    const dry = await cli('heal-low', 'heal', '--replication-factor', '3', '--topics', 'heal-low', '--dry-run')
    assert.equal(dry.code, 0, dry.stdout + dry.stderr)
    assert.match(dry.stderr, /topic heal-low: 1 partitions below the policy's replication factor 3/)
    const healed = await cli('heal-low', 'heal', '--replication-factor', '3', '--topics', 'heal-low', '--throttle', '20MiB')
    assert.equal(healed.code, 0, healed.stdout + healed.stderr)
    assert.match(healed.stdout, /^done: 1 partitions moved/)
    const [partition] = await inSync('heal-low')
    assert.ok(partition && partition.replicas.length === 3 && partition.isr.length === 3, JSON.stringify(partition))
    assert.deepEqual(new Set(await consume(cluster.bootstrapServers, 'heal-low', 100)), new Set(Array.from({ length: 100 }, (_, i) => `heal-low-${i}`)))
    const stop = await load(['heal-low'])
    await sleep(3000)
    const report = await stop()
    assert.ok(report.acknowledged > 100, `acks=all writes succeed after heal: ${report.acknowledged}`)
    assert.equal(report.lost, 0)
    await assertNoThrottles()
  })

  test('Kafka refusing a request is reported as refused (exit 1, KAFKA_REQUEST_REFUSED, its reason), not retried as a broker not answering', async () => {
    const alter = await runCli(['topics', 'alter', '--topic', 'steady', '--config', 'cleanup.policy=sometimes', '--bootstrap-server', bootstrap])
    assert.equal(alter.code, 1, alter.stdout + alter.stderr)
    assert.match(alter.stderr, /\[KAFKA_REQUEST_REFUSED\].*INVALID_CONFIG/)
  })

  test('a broker killed (-9) and left dead during a drain: moves that do not need it finish, the plan says it waits for it and stops, no throttle left; it finishes once the broker is back', async () => {
    // Zone c's two brokers (2 and 5) at once: the auto-* topics (RF 3 over a, b, c, min.insync 2) would
    // no longer stay writable when a zone is lost. Refused, naming it; accepted only when asked.
    const zoneC = await runCli(['brokers', 'remove', '2,5', '--dry-run', '--bootstrap-server', bootstrap])
    assert.equal(zoneC.code, 2, zoneC.stdout + zoneC.stderr)
    assert.match(zoneC.stderr, /removing broker 2, 5: [1-9]\d* of the \d+ partitions that stay writable when one zone is lost would not any more \(zone c would keep no broker\)/)
    assert.match(zoneC.stderr, /--allow-less-survivable/)
    const accepted = await runCli(['brokers', 'remove', '2,5', '--dry-run', '--allow-less-survivable', '--bootstrap-server', bootstrap])
    assert.equal(accepted.code, 0, accepted.stdout + accepted.stderr)
    assert.match(accepted.stderr, /warning: [1-9]\d* of the \d+ partitions that stay writable when one zone is lost would not any more .*\(accepted: --allow-less-survivable\)/)
    const a = admin()
    // Partitions with broker 5 (drained) and broker 3 (killed) together, and without 3.
    const assignment = [[5, 3, 0], [3, 5, 1], [5, 0, 1], [1, 5, 2], [5, 2, 4], [0, 1, 2], [2, 4, 5], [4, 3, 5], [0, 5, 4], [1, 2, 3]].map((replicas, partition) => ({ topic: 'drain', partition, replicas }))
    try {
      await createTopicWithAssignment(a, { topic: 'drain', assignment })
    } finally {
      await a.close()
    }
    await fill(cluster.bootstrapServers, 'drain', 30 * 1024 * 1024)
    const stop = await load(['drain'])
    const drain = startWatchedCli(['brokers', 'remove', '5', '--throttle', '1MiB', '--max-moves-per-broker', '2', '--broker-wait-seconds', '20', '--bootstrap-server', bootstrap, '--state-file', join(scratch, 'drain.json'), '--poll-ms', '500'])
    try {
      await drain.waitFor(/started \d+ moves/, 120_000)
      await sleep(8000)
      await cluster.killBroker(3)
      assert.equal(await drain.exited, 1, drain.stdout() + drain.stderr())
    } finally {
      drain.child.kill('SIGKILL')
    }
    assert.match(drain.stdout(), /^waiting: \d+\/\d+ moves done; the \d+ left need broker 3, not registered for 20 s; moves in flight reverted, throttles removed but from broker 3/m, drain.stdout())
    assert.match(drain.stderr(), /wait for broker 3 \(not registered\)/)
    // Every move of the plan that does not need broker 3 is done; the ones left are those that do.
    const plan = await readPlanState(join(scratch, 'drain.json'))
    const now = new Map((await describeTopic(cluster.bootstrapServers, 'drain')).map((p) => [`drain-${p.partition}`, p.replicas.join()]))
    const left = plan!.moves.filter((m) => m.topic === 'drain' && now.get(`drain-${m.partition}`) !== m.newReplicas.join())
    assert.ok(left.length > 0 && left.every((m) => m.newReplicas.includes(3)), JSON.stringify({ left, now: [...now] }))
    assert.ok(plan!.moves.some((m) => !m.newReplicas.includes(3) && m.oldReplicas.includes(5)), 'some moves did not need broker 3')
    await assertNoThrottles()
    // A topic made while broker 3 is down is placed on the brokers that run (campaign seed 28014281:
    // it was refused as "broker 3 is not in the topology").
    // (A dry run: a topic made now would also land on broker 5, which this test drains.)
    const made = await runCli(['topics', 'create', '--topic', 'while-down', '--partitions', '4', '--replication-factor', '3', '--dry-run', '--bootstrap-server', bootstrap])
    assert.equal(made.code, 0, made.stdout + made.stderr)
    const placed = (JSON.parse(made.stdout) as { partitions: { replicas: number[] }[] }).partitions
    assert.ok(placed.length === 4 && placed.every((p) => p.replicas.length === 3 && !p.replicas.includes(3)), `no new replica on the broker that is down: ${made.stdout}`)

    await cluster.startBroker(3)
    await inSync('drain')
    const again = await cli('drain', 'brokers', 'remove', '5', '--throttle', '10MiB')
    assert.equal(again.code, 0, again.stdout + again.stderr)
    assert.match(again.stderr, /continuing plan/)
    assert.match(again.stdout, /^done: .*; throttles removed\n/)
    assert.ok((await describeTopic(cluster.bootstrapServers, 'drain')).every((p) => !p.replicas.includes(5)), 'broker 5 holds nothing')
    await assertNoThrottles()
    const report = await stop()
    assert.equal(report.lost, 0, JSON.stringify(report.partitions.filter((p) => p.lost > 0)))
    // Broker 5 back into use for the next test.
    const add = await cli('add', 'brokers', 'add', '5', '--throttle', '50MiB')
    assert.equal(add.code, 0, add.stdout + add.stderr)
  })

  test('a broker killed (-9) as a drain ends: the plan waits for it and removes its rate once it is back; one that stays away keeps it until the same command runs again', async () => {
    const a = admin()
    const assignment = [[5, 0, 2], [1, 5, 3], [2, 4, 5], [5, 3, 1]].map((replicas, partition) => ({ topic: 'ending', partition, replicas }))
    try {
      await createTopicWithAssignment(a, { topic: 'ending', assignment })
    } finally {
      await a.close()
    }
    await fill(cluster.bootstrapServers, 'ending', 8 * 1024 * 1024)
    const stop = await load(['ending'])
    const drain = (waitSeconds: number) =>
      startWatchedCli(['brokers', 'remove', '5', '--throttle', '2MiB', '--broker-wait-seconds', String(waitSeconds), '--bootstrap-server', bootstrap, '--state-file', join(scratch, 'ending.json'), '--poll-ms', '500'])

    // Broker 5 (drained, so its rate is set as a leader) dies and stays away past a 3 s wait: the plan
    // finishes without it and says it kept the rate; the same command run once it is back removes it.
    const first = drain(3)
    try {
      await first.waitFor(/started \d+ moves/, 120_000)
      await cluster.killBroker(5)
      assert.equal(await first.exited, 0, first.stdout() + first.stderr())
    } finally {
      first.child.kill('SIGKILL')
    }
    assert.match(first.stderr(), /moves done; waiting up to 3 s for broker 5 \((not registered|.*failed.*)\) to take the removal of its throttle rate/)
    assert.match(first.stdout(), /^done: .*; throttles removed but from broker 5 \(not there to take its removal/m)
    assert.deepEqual((await readPlanState(join(scratch, 'ending.json')))!.throttled.brokers, [5])
    await cluster.startBroker(5)
    await waitForPartitions(cluster.bootstrapServers, 'ending', (ps) => ps.every((p) => p.isr.length === p.replicas.length && !p.replicas.includes(5)), 120_000)
    assert.deepEqual((await throttles()).brokers.map((b) => b.broker), [5], 'broker 5 has its rate back from the metadata log')
    const rerun = await cli('ending', 'brokers', 'remove', '5', '--throttle', '2MiB')
    assert.equal(rerun.code, 0, rerun.stdout + rerun.stderr)
    assert.match(rerun.stderr, /removed the throttle rate plan \S+ \(brokers remove 5\) left on broker 5\n/)
    assert.match(rerun.stderr, /nothing to move/)
    await assertNoThrottles()

    // Broker 5 back in use, then drained again and killed; started again while the plan waits for it:
    // the plan removes its rate and ends with no throttle anywhere.
    const add = await cli('ending-add', 'brokers', 'add', '5', '--throttle', '50MiB')
    assert.equal(add.code, 0, add.stdout + add.stderr)
    const second = drain(300)
    try {
      await second.waitFor(/started \d+ moves/, 120_000)
      await cluster.killBroker(5)
      await second.waitFor(/moves done; waiting up to 120 s for broker 5/, 300_000)
      await cluster.startBroker(5)
      assert.equal(await second.exited, 0, second.stdout() + second.stderr())
    } finally {
      second.child.kill('SIGKILL')
    }
    assert.match(second.stdout(), /^done: .*; throttles removed\n/m, second.stdout() + second.stderr())
    await assertNoThrottles()
    const report = await stop()
    assert.equal(report.lost, 0, JSON.stringify(report.partitions.filter((p) => p.lost > 0)))
    const back = await cli('ending-back', 'brokers', 'add', '5', '--throttle', '50MiB')
    assert.equal(back.code, 0, back.stdout + back.stderr)
  })

  test('heal removes the stale throttles of a plan killed -9, and those of a broker that was dead once it returns', async () => {
    const a = admin()
    try {
      // What a plan killed mid-move leaves: rates on its brokers, throttled replicas on its topic.
      const failures = await setReplicationThrottles(a, throttlePlan([{ topic: 'steady', partition: 0, oldReplicas: [1, 2, 4], newReplicas: [1, 2, 0] }], 1024 * 1024))
      assert.deepEqual(failures, [])
    } finally {
      await a.close()
    }
    assert.deepEqual((await throttles()).brokers.map((b) => b.broker), [0, 1, 2, 4])
    await cluster.killBroker(2)
    const heal = await cli('heal', 'heal', '--grace-seconds', '3600')
    assert.equal(heal.code, 0, heal.stdout + heal.stderr)
    assert.match(heal.stderr, /heal: removed stale replication throttles from brokers 0,1,4 and topics steady/)
    await cluster.startBroker(2)
    await inSync('steady')
    const found = await throttles()
    assert.deepEqual(found.brokers.map((b) => b.broker), [2], 'the broker that was dead kept its rate')
    const again = await cli('heal', 'heal', '--grace-seconds', '3600')
    assert.equal(again.code, 0, again.stdout + again.stderr)
    assert.match(again.stderr, /heal: removed stale replication throttles from brokers 2 and topics -/)
    await assertNoThrottles()
  })
})
