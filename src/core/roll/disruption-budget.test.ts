import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import type { PartitionState } from '../health/snapshot.ts'
import { budgetsToWrite, disruptionBudgets, partitionGroups, policyGroup, quorumGroup, type DisruptionBudgetInput } from './disruption-budget.ts'

const part = (replicas: number[], isr: number[], minInsync: number, more: Partial<PartitionState> = {}): PartitionState => ({ topic: 't', partition: 0, leader: isr[0] ?? -1, replicas, isr, minInsync, reassigning: false, ...more })
/** The bed's two Kubernetes clusters of three brokers. */
const BED = [
  { name: 'k8s-1', brokers: [0, 1, 2] },
  { name: 'k8s-2', brokers: [100, 101, 102] },
]
const budgets = (input: Omit<DisruptionBudgetInput, 'down'> & { down?: number[] }) => [...disruptionBudgets({ ...input, down: new Set(input.down ?? []) }).maxUnavailable]

test('groups: the replicas in sync or coming back, and what each can spare; RF <= min.insync partitions left out', () => {
  const groups = (partitions: PartitionState[], down: number[] = []) => partitionGroups({ partitions }, new Set(down)).map(({ replicas, spare }) => ({ replicas, spare }))
  assert.deepEqual(groups([part([0, 1, 2, 3, 4, 5], [0, 1, 2, 3, 4, 5], 3), part([0, 1, 2], [0, 1, 2], 2), part([0, 1], [0, 1], 2)]), [
    { replicas: [0, 1, 2, 3, 4, 5], spare: 3 },
    { replicas: [0, 1, 2], spare: 1 },
  ])
  assert.deepEqual(groups([part([0, 1, 2], [0, 1], 2)]), [{ replicas: [0, 1], spare: 0 }], 'a replica up but out of the ISR is lost already')
  assert.deepEqual(groups([part([0, 1, 2], [0, 1], 2)], [2]), [{ replicas: [0, 1, 2], spare: 1 }], 'one down comes back in sync (readiness waits for it)')
  assert.deepEqual(groups([part([0, 1, 2, 3], [0, 1, 2], 2, { reassigning: true, adding: [3] })], [3]), [{ replicas: [0, 1, 2], spare: 1 }], 'a replica being added counts once it is in sync, not when its pod comes back')
  const twoOfOneSet = partitionGroups({ partitions: [part([2, 1, 0], [0, 1, 2], 2), { ...part([0, 1, 2], [0, 1], 2), topic: 'orders', partition: 4 }] }, new Set([2]))
  assert.deepEqual(twoOfOneSet, [{ replicas: [0, 1, 2], spare: 1, what: 'partition t-0 below its min.insync.replicas (2)' }], 'one group per replica set, its smallest spare')
  assert.deepEqual(policyGroup([0, 1, 100], 3, 2), { replicas: [0, 1, 100], spare: 1, what: "a partition below min.insync.replicas 2 (the placement policy's RF 3, on any brokers: Kafka could not be read)" })
})

test('RF 3 over 2 Kubernetes clusters (one to spare): one cluster may evict at a time, in turns', () => {
  const groups = partitionGroups({ partitions: [part([0, 1, 100], [0, 1, 100], 2), part([1, 2, 101], [1, 2, 101], 2), part([2, 100, 102], [2, 100, 102], 2)] }, new Set())
  assert.deepEqual(budgets({ clusters: BED, groups, cap: 1, turn: 0 }), [['k8s-1', 1], ['k8s-2', 0]])
  assert.deepEqual(budgets({ clusters: BED, groups, cap: 1, turn: 1 }), [['k8s-1', 0], ['k8s-2', 1]])
  assert.equal(disruptionBudgets({ clusters: BED, down: new Set(), groups, cap: 1, turn: 0 }).rotating, true)
  // A broker of k8s-1 down already: nothing to spare; neither cluster may evict, and k8s-1's budget is
  // 0, not the 1 it has down, so that its pod coming back frees nothing before the operator looks again.
  const down = new Set([1])
  const withOneDown = partitionGroups({ partitions: [part([0, 1, 100], [0, 100], 2), part([1, 2, 101], [2, 101], 2), part([2, 100, 102], [2, 100, 102], 2)] }, down)
  assert.deepEqual(budgets({ clusters: BED, down: [...down], groups: withOneDown, cap: 1, turn: 1 }), [['k8s-1', 0], ['k8s-2', 0]])
})

test('RF 6, min ISR 3 over 2 clusters (three to spare): one each, the third to whose turn it is, within the cap', () => {
  const groups = partitionGroups({ partitions: [part([0, 1, 2, 100, 101, 102], [0, 1, 2, 100, 101, 102], 3)] }, new Set())
  assert.deepEqual(budgets({ clusters: BED, groups, cap: 2, turn: 1 }), [['k8s-1', 1], ['k8s-2', 2]])
  assert.deepEqual(budgets({ clusters: BED, groups, cap: 1, turn: 1 }), [['k8s-1', 1], ['k8s-2', 1]], 'the cap holds')
  assert.equal(disruptionBudgets({ clusters: BED, down: new Set(), groups, cap: 1, turn: 0 }).rotating, false, 'both at the cap: turns change nothing')
})

test("a roll's batch of 2 in k8s-1 (RF 4, min ISR 2): k8s-1 gets both, whoever's turn it is; the rest goes round", () => {
  const all = [0, 1, 2, 100, 101, 102]
  const rf4 = [part([0, 1, 100, 101], [0, 1, 100, 101], 2), part([1, 2, 101, 102], [1, 2, 101, 102], 2), part([0, 2, 100, 102], [0, 2, 100, 102], 2)]
  const groups = partitionGroups({ partitions: rf4 }, new Set())
  for (const turn of [0, 1]) {
    assert.deepEqual(budgets({ clusters: BED, groups, cap: 2, turn, reserved: { cluster: 'k8s-1', count: 2 } }), [['k8s-1', 2], ['k8s-2', 0]])
  }
  // One of the batch evicted already (down): k8s-1 keeps room for the other, its down pod counted.
  assert.deepEqual(budgets({ clusters: BED, down: [0], groups: partitionGroups({ partitions: rf4 }, new Set([0])), cap: 2, turn: 1, reserved: { cluster: 'k8s-1', count: 1 } }), [['k8s-1', 2], ['k8s-2', 0]])
  // RF 6, min ISR 3: the batch's 2, then a third to k8s-2.
  const rf6 = partitionGroups({ partitions: [part(all, all, 3)] }, new Set())
  assert.deepEqual(budgets({ clusters: BED, groups: rf6, cap: 2, turn: 0, reserved: { cluster: 'k8s-1', count: 2 } }), [['k8s-1', 2], ['k8s-2', 1]])
  // Never more than the cap, nor what the partitions can spare, whatever the batch.
  assert.deepEqual(budgets({ clusters: BED, groups: rf6, cap: 1, turn: 1, reserved: { cluster: 'k8s-1', count: 2 } }), [['k8s-1', 1], ['k8s-2', 1]])
  const rf3 = partitionGroups({ partitions: [part([0, 1, 100], [0, 1, 100], 2)] }, new Set())
  assert.deepEqual(budgets({ clusters: BED, groups: rf3, cap: 2, turn: 1, reserved: { cluster: 'k8s-1', count: 2 } }), [['k8s-1', 1], ['k8s-2', 0]])
})

test('pods coming back free nothing a partition they do not hold needs (RF 4, min ISR 2; three pods down, one partition at its minimum)', () => {
  // Brokers 2, 100 and 102 down; [0, 2, 100, 101] keeps 0 and 101 in sync: at its minimum. Were k8s-2's
  // budget its 2 pods down, 102 coming back would let a drain evict 101 before the operator looked again.
  const down = new Set([2, 100, 102])
  const groups = partitionGroups({ partitions: [part([0, 2, 100, 101], [0, 101], 2), part([0, 1, 101, 102], [0, 1, 101], 2)] }, down)
  assert.deepEqual(budgets({ clusters: BED, down: [...down], groups, cap: 2, turn: 0 }), [['k8s-1', 0], ['k8s-2', 0]])
  // The placement policy's worst case when Kafka cannot be read: three down of RF 4, min ISR 2: nothing anywhere.
  assert.deepEqual(budgets({ clusters: BED, down: [...down], groups: [policyGroup([0, 1, 2, 100, 101, 102], 4, 2)], cap: 2, turn: 0 }), [['k8s-1', 0], ['k8s-2', 0]])
  assert.deepEqual(budgets({ clusters: BED, groups: [policyGroup([0, 1, 2, 100, 101, 102], 4, 2)], cap: 2, turn: 0 }), [['k8s-1', 1], ['k8s-2', 1]], 'two to spare: one each')
})

test('why a cluster may have no more down: the partition one more could take below its minimum, or the cap', () => {
  const down = new Set([2])
  const partitions = [part([0, 2, 100, 101], [0, 100, 101], 2), { ...part([1, 2, 101, 102], [1, 101, 102], 2), partition: 1 }]
  const { maxUnavailable, held } = disruptionBudgets({ clusters: BED, down, groups: partitionGroups({ partitions }, down), cap: 2, turn: 1 })
  assert.deepEqual([...maxUnavailable], [['k8s-1', 0], ['k8s-2', 1]])
  assert.deepEqual([...held], [
    ['k8s-1', 'one more broker down here could take partition t-0 below its min.insync.replicas (2): its replicas in sync or coming back are [0, 2, 100, 101], of which [2] are down'],
    ['k8s-2', 'one more broker down here could take partition t-0 below its min.insync.replicas (2): its replicas in sync or coming back are [0, 2, 100, 101], of which [2] are down'],
  ])
  const rf6 = partitionGroups({ partitions: [part([0, 1, 2, 100, 101, 102], [0, 1, 2, 100, 101, 102], 3)] }, new Set())
  assert.deepEqual([...disruptionBudgets({ clusters: BED, down: new Set(), groups: rf6, cap: 1, turn: 0 }).held], [
    ['k8s-1', 'spec.rolling.maxUnavailable is 1'],
    ['k8s-2', 'spec.rolling.maxUnavailable is 1'],
  ])
})

/** Every set of brokers a cluster may have down while `budget` is in force: any `budget` of them, or some of those down now. */
function downSets(brokers: readonly number[], downNow: readonly number[], budget: number): number[][] {
  const subsets = (xs: readonly number[]): number[][] => xs.reduce<number[][]>((all, x) => [...all, ...all.map((s) => [...s, x])], [[]])
  return [...subsets(brokers).filter((s) => s.length <= budget), ...subsets(downNow)]
}

test('property: whatever the pods do while the budgets are in force (evicted within them, or coming back in sync), no partition falls below min.insync.replicas, nor lower than it is; something to spare and nothing down, something may go; never over the cap', () => {
  const arbitrary = fc.record({
    sizes: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 3 }),
    partitions: fc.array(fc.record({ replicas: fc.uniqueArray(fc.nat(8), { minLength: 1, maxLength: 5 }), inSync: fc.array(fc.boolean(), { minLength: 5, maxLength: 5 }), minInsync: fc.integer({ min: 1, max: 3 }), adding: fc.option(fc.nat(4)) }), { minLength: 1, maxLength: 5 }),
    down: fc.array(fc.boolean(), { minLength: 9, maxLength: 9 }),
    cap: fc.integer({ min: 1, max: 3 }),
    turn: fc.nat(5),
    reserved: fc.option(fc.record({ index: fc.nat(2), count: fc.integer({ min: 1, max: 3 }) })),
  })
  fc.assert(
    fc.property(arbitrary, (a) => {
      let next = 0
      const clusters = a.sizes.map((size, i) => ({ name: `c${i}`, brokers: Array.from({ length: size }, () => next++) }))
      const partitions = a.partitions
        .map((p, i) => {
          const replicas = p.replicas.filter((id) => id < next)
          const adding = p.adding === null ? [] : replicas.slice(p.adding, p.adding + 1)
          return part(replicas, replicas.filter((_, j) => a.partitions[i]!.inSync[j]), p.minInsync, adding.length > 0 ? { reassigning: true, adding } : {})
        })
        .filter((p) => p.replicas.length > 0)
      const down = new Set(Array.from({ length: next }, (_, id) => id).filter((id) => a.down[id]))
      const reserved = a.reserved === null ? undefined : { cluster: `c${a.reserved.index}`, count: a.reserved.count }
      const { maxUnavailable } = disruptionBudgets({ clusters, down, groups: partitionGroups({ partitions }, down), cap: a.cap, turn: a.turn, ...(reserved ? { reserved } : {}) })
      // Never over the cap; a cluster given evictions counts its pods down now.
      for (const c of clusters) {
        const budget = maxUnavailable.get(c.name)!
        const downNow = c.brokers.filter((id) => down.has(id)).length
        if (budget > 0) assert.ok(budget > downNow && budget <= a.cap, `${c.name}: ${budget} with ${downNow} down, cap ${a.cap}`)
      }
      // Safety, by brute force over every way the pods may be down while these budgets hold.
      const perCluster = clusters.map((c) => downSets(c.brokers, c.brokers.filter((id) => down.has(id)), maxUnavailable.get(c.name)!))
      const ways = perCluster.reduce<number[][]>((all, sets) => all.flatMap((d) => sets.map((s) => [...d, ...s])), [[]])
      for (const p of partitions) {
        if (p.replicas.length <= p.minInsync) continue
        // In sync later: a replica in the ISR now, or down now and back (a replica being added only once in the ISR).
        const canBeInSync = p.replicas.filter((id) => p.isr.includes(id) || (down.has(id) && !(p.adding ?? []).includes(id)))
        const now = canBeInSync.filter((id) => !down.has(id)).length
        for (const d of ways) {
          const inSync = canBeInSync.filter((id) => !d.includes(id)).length
          assert.ok(inSync >= Math.min(p.minInsync, now), `${JSON.stringify(p)}: ${inSync} in sync with [${d}] down; budgets ${JSON.stringify([...maxUnavailable])}, down now [${[...down]}]`)
        }
      }
      // Liveness: nothing down, every partition in sync with one to spare: some cluster may evict.
      if (down.size === 0 && partitions.every((p) => p.isr.length === p.replicas.length && !p.reassigning) && partitions.some((p) => p.replicas.length > p.minInsync)) {
        assert.ok([...maxUnavailable.values()].some((b) => b > 0), `nothing may go: ${JSON.stringify(partitions)}`)
      }
    }),
    { numRuns: 3000 },
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

test('the quorum of dedicated controllers (2 in k8s-1, 1 in k8s-2): one voter down at a time over both clusters, in turns; a roll\'s controller first; none while one is down', () => {
  const quorum = quorumGroup([190, 90, 91])
  assert.deepEqual(quorum, { replicas: [90, 91, 190], spare: 1, what: 'the KRaft quorum below a majority of its 3 controllers' })
  assert.equal(quorumGroup([1, 2, 3, 4, 5]).spare, 2)
  const clusters = [{ name: 'k8s-1', brokers: [90, 91] }, { name: 'k8s-2', brokers: [190] }]
  const budgets = (down: number[], turn: number, reserved?: DisruptionBudgetInput['reserved']) =>
    Object.fromEntries(disruptionBudgets({ clusters, down: new Set(down), groups: [quorum], cap: quorum.spare, turn, ...(reserved ? { reserved } : {}) }).maxUnavailable)
  assert.deepEqual(budgets([], 0), { 'k8s-1': 1, 'k8s-2': 0 })
  assert.deepEqual(budgets([], 1), { 'k8s-1': 0, 'k8s-2': 1 })
  assert.deepEqual(budgets([], 0, { cluster: 'k8s-2', count: 1 }), { 'k8s-1': 0, 'k8s-2': 1 }, "the roll's controller, whoever's turn it is")
  // One voter down (a roll's restart, a drain): the other cluster may take none; its own budget frees nothing more.
  assert.deepEqual(budgets([91], 1), { 'k8s-1': 0, 'k8s-2': 0 })
  assert.deepEqual(budgets([190], 0), { 'k8s-1': 0, 'k8s-2': 0 })
})
