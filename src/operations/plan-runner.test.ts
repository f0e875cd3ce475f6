import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { KafkaplaneError } from '../core/errors.ts'
import type { ClusterSnapshot } from '../core/health/snapshot.ts'
import type { Proposal } from '../core/placement/model.ts'
import type { ThrottlePlan } from '../core/plan/moves.ts'
import type { ExecutorEvent } from '../executor/executor.ts'
import { newPlanState, readPlanState, writePlanState, type PlanState } from '../executor/plan-state.ts'
import type { Clock } from '../ports/clock.ts'
import type { BrokerConfigFailure, ExecutorCluster, InFlightReassignment, PartitionRef, ReassignmentRefusal } from '../ports/executor-cluster.ts'
import { PlanRunner } from './plan-runner.ts'

/**
 * A Kafka cluster as the executor's port sees it: partitions of topic `t` (and `other`), registered
 * brokers, reassignments that stay in flight until `finish()` (or at once with `instant`), and the
 * replication throttles set on brokers and topics.
 */
class SimulatedCluster implements ExecutorCluster {
  readonly registered = new Set([0, 1, 2, 3])
  readonly replicas = new Map<string, number[]>()
  readonly moving = new Map<string, { topic: string; partition: number; from: number[]; to: number[] }>()
  readonly throttledBrokers = new Set<number>()
  readonly throttledTopics = new Set<string>()
  instant = true
  minInsync = 2
  /** Errors the next inFlight() calls throw, in order. */
  readonly failures: Error[] = []

  constructor(partitions: Record<string, number[]>) {
    for (const [key, replicas] of Object.entries(partitions)) this.replicas.set(key, replicas)
  }
  async snapshot(): Promise<ClusterSnapshot> {
    return {
      brokers: [...this.registered].map((id) => ({ id, host: 'h', port: 9092, rack: undefined })),
      fencedBrokers: [],
      expectedBrokerIds: [0, 1, 2, 3],
      quorum: undefined,
      partitions: [...this.replicas].map(([key, replicas]) => {
        const [topic, partition] = split(key)
        const isr = replicas.filter((b) => this.registered.has(b))
        return { topic, partition, replicas, isr, leader: isr[0] ?? -1, minInsync: this.minInsync, reassigning: this.moving.has(key) }
      }),
      takenAt: 0,
    }
  }
  async inFlight(): Promise<InFlightReassignment[]> {
    const failure = this.failures.shift()
    if (failure) throw failure
    return [...this.moving.values()].map((m) => ({
      topic: m.topic,
      partition: m.partition,
      replicas: [...new Set([...m.to, ...m.from])],
      adding: m.to.filter((b) => !m.from.includes(b)),
      removing: m.from.filter((b) => !m.to.includes(b)),
    }))
  }
  async reassign(moves: readonly (PartitionRef & { replicas: readonly number[] | null })[]): Promise<ReassignmentRefusal[]> {
    for (const m of moves) {
      const key = `${m.topic}-${m.partition}`
      if (m.replicas === null) this.moving.delete(key)
      else if (this.instant) this.replicas.set(key, [...m.replicas])
      else this.moving.set(key, { topic: m.topic, partition: m.partition, from: this.replicas.get(key)!, to: [...m.replicas] })
    }
    return []
  }
  /** Completes every reassignment in flight. */
  finish(): void {
    for (const [key, m] of this.moving) this.replicas.set(key, m.to)
    this.moving.clear()
  }
  async setThrottles(plan: ThrottlePlan): Promise<BrokerConfigFailure[]> {
    for (const b of plan.brokers) this.throttledBrokers.add(b)
    for (const t of plan.topics.keys()) this.throttledTopics.add(t)
    return []
  }
  async clearThrottles(brokers: readonly number[], topics: readonly string[]): Promise<BrokerConfigFailure[]> {
    const failed: BrokerConfigFailure[] = []
    for (const b of brokers) {
      if (this.registered.has(b)) this.throttledBrokers.delete(b)
      else failed.push({ broker: b, message: 'not registered' })
    }
    for (const t of topics) this.throttledTopics.delete(t)
    return failed
  }
  async throttlesSet(brokers: readonly number[]) {
    return { brokers: brokers.filter((b) => this.throttledBrokers.has(b)), topics: [...this.throttledTopics] }
  }
  async electPreferredLeaders(): Promise<ReassignmentRefusal[]> {
    return []
  }
  /** Bytes the new replicas of each move in flight receive between two reads of replicaBytes(). */
  copyRate = 0
  readonly #copied = new Map<string, number>()
  async replicaBytes(partitions: readonly PartitionRef[]): Promise<Map<string, Map<number, number>>> {
    const bytes = new Map<string, Map<number, number>>()
    for (const p of partitions) {
      const key = `${p.topic}-${p.partition}`
      const m = this.moving.get(key)
      if (!m) continue
      this.#copied.set(key, (this.#copied.get(key) ?? 0) + this.copyRate)
      bytes.set(key, new Map(m.to.filter((b) => !m.from.includes(b)).map((b) => [b, this.#copied.get(key)!])))
    }
    return bytes
  }
}

function split(key: string): [string, number] {
  const at = key.lastIndexOf('-')
  return [key.slice(0, at), Number(key.slice(at + 1))]
}

/** A clock whose waits take no time. */
function fakeClock(): Clock & { t: number } {
  const clock = {
    t: 0,
    now: () => clock.t,
    sleep: async (ms: number) => {
      clock.t += ms
    },
  }
  return clock
}

async function withStateDir(body: (stateFile: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'kafkaplane-plan-runner-'))
  try {
    await body(join(dir, 'plan.json'))
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

/** Runs the plan until a move is in flight, then stops it (a Ctrl-C): the move goes on. */
async function runUntilMoving(cluster: SimulatedCluster, runner: PlanRunner, state: PlanState) {
  const abort = new AbortController()
  const running = runner.run(state, { pollMs: 1, signal: abort.signal })
  while (cluster.moving.size === 0) await new Promise((resolve) => setTimeout(resolve, 1))
  abort.abort()
  return running
}

const raiseT0: Proposal[] = [{ topic: 't', partition: 0, oldReplicas: [0, 1], newReplicas: [0, 1, 2] }]

function request(cluster: SimulatedCluster, snapshot: ClusterSnapshot, extra: Partial<Parameters<PlanRunner['start']>[0]> = {}) {
  return { operation: 'rebalance', clusterId: 'c1', snapshot, throttleBytesPerSecond: 1_000_000, ...extra }
}

test('a new plan is saved before it runs, runs to the end, and leaves no throttle', async () => {
  await withStateDir(async (stateFile) => {
    const cluster = new SimulatedCluster({ 't-0': [0, 1], 't-1': [1, 2] })
    const events: ExecutorEvent[] = []
    const runner = await PlanRunner.open({ cluster, stateFile, clock: fakeClock(), onEvent: (e) => events.push(e) })
    assert.equal(runner.unfinished, undefined)
    const start = await runner.start(request(cluster, await cluster.snapshot(), { sizeOf: (key) => (key === 't-0' ? 100 : undefined) }), async () => raiseT0)
    if (start.kind !== 'new') return assert.fail(start.kind)
    assert.equal(start.bytes, 100, 'one replica of 100 bytes added')
    assert.equal(start.state.moves[0]!.urgent, true, 'urgent on the snapshot given: its ISR is at min.insync.replicas')
    const saved = await readPlanState(stateFile)
    assert.equal(saved?.status, 'running', 'saved before any move starts')
    assert.equal(saved?.operation, 'rebalance')
    const result = await runner.run(start.state, { pollMs: 1 })
    assert.equal(result.status, 'finished')
    assert.deepEqual(cluster.replicas.get('t-0'), [0, 1, 2])
    assert.equal((await readPlanState(stateFile))?.status, 'finished')
    assert.equal(cluster.throttledBrokers.size + cluster.throttledTopics.size, 0, 'no throttle left')
    assert.ok(events.some((e) => e.type === 'started'), 'the executor reports to the runner\'s listener')
  })
})

test('an unfinished plan is continued by its own operation only, and nothing new is proposed', async () => {
  await withStateDir(async (stateFile) => {
    const cluster = new SimulatedCluster({ 't-0': [0, 1] })
    cluster.instant = false
    const first = await PlanRunner.open({ cluster, stateFile, clock: fakeClock() })
    const start = await first.start(request(cluster, await cluster.snapshot()), async () => raiseT0)
    if (start.kind !== 'new') return assert.fail(start.kind)
    assert.equal((await runUntilMoving(cluster, first, start.state)).status, 'interrupted')

    let proposed = 0
    const propose = async () => {
      proposed++
      return raiseT0
    }
    const again = await PlanRunner.open({ cluster, stateFile, clock: fakeClock() })
    assert.equal(again.unfinished?.planId, start.state.planId)
    const other = await again.start(request(cluster, await cluster.snapshot(), { operation: 'brokers remove 3' }), propose)
    assert.equal(other.kind, 'other-plan')
    const same = await again.start(request(cluster, await cluster.snapshot()), propose)
    if (same.kind !== 'continue') return assert.fail(same.kind)
    assert.equal(proposed, 0)
    const running = again.run(same.state, { pollMs: 1 })
    cluster.finish()
    const result = await running
    assert.equal(result.status, 'finished')
    assert.equal(result.moved, 1)
    assert.equal(again.unfinished, undefined, 'the plan ended')
  })
})

test('reassignments no plan of ours started stop a new plan before anything is proposed; others do not concern it', async () => {
  await withStateDir(async (stateFile) => {
    const cluster = new SimulatedCluster({ 't-0': [0, 1], 'other-0': [1, 2] })
    cluster.moving.set('other-0', { topic: 'other', partition: 0, from: [1, 2], to: [2, 3] })
    const runner = await PlanRunner.open({ cluster, stateFile, clock: fakeClock() })
    let proposed = 0
    const propose = async () => {
      proposed++
      return raiseT0
    }
    const refused = await runner.start(request(cluster, await cluster.snapshot()), propose)
    if (refused.kind !== 'foreign') return assert.fail(refused.kind)
    assert.deepEqual(refused.reassignments.map((r) => `${r.topic}-${r.partition}`), ['other-0'])
    assert.equal(proposed, 0)
    assert.equal(await readPlanState(stateFile), undefined, 'nothing saved')
    const ofT = await runner.start(request(cluster, await cluster.snapshot(), { concerns: (t) => t === 't' }), propose)
    assert.equal(ofT.kind, 'new')
  })
})

test('no moves, a declined proposal and a dry run save nothing', async () => {
  await withStateDir(async (stateFile) => {
    const cluster = new SimulatedCluster({ 't-0': [0, 1] })
    const runner = await PlanRunner.open({ cluster, stateFile, clock: fakeClock() })
    const snapshot = await cluster.snapshot()
    assert.equal((await runner.start(request(cluster, snapshot), async () => [])).kind, 'nothing')
    assert.equal((await runner.start(request(cluster, snapshot), async () => undefined)).kind, 'declined')
    const dry = await runner.start(request(cluster, snapshot, { dryRun: true }), async () => raiseT0)
    assert.equal(dry.kind, 'new')
    assert.equal(await readPlanState(stateFile), undefined)
  })
})

test('cancel reverts the moves in flight, removes the throttles and ends the plan', async () => {
  await withStateDir(async (stateFile) => {
    const cluster = new SimulatedCluster({ 't-0': [0, 1] })
    cluster.instant = false
    const runner = await PlanRunner.open({ cluster, stateFile, clock: fakeClock() })
    assert.equal(await runner.cancel(), undefined, 'nothing to cancel')
    const start = await runner.start(request(cluster, await cluster.snapshot()), async () => raiseT0)
    if (start.kind !== 'new') return assert.fail(start.kind)
    assert.equal((await runUntilMoving(cluster, runner, start.state)).status, 'interrupted')
    assert.ok(cluster.throttledTopics.has('t'), 'an interrupted plan keeps its throttle while its moves go on')

    const later = await PlanRunner.open({ cluster, stateFile, clock: fakeClock() })
    const cancelled = await later.cancel()
    assert.equal(cancelled?.cancelled, 1)
    assert.deepEqual(cancelled?.throttlesLeft, [])
    assert.equal(cluster.moving.size, 0)
    assert.deepEqual(cluster.replicas.get('t-0'), [0, 1], 'the move was reverted')
    assert.equal(cluster.throttledBrokers.size + cluster.throttledTopics.size, 0)
    assert.equal((await readPlanState(stateFile))?.status, 'cancelled')
  })
})

test('the throttle rate an ended plan left on an absent broker is removed once it is back, on its own cluster only', async () => {
  await withStateDir(async (stateFile) => {
    const cluster = new SimulatedCluster({ 't-0': [0, 1] })
    const ended = { ...newPlanState('c1', 'rebalance', [], 1000), status: 'finished' as const, throttled: { brokers: [3], topics: [] } }
    await writePlanState(stateFile, ended)
    cluster.throttledBrokers.add(3)
    cluster.registered.delete(3)
    const away = await PlanRunner.open({ cluster, stateFile, clock: fakeClock() })
    assert.equal(await away.clearThrottlesLeft('another-cluster'), undefined)
    const stillAway = await away.clearThrottlesLeft('c1')
    assert.deepEqual(stillAway?.cleared, [])
    assert.deepEqual(stillAway?.kept.map((k) => k.broker), [3])
    assert.ok(cluster.throttledBrokers.has(3))

    cluster.registered.add(3)
    const back = await PlanRunner.open({ cluster, stateFile, clock: fakeClock() })
    const cleared = await back.clearThrottlesLeft('c1')
    assert.deepEqual(cleared?.cleared, [3])
    assert.equal(cluster.throttledBrokers.size, 0)
    assert.deepEqual((await readPlanState(stateFile))?.throttled.brokers, [])
    assert.equal(await (await PlanRunner.open({ cluster, stateFile, clock: fakeClock() })).clearThrottlesLeft('c1'), undefined, 'nothing left')
  })
})

test('the read that starts a plan is tried again while the cluster does not answer, within its limit', async () => {
  await withStateDir(async (stateFile) => {
    const cluster = new SimulatedCluster({ 't-0': [0, 1] })
    const notAnswering = () => new KafkaplaneError('KAFKA_REQUEST_FAILED', 'broker 0 not answering', { fix: 'wait', retriable: true })
    const clock = fakeClock()
    const events: ExecutorEvent[] = []
    const patient = await PlanRunner.open({ cluster, stateFile, clock, answerWithinMs: 60_000, onEvent: (e) => events.push(e) })
    cluster.failures.push(notAnswering(), notAnswering())
    assert.equal((await patient.start(request(cluster, await cluster.snapshot(), { dryRun: true }), async () => raiseT0)).kind, 'new')
    assert.deepEqual(events.map((e) => e.type), ['retrying', 'retrying'])
    assert.equal(clock.t, 4000, 'two waits of 2 s on the runner\'s clock')

    const once = await PlanRunner.open({ cluster, stateFile, clock: fakeClock() })
    cluster.failures.push(notAnswering())
    await assert.rejects(once.start(request(cluster, await cluster.snapshot()), async () => raiseT0), /not answering/)
  })
})

test('a move copying for longer than the stall timeout is progress and finishes; one that copies nothing fails the plan once the timeout passes', async () => {
  for (const copyRate of [1000, 0]) {
    await withStateDir(async (stateFile) => {
      const cluster = new SimulatedCluster({ 't-0': [0, 1] })
      cluster.instant = false
      cluster.copyRate = copyRate
      const runner = await PlanRunner.open({ cluster, stateFile, clock: fakeClock() })
      const start = await runner.start(request(cluster, await cluster.snapshot(), { sizeOf: () => 1_000_000 }), async () => raiseT0)
      if (start.kind !== 'new') return assert.fail(start.kind)
      const began = Date.now()
      // The copy takes 10 stall timeouts: it ends only if bytes arriving count as progress.
      const finishing = setTimeout(() => cluster.finish(), 500)
      try {
        const outcome = await runner.run(start.state, { pollMs: 5, stallTimeoutMs: 50 }).then((r) => r.status, (err: Error) => err)
        if (copyRate > 0) {
          assert.equal(outcome, 'finished')
          assert.deepEqual(cluster.replicas.get('t-0'), [0, 1, 2])
        } else {
          assert.ok(outcome instanceof KafkaplaneError, String(outcome))
          assert.match(outcome.message, /no move finished or started, and no byte copied, for 50 ms/)
          assert.ok(Date.now() - began < 500, 'failed before the copy could have ended')
          assert.equal(cluster.moving.size, 0, 'its move in flight cancelled')
        }
      } finally {
        clearTimeout(finishing)
      }
    })
  }
})
