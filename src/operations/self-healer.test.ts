import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { ClusterSnapshot } from '../core/health/snapshot.ts'
import { broker, model } from '../core/placement/fixtures.ts'
import type { Clock } from '../ports/clock.ts'
import type { BrokerConfigFailure, ExecutorCluster, InFlightReassignment, ReassignmentRefusal } from '../ports/executor-cluster.ts'
import { healEvery, SelfHealer } from './self-healer.ts'

// Six brokers over three zones: 0,3 in a; 1,4 in b; 2,5 in c.
const brokers = [0, 1, 2, 3, 4, 5].map((id) => broker(id, { zone: 'abc'[id % 3]! }))
const all = new Set([0, 1, 2, 3, 4, 5])
const policy = { graceMs: 60_000 }
const healthy = model(['zone'], brokers, [{ topic: 't', partition: 0, replicas: [0, 1, 2], minInsync: 2 }])
/** Broker 3 holds a replica of t-0. */
const onThree = model(['zone'], brokers, [{ topic: 't', partition: 0, replicas: [3, 1, 2], minInsync: 2 }])
/** Every replica of bad-0 in zone a: a bad spread, repaired while it lasts. */
const badSpread = model(['zone'], brokers, [{ topic: 'bad', partition: 0, replicas: [0, 3, 1], minInsync: 2 }])

/** A clock the test moves; waits take no time but move it. */
function fakeClock(): Clock & { t: number; slept: number[] } {
  const clock = {
    t: 1_000_000,
    slept: [] as number[],
    now: () => clock.t,
    sleep: async (ms: number) => {
      clock.slept.push(ms)
      clock.t += ms
    },
  }
  return clock
}

test('a gone broker is drained only after its grace period, counted from the first look that missed it', () => {
  const clock = fakeClock()
  const healer = new SelfHealer({ policy, maxPlansPerHour: 6, clock })
  const without3 = new Set([0, 1, 2, 4, 5])
  assert.equal(healer.decide(onThree, all).kind, 'healthy')
  const first = healer.decide(onThree, without3)
  assert.deepEqual(first, { kind: 'healthy', reasons: [], gone: [{ id: 3, goneMs: 0 }] })
  clock.t += 59_000
  const within = healer.decide(onThree, without3)
  assert.deepEqual(within.kind === 'healthy' && within.gone, [{ id: 3, goneMs: 59_000 }])
  clock.t += 1_000
  const past = healer.decide(onThree, without3)
  if (past.kind !== 'heal') return assert.fail(past.kind)
  assert.deepEqual(past.proposals.map((p) => p.newReplicas.includes(3)), [false])
  assert.match(past.reasons.join('\n'), /broker 3 gone for 60 s \(grace 60 s\)/)
})

test('a broker back before its grace period ends is forgotten: gone again, its grace period starts afresh', () => {
  const clock = fakeClock()
  const healer = new SelfHealer({ policy, maxPlansPerHour: 6, clock })
  const without3 = new Set([0, 1, 2, 4, 5])
  healer.decide(onThree, without3)
  clock.t += 50_000
  assert.equal(healer.decide(onThree, all).kind, 'healthy')
  clock.t += 50_000
  const again = healer.decide(onThree, without3)
  assert.deepEqual(again.kind === 'healthy' && again.gone, [{ id: 3, goneMs: 0 }], 'not 100 s: it came back in between')
})

test('at most maxPlansPerHour plans start in any hour; a dry run counts none', () => {
  const clock = fakeClock()
  const healer = new SelfHealer({ policy, maxPlansPerHour: 2, clock })
  assert.equal(healer.decide(badSpread, all).kind, 'heal')
  clock.t += 10 * 60_000
  assert.equal(healer.decide(badSpread, all).kind, 'heal')
  clock.t += 10 * 60_000
  const limited = healer.decide(badSpread, all)
  assert.deepEqual(limited.kind === 'rate-limited' && limited.started, 2)
  assert.equal(healer.decide(healthy, all).kind, 'healthy', 'nothing to fix is never rate-limited')
  clock.t += 40 * 60_000 + 1
  assert.equal(healer.decide(badSpread, all).kind, 'heal', 'the first plan is more than an hour old')
  assert.equal(healer.decide(badSpread, all).kind, 'rate-limited')

  const dry = new SelfHealer({ policy, maxPlansPerHour: 1, dryRun: true, clock })
  for (let i = 0; i < 3; i++) assert.equal(dry.decide(badSpread, all).kind, 'heal')
})

test('a plan that cannot be made is reported as infeasible', () => {
  const healer = new SelfHealer({ policy: { graceMs: 0, replicationFactor: { target: 7, topics: () => true } }, maxPlansPerHour: 6, clock: fakeClock() })
  const decision = healer.decide(healthy, all)
  if (decision.kind !== 'infeasible') return assert.fail(decision.kind)
  assert.ok(decision.problems.length > 0)
})

test('watching, passes run one after another, interval apart on the clock; a failed pass is reported and the next one tried', async () => {
  const clock = fakeClock()
  const abort = new AbortController()
  let running = 0
  let passes = 0
  const failures: unknown[] = []
  const code = await healEvery(
    async () => {
      assert.equal(running++, 0, 'one pass (and its plan) at a time')
      await clock.sleep(5)
      passes++
      running--
      if (passes === 2) throw new Error('cluster not answering')
      if (passes === 4) abort.abort()
      return 0
    },
    { clock, watch: true, intervalMs: 30_000, signal: abort.signal, onFailure: (err) => failures.push(err) },
  )
  assert.equal(passes, 4)
  assert.equal(code, 0, 'the last pass decides the exit code')
  assert.deepEqual(failures.map((e) => (e as Error).message), ['cluster not answering'])
  assert.deepEqual(clock.slept, [5, 30_000, 5, 30_000, 5, 30_000, 5], 'no wait after the pass that saw the abort')
})

test('once, a failed pass is thrown and nothing is retried', async () => {
  const clock = fakeClock()
  let passes = 0
  await assert.rejects(
    healEvery(async () => {
      passes++
      throw new Error('refused')
    }, { clock, watch: false, intervalMs: 30_000, onFailure: () => assert.fail('not supervised') }),
    /refused/,
  )
  assert.equal(passes, 1)
  assert.deepEqual(clock.slept, [])
})

test('the stale-throttle sweep waits on the clock and removes only the throttles set at both looks', async () => {
  const clock = fakeClock()
  const cleared: { brokers: number[]; topics: string[] }[] = []
  const looks = [
    { brokers: [1, 2], topics: ['t', 'u'] },
    { brokers: [2], topics: ['t'] },
  ]
  const cluster: ExecutorCluster = {
    snapshot: async () => ({ brokers: [0, 1, 2].map((id) => ({ id, host: 'h', port: 9092, rack: undefined })), expectedBrokerIds: [0, 1, 2], quorum: undefined, partitions: [], takenAt: 0 }) satisfies ClusterSnapshot,
    inFlight: async (): Promise<InFlightReassignment[]> => [],
    reassign: async (): Promise<ReassignmentRefusal[]> => [],
    setThrottles: async (): Promise<BrokerConfigFailure[]> => [],
    clearThrottles: async (brokers, topics) => {
      cleared.push({ brokers: [...brokers], topics: [...topics] })
      return []
    },
    throttlesSet: async () => looks.shift()!,
    electPreferredLeaders: async () => [],
    replicaBytes: async () => new Map(),
  }
  const stale = await new SelfHealer({ policy, maxPlansPerHour: 6, clock }).sweep(cluster)
  assert.deepEqual(clock.slept, [5000])
  assert.deepEqual(cleared, [{ brokers: [2], topics: ['t'] }])
  assert.deepEqual(stale, { brokers: [2], topics: ['t'], failed: [] })
})

test('a new policy or rate limit keeps the brokers gone and the plans started', () => {
  const clock = fakeClock()
  const healer = new SelfHealer({ policy, maxPlansPerHour: 6, clock })
  const without3 = new Set([0, 1, 2, 4, 5])
  assert.equal(healer.decide(badSpread, all).kind, 'heal')
  healer.decide(onThree, without3)
  clock.t += 30_000
  healer.reconfigure({ policy: { graceMs: 20_000 }, maxPlansPerHour: 1 })
  const past = healer.decide(onThree, without3)
  assert.deepEqual(past.kind === 'rate-limited' && [past.started, past.reasons], [1, ['broker 3 gone for 30 s (grace 20 s): moving its 1 replicas to the brokers left']], 'gone since the first look, one plan already started')
})

test('the stale-throttle sweep aborted during its wait removes nothing', async () => {
  const abort = new AbortController()
  const clock: Clock = { now: () => 0, sleep: async () => abort.abort() }
  let cleared = 0
  const cluster = {
    inFlight: async () => [],
    snapshot: async () => ({ brokers: [{ id: 1, host: 'h', port: 9092, rack: undefined }], expectedBrokerIds: [1], quorum: undefined, partitions: [], takenAt: 0 }),
    throttlesSet: async () => ({ brokers: [1], topics: ['t'] }),
    clearThrottles: async () => {
      cleared++
      return []
    },
  } as unknown as ExecutorCluster
  const stale = await new SelfHealer({ policy, maxPlansPerHour: 6, clock }).sweep(cluster, abort.signal)
  assert.deepEqual(stale, { brokers: [], topics: [], failed: [] })
  assert.equal(cleared, 0)
})
