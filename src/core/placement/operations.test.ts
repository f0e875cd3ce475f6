import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { blockportBrokers, broker, grid, model, naivePartitions, thirtyBrokers, wiseBrokers } from './fixtures.ts'
import type { BrokerState, PlacementBroker, PlacementModel, PlacementPartition } from './model.ts'
import { replicaMoves } from './model.ts'
import { checkReplicationFactor, planAssign, planMigration, planRebalance, planReplicationFactor, type Plan, type PlanOutcome } from './operations.ts'
import { DEFAULT_TOLERANCE, topicShareBounds } from './goals.ts'
import { SpreadIndex } from './spread.ts'
import { advise, partitionSurvival, recommend, summarizeSurvival, survivabilityLost } from './survivability.ts'
import { verifyPlan, verifyStages } from './verifier.ts'

function ok<T>(outcome: PlanOutcome<T>): { ok: true } & T {
  if (!outcome.ok) assert.fail(`plan refused: ${outcome.problems.join('; ')}`)
  return outcome
}

function survival(m: PlacementModel, plan: Plan) {
  return summarizeSurvival(new SpreadIndex(m.dimensions, m.brokers), plan.after)
}

test('Wise: RF 6 over 2 clusters x 3 zones puts 3 replicas per cluster and 2 per zone, writable after any loss', () => {
  const m = model(['cluster', 'zone'], wiseBrokers())
  const plan = ok(planAssign(m, { topic: 'payments', partitions: 12, replicationFactor: 6, minInsync: 3 }))
  assert.deepEqual(verifyPlan(m, plan.after), [])
  const index = new SpreadIndex(m.dimensions, m.brokers)
  for (const p of plan.after) {
    const [cluster, zone] = index.domainCounts(index.cellCounts(p.replicas))
    assert.deepEqual(cluster, [3, 3])
    assert.deepEqual(zone, [2, 2, 2])
  }
  for (const row of survival(m, plan)) assert.equal(row.writableAfterDomainLoss, 12, `${row.dimension} loss`)
  // Leaders spread evenly: 12 partitions over 6 brokers.
  const leaders = new Map<number, number>()
  for (const p of plan.after) leaders.set(p.replicas[0]!, (leaders.get(p.replicas[0]!) ?? 0) + 1)
  assert.deepEqual([...leaders.values()], [2, 2, 2, 2, 2, 2])
})

test('Wise: RF 3 with min.insync 2 cannot survive a Kubernetes cluster loss; advise says RF 6 / min.insync 3', () => {
  const m = model(['cluster', 'zone'], wiseBrokers())
  const plan = ok(planAssign(m, { topic: 'events', partitions: 6, replicationFactor: 3, minInsync: 2 }))
  const [cluster, zone] = survival(m, plan)
  assert.equal(cluster!.writableAfterDomainLoss, 0)
  assert.equal(zone!.writableAfterDomainLoss, 6)
  const advice = advise(m.dimensions, m.brokers)
  const rf3 = advice.find((a) => a.replicationFactor === 3 && a.minInsync === 2)!
  assert.equal(rf3.survivesAnyDomainLoss, false)
  const best = recommend(advice)!
  assert.deepEqual([best.replicationFactor, best.minInsync], [6, 3])
  // Three zones alone: the classic RF 3 / min.insync 2.
  const zonesOnly = recommend(advise(['zone'], grid(6, ['k8s-1'], ['a', 'b', 'c']).map((b) => ({ ...b, labels: { zone: b.labels.zone! } }))))!
  assert.deepEqual([zonesOnly.replicationFactor, zonesOnly.minInsync], [3, 2])
})

test('Blockport: RF 4 over zones 2/2/1 spreads 2/1/1 and survives a zone loss with min.insync 2', () => {
  const m = model(['zone'], blockportBrokers())
  const plan = ok(planAssign(m, { topic: 'trades', partitions: 10, replicationFactor: 4, minInsync: 2 }))
  assert.deepEqual(verifyPlan(m, plan.after), [])
  const index = new SpreadIndex(m.dimensions, m.brokers)
  for (const p of plan.after) assert.deepEqual([...index.domainCounts(index.cellCounts(p.replicas))[0]!].sort(), [1, 1, 2])
  assert.equal(survival(m, plan)[0]!.writableAfterDomainLoss, 10)
})

test('Blockport: replication factor 1 -> 3 keeps each existing replica and its leader', () => {
  const brokers = blockportBrokers([0, 1, 2, 3, 4])
  const current = naivePartitions('orders', 15, 1, [0, 1, 2, 3, 4], 2)
  const m = model(['zone'], brokers, current)
  assert.deepEqual(checkReplicationFactor(m, () => true, 3), [{ topic: 'orders', partitions: 15, replicationFactors: [1] }])
  const plan = ok(planReplicationFactor(m, { topics: (t) => t === 'orders', target: 3 }))
  assert.deepEqual(verifyPlan(m, plan.after, { replicationFactor: () => 3, minimalMoves: true }), [])
  plan.after.forEach((p, i) => assert.ok(p.replicas.includes(current[i]!.replicas[0]!), 'the old replica stays'))
  assert.equal(replicaMoves(plan.proposals), 30)
  assert.deepEqual(checkReplicationFactor({ ...m, partitions: plan.after }, () => true, 3), [])
})

test('lowering the replication factor keeps the best spread', () => {
  const m = model(['cluster', 'zone'], wiseBrokers(), naivePartitions('logs', 6, 6, [0, 1, 2, 3, 4, 5], 2))
  const plan = ok(planReplicationFactor(m, { topics: () => true, target: 3 }))
  assert.deepEqual(verifyPlan(m, plan.after, { replicationFactor: () => 3, minimalMoves: true }), [])
  assert.equal(replicaMoves(plan.proposals), 0, 'lowering RF only removes replicas')
})

test('a 30-broker cluster: a naive layout is rebalanced to a full spread with balanced replicas and leaders', () => {
  const brokers = thirtyBrokers()
  const ids = brokers.map((b) => b.id)
  const m = model(['cluster', 'zone'], brokers, naivePartitions('clicks', 120, 3, ids.slice(0, 12).concat(ids.slice(12).reverse()), 2))
  const plan = ok(planRebalance(m))
  assert.deepEqual(verifyPlan(m, plan.after), [])
  assert.ok(plan.goalsAfter.every((g) => g.satisfied), JSON.stringify(plan.goalsAfter))
  assert.equal(plan.goalsBefore.find((g) => g.name === 'even-spread-on-every-dimension')!.satisfied, false)
})

test('rebalance after adding brokers fills them to their share with moves close to the lower bound', () => {
  const old = grid(12, ['k8s-1', 'k8s-2'], ['a', 'b', 'c'])
  const start = ok(planAssign(model(['cluster', 'zone'], old), { topic: 't', partitions: 200, replicationFactor: 3, minInsync: 2 }))
  const added = grid(6, ['k8s-1', 'k8s-2'], ['a', 'b', 'c'], 100)
  const m = model(['cluster', 'zone'], [...old, ...added], start.after)
  const plan = ok(planRebalance(m))
  assert.deepEqual(verifyPlan(m, plan.after), [])
  const load = new Map<number, number>()
  for (const p of plan.after) for (const b of p.replicas) load.set(b, (load.get(b) ?? 0) + 1)
  for (const b of added) assert.ok(load.get(b.id)! >= 31, `new broker ${b.id} holds ${load.get(b.id)}`)
  // Lower bound: every new broker must reach floor(600/18 * 0.95) = 31 replicas.
  const lowerBound = 6 * 31
  assert.ok(replicaMoves(plan.proposals) <= lowerBound * 1.05, `${replicaMoves(plan.proposals)} moves vs lower bound ${lowerBound}`)
})

/** Replicas of `topic` per broker, every broker of `brokers` listed (0 when it holds none). */
function topicCounts(after: readonly PlacementPartition[], topic: string, brokers: readonly PlacementBroker[]): Map<number, number> {
  const counts = new Map(brokers.map((b) => [b.id, 0]))
  for (const p of after) if (p.topic === topic) for (const b of p.replicas) counts.set(b, counts.get(b)! + 1)
  return counts
}

test('scale up where each new broker lands in a zone that held one broker: paired moves give them a fair share of every topic', () => {
  // The Kubernetes test bed's layout (issue 12): 2 clusters x 4 zones, 3 brokers of each cluster in 3 of
  // them, so zones c and d hold one broker each, of different clusters. An RF-4 topic then has a replica
  // on 1 and 101 in every partition. The new brokers 3 (k8s-1, d) and 103 (k8s-2, c) can take none of
  // them by a single move (any one move puts 3 replicas in a cluster or 2 in a zone); a pair can:
  // 1 -> 103 with 101 -> 3 keeps 2 per cluster and 1 per zone.
  const six = [
    broker(0, { cluster: 'k8s-1', zone: 'a' }), broker(1, { cluster: 'k8s-1', zone: 'c' }), broker(2, { cluster: 'k8s-1', zone: 'b' }),
    broker(100, { cluster: 'k8s-2', zone: 'a' }), broker(101, { cluster: 'k8s-2', zone: 'd' }), broker(102, { cluster: 'k8s-2', zone: 'b' }),
  ]
  const eight = [...six, broker(3, { cluster: 'k8s-1', zone: 'd' }), broker(103, { cluster: 'k8s-2', zone: 'c' })]
  const topics = [
    { topic: 'payments.events', partitions: 6, replicationFactor: 4, minInsync: 2 },
    { topic: '__consumer_offsets', partitions: 50, replicationFactor: 6, minInsync: 3 },
    { topic: 'ledger', partitions: 12, replicationFactor: 6, minInsync: 3 },
  ]
  let current: PlacementPartition[] = []
  for (const request of topics) current = ok(planAssign(model(['cluster', 'zone'], six, current), request)).after
  assert.deepEqual([...topicCounts(current, 'payments.events', six)], [[0, 3], [1, 6], [2, 3], [100, 3], [101, 6], [102, 3]])

  const m = model(['cluster', 'zone'], eight, current)
  const plan = ok(planRebalance(m))
  assert.deepEqual(verifyPlan(m, plan.after), [])
  for (const { topic, partitions, replicationFactor } of topics) {
    const [low, high] = topicShareBounds((partitions * replicationFactor) / eight.length, DEFAULT_TOLERANCE)
    for (const [b, n] of topicCounts(plan.after, topic, eight)) assert.ok(n >= low && n <= high, `${topic}: broker ${b} holds ${n} (band ${low}..${high})`)
  }
  // The RF-4 topic exactly: 3 each, 2 per cluster and 1 per zone in every partition.
  assert.deepEqual([...topicCounts(plan.after, 'payments.events', eight).values()], [3, 3, 3, 3, 3, 3, 3, 3])
  assert.equal(plan.goalsAfter.find((g) => g.name === 'topic-replica-balance')?.satisfied, true, JSON.stringify(plan.goalsAfter))
})

test('topic balance: a topic crowded onto some brokers is spread even when every broker already holds its fair share of replicas', () => {
  // Two topics on disjoint halves of a 2 x 3 grid: replica counts are even, each topic's are not.
  const brokers = grid(12, ['k8s-1', 'k8s-2'], ['a', 'b', 'c'])
  const half = (ids: number[], topic: string) => ok(planAssign(model(['cluster', 'zone'], brokers.filter((b) => ids.includes(b.id))), { topic, partitions: 12, replicationFactor: 3, minInsync: 2 })).after
  const current = [...half([0, 1, 2, 3, 4, 5], 'orders'), ...half([6, 7, 8, 9, 10, 11], 'refunds')]
  const m = model(['cluster', 'zone'], brokers, current)
  const plan = ok(planRebalance(m))
  assert.deepEqual(verifyPlan(m, plan.after), [])
  for (const topic of ['orders', 'refunds']) assert.deepEqual([...topicCounts(plan.after, topic, brokers).values()], new Array(12).fill(3), topic)
  // Each broker still holds 6 replicas: the topics traded places, no broker gained and lost one topic's replicas.
  assert.deepEqual([...topicCounts(plan.after.map((p) => ({ ...p, topic: 'all' })), 'all', brokers).values()], new Array(12).fill(6))
  assert.equal(replicaMoves(plan.proposals), 36, 'half of each topic moves, not more')
  // Without a tolerance nothing balances: only the hard goals, which hold already.
  assert.equal(ok(planRebalance(m, { tolerance: Infinity })).proposals.length, 0)
})

test('a topic band is never tighter than floor..ceil of the share, and the tolerance rounds inward', () => {
  assert.deepEqual(topicShareBounds(3, 0.05), [3, 3])
  assert.deepEqual(topicShareBounds(2.5, 0.05), [2, 3])
  assert.deepEqual(topicShareBounds(0.4, 0.05), [0, 1])
  assert.deepEqual(topicShareBounds(100, 0.05), [95, 105])
  assert.deepEqual(topicShareBounds(33.3, 0.05), [32, 34])
})

test('decommission: draining brokers lose every replica; excluded brokers keep theirs but get no new ones', () => {
  const brokers = thirtyBrokers().map((b) => (b.id === 7 ? { ...b, state: 'draining' as const } : b.id === 8 ? { ...b, state: 'excluded' as const } : b))
  const start = ok(planAssign(model(['cluster', 'zone'], thirtyBrokers()), { topic: 't', partitions: 60, replicationFactor: 3, minInsync: 2 }))
  const m = model(['cluster', 'zone'], brokers, start.after)
  const plan = ok(planRebalance(m))
  assert.deepEqual(verifyPlan(m, plan.after), [])
  assert.ok(plan.after.every((p) => !p.replicas.includes(7)))
  const before8 = start.after.filter((p) => p.replicas.includes(8)).length
  assert.ok(before8 > 0)
  assert.ok(plan.after.filter((p) => p.replicas.includes(8)).length <= before8)
})

test('migrate: Blockport 1001-1005 onto 0-4 in stages that keep min.insync replicas in place', () => {
  const oldIds = [1001, 1002, 1003, 1004, 1005]
  const brokers = [...blockportBrokers(oldIds), ...blockportBrokers([0, 1, 2, 3, 4])]
  const current = ok(planAssign(model(['zone'], blockportBrokers(oldIds)), { topic: 'ledger', partitions: 20, replicationFactor: 3, minInsync: 2 })).after
  const m = model(['zone'], brokers, current)
  const plan = ok(planMigration(m, { from: oldIds, to: [0, 1, 2, 3, 4], maxMovesPerStage: 8 }))
  assert.ok(plan.stages.length >= 3, `${plan.stages.length} stages`)
  assert.deepEqual(verifyStages(m, plan.stages, 8, plan.after), [])
  assert.ok(plan.after.every((p) => p.replicas.every((b) => b < 1000)))
  const drained = { ...m, brokers: m.brokers.map((b) => ({ ...b, state: (b.id > 1000 ? 'draining' : 'active') as BrokerState })) }
  assert.deepEqual(verifyPlan(drained, plan.after), [])
})

test('impossible requests name the value and the fix', () => {
  const m = model(['zone'], blockportBrokers(), [{ topic: 'x', partition: 0, replicas: [1001, 9], minInsync: 2 }])
  const refused = planRebalance(m)
  assert.equal(refused.ok, false)
  assert.match((refused as { problems: string[] }).problems[0]!, /broker 9 \(a replica of x-0\) is not in the topology/)
  const tooMany = planAssign(model(['zone'], blockportBrokers()), { topic: 'y', partitions: 1, replicationFactor: 6, minInsync: 2 })
  assert.match((tooMany as { problems: string[] }).problems[0]!, /replication factor 6 is more than the 5 brokers/)
  const badMigration = planMigration(model(['zone'], blockportBrokers()), { from: [1001], to: [77], maxMovesPerStage: 0 })
  assert.deepEqual((badMigration as { problems: string[] }).problems, [
    'broker 77 is not in the topology: add it to the topology file or fix --from/--to',
    '--max-moves-per-stage 0 must be a whole number of 1 or more',
  ])
})

test('survivability: the maintenance case loses one replica per domain', () => {
  const m = model(['cluster', 'zone'], wiseBrokers())
  const index = new SpreadIndex(m.dimensions, m.brokers)
  const [cluster, zone] = partitionSurvival(index, [0, 1, 2, 3, 4, 5], 3)
  assert.deepEqual([cluster!.writableDuringMaintenance, zone!.writableDuringMaintenance], [true, true])
  assert.deepEqual([cluster!.durableAfterDomainLoss, zone!.durableAfterDomainLoss], [false, true])
})

// ---- random clusters: every plan passes the one invariant checker ----

const randomCluster = fc
  .record({
    sizes: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 4 }),
    brokers: fc.integer({ min: 1, max: 10 }),
    seed: fc.array(fc.nat(), { minLength: 60, maxLength: 60 }),
  })
  .map(({ sizes, brokers, seed }) => {
    const dimensions = sizes.map((_, d) => `d${d}`)
    let k = 0
    const next = () => seed[k++ % seed.length]! + k
    const list: PlacementBroker[] = Array.from({ length: brokers }, (_, id) =>
      broker(id, Object.fromEntries(sizes.map((n, d) => [`d${d}`, `v${next() % n}`]))),
    )
    return { dimensions, brokers: list, next }
  })

const randomModel = randomCluster.chain(({ dimensions, brokers, next }) =>
  fc.record({
    states: fc.array(fc.constantFrom<BrokerState>('active', 'active', 'active', 'excluded', 'draining'), { minLength: brokers.length, maxLength: brokers.length }),
    partitions: fc.integer({ min: 1, max: 12 }),
  }).map(({ states, partitions }) => {
    const withStates = brokers.map((b, i) => ({ ...b, state: i === 0 ? ('active' as const) : states[i]! }))
    const active = withStates.filter((b) => b.state === 'active').length
    const list: PlacementPartition[] = Array.from({ length: partitions }, (_, p) => {
      const rf = 1 + (next() % Math.min(active, 4))
      const replicas = [...new Set(Array.from({ length: rf }, () => brokers[next() % brokers.length]!.id))]
      return { topic: `t${p % 3}`, partition: p, replicas, minInsync: 1 + (next() % replicas.length) }
    })
    return model(dimensions, withStates, list)
  }),
)

test('property: rebalance fixes every hard goal with the fewest moves (tolerance off)', () => {
  fc.assert(
    fc.property(randomModel, (m) => {
      const plan = ok(planRebalance(m, { tolerance: Infinity }))
      assert.deepEqual(verifyPlan(m, plan.after, { minimalMoves: true }), [])
    }),
    { numRuns: 300 },
  )
})

test('property: rebalance with balancing keeps every hard goal and wastes no move', () => {
  fc.assert(
    fc.property(randomModel, (m) => {
      const plan = ok(planRebalance(m))
      assert.deepEqual(verifyPlan(m, plan.after), [])
      // Idempotent: a balanced plan needs no further hard fixes.
      const again = ok(planRebalance({ ...m, partitions: plan.after }, { tolerance: Infinity }))
      assert.equal(again.proposals.length, 0)
    }),
    { numRuns: 300 },
  )
})

test('property: assign places new partitions with the best spread', () => {
  fc.assert(
    fc.property(randomCluster, fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 4 }), ({ dimensions, brokers }, partitions, rfWanted) => {
      const rf = Math.min(rfWanted, brokers.length)
      const m = model(dimensions, brokers)
      const plan = ok(planAssign(m, { topic: 'new', partitions, replicationFactor: rf, minInsync: Math.max(1, rf - 1) }))
      assert.deepEqual(verifyPlan(m, plan.after), [])
      assert.equal(plan.after.length, partitions)
    }),
    { numRuns: 300 },
  )
})

test('property: migration stages keep min.insync in place, respect the per-broker budget and end on the target', () => {
  fc.assert(
    fc.property(randomModel, fc.integer({ min: 1, max: 4 }), (m, maxMoves) => {
      const ids = m.brokers.map((b) => b.id)
      const from = ids.filter((id) => id % 2 === 1)
      const to = ids.filter((id) => id % 2 === 0)
      const active = { ...m, brokers: m.brokers.map((b) => ({ ...b, state: 'active' as const })) }
      const maxRf = Math.max(...m.partitions.map((p) => p.replicas.length))
      if (to.length < maxRf) return // not enough brokers to receive
      const plan = planMigration(active, { from, to, maxMovesPerStage: maxMoves })
      if (!plan.ok) return
      assert.deepEqual(verifyStages(active, plan.stages, maxMoves, plan.after), [])
      assert.ok(plan.after.every((p) => p.replicas.every((b) => !from.includes(b))))
    }),
    { numRuns: 200 },
  )
})

test('disk balance: same-cell follower swaps even out bytes without touching counts, leaders or spread', () => {
  const brokers = grid(12, ['k8s-1', 'k8s-2'], ['a', 'b', 'c'])
  const placed = ok(planAssign(model(['cluster', 'zone'], brokers), { topic: 'd', partitions: 60, replicationFactor: 3, minInsync: 2 })).after
  // Partitions that broker 0 follows are 50x larger: broker 0 is far heavier than broker 6, its cell mate.
  const sized = placed.map((p) => ({ ...p, sizeBytes: p.replicas.slice(1).includes(0) ? 50_000 : 1_000 }))
  const m = model(['cluster', 'zone'], brokers, sized)
  const before = ok(planRebalance(m, { tolerance: Infinity }))
  const plan = ok(planRebalance(m, { tolerance: 0.1 }))
  assert.equal(before.proposals.length, 0)
  assert.equal(plan.goalsBefore.find((g) => g.name === 'disk-balance')!.satisfied, false)
  assert.deepEqual(verifyPlan(m, plan.after), [])
  const count = (ps: readonly PlacementPartition[], f: (p: PlacementPartition, b: number) => boolean) => {
    const out = new Map<number, number>()
    for (const p of ps) for (const b of p.replicas) if (f(p, b)) out.set(b, (out.get(b) ?? 0) + 1)
    return [...out].sort(([a], [b]) => a - b)
  }
  assert.deepEqual(count(plan.after, () => true), count(sized, () => true), 'replica counts unchanged')
  assert.deepEqual(count(plan.after, (p, b) => p.replicas[0] === b), count(sized, (p, b) => p.replicas[0] === b), 'leaders unchanged')
  const bytes = (ps: readonly PlacementPartition[]) => {
    const out = new Map<number, number>()
    for (const p of ps) for (const b of p.replicas) out.set(b, (out.get(b) ?? 0) + (p.sizeBytes ?? 0))
    return [...out.values()]
  }
  assert.ok(Math.max(...bytes(plan.after)) < Math.max(...bytes(sized)), 'the fullest broker holds less')
})

test('a plan says when no placement survives a domain loss, and what would', () => {
  const plan = ok(planAssign(model(['cluster', 'zone'], wiseBrokers()), { topic: 'e', partitions: 3, replicationFactor: 3, minInsync: 2 }))
  assert.ok(
    plan.notes.includes('3 partitions at RF 3 with min.insync.replicas 2 cannot stay writable after losing one cluster under any placement; replication factor 6 with min.insync.replicas 3 would (kafkaplane plan advise)'),
    plan.notes.join('\n'),
  )
})

test('draining brokers: what the cluster would no longer survive is named; a drain that keeps every zone costs nothing', () => {
  // Zones a, b, c: brokers 0 and 3 in a, 1 and 4 in b, 2 in c. RF 3, min.insync 2: one replica a zone.
  const zones = ['a', 'b', 'c', 'a', 'b']
  const brokers = zones.map((zone, id) => broker(id, { zone }))
  const start = planAssign(model(['zone'], brokers), { topic: 't', partitions: 6, replicationFactor: 3, minInsync: 2 }, { tolerance: 0.05 })
  assert.ok(start.ok)
  const drain = (ids: number[]) => {
    const m = model(['zone'], brokers.map((b) => (ids.includes(b.id) ? { ...b, state: 'draining' as const } : b)), start.after)
    const plan = planRebalance(m)
    assert.ok(plan.ok)
    return survivabilityLost(m, plan.after, ids)
  }
  assert.deepEqual(drain([3]), [], 'zone a keeps broker 0')
  assert.deepEqual(drain([2]), ['6 of the 6 partitions that stay writable when one zone is lost would not any more (zone c would keep no broker)'])
})
