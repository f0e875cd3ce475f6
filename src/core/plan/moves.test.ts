import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { loadNow, nextMoves, throttlePlan, touchedBrokers, sameThrottle, type Move } from './moves.ts'
import { progressOf } from './progress.ts'

const move = (partition: number, oldReplicas: number[], newReplicas: number[], bytes = 100, urgent = false, topic = 't'): Move => ({ topic, partition, oldReplicas, newReplicas, bytes, urgent })

test('urgent moves first, then the smallest; limits per broker and per cluster', () => {
  const pending = [move(0, [0, 1], [0, 2], 500), move(1, [0, 1], [0, 3], 10), move(2, [1, 2], [1, 3], 900, true), move(3, [4, 5], [4, 6], 50)]
  const chosen = nextMoves(pending, [], { perBroker: 1, perCluster: 10 })
  // p2 (urgent) takes brokers 2 and 3; p1 (10 B) would touch 1 and 3: broker 3 is busy; p3 is free; p0 touches 1, 2: 2 busy.
  assert.deepEqual(chosen.map((m) => m.partition), [2, 3])
  assert.deepEqual(nextMoves(pending, [], { perBroker: 5, perCluster: 2 }).map((m) => m.partition), [2, 1])
  // In-flight moves count against the limits.
  assert.deepEqual(nextMoves([move(1, [0, 1], [0, 3])], [move(9, [3, 4], [4, 5])], { perBroker: 1, perCluster: 10 }), [])
})

test('moves in flight that wait for a dead broker hold no slot: the moves that do not need it go on (faults.test: a drain stalled for good)', () => {
  // Broker 3 killed during `brokers remove 5`: two moves in flight add a replica on 3 (Kafka finishes
  // them only once it is back); the moves left need only live brokers but share broker 5 with them.
  const registered = new Set([0, 1, 2, 4, 5])
  const inFlight = [move(3, [1, 5, 2], [1, 2, 3]), move(6, [2, 4, 5], [2, 4, 3])]
  const pending = [move(0, [5, 3, 0], [0, 4, 2]), move(4, [5, 2, 4], [2, 4, 0])]
  const limits = { perBroker: 2, perCluster: 10 }
  assert.deepEqual(nextMoves(pending, inFlight, limits), [], 'counted whole, they hold broker 5 forever')
  const load = (m: Move) => loadNow(m, registered)
  assert.deepEqual(nextMoves(pending.map(load), inFlight.map(load), limits).map((m) => m.partition), [0, 4])
  // What a move loads: nothing when every new broker is absent; else not the absent brokers.
  assert.deepEqual(touchedBrokers(load(inFlight[0]!)), [])
  assert.deepEqual(touchedBrokers(load(move(7, [1, 5], [1, 3, 4]))), [4, 5], 'it copies to 4, not to dead 3')
  assert.deepEqual(touchedBrokers(load(pending[0]!)), [4, 2, 5], 'the replica on dead broker 3 being dropped costs no slot')
})

test('a reorder moves no data: it starts regardless of the limits and sets no throttle', () => {
  const reorder = move(7, [1, 2, 3], [2, 1, 3])
  assert.deepEqual(touchedBrokers(reorder), [])
  assert.deepEqual(nextMoves([reorder], [move(1, [1, 2], [1, 3])], { perBroker: 1, perCluster: 1 }), [reorder])
  assert.equal(throttlePlan([reorder], 1000).topics.size, 0)
})

test('throttles as kafka-reassign-partitions sets them', () => {
  const plan = throttlePlan([move(0, [1, 2], [1, 3]), move(1, [2, 3], [4, 3], 1, false), move(0, [5], [5, 6], 1, false, 'other')], 1_000_000)
  assert.deepEqual(plan.brokers, [1, 2, 3, 4, 5, 6])
  assert.deepEqual(plan.topics.get('t'), { leader: '0:1,0:2,1:2,1:3', follower: '0:3,1:4' })
  assert.deepEqual(plan.topics.get('other'), { leader: '0:5', follower: '0:6' })
  assert.ok(sameThrottle(plan, throttlePlan([move(0, [1, 2], [1, 3]), move(1, [2, 3], [4, 3]), move(0, [5], [5, 6], 1, false, 'other')], 1_000_000)))
  assert.ok(!sameThrottle(plan, throttlePlan([move(0, [1, 2], [1, 3])], 1_000_000)))
})

test('property: the limits always hold, and something starts whenever nothing is in flight', () => {
  const arbMove = fc
    .record({ partition: fc.nat(50), from: fc.uniqueArray(fc.nat(7), { minLength: 1, maxLength: 3 }), to: fc.uniqueArray(fc.nat(7), { minLength: 1, maxLength: 3 }), bytes: fc.nat(1000), urgent: fc.boolean() })
    .map((r) => move(r.partition, r.from, r.to, r.bytes, r.urgent))
  fc.assert(
    fc.property(fc.array(arbMove, { maxLength: 40 }), fc.array(arbMove, { maxLength: 10 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 10 }), (pending, inFlight, perBroker, perCluster) => {
      const chosen = nextMoves(pending, inFlight, { perBroker, perCluster })
      const all = [...inFlight, ...chosen]
      const moving = all.filter((m) => touchedBrokers(m).length > 0)
      const inFlightMoving = inFlight.filter((m) => touchedBrokers(m).length > 0).length
      if (moving.length > Math.max(perCluster, inFlightMoving)) return false
      for (let b = 0; b < 8; b++) {
        const before = inFlight.filter((m) => touchedBrokers(m).includes(b)).length
        const after = moving.filter((m) => touchedBrokers(m).includes(b)).length
        if (after > before && after > perBroker) return false
      }
      if (inFlight.length === 0 && pending.length > 0 && chosen.length === 0) return false
      return true
    }),
  )
})

test('progress counts finished moves whole, moves in flight by what they copied, and measures the rate', () => {
  const moves = [move(0, [1], [1, 2], 1000), move(1, [1], [1, 3], 3000), move(2, [1], [1, 4], 6000)]
  const status = new Map([
    ['t-0', 'done' as const],
    ['t-1', 'in-flight' as const],
  ])
  const p = progressOf(moves, status, new Map([['t-1', 1000]]), [{ at: 0, bytesDone: 0 }], 10_000)
  assert.deepEqual(p.partitions, { pending: 1, 'in-flight': 1, done: 1 })
  assert.equal(p.bytesDone, 2000)
  assert.equal(p.bytesLeft, 8000)
  assert.equal(p.rateBytesPerSecond, 200)
  assert.equal(p.etaSeconds, 40)
})
