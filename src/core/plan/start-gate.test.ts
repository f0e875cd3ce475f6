import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import type { PartitionState } from '../health/snapshot.ts'
import { failing } from '../health/partition-health.ts'
import { addedReplicas, removedReplicas, type Move } from './moves.ts'
import { gateMoves, heldLine, waitsOnlyForAbsentBrokers } from './start-gate.ts'

const state = (partition: number, replicas: number[], isr: number[], minInsync = 2, topic = 't', leader = isr[0] ?? -1): PartitionState => ({ topic, partition, leader, replicas, isr, minInsync, reassigning: false })
const move = (partition: number, oldReplicas: number[], newReplicas: number[], topic = 't'): Move => ({ topic, partition, oldReplicas, newReplicas, bytes: 100, urgent: false })
const byKey = (ps: PartitionState[]) => new Map(ps.map((p) => [`${p.topic}-${p.partition}`, p]))

test('the RF fixer on min.insync.replicas 2: RF-1 partitions, every replica in sync, are moved, not held back', () => {
  const partitions = byKey([state(0, [0], [0]), state(1, [1], [1]), state(2, [2], [2])])
  const pending = [move(0, [0], [0, 1, 2]), move(1, [1], [1, 2, 3]), move(2, [2], [2, 3, 0])]
  const { eligible, held } = gateMoves(pending, partitions, new Set([0, 1, 2, 3]), new Set())
  assert.deepEqual(held, [])
  assert.deepEqual(eligible.map((m) => m.partition), [0, 1, 2])
})

test('a failing partition holds back moves that touch its brokers, but not its own remedy', () => {
  // p0: RF 3, ISR 1 (brokers 1, 2 out of sync): failing. Its remedy adds broker 3 and removes broker 2 (out of sync).
  const partitions = byKey([state(0, [0, 1, 2], [0]), state(1, [0, 4], [0, 4]), state(2, [5, 6], [5, 6])])
  const pending = [move(0, [0, 1, 2], [0, 1, 3]), move(1, [0, 4], [4, 5]), move(2, [5, 6], [6, 7])]
  const { eligible, held } = gateMoves(pending, partitions, new Set([0, 1, 2, 3, 4, 5, 6, 7]), new Set())
  assert.deepEqual(eligible.map((m) => m.partition), [0, 2])
  assert.equal(held.length, 1)
  assert.match(held[0]!.reason, /touches hosts t-0, which is under-min-isr/)
  // A move that drops an in-sync replica of the failing partition is no remedy.
  const dropsInSync = gateMoves([move(0, [0, 1, 2], [1, 2, 3])], partitions, new Set([0, 1, 2, 3]), new Set())
  assert.equal(dropsInSync.eligible.length, 0)
  assert.match(dropsInSync.held[0]!.reason, /t-0 is under-min-isr \(out of sync: broker 1, 2\)/)
})

test('moves whose new replicas name a broker that is not registered wait for it; the others go on', () => {
  // Broker 3 is dead: drain of broker 5 keeps 3 in two partitions.
  const partitions = byKey([state(0, [3, 5, 1], [5, 1]), state(1, [5, 1, 2], [5, 1, 2]), state(2, [5, 3, 0], [5, 0])])
  const pending = [move(0, [3, 5, 1], [3, 4, 1]), move(1, [5, 1, 2], [4, 1, 2]), move(2, [5, 3, 0], [2, 3, 0])]
  const { eligible, held } = gateMoves(pending, partitions, new Set([0, 1, 2, 4, 5]), new Set())
  assert.deepEqual(eligible.map((m) => m.partition), [1])
  assert.deepEqual(held.map((h) => h.waitsFor), [[3], [3]])
  assert.equal(heldLine(held), '2 move(s) held back: 2 wait for broker 3 (not registered)')
})

test('offline partitions and partitions moved by someone else are held back', () => {
  const partitions = byKey([state(0, [0, 1], [], 1, 't', -1), state(1, [0, 1], [0, 1])])
  const { eligible, held } = gateMoves([move(0, [0, 1], [0, 2]), move(1, [0, 1], [1, 2])], partitions, new Set([0, 1, 2]), new Set(['t-1']))
  assert.deepEqual(eligible, [])
  assert.match(held[0]!.reason, /offline/)
  assert.match(held[1]!.reason, /moved by someone else/)
})

test('property: no eligible move removes an in-sync replica of a failing partition, or needs an absent broker', () => {
  const arb = fc.record({
    partitions: fc.array(
      fc.record({ replicas: fc.uniqueArray(fc.nat(5), { minLength: 1, maxLength: 4 }), isrMask: fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }), minInsync: fc.integer({ min: 1, max: 3 }), to: fc.uniqueArray(fc.nat(5), { minLength: 1, maxLength: 4 }) }),
      { minLength: 1, maxLength: 8 },
    ),
    registered: fc.uniqueArray(fc.nat(5), { minLength: 1, maxLength: 6 }),
  })
  fc.assert(
    fc.property(arb, ({ partitions, registered }) => {
      const states = partitions.map((p, i) => {
        const isr = p.replicas.filter((b, k) => p.isrMask[k] && registered.includes(b))
        return state(i, p.replicas, isr, p.minInsync)
      })
      const pending = partitions.map((p, i) => move(i, p.replicas, p.to))
      const live = new Set(registered)
      const { eligible, held } = gateMoves(pending, byKey(states), live, new Set())
      assert.equal(eligible.length + held.length, pending.length)
      for (const m of eligible) {
        const p = states[m.partition]!
        assert.ok(m.newReplicas.every((b) => live.has(b)), 'an eligible move needs only registered brokers')
        assert.ok(p.leader >= 0, 'never from an offline partition')
        if (failing(p)) {
          assert.ok(addedReplicas(m).length > 0 && removedReplicas(m).every((b) => !live.has(b) || !p.isr.includes(b)), 'a failing partition only gets remedies')
        }
      }
    }),
  )
})

test('a plan waits only when every move left, held back or in flight, needs a broker that is not registered', () => {
  const registered = new Set([0, 1, 2])
  const partitions = byKey([state(0, [0, 1], [0, 1]), state(1, [1, 2], [1, 2]), state(2, [0, 2], [0, 2])])
  const needs3 = move(0, [0, 1], [0, 1, 3])
  const needs4 = move(1, [1, 2], [1, 2, 4])
  const free = move(2, [0, 2], [0, 2, 1])
  const gate = gateMoves([needs3, needs4], partitions, registered, new Set())
  assert.deepEqual(waitsOnlyForAbsentBrokers(gate, [], registered), [3, 4])
  assert.deepEqual(waitsOnlyForAbsentBrokers(gate, [move(2, [0, 2], [0, 2, 5])], registered), [3, 4, 5], 'a move in flight that needs broker 5')
  assert.equal(waitsOnlyForAbsentBrokers(gate, [free], registered), undefined, 'a move in flight that can finish')
  assert.equal(waitsOnlyForAbsentBrokers(gateMoves([needs3, free], partitions, registered, new Set()), [], registered), undefined, 'a move may start')
  const offline = byKey([state(0, [0, 1], [], 2, 't', -1)])
  assert.equal(waitsOnlyForAbsentBrokers(gateMoves([move(0, [0, 1], [0, 2])], offline, registered, new Set()), [], registered), undefined, 'held back for another reason')
  assert.deepEqual(waitsOnlyForAbsentBrokers({ eligible: [], held: [] }, [], registered), [], 'nothing left: the caller ends the plan before asking')
})
