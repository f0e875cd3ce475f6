import { test } from 'node:test'
import assert from 'node:assert/strict'
import { broker, model } from '../placement/fixtures.ts'
import { planHeal } from './heal.ts'

// Six brokers over three zones: 0,3 in a; 1,4 in b; 2,5 in c.
const brokers = [0, 1, 2, 3, 4, 5].map((id) => broker(id, { zone: 'abc'[id % 3]! }))
const all = new Set([0, 1, 2, 3, 4, 5])
const policy = { graceMs: 60_000, replicationFactor: { target: 3, topics: (t: string) => t !== 'scratch' } }

test('a healthy cluster needs nothing', () => {
  const m = model(['zone'], brokers, [{ topic: 't', partition: 0, replicas: [0, 1, 2], minInsync: 2 }])
  const plan = planHeal(m, all, new Map(), 0, policy)
  assert.ok(plan.ok)
  assert.deepEqual(plan.proposals, [])
  assert.deepEqual(plan.reasons, [])
})

test('a topic created with a bad spread is spread, with the fewest moves', () => {
  const m = model(['zone'], brokers, [{ topic: 'bad', partition: 0, replicas: [0, 3, 1], minInsync: 2 }])
  const plan = planHeal(m, all, new Map(), 0, policy)
  assert.ok(plan.ok)
  assert.equal(plan.proposals.length, 1)
  const after = plan.proposals[0]!.newReplicas
  assert.deepEqual(new Set(after.map((b) => 'abc'[b % 3])), new Set(['a', 'b', 'c']))
  assert.equal(after.filter((b) => [0, 3, 1].includes(b)).length, 2, 'two replicas stay')
  assert.match(plan.reasons.join('\n'), /goal even-spread/)
})

test('RF below the policy is raised on policy topics only', () => {
  const m = model(['zone'], brokers, [
    { topic: 'low', partition: 0, replicas: [4], minInsync: 1 },
    { topic: 'scratch', partition: 0, replicas: [5], minInsync: 1 },
  ])
  const plan = planHeal(m, all, new Map(), 0, policy)
  assert.ok(plan.ok)
  assert.deepEqual(plan.proposals.map((p) => [p.topic, p.newReplicas.length]), [['low', 3]])
  assert.ok(plan.proposals[0]!.newReplicas.includes(4), 'the existing replica stays')
  assert.match(plan.reasons.join('\n'), /topic low: 1 partitions below the policy's replication factor 3/)
})

test('a broker gone past the grace period is drained; within it nothing moves', () => {
  const m = model(['zone'], brokers, [
    { topic: 't', partition: 0, replicas: [3, 1, 2], minInsync: 2 },
    { topic: 't', partition: 1, replicas: [1, 2, 0], minInsync: 2 },
  ])
  const registered = new Set([0, 1, 2, 4, 5])
  const within = planHeal(m, registered, new Map([[3, 0]]), 30_000, policy)
  assert.ok(within.ok)
  assert.deepEqual(within.proposals, [])
  const past = planHeal(m, registered, new Map([[3, 0]]), 90_000, policy)
  assert.ok(past.ok)
  assert.equal(past.proposals.length, 1)
  assert.deepEqual(past.proposals[0]!.newReplicas.slice().sort(), [0, 1, 2], 'zone a keeps its replica, on broker 0')
  assert.match(past.reasons.join('\n'), /broker 3 gone for 90 s \(grace 60 s\): moving its 1 replicas/)
})

test('a partition whose every replica is gone is named, not moved', () => {
  const m = model(['zone'], brokers, [
    { topic: 'solo', partition: 0, replicas: [3], minInsync: 1 },
    { topic: 't', partition: 0, replicas: [3, 1, 2], minInsync: 2 },
  ])
  const plan = planHeal(m, new Set([0, 1, 2, 4, 5]), new Map([[3, 0]]), 90_000, { graceMs: 60_000 })
  assert.ok(plan.ok)
  assert.deepEqual(plan.proposals.map((p) => p.topic), ['t'])
  assert.match(plan.reasons.join('\n'), /1 partition\(s\) have no replica on a live broker .*solo-0 on broker 3/)
})

test('partitions whose every replica is gone are named even when nothing else moves', () => {
  const m = model(['zone'], brokers, [{ topic: 'solo', partition: 0, replicas: [3], minInsync: 1 }])
  const plan = planHeal(m, new Set([0, 1, 2, 4, 5]), new Map([[3, 0]]), 90_000, { graceMs: 60_000 })
  assert.ok(plan.ok)
  assert.deepEqual(plan.proposals, [])
  assert.match(plan.reasons.join('\n'), /1 partition\(s\) have no replica on a live broker .*solo-0 on broker 3/)
})

test('a repair that keeps a replica on a broker within its grace period waits for it, and says so', () => {
  // Zone spread broken on t-0 ([5, 3, 2]: c, a, c): the fix replaces 5 or 2 and keeps broker 3, the
  // only one of zone a there, which is not registered (within its grace).
  const m = model(['zone'], brokers, [{ topic: 't', partition: 0, replicas: [5, 3, 2], minInsync: 2 }])
  const plan = planHeal(m, new Set([0, 1, 2, 4, 5]), new Map([[3, 0]]), 1000, { graceMs: 300_000 })
  assert.ok(plan.ok)
  assert.deepEqual(plan.proposals, [])
  assert.match(plan.reasons.join('\n'), /1 repair\(s\) wait for broker 3 to return or its grace period to pass \(e\.g\. t-0\)/)
})

test('brokers a scale takes away (registered, excluded) get no replica from a repair or a raise', () => {
  const partitions = [
    { topic: 'bad', partition: 0, replicas: [1, 4, 0], minInsync: 2 },
    { topic: 'low', partition: 0, replicas: [4], minInsync: 1 },
  ]
  const free = planHeal(model(['zone'], brokers, partitions), all, new Map(), 0, policy)
  assert.ok(free.ok)
  const used = (proposals: { newReplicas: readonly number[]; oldReplicas: readonly number[] }[]) => new Set(proposals.flatMap((p) => p.newReplicas.filter((b) => !p.oldReplicas.includes(b))))
  assert.ok([2, 5].some((b) => used(free.proposals).has(b)), 'zone c is where the repair and the raise go')
  // Brokers 2 and 3 leave (a scale's drain): registered still, excluded from new replicas.
  const leaving = brokers.map((b) => (b.id === 2 || b.id === 3 ? { ...b, state: 'excluded' as const } : b))
  const held = planHeal(model(['zone'], leaving, partitions), all, new Map(), 0, policy)
  assert.ok(held.ok)
  assert.equal(held.proposals.length, 2)
  assert.ok(!used(held.proposals).has(2) && !used(held.proposals).has(3), `nothing on brokers 2, 3: ${JSON.stringify(held.proposals)}`)
})
