import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import type { PartitionState } from '../health/snapshot.ts'
import { budgetsToWrite, clusterSlack, disruptionBudgets } from './disruption-budget.ts'

const part = (replicas: number[], isr: number[], minInsync: number): PartitionState => ({ topic: 't', partition: 0, leader: isr[0] ?? -1, replicas, isr, minInsync, reassigning: false })

test('slack: the smallest in-sync margin over min.insync.replicas; RF <= min.insync partitions left out', () => {
  assert.equal(clusterSlack({ partitions: [part([0, 1, 2, 3, 4, 5], [0, 1, 2, 3, 4, 5], 3), part([0, 1, 2], [0, 1, 2], 2)] }, 8), 1)
  assert.equal(clusterSlack({ partitions: [part([0, 1, 2, 3, 4, 5], [0, 1, 2, 3, 4, 5], 3)] }, 8), 3, 'RF 6, min ISR 3: three may go')
  assert.equal(clusterSlack({ partitions: [part([0, 1, 2], [0, 1], 2)] }, 8), 0, 'at min ISR: none')
  assert.equal(clusterSlack({ partitions: [part([0, 1], [0, 1], 2), part([0], [0], 2)] }, 4), 4, 'RF <= min ISR only: the cap')
  const rf4 = part([0, 1, 100, 101], [0, 1, 100, 101], 2)
  assert.equal(clusterSlack({ partitions: [rf4] }, 8, new Set([1])), 1, 'a broker whose pod was just evicted, still in the ISR: counted out already')
  assert.equal(clusterSlack({ partitions: [rf4] }, 8, new Set([2])), 2, 'a broker down that the partition does not have: no change')
})

test('RF 3 over 2 Kubernetes clusters (slack 1): one cluster may evict at a time, in turns', () => {
  const clusters = ['k8s-1', 'k8s-2']
  const none = new Map<string, number>()
  assert.deepEqual([...disruptionBudgets({ clusters, unavailable: none, slack: 1, cap: 1, turn: 0 })], [['k8s-1', 1], ['k8s-2', 0]])
  assert.deepEqual([...disruptionBudgets({ clusters, unavailable: none, slack: 1, cap: 1, turn: 1 })], [['k8s-1', 0], ['k8s-2', 1]])
  // A broker of k8s-1 down already: the slack (from the live ISR) is 0; k8s-1's PDB counts it, k8s-2 may evict nothing.
  assert.deepEqual([...disruptionBudgets({ clusters, unavailable: new Map([['k8s-1', 1]]), slack: 0, cap: 1, turn: 1 })], [['k8s-1', 1], ['k8s-2', 0]])
})

test('RF 6, min ISR 3 over 2 clusters (slack 3): one each, the third to whose turn it is, within the cap', () => {
  const clusters = ['k8s-1', 'k8s-2']
  assert.deepEqual([...disruptionBudgets({ clusters, unavailable: new Map(), slack: 3, cap: 2, turn: 1 })], [['k8s-1', 1], ['k8s-2', 2]])
  assert.deepEqual([...disruptionBudgets({ clusters, unavailable: new Map(), slack: 3, cap: 1, turn: 1 })], [['k8s-1', 1], ['k8s-2', 1]], 'the cap holds')
})

test("a roll's batch of 2 in k8s-1 (RF 4, min ISR 2: slack 2): k8s-1 gets both, whoever's turn it is; the rest goes round", () => {
  const clusters = ['k8s-1', 'k8s-2']
  const none = new Map<string, number>()
  for (const turn of [0, 1]) {
    assert.deepEqual([...disruptionBudgets({ clusters, unavailable: none, slack: 2, cap: 2, turn, reserved: { cluster: 'k8s-1', count: 2 } })], [['k8s-1', 2], ['k8s-2', 0]])
  }
  // One of the batch evicted already (down, so the live slack is 1): k8s-1 keeps room for the other.
  assert.deepEqual([...disruptionBudgets({ clusters, unavailable: new Map([['k8s-1', 1]]), slack: 1, cap: 2, turn: 1, reserved: { cluster: 'k8s-1', count: 1 } })], [['k8s-1', 2], ['k8s-2', 0]])
  // RF 6, min ISR 3 (slack 3): the batch's 2, then the third to k8s-2.
  assert.deepEqual([...disruptionBudgets({ clusters, unavailable: none, slack: 3, cap: 2, turn: 0, reserved: { cluster: 'k8s-1', count: 2 } })], [['k8s-1', 2], ['k8s-2', 1]])
  // Never more than the slack or the cap, whatever the batch.
  assert.deepEqual([...disruptionBudgets({ clusters, unavailable: none, slack: 1, cap: 2, turn: 1, reserved: { cluster: 'k8s-1', count: 2 } })], [['k8s-1', 1], ['k8s-2', 0]])
  assert.deepEqual([...disruptionBudgets({ clusters, unavailable: none, slack: 4, cap: 1, turn: 1, reserved: { cluster: 'k8s-1', count: 2 } })], [['k8s-1', 1], ['k8s-2', 1]])
})

test('property: the evictions all clusters allow at once never exceed the slack, nor the cap in any cluster; a batch gets its share first', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 5 }),
      fc.integer({ min: 0, max: 10 }),
      fc.integer({ min: 1, max: 4 }),
      fc.integer({ min: -5, max: 20 }),
      fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 5, maxLength: 5 }),
      fc.option(fc.record({ index: fc.integer({ min: 0, max: 4 }), count: fc.integer({ min: 0, max: 5 }) })),
      (n, slack, cap, turn, down, batch) => {
        const clusters = Array.from({ length: n }, (_, i) => `c${i}`)
        const unavailable = new Map(clusters.map((c, i) => [c, down[i]!]))
        const reserved = batch === null ? undefined : { cluster: `c${batch.index}`, count: batch.count }
        const budgets = disruptionBudgets({ clusters, unavailable, slack, cap, turn, ...(reserved ? { reserved } : {}) })
        const evictable = clusters.map((c) => budgets.get(c)! - unavailable.get(c)!)
        const total = evictable.reduce((a, b) => a + b, 0)
        const batchGets = reserved && batch!.index < n ? evictable[batch!.index]! >= Math.min(reserved.count, cap, slack) : true
        return evictable.every((e) => e >= 0 && e <= cap) && total <= slack && total === Math.min(slack, cap * n) && batchGets
      },
    ),
  )
})

test('a budget handed from one cluster to another: the fall is written alone first, the rise after', () => {
  const current = new Map([['k8s-1', 1], ['k8s-2', 0]])
  const wanted = new Map([['k8s-1', 0], ['k8s-2', 1]])
  const first = budgetsToWrite(current, wanted)
  assert.deepEqual([...first.write], [['k8s-1', 0], ['k8s-2', 0]])
  assert.equal(first.deferred, true)
  const second = budgetsToWrite(first.write, wanted)
  assert.deepEqual([...second.write], [['k8s-1', 0], ['k8s-2', 1]])
  assert.equal(second.deferred, false)
  assert.deepEqual(budgetsToWrite(new Map(), wanted), { write: wanted, deferred: false }, 'no budget in force yet: written as wanted')
})

test('property: while budgets are written one cluster at a time, any mix of old and new in force allows no more than the larger of the two', () => {
  const budgets = (n: number) => fc.array(fc.integer({ min: 0, max: 4 }), { minLength: n, maxLength: n })
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 5 }).chain((n) => fc.tuple(budgets(n), budgets(n), fc.array(fc.boolean(), { minLength: n, maxLength: n }))), ([old, want, mix]) => {
      const clusters = old.map((_, i) => `c${i}`)
      const current = new Map(clusters.map((c, i) => [c, old[i]!]))
      const { write } = budgetsToWrite(current, new Map(clusters.map((c, i) => [c, want[i]!])))
      const inForce = clusters.reduce((sum, c, i) => sum + (mix[i] ? write.get(c)! : current.get(c)!), 0)
      const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0)
      return inForce <= Math.max(sum(old), sum(want))
    }),
  )
})
