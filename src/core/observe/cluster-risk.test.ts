import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { ClusterSnapshot, PartitionState } from '../health/snapshot.ts'
import type { Topology } from '../topology/topology.ts'
import { clusterRisk, effectiveTopology } from './cluster-risk.ts'
import { buildSeries, type CollectedCluster } from './exporter-series.ts'
import { reassignmentProgress } from './reassignment-progress.ts'

const partition = (topic: string, p: number, replicas: number[], isr = replicas, minInsync = 2): PartitionState => ({ topic, partition: p, leader: isr[0] ?? -1, replicas, isr, minInsync, reassigning: false })

/** Six brokers, two per zone a, b, c (0,1 in a; 2,3 in b; 4,5 in c); three voters 0, 2, 4, all caught up. */
const topology: Topology = { dimensions: ['zone'], brokers: [0, 1, 2, 3, 4, 5].map((id) => ({ id, labels: { zone: 'abc'[Math.floor(id / 2)]! } })) }

function snapshot(partitions: PartitionState[], down: number[] = []): ClusterSnapshot {
  return {
    brokers: [0, 1, 2, 3, 4, 5].filter((id) => !down.includes(id)).map((id) => ({ id, host: '127.0.0.1', port: 9092 + id, rack: 'abc'[Math.floor(id / 2)] })),
    expectedBrokerIds: [0, 1, 2, 3, 4, 5],
    quorum: { leaderId: 0, leaderEpoch: 1, highWatermark: 10n, observers: [], voters: [0, 2, 4].map((id) => ({ id, logEndOffset: 10n, caughtUpAgoMs: 0 })) },
    partitions,
    takenAt: 0,
  }
}

test('a well-spread cluster in sync: every broker and zone may restart, every zone loss is survivable, every goal met', () => {
  const ps = [partition('orders', 0, [0, 2, 4]), partition('orders', 1, [3, 5, 1]), partition('audit', 0, [4, 1, 3])]
  const risk = clusterRisk(snapshot(ps), topology)
  assert.deepEqual(risk.brokers.map((b) => b.check.ok), [true, true, true, true, true, true])
  // A whole zone down takes one voter of three: the quorum keeps its majority; each partition keeps 2 of 3.
  assert.deepEqual(risk.domains.map((d) => [d.domain, d.check.ok]), [['a', true], ['b', true], ['c', true]])
  assert.deepEqual(risk.domainLoss.map((d) => [d.domain, d.partitions, d.unwritable, d.unreadable]), [['a', 3, 0, 0], ['b', 3, 0, 0], ['c', 3, 0, 0]])
  assert.deepEqual(risk.survivability, [{ dimension: 'zone', partitions: 3, writableAfterAnyDomainLoss: 3 }])
  assert.ok(risk.goals.find((g) => g.goal === 'even-spread-on-every-dimension')?.satisfied)
  assert.deepEqual(risk.spreadViolations, [])
})

test('an ISR at min blocks the restart of its members and names the topic; two replicas in one zone make that zone\'s loss unwritable and break the spread goal', () => {
  const ps = [
    partition('orders', 0, [0, 2, 4], [0, 2]), // broker 4 out of sync: 0 and 2 may not go
    partition('payments', 0, [0, 1, 2]), // two replicas in zone a
  ]
  const risk = clusterRisk(snapshot(ps), topology)
  const broker = (id: number) => risk.brokers.find((b) => b.id === id)!.check
  assert.equal(broker(0).ok, false)
  assert.deepEqual(broker(0).blockingPartitions, [{ topic: 'orders', partitions: 1 }])
  assert.equal(broker(4).ok, true, 'out of the ISR: its restart changes nothing')
  assert.equal(broker(1).ok, true)
  const zoneA = risk.domains.find((d) => d.domain === 'a')!.check
  assert.equal(zoneA.ok, false)
  assert.deepEqual(zoneA.blockingPartitions.map((b) => b.topic).sort(), ['orders', 'payments'])
  assert.equal(zoneA.quorumBlocks, false)
  assert.deepEqual(risk.domainLoss.find((d) => d.domain === 'a'), { dimension: 'zone', domain: 'a', partitions: 2, unwritable: 1, unreadable: 0 })
  assert.deepEqual(risk.survivability, [{ dimension: 'zone', partitions: 2, writableAfterAnyDomainLoss: 1 }])
  assert.equal(risk.goals.find((g) => g.goal === 'even-spread-on-every-dimension')?.satisfied, false)
  assert.deepEqual(risk.spreadViolations, [{ topic: 'payments', partitions: 1 }])
})

test('a zone holding two of three voters blocks by quorum; a down broker is excluded, not a violation; no domains without a topology or racks', () => {
  const quorumHeavy: Topology = { dimensions: ['zone'], brokers: [0, 1, 2, 3, 4, 5].map((id) => ({ id, labels: { zone: id === 4 ? 'a' : 'abc'[Math.floor(id / 2)]! } })) }
  const risk = clusterRisk(snapshot([partition('orders', 0, [0, 2, 5])]), quorumHeavy)
  const a = risk.domains.find((d) => d.domain === 'a')!.check
  assert.equal(a.quorumBlocks, true)
  assert.equal(a.ok, false)

  const down = clusterRisk(snapshot([partition('orders', 0, [0, 2, 4], [0, 2])], [4]), topology)
  assert.deepEqual(down.brokers.map((b) => b.id), [0, 1, 2, 3, 5], 'only live brokers are judged for a restart')
  assert.ok(down.goals.every((g) => g.satisfied), down.goals.map((g) => g.detail).join('; '))

  const racks = snapshot([partition('orders', 0, [0, 2, 4])])
  assert.deepEqual(effectiveTopology(racks, undefined)?.dimensions, ['rack'])
  const noRacks = { ...racks, brokers: racks.brokers.map((b) => ({ ...b, rack: undefined })) }
  assert.equal(effectiveTopology(noRacks, undefined), undefined)
  const bare = clusterRisk(noRacks, undefined)
  assert.equal(bare.brokers.length, 6)
  assert.deepEqual([bare.domains, bare.domainLoss, bare.goals], [[], [], []])
})

test('the risk series: restartable and what blocks, domain loss, goals, spread per topic, reassignments, log dir volumes', () => {
  const snap = snapshot([partition('orders', 0, [0, 2, 4], [0, 2]), partition('payments', 0, [0, 1, 2])])
  const c: CollectedCluster = {
    snapshot: snap,
    topology,
    offsets: new Map(),
    groups: [],
    lagSeconds: new Map(),
    partitionStatuses: new Map(),
    groupStatuses: new Map(),
    risk: clusterRisk(snap, topology),
    reassignments: { partitions: 2, bytesLeft: 300, rateBytesPerSecond: 100, etaSeconds: 3 },
    logDirs: [{ broker: 1, logDir: '/data/kafka', totalBytes: 1000, usableBytes: 250 }],
  }
  const families = new Map(buildSeries(c, 10_000).families.map((f) => [f.name, f.samples]))
  const one = (name: string, labels: Record<string, string> = {}) => families.get(name)?.find((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value
  assert.equal(one('kafkaplane_broker_restartable', { broker: '0' }), 0)
  assert.equal(one('kafkaplane_broker_restartable', { broker: '4' }), 1)
  assert.equal(one('kafkaplane_broker_restart_blocking_partitions', { broker: '0', topic: 'orders' }), 1)
  assert.equal(one('kafkaplane_broker_restart_blocked_by_quorum', { broker: '0' }), 0)
  assert.equal(one('kafkaplane_domain_restartable', { dimension: 'zone', domain: 'c' }), 1)
  assert.equal(one('kafkaplane_domain_restart_blocking_partitions', { dimension: 'zone', domain: 'a', topic: 'payments' }), 1)
  assert.equal(one('kafkaplane_domain_loss_unwritable_partitions', { dimension: 'zone', domain: 'a' }), 1)
  assert.equal(one('kafkaplane_domain_loss_survivable', { dimension: 'zone', domain: 'a' }), 0)
  assert.equal(one('kafkaplane_domain_loss_survivable', { dimension: 'zone', domain: 'b' }), 1)
  assert.equal(one('kafkaplane_dimension_partitions_writable_after_any_domain_loss', { dimension: 'zone' }), 1)
  assert.equal(one('kafkaplane_placement_goal_satisfied', { goal: 'even-spread-on-every-dimension', hard: 'true' }), 0)
  assert.equal(one('kafkaplane_placement_goal_satisfied', { goal: 'distinct-brokers', hard: 'true' }), 1)
  assert.equal(one('kafkaplane_topic_partitions_spread_violated', { topic: 'payments' }), 1)
  assert.equal(one('kafkaplane_topic_partitions_spread_violated', { topic: 'orders' }), 0)
  assert.equal(one('kafkaplane_reassigning_partitions'), 2)
  assert.equal(one('kafkaplane_reassignment_bytes_left'), 300)
  assert.equal(one('kafkaplane_reassignment_eta_seconds'), 3)
  assert.equal(one('kafkaplane_log_dir_total_bytes', { broker: '1', log_dir: '/data/kafka' }), 1000)
  assert.equal(one('kafkaplane_log_dir_usable_bytes', { broker: '1', log_dir: '/data/kafka' }), 250)
})

test('reassignment progress: bytes the adding replicas lack, the rate they went down at, the ETA', () => {
  const sizes = new Map([
    ['orders\u00000', new Map([[0, 1000], [1, 1000], [5, 400]])],
    ['orders\u00001', new Map([[2, 500], [3, 500]])],
  ])
  const inFlight = [{ topic: 'orders', partition: 0, adding: [5] }, { topic: 'orders', partition: 1, adding: [4] }]
  const first = reassignmentProgress(inFlight, sizes, [], 10_000)
  assert.deepEqual(first, { partitions: 2, bytesLeft: 600 + 500, rateBytesPerSecond: undefined, etaSeconds: undefined, sample: { at: 10_000, bytesLeft: 1100 } })
  sizes.get('orders\u00000')!.set(5, 900)
  const second = reassignmentProgress(inFlight, sizes, [first.sample!], 15_000)
  assert.equal(second.bytesLeft, 600)
  assert.equal(second.rateBytesPerSecond, 100)
  assert.equal(second.etaSeconds, 6)
  // Stalled: no decrease, rate 0 and no ETA; sizes unknown: no bytes, no sample.
  const stalled = reassignmentProgress(inFlight, sizes, [second.sample!], 20_000)
  assert.deepEqual([stalled.rateBytesPerSecond, stalled.etaSeconds], [0, undefined])
  assert.deepEqual(reassignmentProgress(inFlight, undefined, [], 0), { partitions: 2, bytesLeft: undefined, rateBytesPerSecond: undefined, etaSeconds: undefined, sample: undefined })
  assert.equal(reassignmentProgress([], new Map(), [], 0).bytesLeft, 0)
})
