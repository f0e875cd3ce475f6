import assert from 'node:assert/strict'
import { test } from 'node:test'
import { planHeal } from '../core/plan/heal.ts'
import { planAssign, planMigration, planRebalance } from '../core/placement/operations.ts'
import { verifyPlan } from '../core/placement/verifier.ts'
import type { Topology } from '../core/topology/topology.ts'
import type { LiveClusterReader } from '../ports/live-cluster-reader.ts'
import { planBrokerChanges } from './broker-changes.ts'
import { readLiveCluster } from './live-cluster.ts'

/**
 * Brokers 0-5 over zones a, b, c (two each), all registered, `cordoned` cordoned; 12 partitions at
 * RF 3, one per zone, broker 5 holding none and broker 3 half of zone a's.
 */
async function live(cordoned: number[], partitions = Array.from({ length: 12 }, (_, p) => [[0, 1, 2], [3, 4, 2], [0, 4, 2], [3, 1, 2]][p % 4]!)) {
  const ids = [0, 1, 2, 3, 4, 5]
  const topology: Topology = { dimensions: ['zone'], brokers: ids.map((id) => ({ id, labels: { zone: 'abc'[id % 3]! } })) }
  const asked: number[][] = []
  const reader: LiveClusterReader = {
    snapshot: async () => ({
      brokers: ids.map((id) => ({ id, host: 'h', port: 9092, rack: undefined })),
      expectedBrokerIds: ids,
      quorum: undefined,
      partitions: partitions.map((replicas, partition) => ({ topic: 't', partition, replicas, leader: replicas[0]!, isr: replicas, minInsync: 2, reassigning: false })),
      takenAt: 0,
    }),
    replicaBytes: async () => new Map(),
    clusterId: async () => 'c',
    recordedTopology: async () => ({ topology: undefined, problems: [] }),
    cordonedBrokers: async (brokers) => {
      asked.push([...brokers])
      return cordoned.filter((b) => brokers.includes(b))
    },
  }
  return { cluster: await readLiveCluster(reader, topology), asked }
}

const onBroker = (replicas: readonly (readonly number[])[], id: number) => replicas.filter((r) => r.includes(id)).length

test('a cordoned broker is read as excluded and cordoned: a rebalance gives it no new replica and names it in no new assignment', async () => {
  const { cluster, asked } = await live([5, 3])
  assert.deepEqual(asked, [[0, 1, 2, 3, 4, 5]], 'every registered broker asked once')
  assert.deepEqual([...cluster.cordoned].sort(), [3, 5])
  const model = cluster.model()
  assert.deepEqual(model.brokers.filter((b) => b.cordoned).map((b) => [b.id, b.state]), [[3, 'excluded'], [5, 'excluded']])
  const plan = planRebalance(model)
  assert.ok(plan.ok)
  assert.deepEqual(verifyPlan(model, plan.after), [])
  assert.ok(plan.proposals.length > 0, 'the uncordoned brokers are rebalanced')
  for (const p of plan.proposals) assert.ok(!p.newReplicas.includes(3) && !p.newReplicas.includes(5), `${p.topic}-${p.partition} -> [${p.newReplicas}] names no cordoned broker`)
  assert.equal(onBroker(plan.after.map((p) => p.replicas), 5), 0, 'broker 5 (empty, cordoned) gets nothing')
  assert.match(plan.notes.join('\n'), /^broker 3, 5 cordoned \(KIP-1066, cordoned\.log\.dirs set\): no new replica placed on them$/m)
  // What the plan would have changed on partitions that keep a replica on broker 3 is held, and said.
  for (const h of plan.held) assert.ok(h.oldReplicas.includes(3) && h.newReplicas.includes(3))
  if (plan.held.length > 0) assert.match(plan.notes.join('\n'), /partition\(s\) left as they are: their new replicas would still name cordoned broker 3, and Kafka refuses such a reassignment/)
})

test('without cordons nothing is held and the plan is the one it always was', async () => {
  const [{ cluster: plain }, { cluster: cordoned }] = await Promise.all([live([]), live([3])])
  const before = planRebalance(plain.model())
  assert.ok(before.ok)
  assert.deepEqual(before.held, [])
  assert.ok(!before.notes.some((n) => /cordoned/.test(n)))
  assert.ok(before.proposals.some((p) => p.newReplicas.includes(5)), 'uncordoned, the empty broker 5 gets replicas')
  const after = planRebalance(cordoned.model())
  assert.ok(after.ok)
  assert.ok(after.held.length > 0, 'some partition keeping broker 3 would change: held')
})

test('a topic placed by kafkaplane gets no replica on a cordoned broker', async () => {
  const { cluster } = await live([5])
  const plan = planAssign(cluster.model(), { topic: 'new', partitions: 12, replicationFactor: 3, minInsync: 2 })
  assert.ok(plan.ok)
  const placed = plan.after.filter((p) => p.topic === 'new').map((p) => p.replicas)
  assert.equal(placed.length, 12)
  assert.equal(onBroker(placed, 5), 0)
})

test('brokers add of a cordoned broker plans moves onto it (the caller lifts the cordon first); remove drains a cordoned broker', async () => {
  const { cluster } = await live([5])
  const added = planBrokerChanges(cluster, { adding: [5], leaving: [], allowLessSurvivable: false, optIn: '--allow-less-survivable' })
  assert.ok(added.ok)
  assert.ok(added.proposals.some((p) => p.newReplicas.includes(5)), 'broker 5 joining gets replicas')
  const { cluster: c3 } = await live([3])
  const removed = planBrokerChanges(c3, { adding: [], leaving: [3], allowLessSurvivable: false, optIn: '--allow-less-survivable' })
  assert.ok(removed.ok)
  const after = new Map(removed.proposals.map((p) => [p.partition, p.newReplicas]))
  assert.equal(onBroker([...Array(12).keys()].map((p) => after.get(p) ?? [[0, 1, 2], [3, 4, 2], [0, 4, 2], [3, 1, 2]][p % 4]!), 3), 0, 'a cordoned broker that leaves is drained')
})

test('the self-healer keeps a cordoned broker out even when the caller marks it excluded, and says what it held', async () => {
  // Partition 0 has broker 1 twice over zone b and nothing in zone c: its repair would keep broker 3.
  const { cluster } = await live([3], [[3, 1, 4], [0, 1, 2], [3, 4, 2], [0, 4, 5]])
  const model = cluster.model(new Map([[3, 'excluded']]))
  assert.equal(model.brokers.find((b) => b.id === 3)!.cordoned, true)
  const healed = planHeal(model, cluster.registered, new Map(), 0, { graceMs: 1000 })
  assert.ok(healed.ok)
  assert.deepEqual(healed.proposals, [])
  assert.match(healed.reasons.join('\n'), /^1 partition\(s\) left as they are: their new replicas would still name cordoned broker 3, .*\(e\.g\. t-0 \[3,1,4\] -> \[/m)
})

test('a migration that would keep a replica on a cordoned broker is refused, naming it and the fix', async () => {
  const { cluster } = await live([3])
  const outcome = planMigration(cluster.model(), { from: [4], to: [1], maxMovesPerStage: 10 })
  assert.ok(!outcome.ok)
  assert.match(outcome.problems[0]!, /partition\(s\) on --from brokers also keep a replica on cordoned broker 3 \(e\.g\. t-\d+ \[[\d,]+\]\), and Kafka refuses a reassignment naming a cordoned broker: uncordon broker 3 first, or add it to --from/)
})
