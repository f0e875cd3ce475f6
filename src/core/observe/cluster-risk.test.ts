import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { ClusterSnapshot, PartitionState } from '../health/snapshot.ts'
import type { Topology } from '../topology/topology.ts'
import { clusterRisk, effectiveTopology } from './cluster-risk.ts'
import { buildSeries, type CollectedCluster } from './exporter-series.ts'
import { moveProgress } from './live-view.ts'

const partition = (topic: string, p: number, replicas: number[], isr = replicas, minInsync = 2): PartitionState => ({ topic, partition: p, leader: isr[0] ?? -1, replicas, isr, minInsync, reassigning: false })

/** Six brokers, two per zone a, b, c (0,1 in a; 2,3 in b; 4,5 in c); three voters 0, 2, 4, all caught up. */
const topology: Topology = { dimensions: ['zone'], brokers: [0, 1, 2, 3, 4, 5].map((id) => ({ id, labels: { zone: 'abc'[Math.floor(id / 2)]! } })) }

function snapshot(partitions: PartitionState[], down: number[] = []): ClusterSnapshot {
  return {
    brokers: [0, 1, 2, 3, 4, 5].filter((id) => !down.includes(id)).map((id) => ({ id, host: '127.0.0.1', port: 9092 + id, rack: 'abc'[Math.floor(id / 2)] })),
    expectedBrokerIds: [0, 1, 2, 3, 4, 5],
    quorum: { leaderId: 0, leaderEpoch: 1, highWatermark: 10n, describedAt: 0, observers: [], voters: [0, 2, 4].map((id) => ({ id, logEndOffset: 10n, caughtUpAgoMs: 0 })) },
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
    reassignments: { inFlight: 2, progress: { partitions: [], copiedBytes: 700, totalBytes: 1000, bytesPerSecond: 100, etaSeconds: 3 } },
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

test('reassignments: bytes left, rate and ETA from moveProgress between two collections; none in flight is 0 bytes left; sizes unread, only the count', () => {
  const moves = [{ topic: 'orders', partition: 0, replicas: [0, 1, 5], adding: [5], removing: [] }]
  const sizes = (copied: number) => [
    { topic: 'orders', partition: 0, broker: 0, bytes: 1000 },
    { topic: 'orders', partition: 0, broker: 1, bytes: 1000 },
    { topic: 'orders', partition: 0, broker: 5, bytes: copied },
  ]
  const first = moveProgress(moves, sizes(400), 10_000)
  const second = moveProgress(moves, sizes(900), 15_000, { collectedAt: 10_000, moves: first })
  const series = (reassignments: CollectedCluster['reassignments']) => {
    const families = buildSeries({ snapshot: snapshot([]), topology: undefined, offsets: new Map(), groups: [], lagSeconds: new Map(), partitionStatuses: new Map(), groupStatuses: new Map(), reassignments }, 10_000).families
    return Object.fromEntries(families.filter((f) => f.name.startsWith('kafkaplane_reassign')).map((f) => [f.name, f.samples.map((s) => s.value)]))
  }
  assert.deepEqual(series({ inFlight: 1, progress: second }), {
    kafkaplane_reassigning_partitions: [1],
    kafkaplane_reassignment_bytes_left: [100],
    kafkaplane_reassignment_rate_bytes_per_second: [100],
    kafkaplane_reassignment_eta_seconds: [1],
  })
  assert.deepEqual(series({ inFlight: 1, progress: first }).kafkaplane_reassignment_rate_bytes_per_second, [], 'no rate from one collection')
  assert.deepEqual(series({ inFlight: 0, progress: moveProgress([], [], 20_000, { collectedAt: 15_000, moves: second }) }), {
    kafkaplane_reassigning_partitions: [0],
    kafkaplane_reassignment_bytes_left: [0],
    kafkaplane_reassignment_rate_bytes_per_second: [],
    kafkaplane_reassignment_eta_seconds: [],
  })
  assert.deepEqual(series({ inFlight: 3, progress: undefined }).kafkaplane_reassigning_partitions, [3])
  assert.deepEqual(series({ inFlight: 3, progress: undefined }).kafkaplane_reassignment_bytes_left, [])
})

test("kafkaplane_broker_state: up, fenced while it follows the metadata log (starting), down when gone or fenced and not following it (stopped)", () => {
  const base = snapshot([], [4, 5])
  const snap: ClusterSnapshot = {
    ...base,
    fencedBrokers: [4, 5].map((id) => ({ id, host: '127.0.0.1', port: 9092 + id, rack: 'c' })),
    // Voter 4 last caught up a minute ago (stopped); observer 5 half a second ago (starting).
    quorum: { ...base.quorum!, voters: base.quorum!.voters.map((v) => (v.id === 4 ? { ...v, caughtUpAgoMs: 60_000 } : v)), observers: [{ id: 5, logEndOffset: 10n, caughtUpAgoMs: 500 }] },
    expectedBrokerIds: [0, 1, 2, 3, 4, 5, 6],
  }
  const families = buildSeries({ snapshot: snap, topology: undefined, offsets: new Map(), groups: [], lagSeconds: new Map(), partitionStatuses: new Map(), groupStatuses: new Map() }, 10_000).families
  const samples = families.find((f) => f.name === 'kafkaplane_broker_state')!.samples
  const current = Object.fromEntries(samples.filter((s) => s.value === 1).map((s) => [s.labels.broker, s.labels.state]))
  assert.deepEqual(current, { '0': 'up', '1': 'up', '2': 'up', '3': 'up', '4': 'down', '5': 'fenced', '6': 'down' })
  assert.equal(samples.length, 7 * 3, 'each broker has a 0 or 1 for every state')
})
