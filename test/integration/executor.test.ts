/**
 * The executor on a real 4-broker cluster, each change under continuous `verify` load (acks=all,
 * idempotent producers, consumers reading everything back): replication factor 1 -> 3 on 50 topics,
 * a broker killed (-9) in the middle of a batch, the executor killed mid-plan and run again, a
 * broker drained and stopped. Every time: nothing acknowledged is lost and no throttle is left.
 */
import { after, afterEach, before, beforeEach, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { layoutBrokers } from '../../src/core/topology/layout.ts'
import { diffAssignments } from '../../src/core/placement/model.ts'
import { planReplicationFactor } from '../../src/core/placement/operations.ts'
import type { ExecutorEvent } from '../../src/executor/executor.ts'
import { readPlanState, type PlanState } from '../../src/executor/plan-state.ts'
import { KafkaExecutorCluster } from '../../src/kafka/executor-cluster.ts'
import { readLiveCluster } from '../../src/operations/live-cluster.ts'
import { PlanRunner } from '../../src/operations/plan-runner.ts'
import { systemClock } from '../../src/operations/system-clock.ts'
import { clearReplicationThrottles, setReplicationThrottles } from '../../src/kafka/alter-replication-throttles.ts'
import { alterPartitionReassignments } from '../../src/kafka/alter-partition-reassignments.ts'
import { throttlePlan } from '../../src/core/plan/moves.ts'
import { anyConnection, createAdmin } from '../../src/kafka/connection.ts'
import { describeAssignment } from '../../src/kafka/describe-assignment.ts'
import { waitForTopic } from '../../src/kafka/wait-for-topic.ts'
import type { LocalCluster } from '../../src/local/local-cluster.ts'
import { startWorkload, type WorkloadHandle } from '../../src/verify/workload.ts'
import { removeDir, startTestCluster, tempDir } from './support/clusters.ts'
import { runCli, startWatchedCli } from './support/cli.ts'
import { fill } from './support/kafka-io.ts'
import { assertNoThrottles as assertNoThrottlesOn } from './support/throttles.ts'

describe('executor on a real cluster under verify load', { timeout: 1_500_000 }, () => {
  let cluster: LocalCluster
  let scratch: string
  let bootstrap: string
  // Each test its own plan state, so that one test's unfinished plan cannot block the next.
  let stateFile = ''
  beforeEach((t) => {
    stateFile = join(scratch, `${t.name.replace(/[^a-z0-9]+/gi, '-').slice(0, 40)}.json`)
  })
  const cli = (...args: string[]) => runCli([...args, '--bootstrap-server', bootstrap, '--state-file', stateFile, '--poll-ms', '500'], { timeoutMs: 600_000 })
  const admin = () => createAdmin({ bootstrapServers: cluster.bootstrapServers })
  const assertNoThrottles = () => assertNoThrottlesOn({ bootstrapServers: cluster.bootstrapServers })
  // Workloads still running when a test fails are stopped after it: their clients would keep this
  // process alive.
  const running = new Set<WorkloadHandle>()
  const load = async (topics: string[]): Promise<WorkloadHandle> => {
    const handle = await startWorkload({ connection: { bootstrapServers: cluster.bootstrapServers }, topics, recordsPerSecond: 150 })
    running.add(handle)
    return {
      ...handle,
      progress: () => handle.progress(),
      stop: () => {
        running.delete(handle)
        return handle.stop()
      },
    }
  }
  afterEach(async () => {
    for (const handle of running) await handle.stop().catch(() => {})
    running.clear()
  })

  before(async () => {
    scratch = await tempDir('executor')
    cluster = await startTestCluster(layoutBrokers(4, [{ name: 'zone', values: ['a', 'b', 'c'] }]))
    bootstrap = cluster.bootstrapServers.join(',')
  })
  after(async () => {
    await cluster?.stop()
    await removeDir(scratch)
  })

  test('replication factor 1 -> 3 on 50 topics: nothing lost, no produce error, throttles gone', async () => {
    const a = admin()
    // min.insync.replicas 1 here so that the acks=all load can write the RF-1 topics before the fix;
    // the same fix on kafkaplane's default (2) is proven in faults.test.ts.
    const topics = Array.from({ length: 50 }, (_, i) => `rf-${String(i).padStart(2, '0')}`)
    try {
      for (let i = 0; i < topics.length; i += 10) {
        await a.createTopics({ topics: topics.slice(i, i + 10), partitions: 2, replicas: 1, configs: [{ name: 'min.insync.replicas', value: '1' }] })
      }
    } finally {
      await a.close()
    }
    const check = await cli('replication-factor', 'check', '--target', '3', '--topics', 'rf-.*')
    assert.equal(check.code, 1, check.stderr)
    assert.match(check.stderr, /50 topics differ from replication factor 3/)
    const workload = await load(topics)
    await sleep(3000)
    const fix = await cli('replication-factor', 'fix', '--target', '3', '--topics', 'rf-.*', '--throttle', '20MiB')
    assert.equal(fix.code, 0, fix.stdout + fix.stderr)
    assert.match(fix.stdout, /^done: 100 partitions moved/)
    await sleep(3000)
    const report = await workload.stop()
    assert.ok(report.acknowledged > 500, `the load ran: ${report.acknowledged} acknowledged`)
    assert.equal(report.lost, 0, JSON.stringify(report.partitions.filter((p) => p.lost > 0)))
    assert.equal(report.outOfOrder, 0)
    assert.equal(report.produceErrors.count, 0, JSON.stringify(report.produceErrors))
    const again = await cli('replication-factor', 'check', '--target', '3', '--topics', 'rf-.*')
    assert.equal(again.code, 0, again.stdout + again.stderr)
    await assertNoThrottles()
  })

  test('a broker killed (-9) in the middle of a batch: the plan completes, nothing lost', async () => {
    const a = admin()
    try {
      // kafkaplane's defaults (min.insync.replicas 2 from the brokers): while broker 3 is dead its RF-2
      // partitions are under min ISR, acks=all writes to them wait, and the plan still completes.
      await a.createTopics({ topics: ['bulk'], partitions: 8, replicas: 2 })
    } finally {
      await a.close()
    }
    await fill(cluster.bootstrapServers, 'bulk', 24 * 1024 * 1024)
    const workload = await load(['bulk'])
    // Slow moves (1 MiB/s, one per broker) so that the kill lands mid-batch.
    const fix = startWatchedCli(['replication-factor', 'fix', '--target', '3', '--topics', 'bulk', '--throttle', '1MiB', '--max-moves-per-broker', '2', '--bootstrap-server', bootstrap, '--state-file', stateFile, '--poll-ms', '500'])
    try {
      await fix.waitFor(/started \d+ moves/, 120_000)
      await sleep(2000)
      const victim = 3
      await cluster.killBroker(victim)
      await sleep(12_000)
      await cluster.startBroker(victim)
      assert.equal(await fix.exited, 0, fix.stdout() + fix.stderr())
    } finally {
      fix.child.kill('SIGKILL')
    }
    const report = await workload.stop()
    assert.equal(report.lost, 0, JSON.stringify(report.partitions.filter((p) => p.lost > 0)))
    const a2 = admin()
    try {
      const assignment = await describeAssignment(a2, ['bulk'])
      assert.ok(assignment.every((p) => p.replicas.length === 3), JSON.stringify(assignment))
    } finally {
      await a2.close()
    }
    await assertNoThrottles()
  })

  test('the executor killed mid-plan and run again: it adopts the moves in flight and finishes; no stale throttle', async () => {
    const a = admin()
    try {
      // On the cluster's defaults (min.insync.replicas 2): RF 2 -> 3 under acks=all writes.
      await a.createTopics({ topics: ['resume'], partitions: 6, replicas: 2 })
    } finally {
      await a.close()
    }
    await fill(cluster.bootstrapServers, 'resume', 18 * 1024 * 1024)
    const workload = await load(['resume'])
    const args = ['replication-factor', 'fix', '--target', '3', '--topics', 'resume', '--throttle', '1MiB', '--max-moves-per-broker', '1', '--bootstrap-server', bootstrap, '--state-file', stateFile, '--poll-ms', '500']
    const fix = startWatchedCli(args)
    await fix.waitFor(/started \d+ moves/, 120_000)
    await sleep(1500)
    fix.child.kill('SIGKILL')
    await fix.exited
    const state = await readPlanState(stateFile)
    assert.equal(state?.status, 'running')
    assert.ok(state!.started.length > 0 && state!.throttled.brokers.length > 0, 'the killed run had moves and throttles in flight')

    // Another operation is refused while this plan is unfinished, and changes nothing.
    const other = await cli('rebalance')
    assert.equal(other.code, 2, other.stdout + other.stderr)
    assert.match(other.stderr, /an unfinished plan \(replication-factor fix --target 3 --topics resume/)

    const rerun = await runCli(args, { timeoutMs: 600_000 })
    assert.equal(rerun.code, 0, rerun.stdout + rerun.stderr)
    assert.match(rerun.stderr, /continuing plan .*adopted \d+ moves in flight/s)
    const report = await workload.stop()
    assert.equal(report.lost, 0)
    await assertNoThrottles()
  })

  test('--cancel reverts the moves in flight of an interrupted plan and removes its throttles; nothing lost', async () => {
    const a = admin()
    let before: Awaited<ReturnType<typeof describeAssignment>>
    try {
      // On the cluster's defaults (min.insync.replicas 2): RF 2 -> 3 under acks=all writes, cancelled.
      await a.createTopics({ topics: ['cancel'], partitions: 4, replicas: 2 })
      await waitForTopic(a, 'cancel', 4, 60_000)
      before = await describeAssignment(a, ['cancel'])
    } finally {
      await a.close()
    }
    await fill(cluster.bootstrapServers, 'cancel', 16 * 1024 * 1024)
    const workload = await load(['cancel'])
    // 4 MiB a partition at 128 KiB/s: no move can finish before the kill, nor before --cancel (a CLI
    // starting on a loaded machine takes seconds).
    const args = ['replication-factor', 'fix', '--target', '3', '--topics', 'cancel', '--throttle', '128KiB', '--bootstrap-server', bootstrap, '--state-file', stateFile, '--poll-ms', '500']
    const fix = startWatchedCli(args)
    await fix.waitFor(/started \d+ moves/, 120_000)
    await sleep(1500)
    fix.child.kill('SIGKILL')
    await fix.exited
    const killed = await readPlanState(stateFile)
    assert.ok(killed!.started.length > 0, 'the killed run had moves in flight')
    const cancelled = await runCli([...args, '--cancel'])
    assert.equal(cancelled.code, 0, cancelled.stdout + cancelled.stderr)
    assert.match(cancelled.stdout, /cancelled plan \w+ \(replication-factor fix --target 3 --topics cancel\): [1-4] moves in flight reverted/)
    assert.equal((await readPlanState(stateFile))?.status, 'cancelled')
    const c = admin()
    try {
      // A move in flight shows 3 replicas (the new one adding): a reverted one is back on its 2 own
      // (Kafka's cancel keeps them in the order of the plan's new replicas, hence sorted).
      const sorted = (replicas: readonly number[]) => [...replicas].sort((x, y) => x - y)
      const after = await describeAssignment(c, ['cancel'])
      const reverted = after.filter((p) => p.replicas.length === 2)
      assert.ok(reverted.length > 0, `the moves in flight were reverted, not finished: ${JSON.stringify(after)}`)
      for (const p of reverted) assert.deepEqual(sorted(p.replicas), sorted(before.find((b) => b.partition === p.partition)!.replicas), `cancel-${p.partition} is back on its replicas`)
      for (const p of after.filter((p) => p.replicas.length !== 2)) assert.ok(killed!.done.includes(`cancel-${p.partition}`), `cancel-${p.partition} [${p.replicas}] is neither reverted nor a move done before the kill`)
    } finally {
      await c.close()
    }
    await assertNoThrottles()
    const nothing = await runCli([...args, '--cancel'])
    assert.match(nothing.stdout, /no unfinished plan: nothing to cancel/)
    const report = await workload.stop()
    assert.ok(report.acknowledged > 0, 'the load ran')
    assert.equal(report.lost, 0, JSON.stringify(report.partitions.filter((p) => p.lost > 0)))
    // Its 16 MiB would only slow the moves of the tests that follow.
    const d = admin()
    try {
      await d.deleteTopics({ topics: ['cancel'] })
    } finally {
      await d.close()
    }
  })

  test('the throttle of a running plan changed (the operator: spec.scaling.throttle changed mid-scale): saved in the plan, set on the brokers at once; nothing lost', async () => {
    const a = admin()
    try {
      // On the cluster's defaults (min.insync.replicas 2): RF 2 -> 3 under acks=all writes.
      await a.createTopics({ topics: ['rethrottle'], partitions: 4, replicas: 2 })
      await waitForTopic(a, 'rethrottle', 4, 60_000)
    } finally {
      await a.close()
    }
    await fill(cluster.bootstrapServers, 'rethrottle', 8 * 1024 * 1024)
    const workload = await load(['rethrottle'])
    const b = admin()
    try {
      const kafka = new KafkaExecutorCluster(b, { bootstrapServers: cluster.bootstrapServers })
      const live = await readLiveCluster(kafka, undefined)
      const raised = planReplicationFactor(live.model(), { topics: (t) => t === 'rethrottle', target: 3 })
      assert.ok(raised.ok, JSON.stringify(!raised.ok && raised.problems))
      const events: ExecutorEvent[] = []
      const runner = await PlanRunner.open({ cluster: kafka, stateFile, clock: systemClock, onEvent: (e) => events.push(e) })
      const start = await runner.start({ operation: 'rethrottle', clusterId: live.clusterId, snapshot: live.snapshot, sizeOf: (k) => live.sizes.get(k), throttleBytesPerSecond: 128 * 1024 }, async () => diffAssignments(live.snapshot.partitions, raised.after))
      assert.equal(start.kind, 'new')
      // 2 MiB a partition at 128 KiB/s: the rate is raised once the first throttle is set, long before any move could end.
      const result = await runner.run((start as { state: PlanState }).state, { pollMs: 500, throttle: () => (events.some((e) => e.type === 'throttle') ? 32 * 1024 * 1024 : undefined) })
      assert.equal(result.status, 'finished')
      const changed = events.findIndex((e) => e.type === 'throttle-changed')
      assert.deepEqual(events[changed], { type: 'throttle-changed', fromBytesPerSecond: 128 * 1024, toBytesPerSecond: 32 * 1024 * 1024 })
      const rates = events.flatMap((e, i) => (e.type === 'throttle' ? [[i, e.plan.rateBytesPerSecond] as const] : []))
      assert.ok(rates.some(([i, rate]) => i < changed && rate < 1024 * 1024), `the plan ran at its own throttle first: ${JSON.stringify(rates)}`)
      assert.ok(rates.some(([i, rate]) => i > changed && rate >= 16 * 1024 * 1024), `then at the new one, set on the brokers: ${JSON.stringify(rates)}`)
      assert.equal((await readPlanState(stateFile))?.throttleBytesPerSecond, 32 * 1024 * 1024, 'saved in the plan (a resumed run keeps it)')
      assert.ok((await describeAssignment(b, ['rethrottle'])).every((p) => p.replicas.length === 3))
    } finally {
      await b.close()
    }
    await assertNoThrottles()
    const report = await workload.stop()
    assert.ok(report.acknowledged > 0, 'the load ran')
    assert.equal(report.lost, 0, JSON.stringify(report.partitions.filter((p) => p.lost > 0)))
    const d = admin()
    try {
      await d.deleteTopics({ topics: ['rethrottle'] })
    } finally {
      await d.close()
    }
  })

  test('bad input exits 2 and changes nothing: RF above the broker count, a reassignment not started by kafkaplane', async () => {
    const tooHigh = await cli('replication-factor', 'fix', '--target', '9', '--topics', 'rf-.*')
    assert.equal(tooHigh.code, 2, tooHigh.stdout + tooHigh.stderr)
    assert.match(tooHigh.stderr, /--target 9 is more than the 4 registered brokers/)
    // Someone else's reassignment, slowed down so that it is still running when kafkaplane looks.
    const a = admin()
    const connection = await anyConnection(a, cluster.bootstrapServers)
    try {
      const [bulk0] = await describeAssignment(a, ['bulk'])
      const spare = [0, 1, 2, 3].find((b) => !bulk0!.replicas.includes(b))
      const target = spare === undefined ? [...bulk0!.replicas].reverse() : [...bulk0!.replicas.slice(0, 2), spare]
      await setReplicationThrottles(a, throttlePlan([{ topic: 'bulk', partition: 0, oldReplicas: bulk0!.replicas, newReplicas: target }], 1024))
      await alterPartitionReassignments(connection, [{ topic: 'bulk', partition: 0, replicas: target }])
      const before = JSON.stringify(await describeAssignment(a, ['rf-00', 'rf-01']))
      const refused = await cli('rebalance')
      assert.equal(refused.code, 2, refused.stdout + refused.stderr)
      assert.match(refused.stderr, /1 partition reassignment\(s\) not started by kafkaplane are in progress \(e.g. bulk-0/)
      assert.equal(JSON.stringify(await describeAssignment(a, ['rf-00', 'rf-01'])), before, 'nothing changed')
      await alterPartitionReassignments(connection, [{ topic: 'bulk', partition: 0, replicas: null }])
    } finally {
      await clearReplicationThrottles(a, [0, 1, 2, 3], ['bulk']).catch(() => {})
      await a.close()
    }
    await assertNoThrottles()
  })

  test('heal: a bad spread and a low replication factor are fixed; a broker gone past the grace period is drained', async () => {
    const a = admin()
    try {
      // Every replica of heal-spread in zone a (brokers 0 and 3), heal-low at RF 1, as another tool made it:
      // at RF 1 only min.insync.replicas 1 leaves it writable (the cluster's default 2 would refuse every
      // acks=all write); heal raising a replication factor on the default (2) is proven in faults.test.ts.
      await a.createTopics({ topics: ['heal-spread'], partitions: -1, replicas: -1, assignments: [{ partition: 0, brokers: [0, 3] }, { partition: 1, brokers: [3, 0] }] })
      await a.createTopics({ topics: ['heal-low'], partitions: 2, replicas: 1, configs: [{ name: 'min.insync.replicas', value: '1' }] })
    } finally {
      await a.close()
    }
    await sleep(2000)
    const dry = await cli('heal', '--replication-factor', '2', '--topics', 'heal-.*', '--dry-run')
    assert.equal(dry.code, 0, dry.stderr)
    assert.match(dry.stderr, /goal even-spread/)
    assert.match(dry.stderr, /topic heal-low: 2 partitions below the policy's replication factor 2/)
    const healed = await cli('heal', '--replication-factor', '2', '--topics', 'heal-.*')
    assert.equal(healed.code, 0, healed.stdout + healed.stderr)
    assert.match(healed.stdout, /^done: \d+ partitions moved/)
    const again = await cli('heal', '--replication-factor', '2', '--topics', 'heal-.*', '--dry-run')
    assert.match(again.stderr, /heal: nothing to fix/)

    // A broker killed: within the grace period nothing moves; past it, its replicas move away.
    const workload = await load(['heal-low', 'heal-spread'])
    const victim = 1
    await cluster.killBroker(victim)
    const heal = startWatchedCli(['heal', '--watch', '--interval-seconds', '2', '--grace-seconds', '15', '--bootstrap-server', bootstrap, '--state-file', stateFile, '--poll-ms', '500'])
    try {
      await heal.waitFor(/done: \d+ partitions moved/, 240_000)
      const out = heal.stderr() + heal.stdout()
      assert.match(out, /heal: nothing to fix \(broker 1 gone for \d+ s; grace 15 s\)/)
      assert.match(out, new RegExp(`heal: broker ${victim} gone for \\d+ s \\(grace 15 s\\): moving its \\d+ replicas`))
      assert.match(out, /done: \d+ partitions moved/)
      heal.child.kill('SIGTERM')
      assert.equal(await heal.exited, 0, out)
    } finally {
      heal.child.kill('SIGKILL')
      if (!cluster.pids().has(victim)) await cluster.startBroker(victim).catch(() => {})
    }
    const c = admin()
    try {
      const topics = (await c.listTopics({ includeInternals: true }))
      const assignment = await describeAssignment(c, topics)
      assert.deepEqual(assignment.filter((p) => p.replicas.includes(victim)).map((p) => `${p.topic}-${p.partition}`), [], 'nothing is left on the gone broker')
    } finally {
      await c.close()
    }
    const report = await workload.stop()
    assert.equal(report.lost, 0, JSON.stringify(report.partitions.filter((p) => p.lost > 0)))
    await assertNoThrottles()
  })

  test('a broker drained (brokers remove), then stopped: nothing lost', async () => {
    const workload = await load(['rf-00', 'rf-01', 'bulk'])
    const tooMany = await cli('brokers', 'remove', '0,1')
    assert.equal(tooMany.code, 2, tooMany.stdout + tooMany.stderr)
    assert.match(tooMany.stderr, /leaves 2 brokers, fewer than the replication factor 3/)
    const unknown = await cli('brokers', 'remove', '9')
    assert.equal(unknown.code, 2)
    assert.match(unknown.stderr, /broker 9 is not in the cluster/)
    const dry = await cli('brokers', 'remove', '2', '--dry-run')
    assert.equal(dry.code, 0, dry.stderr)
    assert.match(dry.stderr, /dry run: moves: \d+ partitions change/)
    const removed = await cli('brokers', 'remove', '2')
    assert.equal(removed.code, 0, removed.stdout + removed.stderr)
    assert.match(removed.stdout, /broker 2 holds no replicas: safe to stop/)
    // Kafka 4.1 (metadata.version below 4.3-IV0) cannot cordon a broker: said, and the drain ran anyway.
    assert.match(removed.stderr, /^kafkaplane: broker 2 not cordoned: the cluster's metadata\.version is at level \d+; Kafka cordons brokers \(KIP-1066\) from 4\.3-IV0 \(level 30\) on; Kafka may still place new partitions on it$/m)
    assert.doesNotMatch(tooMany.stderr + unknown.stderr + dry.stderr, /cordon/, 'a refused command and a dry run try no cordon')
    await cluster.stopBroker(2)
    await sleep(5000)
    const report = await workload.stop()
    assert.equal(report.lost, 0, JSON.stringify(report.partitions.filter((p) => p.lost > 0)))
    await assertNoThrottles()
  })

  test('a broker added back (brokers add) takes a fair share of replicas: nothing lost', async () => {
    // The broker drained and stopped by the test before comes back empty.
    await cluster.startBroker(2)
    const workload = await load(['rf-00', 'rf-01', 'bulk'])
    const absent = await cli('brokers', 'add', '9')
    assert.equal(absent.code, 2, absent.stdout + absent.stderr)
    const added = await cli('brokers', 'add', '2')
    assert.equal(added.code, 0, added.stdout + added.stderr)
    assert.match(added.stdout, /^done: \d+ partitions moved/)
    const a = admin()
    try {
      const assignment = await describeAssignment(a, await a.listTopics({ includeInternals: true }))
      const onTwo = assignment.filter((p) => p.replicas.includes(2)).length
      const replicas = assignment.reduce((n, p) => n + p.replicas.length, 0)
      assert.ok(onTwo >= Math.floor((replicas / 4) * 0.9), `broker 2 holds ${onTwo} of ${replicas} replicas, a fair share of four brokers`)
    } finally {
      await a.close()
    }
    const report = await workload.stop()
    assert.equal(report.lost, 0, JSON.stringify(report.partitions.filter((p) => p.lost > 0)))
    await assertNoThrottles()
  })
})
