import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import type { ClusterSnapshot, PartitionState } from '../health/snapshot.ts'
import { leadersToRestore, nextBatch, returnState, rollOrder, type RollNode } from './roll-rules.ts'

const manual = [{ kind: 'manual' as const, detail: 'asked' }]
const part = (topic: string, partition: number, replicas: number[], isr = replicas, minInsync = 2, leader = isr[0] ?? -1): PartitionState => ({ topic, partition, leader, replicas, isr, minInsync, reassigning: false })

/** Brokers 0-5 over zones a, b, c (0,3 in a; 1,4 in b; 2,5 in c); controllers 0, 1, 2 (combined); 0 leads the quorum. */
function snapshot(partitions: PartitionState[], up = [0, 1, 2, 3, 4, 5], leaderId = 0, controllers = [0, 1, 2]): ClusterSnapshot {
  return {
    brokers: up.map((id) => ({ id, host: '127.0.0.1', port: 9092 + id, rack: 'abc'[id % 3] })),
    expectedBrokerIds: [0, 1, 2, 3, 4, 5],
    quorum: { leaderId, leaderEpoch: 1, highWatermark: 10n, describedAt: 0, voters: controllers.map((id) => ({ id, logEndOffset: 10n, caughtUpAgoMs: up.includes(id) ? 0 : 60_000 })), observers: [] },
    partitions,
    takenAt: 0,
  }
}
const node = (id: number, roles: RollNode['roles'] = id < 3 ? ['broker', 'controller'] : ['broker'], reasons = manual): RollNode => ({ id, roles, labels: { zone: 'abc'[id % 3]! }, reasons })
const all = () => [0, 1, 2, 3, 4, 5].map((id) => node(id))

test('roll order: nodes that are down first, brokers before controllers, the active controller last', () => {
  const s = snapshot([], [0, 1, 2, 3, 5], 1)
  assert.deepEqual(rollOrder(s, all()).map((n) => n.id), [4, 3, 5, 0, 2, 1])
  // The restart says why broker 4 goes first: it is down.
  const step = nextBatch(s, all())
  assert.deepEqual(step.kind === 'restart' && [step.nodes.map((n) => n.id), step.down], [[4], [4]])
  const up = nextBatch(snapshot([], [0, 1, 2, 3, 4, 5], 1), all())
  assert.deepEqual(up.kind === 'restart' && [up.nodes.map((n) => n.id), up.down], [[3], []])
})

test('one at a time: the first broker that may stop; a broker another partition needs is passed over, not waited on', () => {
  // t-0 is at min ISR on 3 and 4: neither may stop; 5 may.
  const s = snapshot([part('t', 0, [3, 4, 0], [3, 4]), part('t', 1, [5, 1, 2])])
  const step = nextBatch(s, all())
  assert.equal(step.kind, 'restart')
  assert.deepEqual(step.kind === 'restart' && step.nodes.map((n) => n.id), [5])
  assert.deepEqual(step.kind === 'restart' && step.passedOver.map((w) => w.id), [3, 4], 'said: 3 and 4 are passed over for now')
})

test('nothing may stop: blocked, each node with its blockers, the active controller last', () => {
  const s = snapshot([part('t', 0, [0, 1, 2, 3], [0, 1, 2], 3), part('t', 1, [3, 4, 5, 0], [3, 4, 5], 3)])
  const step = nextBatch(s, all())
  assert.equal(step.kind, 'blocked')
  if (step.kind !== 'blocked') return
  assert.deepEqual(step.waiting.map((w) => w.id), [3, 4, 5, 1, 2, 0])
  assert.match(step.waiting[0]!.blockers[0]!, /would drop below min.insync.replicas 3 without broker 3/)
  assert.match(step.waiting.at(-1)!.blockers[0]!, /active controller: it restarts last/)
})

test('the active controller restarts when it is the last node left', () => {
  const s = snapshot([part('t', 0, [0, 1, 2])])
  const nodes = all().map((n) => (n.id === 0 ? n : { ...n, reasons: [] }))
  const step = nextBatch(s, nodes)
  assert.deepEqual(step.kind === 'restart' && step.nodes.map((n) => n.id), [0])
  assert.deepEqual(nextBatch(s, nodes.map((n) => ({ ...n, reasons: [] }))), { kind: 'done' })
})

test('batches: brokers of one zone together when no partition falls below min ISR', () => {
  // Zone-spread RF 3 partitions: a zone (3 and 0, both in zone a) may go.
  const spread = [part('t', 0, [3, 4, 5]), part('t', 1, [0, 4, 2]), part('t', 2, [3, 1, 5]), part('t', 3, [0, 1, 5])]
  const brokersOnly = [3, 4, 5, 6, 9].map((id) => ({ ...node(id, ['broker']), labels: { zone: id === 9 ? 'a' : 'abc'[id % 3]! } }))
  const s = { ...snapshot(spread, [0, 1, 2, 3, 4, 5, 6, 9]), partitions: [...spread, part('u', 0, [6, 4, 2]), part('u', 1, [9, 1, 5])] }
  const step = nextBatch(s, brokersOnly, { maxBatch: 8 })
  assert.deepEqual(step.kind === 'restart' && step.nodes.map((n) => n.id), [3, 6, 9], 'zone a: 3, 6 and 9 (6 % 3 = 0)')
  // Capped by maxBatch.
  const two = nextBatch(s, brokersOnly, { maxBatch: 2 })
  assert.deepEqual(two.kind === 'restart' && two.nodes.map((n) => n.id), [3, 6])
  // RF 2 partitions in one zone pair: 3 and 6 together would take u-0 [3, 6] below min ISR 2... by 2.
  const tight = { ...s, partitions: [...s.partitions, part('v', 0, [3, 6, 1])] }
  const step2 = nextBatch(tight, brokersOnly, { maxBatch: 8 })
  assert.deepEqual(step2.kind === 'restart' && step2.nodes.map((n) => n.id), [3, 9], '6 shares v-0 with 3: not in the same batch')
  // Spanning zones when asked to.
  const apart = snapshot([part('w', 0, [3, 1, 2]), part('w', 1, [4, 0, 2])])
  const pair = [node(3, ['broker']), node(4, ['broker'])]
  const inZone = nextBatch(apart, pair, { maxBatch: 8 })
  assert.deepEqual(inZone.kind === 'restart' && inZone.nodes.map((n) => n.id), [3], 'zones a and b: one at a time')
  const spanning = nextBatch(apart, pair, { maxBatch: 8, batchWithin: [] })
  assert.deepEqual(spanning.kind === 'restart' && spanning.nodes.map((n) => n.id), [3, 4])
  // Combined nodes: 0, in zone a, leads the quorum, so zone a's batch is 3 alone; led by 1, 0 goes with 3.
  const led0 = nextBatch(snapshot(spread), all(), { maxBatch: 8 })
  assert.deepEqual(led0.kind === 'restart' && led0.nodes.map((n) => n.id), [3])
  const led1 = nextBatch(snapshot(spread, undefined, 1), all(), { maxBatch: 8 })
  assert.deepEqual(led1.kind === 'restart' && led1.nodes.map((n) => n.id), [3, 0])
})

test('batches with dedicated controllers: a standby controller goes with its zone\'s brokers when there is room; never two of three voters, never the active one', () => {
  // Brokers 3 (zone a), 4 (b), 5 (c); controllers 6 and 7 in zone a, 8 in zone b, 8 leading.
  const partitions = [part('t', 0, [3, 4, 5]), part('t', 1, [4, 5, 3]), part('t', 2, [5, 3, 4])]
  const s = { ...snapshot(partitions, [3, 4, 5, 6, 7, 8], 8, [6, 7, 8]), expectedBrokerIds: [3, 4, 5] }
  const zone: Record<number, string> = { 3: 'a', 4: 'b', 5: 'c', 6: 'a', 7: 'a', 8: 'b' }
  const nodes = [3, 4, 5, 6, 7, 8].map((id): RollNode => ({ id, roles: id < 6 ? ['broker'] : ['controller'], labels: { zone: zone[id]! }, reasons: manual }))
  const batch = (snap: ClusterSnapshot, of: RollNode[], maxBatch: number) => {
    const step = nextBatch(snap, of, { maxBatch })
    return step.kind === 'restart' ? step.nodes.map((n) => n.id) : step.kind
  }
  assert.deepEqual(batch(s, nodes, 8), [3, 6], 'zone a: broker 3 and controller 6; 7 too would leave the quorum one caught-up voter of three')
  assert.deepEqual(batch(s, nodes, 1), [3], 'one at a time: the brokers first')
  assert.deepEqual(batch(s, nodes.filter((n) => n.id !== 3), 8), [4], 'zone b: 8 leads, so 4 alone')
  // Only controllers left: each alone (a quorum of three), the active one last.
  const controllers = nodes.filter((n) => n.id >= 6)
  assert.deepEqual(batch(s, controllers, 8), [6])
  assert.deepEqual(batch(s, controllers.filter((n) => n.id !== 6), 8), [7])
  assert.deepEqual(batch(s, controllers.filter((n) => n.id === 8), 8), [8])
  // Controller 7 not caught up counts as down: it goes first, with 3; 6 stays (8 alone would be left).
  const lagging = { ...s, quorum: { ...s.quorum!, voters: s.quorum!.voters.map((v) => (v.id === 7 ? { ...v, caughtUpAgoMs: 60_000 } : v)) } }
  assert.deepEqual(batch(lagging, nodes, 8), [7, 3])
})

test('a restarted broker is back once registered and in the ISR of everything it hosts; offline partitions do not hold it', () => {
  const n = node(3, ['broker'])
  assert.equal(returnState(snapshot([], [0, 1, 2, 4, 5]), n).kind, 'down')
  const behind = returnState(snapshot([part('t', 0, [3, 4, 5], [4, 5]), part('t', 1, [3, 4, 5])]), n)
  assert.deepEqual(behind.kind === 'catching-up' && behind.behind, 1)
  assert.equal(returnState(snapshot([part('t', 0, [3, 4, 5], [], 2, -1)]), n).kind, 'back', 'offline: not waiting on 3 alone')
  const controller = node(1)
  const lagging = snapshot([])
  const quorum = { ...lagging.quorum!, voters: lagging.quorum!.voters.map((v) => (v.id === 1 ? { ...v, caughtUpAgoMs: 30_000 } : v)) }
  assert.equal(returnState({ ...lagging, quorum }, controller).kind, 'catching-up')
})

test('a restarted controller-only node is back only once it caught up with the quorum after its restart, not on its old process\'s last catch-up', () => {
  const controller: RollNode = { id: 7, roles: ['controller'], labels: { zone: 'b' }, reasons: manual }
  const base = snapshot([], [0, 1, 2, 3, 4, 5], 6, [6, 7, 8])
  // Described at 100 s; voter 7 last caught up 1 s before, at 99 s: within the lag, so "caught up" alone says yes.
  const at = (caughtUpAgoMs: number) => ({ ...base, quorum: { ...base.quorum!, describedAt: 100_000, voters: base.quorum!.voters.map((v) => (v.id === 7 ? { ...v, caughtUpAgoMs } : v)) } })
  assert.equal(returnState(at(1000), controller).kind, 'back', 'without a restart time: the lag rule alone')
  assert.equal(returnState(at(1000), controller, {}, 99_500).kind, 'down', 'restarted at 99.5 s: the catch-up at 99 s was the old process\'s')
  assert.equal(returnState(at(200), controller, {}, 99_500).kind, 'back', 'caught up at 99.8 s, after its restart')
  assert.equal(returnState(at(1000), { ...controller, id: 6 }, {}, 99_500).kind, 'back', 'the leader is up')
  // A combined node: registered as a broker, but its controller not caught up since its restart.
  const combined = { ...base, quorum: { ...base.quorum!, describedAt: 100_000, voters: [0, 1, 2].map((id) => ({ id, logEndOffset: 10n, caughtUpAgoMs: 1000 })), leaderId: 0 } }
  assert.equal(returnState(combined, node(1), {}, 99_500).kind, 'catching-up')
  assert.equal(returnState(combined, node(1), {}, 98_000).kind, 'back')
})

test('leaders to give back: preferred leader among the restarted, in sync, not leading', () => {
  const s = snapshot([part('t', 0, [3, 4, 5], [3, 4, 5], 2, 4), part('t', 1, [3, 4, 5], [4, 5], 2, 4), part('t', 2, [4, 3, 5], [4, 3, 5], 2, 4), part('t', 3, [3, 4], [3, 4], 2, 3)])
  assert.deepEqual(leadersToRestore(s, [3]).map((p) => p.partition), [0])
})

// Random clusters: whatever batch is chosen, no partition with a batch member in its ISR falls below its
// min.insync.replicas (unless its RF is at or below it), the batch respects its size and cell, holds at
// most one controller, and the active controller goes only when it is the last node left.
test('property: a batch never takes a partition below min.insync.replicas', () => {
  const cluster = fc.record({
    zones: fc.integer({ min: 1, max: 3 }),
    brokers: fc.integer({ min: 3, max: 9 }),
    maxBatch: fc.integer({ min: 1, max: 6 }),
    partitions: fc.array(fc.record({ rf: fc.integer({ min: 1, max: 4 }), start: fc.nat(), out: fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }), minInsync: fc.integer({ min: 1, max: 3 }) }), { maxLength: 30 }),
    pendingMask: fc.array(fc.boolean(), { minLength: 9, maxLength: 9 }),
    leader: fc.nat(),
  })
  fc.assert(
    fc.property(cluster, (c) => {
      const ids = Array.from({ length: c.brokers }, (_, i) => i)
      const partitions = c.partitions.map((p, i) => {
        const rf = Math.min(p.rf, c.brokers)
        const replicas = Array.from({ length: rf }, (_, k) => (p.start + k) % c.brokers)
        const isr = replicas.filter((_, k) => !p.out[k] || k === 0)
        return part('t', i, replicas, isr, p.minInsync)
      })
      const controllers = ids.slice(0, 3)
      const leaderId = controllers[c.leader % 3]!
      const s = snapshot(partitions, ids, leaderId, controllers)
      const nodes: RollNode[] = ids.map((id) => ({ id, roles: id < 3 ? ['broker', 'controller'] : ['broker'], labels: { zone: String(id % c.zones) }, reasons: c.pendingMask[id] ? manual : [] }))
      const step = nextBatch(s, nodes, { maxBatch: c.maxBatch })
      const pending = nodes.filter((n) => n.reasons.length > 0)
      if (pending.length === 0) return step.kind === 'done'
      if (step.kind !== 'restart') return step.kind === 'blocked'
      const down = new Set(step.nodes.map((n) => n.id))
      for (const p of partitions) {
        if (p.replicas.length <= p.minInsync || !p.isr.some((b) => down.has(b))) continue
        if (p.isr.filter((b) => !down.has(b)).length < p.minInsync) return false
      }
      if (step.nodes.length > c.maxBatch) return false
      if (new Set(step.nodes.map((n) => n.labels.zone)).size !== 1) return false
      // Three voters, all caught up: at most one of them in a batch.
      if (step.nodes.filter((n) => n.roles.includes('controller')).length > 1) return false
      if (down.has(leaderId) && pending.length > 1) return false
      return step.nodes.every((n) => n.reasons.length > 0)
    }),
    { numRuns: 500 },
  )
})
