import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { ClusterSnapshot, PartitionState } from '../core/health/snapshot.ts'
import type { RestartReason, RollNode } from '../core/roll/roll-rules.ts'
import { rollTimes } from '../core/roll/roll-times.ts'
import type { Clock } from '../ports/clock.ts'
import type { PartitionRef, ReassignmentRefusal } from '../ports/executor-cluster.ts'
import type { RestartOutcome, RollCluster, RollTarget } from '../ports/roll-target.ts'
import { describeNodes, describeRestarting, eta, newRollState, runRoll, type RollEvent, type RollState } from './roller.ts'

/**
 * The roller's state machine on a simulated cluster whose time is the test's clock: a restarted broker
 * is down for `downMs`, then registered but out of the ISR of its partitions for `catchUpMs`. Every
 * restart is checked against the ISR at that moment: no partition may fall below its min.insync.replicas.
 */
class SimulatedCluster implements RollCluster, RollTarget, Clock {
  t = 0
  readonly restarts: number[][] = []
  readonly violations: string[] = []
  readonly #downUntil = new Map<number, number>()
  readonly #inSyncAt = new Map<number, number>()
  readonly #leaders = new Map<string, number>()
  readonly #partitions: { topic: string; partition: number; replicas: number[]; minInsync: number }[]
  readonly #wanted = new Set<number>()
  dead = new Set<number>()
  downMs = 20_000
  catchUpMs = 10_000

  readonly brokers: number
  readonly controllers: number[]

  constructor(brokers: number, controllers: number[], partitions: { replicas: number[]; minInsync?: number }[], wanted: number[]) {
    this.brokers = brokers
    this.controllers = controllers
    this.#partitions = partitions.map((p, i) => ({ topic: 't', partition: i, replicas: p.replicas, minInsync: p.minInsync ?? 2 }))
    for (const p of this.#partitions) this.#leaders.set(`t-${p.partition}`, p.replicas[0]!)
    for (const id of wanted) this.#wanted.add(id)
  }
  now = () => this.t
  sleep = async (ms: number) => {
    this.t += ms
  }
  #up(id: number) {
    return !this.dead.has(id) && this.t >= (this.#downUntil.get(id) ?? 0)
  }
  #inSync(id: number) {
    return this.#up(id) && this.t >= (this.#inSyncAt.get(id) ?? 0)
  }
  #states(): PartitionState[] {
    return this.#partitions.map((p) => {
      const key = `t-${p.partition}`
      const isr = p.replicas.filter((b) => this.#inSync(b))
      if (!isr.includes(this.#leaders.get(key)!) && isr.length > 0) this.#leaders.set(key, isr[0]!)
      return { topic: 't', partition: p.partition, replicas: p.replicas, isr, minInsync: p.minInsync, leader: isr.length > 0 ? this.#leaders.get(key)! : -1, reassigning: false }
    })
  }
  async snapshot(): Promise<ClusterSnapshot> {
    const ids = Array.from({ length: this.brokers }, (_, i) => i)
    const quorumLeader = this.controllers.find((c) => this.#up(c)) ?? -1
    return {
      brokers: ids.filter((id) => this.#up(id)).map((id) => ({ id, host: 'h', port: 9092, rack: undefined })),
      fencedBrokers: [],
      expectedBrokerIds: ids,
      quorum: { leaderId: quorumLeader, leaderEpoch: 1, highWatermark: 1n, describedAt: this.t, voters: this.controllers.map((id) => ({ id, logEndOffset: 1n, caughtUpAgoMs: this.#up(id) ? 0 : 60_000 })), observers: [] },
      partitions: this.#states(),
      takenAt: this.t,
    }
  }
  async electPreferredLeaders(partitions: readonly PartitionRef[]): Promise<ReassignmentRefusal[]> {
    const states = this.#states()
    for (const ref of partitions) {
      const p = states.find((s) => s.partition === ref.partition)!
      if (p.isr.includes(p.replicas[0]!)) this.#leaders.set(`t-${ref.partition}`, p.replicas[0]!)
    }
    return []
  }
  leaders(): number[] {
    return this.#states().map((p) => p.leader)
  }
  async nodes(): Promise<RollNode[]> {
    return Array.from({ length: this.brokers }, (_, id) => ({
      id,
      roles: this.controllers.includes(id) ? ['broker', 'controller'] : ['broker'],
      labels: { zone: 'abc'[id % 3]! },
      reasons: this.#wanted.has(id) ? [{ kind: 'config', detail: 'config hash 1 -> 2' }] : [],
    }))
  }
  /** Brokers a disruption budget keeps from restarting until this time. */
  readonly refuseUntil = new Map<number, number>()
  async restart(ids: readonly number[], _reasons: ReadonlyMap<number, readonly RestartReason[]>): Promise<RestartOutcome> {
    const refused = ids.filter((id) => this.t < (this.refuseUntil.get(id) ?? 0)).map((id) => ({ id, reason: `the PodDisruptionBudget allows no eviction of broker ${id} now` }))
    ids = ids.filter((id) => !refused.some((r) => r.id === id))
    if (ids.length === 0) return { refused }
    for (const p of this.#states()) {
      const left = p.isr.filter((b) => !ids.includes(b)).length
      if (p.isr.some((b) => ids.includes(b)) && p.replicas.length > p.minInsync && left < p.minInsync) this.violations.push(`t-${p.partition} ISR ${p.isr} without ${ids}`)
    }
    this.restarts.push([...ids])
    for (const id of ids) {
      this.#downUntil.set(id, this.t + this.downMs)
      this.#inSyncAt.set(id, this.t + this.downMs + this.catchUpMs)
      this.#wanted.delete(id)
    }
    return { refused }
  }
  async ensureRunning(): Promise<void> {}
}

/** 6 brokers over zones a, b, c; controllers 0-2 (0 leads the quorum); RF 3 partitions, one replica per zone. */
const zoneSpread = () => [[0, 1, 2], [3, 4, 5], [1, 2, 3], [4, 5, 0], [2, 3, 4], [5, 0, 1]].map((replicas) => ({ replicas }))

async function roll(sim: SimulatedCluster, state: RollState, extra: Partial<Parameters<typeof runRoll>[3]> = {}) {
  const events: RollEvent[] = []
  const saved: RollState[] = []
  const result = await runRoll(sim, sim, state, { clock: sim, pollMs: 1000, save: async (s) => void saved.push(structuredClone(s)), onEvent: (e) => events.push(e), ...extra })
  return { result, events, saved }
}

test('one at a time: brokers, then controllers, the active controller last; each waited for until back in sync; leaders given back', async () => {
  const sim = new SimulatedCluster(6, [0, 1, 2], zoneSpread(), [0, 1, 2, 3, 4, 5])
  const { result, events, saved } = await roll(sim, newRollState('c', [], 0))
  assert.equal(result.status, 'finished')
  assert.deepEqual(sim.restarts, [[3], [4], [5], [1], [2], [0]])
  assert.deepEqual(sim.violations, [])
  assert.deepEqual(sim.leaders(), [0, 3, 1, 4, 2, 5], 'every partition led by its preferred leader')
  // Each restart waited for the broker to come up and catch up: 30 s each.
  const backs = events.filter((e) => e.type === 'back')
  assert.ok(backs.every((b) => b.type === 'back' && b.restartMs >= 20_000 && b.catchUpMs >= 10_000), JSON.stringify(backs))
  assert.ok(result.elapsedMs >= 6 * 30_000)
  // From the second restart on, the wait says when the broker should be back.
  const waits = events.filter((e) => e.type === 'waiting')
  const first = waits[0]!
  assert.equal(first.type === 'waiting' && first.etaSeconds, undefined)
  assert.ok(waits.slice(2).some((w) => w.type === 'waiting' && w.etaSeconds !== undefined && w.etaSeconds > 0))
  assert.equal(saved.at(-1)!.status, 'finished')
  assert.equal(saved.at(-1)!.done.length, 6)
  // Each batch says when it began: one after the other, each once the one before was back in sync.
  const done = saved.at(-1)!.done
  for (const [i, b] of done.entries()) {
    assert.equal(typeof b.startedAt, 'number', JSON.stringify(b))
    if (i > 0) assert.ok(b.startedAt! >= done[i - 1]!.startedAt! + done[i - 1]!.restartMs + done[i - 1]!.catchUpMs, JSON.stringify(done))
  }
  const times = rollTimes(done, { startedAt: 0, finishedAt: result.elapsedMs })
  assert.equal(times.idealMs + times.beforeFirstMs! + times.betweenMs + times.afterLastMs!, result.elapsedMs)
})

test('batches of a zone: brokers of one zone together, a standby controller with its zone\'s batch, the active controller last and alone, never below min ISR, faster than one at a time', async () => {
  // 9 brokers: 0-2 controllers; zone a = 0,3,6; b = 1,4,7; c = 2,5,8; partitions spread one replica per zone.
  const zones = [[0, 3, 6], [1, 4, 7], [2, 5, 8]]
  const partitions = Array.from({ length: 18 }, (_, i) => ({ replicas: zones.map((zone, z) => zone[(i + z) % 3]!) }))
  const one = new SimulatedCluster(9, [0, 1, 2], partitions, [0, 1, 2, 3, 4, 5, 6, 7, 8])
  const batched = new SimulatedCluster(9, [0, 1, 2], partitions, [0, 1, 2, 3, 4, 5, 6, 7, 8])
  const a = await roll(one, newRollState('c', [], 0))
  const b = await roll(batched, newRollState('c', [], 0), { maxBatch: 3 })
  assert.equal(b.result.status, 'finished')
  assert.deepEqual(batched.violations, [])
  assert.deepEqual(one.violations, [])
  // Zone a's batch leaves out 0, the active controller; 1 and 2 go with their zones' brokers, each after
  // the other is back (the quorum of three keeps a caught-up majority).
  assert.deepEqual(batched.restarts, [[3, 6], [4, 7, 1], [5, 8, 2], [0]])
  assert.deepEqual(one.restarts, [[3], [4], [5], [6], [7], [8], [1], [2], [0]])
  assert.ok(b.result.elapsedMs < a.result.elapsedMs * 0.75, `${b.result.elapsedMs} vs ${a.result.elapsedMs}`)
})

test('batch settings changed mid-roll (spec.rolling of a running roll) hold from the next batch on: larger, then smaller again', async () => {
  const zones = [[0, 3, 6], [1, 4, 7], [2, 5, 8]]
  const partitions = Array.from({ length: 18 }, (_, i) => ({ replicas: zones.map((zone, z) => zone[(i + z) % 3]!) }))
  const sim = new SimulatedCluster(9, [0, 1, 2], partitions, [0, 1, 2, 3, 4, 5, 6, 7, 8])
  // The roll starts one at a time (its options say batches of 3, which `batching` overrides); after the
  // first batch the spec allows 3, after the third 1 again.
  let asked = 0
  const { result } = await roll(sim, newRollState('c', [], 0), { maxBatch: 3, batching: () => ({ maxBatch: [1, 3, 3][asked++] ?? 1 }) })
  assert.equal(result.status, 'finished')
  assert.deepEqual(sim.violations, [])
  // Zone a's 3 alone; then zone b whole with its standby controller, zone c likewise; then 6 alone again.
  assert.deepEqual(sim.restarts, [[3], [4, 7, 1], [5, 8, 2], [6], [0]])
})

test('a broker that never catches up is never restarted again: the roll stops as stalled, kept, saying what it waits for', async () => {
  const sim = new SimulatedCluster(6, [0, 1, 2], zoneSpread(), [3, 4])
  sim.catchUpMs = Number.POSITIVE_INFINITY
  const { result, saved } = await roll(sim, newRollState('c', [], 0), { stallMs: 120_000 })
  assert.equal(result.status, 'stalled')
  assert.match(result.waitingFor, /broker 3 is not yet in the ISR of 3 partitions/)
  assert.deepEqual(sim.restarts, [[3]])
  assert.deepEqual(saved.at(-1)!.current?.ids, [3], 'the batch stays current: running again waits for it')
})

test('a dead broker holds back the restarts that would take its partitions below min ISR, not the others; blocked, then stalled with the reason', async () => {
  const sim = new SimulatedCluster(6, [0, 1, 2], zoneSpread(), [3, 4, 5])
  sim.dead.add(4) // t-1 [3,4,5], t-3 [4,5,0], t-4 [2,3,4]: at min ISR without 4
  const { result, events } = await roll(sim, newRollState('c', [], 0), { stallMs: 60_000 })
  assert.deepEqual(sim.violations, [])
  // 4 itself is down: restarting it first is safe and may cure it; it never comes back here.
  assert.deepEqual(sim.restarts, [[4]])
  assert.equal(result.status, 'stalled')
  assert.match(result.waitingFor, /broker 4 is not registered/)
  sim.dead.delete(4)
  const again = await roll(sim, newRollState('c', [], 0), { stallMs: 60_000 })
  assert.equal(again.result.status, 'finished')
  assert.deepEqual(sim.restarts, [[4], [3], [5]])
  assert.ok(!events.some((e) => e.type === 'restarting' && e.ids.includes(3)))
})

test('nothing may restart: blocked with each node and what keeps it, then stalled', async () => {
  const sim = new SimulatedCluster(6, [0, 1, 2], [{ replicas: [3, 4, 5] }, { replicas: [3, 4, 0] }], [3, 4])
  sim.dead.add(5)
  sim.dead.add(0)
  const { result, events } = await roll(sim, newRollState('c', [], 0), { stallMs: 30_000 })
  assert.deepEqual(sim.restarts, [])
  assert.equal(result.status, 'stalled')
  assert.match(result.waitingFor, /^no node may restart: 3: 2 partitions of t would drop below min.insync.replicas 2 without broker 3/)
  assert.equal(events.filter((e) => e.type === 'blocked').length, 1, 'said once, not every poll')
})

test('resumed after the roller died mid-restart: it waits for that batch, then goes on; a requested restart is a reason of its own', async () => {
  const sim = new SimulatedCluster(6, [0, 1, 2], zoneSpread(), [])
  await sim.restart([3], new Map())
  const state: RollState = { ...newRollState('c', [3, 4], 0), current: { ids: [3], reasons: ['manual: restart requested'], startedAt: 0 } }
  const { result } = await roll(sim, state)
  assert.equal(result.status, 'finished')
  assert.deepEqual(sim.restarts, [[3], [4]], '3 not restarted twice')
  assert.deepEqual(state.requested, [])
})

test('a restart the platform refuses (a disruption budget) touches nothing, is said as blocked, and is tried again until allowed', async () => {
  const sim = new SimulatedCluster(6, [0, 1, 2], zoneSpread(), [3, 4])
  sim.refuseUntil.set(3, 45_000)
  const { result, events, saved } = await roll(sim, newRollState('c', [], 0))
  assert.equal(result.status, 'finished')
  assert.deepEqual(sim.restarts, [[3], [4]], 'refused first, restarted once allowed')
  assert.deepEqual(sim.violations, [])
  const blocked = events.filter((e) => e.type === 'blocked')
  assert.equal(blocked.length, 1, 'said once, not every poll')
  assert.deepEqual(blocked[0]!.type === 'blocked' && blocked[0]!.waiting, [{ id: 3, blockers: ['the PodDisruptionBudget allows no eviction of broker 3 now'] }])
  assert.equal(saved.at(-1)!.done.length, 2, 'no batch recorded for the refusal')
  assert.ok(saved.some((s) => s.current === undefined && s.done.length === 0), 'the refused batch left current before it was tried again')
})

test('refused for longer than stallMs: stalled, nothing restarted, nothing recorded', async () => {
  const sim = new SimulatedCluster(6, [0, 1, 2], zoneSpread(), [3])
  sim.refuseUntil.set(3, Number.POSITIVE_INFINITY)
  const { result, saved } = await roll(sim, newRollState('c', [], 0), { stallMs: 30_000 })
  assert.equal(result.status, 'stalled')
  assert.match(result.waitingFor, /^no node may restart: 3: the PodDisruptionBudget allows no eviction/)
  assert.deepEqual(sim.restarts, [])
  assert.equal(saved.at(-1)!.current, undefined)
})

test('a state that cannot be saved before a restart stops the roll with nothing restarted (an operator resuming it must know every restart)', async () => {
  const sim = new SimulatedCluster(6, [0, 1, 2], zoneSpread(), [3, 4])
  const failing = async () => {
    throw new Error('the API server did not answer')
  }
  await assert.rejects(runRoll(sim, sim, newRollState('c', [], 0), { clock: sim, pollMs: 1000, save: failing }), /did not answer/)
  assert.deepEqual(sim.restarts, [])
})

test('resumed with a batch saved but never restarted (the roller died in between): restarted once, recorded once', async () => {
  const sim = new SimulatedCluster(6, [0, 1, 2], zoneSpread(), [3, 4])
  const state: RollState = { ...newRollState('c', [], 0), current: { ids: [3], reasons: ['config: config hash 1 -> 2'], startedAt: 0 } }
  const { result, saved } = await roll(sim, state)
  assert.equal(result.status, 'finished')
  assert.deepEqual(sim.restarts, [[3], [4]])
  assert.deepEqual(saved.at(-1)!.done.map((b) => b.ids), [[3], [4]], 'no batch recorded for the restart that never was')
})

test('resumed with a batch of two of which one was restarted (the roller died between the two): that one is the batch, the other restarted once, later', async () => {
  const sim = new SimulatedCluster(6, [0, 1, 2], zoneSpread(), [3, 4, 5])
  await sim.restart([3], new Map())
  const state: RollState = { ...newRollState('c', [], 0), current: { ids: [3, 5], reasons: ['config: config hash 1 -> 2'], startedAt: 0 } }
  const { result, saved } = await roll(sim, state)
  assert.equal(result.status, 'finished')
  assert.deepEqual(sim.restarts.flat().filter((id) => id === 3), [3], '3 restarted once')
  assert.deepEqual(sim.restarts.flat().filter((id) => id === 5), [5], '5 restarted once')
  const done = saved.at(-1)!.done.map((b) => b.ids)
  assert.deepEqual(done[0], [3], 'the resumed batch is what was restarted of it')
  assert.deepEqual(done.flat().sort(), [3, 4, 5], `each recorded once: ${JSON.stringify(done)}`)
})

test('an abort stops between steps and keeps the state', async () => {
  const sim = new SimulatedCluster(6, [0, 1, 2], zoneSpread(), [3, 4, 5])
  const abort = new AbortController()
  const { result, saved } = await roll(sim, newRollState('c', [], 0), {
    signal: abort.signal,
    onEvent: (e) => {
      if (e.type === 'back') abort.abort()
    },
  })
  assert.equal(result.status, 'interrupted')
  assert.deepEqual(sim.restarts, [[3]])
  assert.equal(saved.at(-1)!.status, 'running')
  assert.equal(saved.at(-1)!.done.length, 1)
})

test('the ETA of a batch on its way back comes from earlier batches of its role: a controller is not given a broker\'s time', () => {
  const roleOf = (ids: readonly number[]) => (ids.every((id) => id >= 90 && id < 100) ? ('controller' as const) : ('broker' as const))
  const done = [
    { ids: [0, 1], reasons: [], restartMs: 50_000, catchUpMs: 4_000 },
    { ids: [2], reasons: [], restartMs: 40_000, catchUpMs: 2_000 },
    { ids: [90], reasons: [], restartMs: 20_000, catchUpMs: 0 },
  ]
  // Down 5 s: a controller after one controller of 20 s; a broker after brokers of 45 s (+3 s catch-up).
  assert.equal(eta({ done }, { ids: [91], reasons: [], startedAt: 100_000 }, [], 105_000, roleOf), 15)
  assert.equal(eta({ done }, { ids: [100], reasons: [], startedAt: 100_000 }, [], 105_000, roleOf), 43)
  // The first controller of a roll: the brokers' times are all there is.
  assert.equal(eta({ done: done.slice(0, 2) }, { ids: [90], reasons: [], startedAt: 100_000 }, [], 105_000, roleOf), 43)
  assert.equal(eta({ done: [] }, { ids: [90], reasons: [], startedAt: 100_000 }, [], 105_000, roleOf), undefined)
})

test('a restart says its reasons, and when its nodes go first because they are down', () => {
  const event = { type: 'restarting' as const, ids: [90], controllers: [90], reasons: ['config: config hash 1 -> 2'], warnings: [], passedOver: [] }
  assert.equal(describeRestarting({ ...event, down: [] }), 'restarting controller 90 (config: config hash 1 -> 2)')
  assert.equal(describeRestarting({ ...event, down: [90] }), 'restarting controller 90 (config: config hash 1 -> 2); 90 is down, so before the nodes that are up')
  assert.equal(describeNodes({ ids: [3, 6], controllers: [] }), 'brokers 3, 6')
  assert.equal(describeNodes({ ids: [0, 2, 4, 8], controllers: [8] }), 'brokers 0, 2, 4 and controller 8')
  assert.equal(describeNodes({ ids: [7, 8], controllers: [7, 8] }), 'controllers 7, 8')
})
