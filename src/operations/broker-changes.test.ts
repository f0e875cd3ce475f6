import assert from 'node:assert/strict'
import { test } from 'node:test'
import { modelFromTopology, type BrokerState } from '../core/placement/model.ts'
import type { Topology } from '../core/topology/topology.ts'
import { planBrokerChanges, type BrokerChanges } from './broker-changes.ts'
import type { LiveCluster } from './live-cluster.ts'

/** Brokers 0-5 over zones a, b, c (two each), all registered; `extra` registered besides; a topic at RF 3 over the three zones. */
function live(extra: number[] = [], partitions = [[0, 1, 2], [3, 4, 5], [0, 4, 2], [3, 1, 5]]): LiveCluster {
  const zones = ['a', 'b', 'c']
  const topology: Topology = { dimensions: ['zone'], brokers: [0, 1, 2, 3, 4, 5, ...extra].map((id) => ({ id, labels: { zone: zones[id % 3]! } })) }
  const assignment = partitions.map((replicas, partition) => ({ topic: 't', partition, replicas }))
  return {
    clusterId: 'c',
    topology,
    snapshot: { brokers: [], expectedBrokerIds: [], quorum: undefined, partitions: assignment.map((a) => ({ ...a, leader: a.replicas[0]!, isr: a.replicas, minInsync: 2, reassigning: false })), takenAt: 0 },
    registered: new Set(topology.brokers.map((b) => b.id)),
    cordoned: new Set(),
    sizes: new Map(),
    model: (states: ReadonlyMap<number, BrokerState> = new Map()) =>
      modelFromTopology({ dimensions: topology.dimensions, brokers: topology.brokers.map((b) => ({ ...b, state: states.get(b.id) ?? 'active' })) }, assignment, () => 2),
  }
}
const changes = (c: Partial<BrokerChanges>): BrokerChanges => ({ adding: [], leaving: [], allowLessSurvivable: false, optIn: 'pass --allow-less-survivable', ...c })

test('joining brokers get a share, leaving brokers are drained, in one plan', () => {
  const partitions = Array.from({ length: 12 }, (_, p) => [[0, 1, 2], [3, 4, 5], [0, 4, 2], [3, 1, 5]][p % 4]!)
  const plan = planBrokerChanges(live([6, 7, 8], partitions), changes({ adding: [6, 7, 8], leaving: [5] }))
  assert.ok(plan.ok)
  const replicas = partitions.map((r, p) => plan.proposals.find((x) => x.partition === p)?.newReplicas ?? r)
  const on = (id: number) => replicas.filter((r) => r.includes(id)).length
  assert.equal(on(5), 0, 'broker 5 keeps nothing')
  // Each zone holds 12 replicas: 4 a broker in zones a (0, 3, 6) and b (1, 4, 7), 6 in zone c (2, 8).
  assert.deepEqual([on(6), on(7), on(8)], [4, 4, 6], 'the new brokers get a fair share')
})

test('refusals, in order, each naming why and the fix', () => {
  const refusal = (l: LiveCluster, c: Partial<BrokerChanges>) => {
    const plan = planBrokerChanges(l, changes(c))
    assert.ok(!plan.ok)
    return plan.refusal
  }
  assert.equal(refusal(live(), { leaving: [9] }).reason, 'UnknownBroker')
  const notRegistered = live([6])
  notRegistered.registered.delete(6)
  assert.match(refusal(notRegistered, { adding: [6] }).message, /broker 6 is not registered and unfenced/)
  const rf = refusal(live(), { leaving: [0, 1, 2, 3] })
  assert.deepEqual([rf.reason, rf.message], ['BelowReplicationFactor', 'removing broker 0, 1, 2, 3 leaves 2 brokers, fewer than the replication factor 3 of some topics'])
  const zoneC = refusal(live(), { leaving: [2, 5] })
  assert.equal(zoneC.reason, 'LessSurvivable')
  assert.match(zoneC.message, /removing broker 2, 5: 4 of the 4 partitions that stay writable when one zone is lost would not any more \(zone c would keep no broker\)/)
  assert.equal(zoneC.fix, 'add brokers to those domains first, or pass --allow-less-survivable to remove them anyway')
  const allowed = planBrokerChanges(live(), changes({ leaving: [2, 5], allowLessSurvivable: true }))
  assert.ok(allowed.ok && allowed.lessSurvivable.length === 1, 'allowed: what is lost is said')
})
