import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { ClusterSnapshot, PartitionState } from '../health/snapshot.ts'
import { groupPartitionKey, partitionKey, type CollectedCluster } from './exporter-series.ts'
import { buildLiveView, moveProgress } from './live-view.ts'

const partition = (topic: string, p: number, leader: number, replicas: number[], isr: number[], extra: Partial<PartitionState> = {}): PartitionState => ({
  topic,
  partition: p,
  leader,
  replicas,
  isr,
  minInsync: 2,
  reassigning: false,
  ...extra,
})

/**
 * Six brokers over 2 Kubernetes clusters x 3 zones (0: k8s-1/a, 1: k8s-2/b, 2: k8s-1/c, 3: k8s-2/a,
 * 4: k8s-1/b, 5: k8s-2/c); broker 4 is down, broker 5 fenced; controllers 0, 1, 2 (1 active).
 */
function collected(partitions: PartitionState[], extra: Partial<CollectedCluster> = {}): CollectedCluster {
  const cells = [['k8s-1', 'a'], ['k8s-2', 'b'], ['k8s-1', 'c'], ['k8s-2', 'a'], ['k8s-1', 'b'], ['k8s-2', 'c']] as const
  const snapshot: ClusterSnapshot = {
    brokers: [0, 1, 2, 3].map((id) => ({ id, host: '127.0.0.1', port: 9092 + id, rack: cells[id]![1] })),
    fencedBrokers: [{ id: 5, host: '127.0.0.1', port: 9097, rack: 'c' }],
    expectedBrokerIds: [0, 1, 2, 3, 4, 5],
    quorum: {
      leaderId: 1,
      leaderEpoch: 3,
      highWatermark: 100n,
      describedAt: 0,
      voters: [0, 1, 2].map((id) => ({ id, logEndOffset: 100n, caughtUpAgoMs: 0 })),
      observers: [3, 5].map((id) => ({ id, logEndOffset: 100n, caughtUpAgoMs: 200 })),
    },
    partitions,
    takenAt: 1_000,
  }
  return {
    snapshot,
    topology: { dimensions: ['cluster', 'zone'], brokers: cells.map(([cluster, zone], id) => ({ id, labels: { cluster, zone } })) },
    offsets: new Map(),
    groups: [],
    lagSeconds: new Map(),
    partitionStatuses: new Map(),
    groupStatuses: new Map(),
    ...extra,
  }
}

test('brokers are laid out by Kubernetes cluster x zone, each with its state, roles, leaders, replicas and disk', () => {
  const view = buildLiveView(
    collected([partition('orders', 0, 0, [0, 1, 2], [0, 1, 2]), partition('orders', 1, 1, [1, 2, 4], [1, 2]), partition('orders', 2, 3, [3, 0, 4], [3, 0])]),
    { disks: [{ broker: 0, replicaBytes: 100, totalBytes: 1000, usableBytes: 600 }, { broker: 0, replicaBytes: 50, totalBytes: 1000, usableBytes: 400 }] },
  )
  assert.equal(view.layout.rowDimension, 'cluster')
  assert.equal(view.layout.columnDimension, 'zone')
  assert.deepEqual(view.layout.rows, ['k8s-1', 'k8s-2'])
  assert.deepEqual(view.layout.columns, ['a', 'b', 'c'])
  assert.deepEqual(
    view.layout.cells.map((c) => `${c.row}/${c.column}:${c.brokers.join(',')}`),
    ['k8s-1/a:0', 'k8s-1/b:4', 'k8s-1/c:2', 'k8s-2/a:3', 'k8s-2/b:1', 'k8s-2/c:5'],
  )
  const byId = new Map(view.brokers.map((b) => [b.id, b]))
  assert.deepEqual([...byId.values()].map((b) => b.state), ['up', 'up', 'up', 'up', 'down', 'fenced'])
  assert.deepEqual(byId.get(1)!.roles, ['controller', 'active controller'])
  assert.deepEqual(byId.get(3)!.roles, [])
  assert.deepEqual([byId.get(0)!.leaders, byId.get(0)!.replicas, byId.get(0)!.outOfSync], [1, 2, 0])
  assert.deepEqual([byId.get(4)!.leaders, byId.get(4)!.replicas, byId.get(4)!.outOfSync], [0, 2, 2])
  assert.deepEqual(byId.get(0)!.disk, { replicaBytes: 150, totalBytes: 2000, usableBytes: 1000 })
  assert.equal(byId.get(1)!.disk, undefined)
  assert.deepEqual(byId.get(4)!.labels, { cluster: 'k8s-1', zone: 'b' })
  assert.deepEqual(view.quorum, { leaderId: 1, voters: [0, 1, 2] })
})

test('a fenced broker that no longer follows the metadata log is down (stopped); one that follows it is fenced (starting)', () => {
  const c = collected([])
  const q = c.snapshot.quorum!
  const fenced = [{ id: 0, host: '127.0.0.1', port: 9092, rack: 'a' }, { id: 5, host: '127.0.0.1', port: 9097, rack: 'c' }]
  const snapshot: ClusterSnapshot = {
    ...c.snapshot,
    brokers: c.snapshot.brokers.filter((b) => b.id !== 0),
    fencedBrokers: fenced,
    // Voter 0 last caught up 30 s ago (its JVM stopped); observer 5 a moment ago.
    quorum: { ...q, voters: q.voters.map((v) => (v.id === 0 ? { ...v, caughtUpAgoMs: 30_000 } : v)) },
  }
  assert.deepEqual(buildLiveView({ ...c, snapshot }).brokers.map((b) => `${b.id}:${b.state}`), ['0:down', '1:up', '2:up', '3:up', '4:down', '5:fenced'])
  const gone = { ...snapshot, quorum: { ...snapshot.quorum!, observers: [] } }
  assert.equal(buildLiveView({ ...c, snapshot: gone }).brokers.find((b) => b.id === 5)!.state, 'down', 'a fenced broker the quorum does not know')
  const unknown = { ...snapshot, quorum: undefined }
  assert.deepEqual(buildLiveView({ ...c, snapshot: unknown }).brokers.filter((b) => b.state === 'fenced').map((b) => b.id), [0, 5], 'with the quorum unknown, fenced stays fenced')
})

test('what may restart now: yes, or the partitions and quorum that block it', () => {
  const view = buildLiveView(collected([partition('orders', 0, 1, [1, 2, 4], [1, 2]), partition('orders', 1, 0, [0, 3, 2], [0, 3, 2])]))
  const restart = new Map(view.brokers.map((b) => [b.id, b.restart]))
  assert.equal(restart.get(0)!.ok, true)
  assert.equal(restart.get(1)!.ok, false)
  assert.match(restart.get(1)!.blockers.join(), /1 partition of orders would drop below min.insync.replicas 2 without broker 1 \(e.g. orders-0: ISR 1,2 -> 1 replica\)/)
  assert.equal(restart.get(4)!.ok, true, 'a broker out of every ISR changes nothing')
})

test('partition health counts, under-replicated in all, and the worst partitions named, offline first', () => {
  const view = buildLiveView(
    collected([
      partition('orders', 0, 0, [0, 1, 2], [0, 1, 2]),
      partition('orders', 1, 1, [1, 2, 4], [1, 2]),
      partition('orders', 2, 1, [1, 4, 5], [1]),
      partition('audit', 0, -1, [4, 5, 0], []),
      partition('audit', 1, 0, [0, 1, 2, 3], [0, 1, 2]),
    ]),
    { worstPartitions: 3 },
  )
  assert.equal(view.partitions.total, 5)
  assert.deepEqual(view.partitions.counts, { offline: 1, 'under-min-isr': 1, 'at-min-isr': 1, 'under-replicated': 1, healthy: 1 })
  assert.equal(view.partitions.underReplicated, 4)
  assert.deepEqual(view.partitions.worst.map((p) => `${p.topic}-${p.partition} ${p.health}`), ['audit-0 offline', 'orders-2 under-min-isr', 'orders-1 at-min-isr'])
  assert.equal(view.verdict.status, 'unhealthy')
  assert.ok(view.verdict.reasons.some((r) => /1 partition of audit offline/.test(r)), view.verdict.reasons.join('\n'))
})

test('survivability: each domain loss on the current ISRs, with the quorum', () => {
  const view = buildLiveView(
    collected([
      // Spread over both clusters and three zones: survives any one domain.
      partition('orders', 0, 0, [0, 1, 2], [0, 1, 2]),
      // Two replicas in k8s-1 (0 and 2), in sync only there: k8s-1 lost -> offline.
      partition('payments', 0, 0, [0, 2, 3], [0, 2]),
    ]),
  )
  const loss = new Map(view.survivability.map((d) => [`${d.dimension}=${d.domain}`, d]))
  assert.deepEqual([...loss.keys()], ['cluster=k8s-1', 'cluster=k8s-2', 'zone=a', 'zone=b', 'zone=c'])
  const k8s1 = loss.get('cluster=k8s-1')!
  assert.deepEqual(k8s1.brokers, [0, 2, 4])
  assert.equal(k8s1.offline, 1)
  assert.equal(k8s1.unwritable, 2)
  assert.equal(k8s1.quorumKept, false, 'voters 0 and 2 of 0, 1, 2 are in k8s-1')
  assert.equal(k8s1.survives, false)
  assert.match(k8s1.losses.join('; '), /controller quorum \(1 caught-up voter of 3 left; a majority needs 2\).*1 partition offline \(e.g. payments-0\).*acks=all writes to 1 partition \(e.g. orders-0: ISR 0,1,2/)
  const k8s2 = loss.get('cluster=k8s-2')!
  assert.deepEqual([k8s2.offline, k8s2.unwritable, k8s2.quorumKept, k8s2.survives, k8s2.losses], [0, 0, true, true, []])
  const zoneA = loss.get('zone=a')!
  assert.deepEqual([zoneA.brokers, zoneA.offline, zoneA.unwritable, zoneA.quorumKept, zoneA.survives], [[0, 3], 0, 1, true, false])
  assert.match(zoneA.losses.join(), /acks=all writes to 1 partition \(e.g. payments-0: ISR 0,2, min.insync.replicas 2\)/)
  assert.equal(loss.get('zone=b')!.survives, true)
})

test('survivability with the quorum unknown says so (undefined), and a lost domain of down brokers changes nothing', () => {
  const c = collected([partition('orders', 0, 0, [0, 1, 4], [0, 1])])
  const view = buildLiveView({ ...c, snapshot: { ...c.snapshot, quorum: undefined } })
  const zoneB = view.survivability.find((d) => d.dimension === 'zone' && d.domain === 'b')!
  assert.equal(zoneB.quorumKept, undefined)
  assert.equal(zoneB.unwritable, 1, 'broker 1 is in zone b and in the ISR')
  const zoneC = view.survivability.find((d) => d.dimension === 'zone' && d.domain === 'c')!
  assert.deepEqual([zoneC.unwritable, zoneC.survives], [0, true])
  assert.equal(view.quorum, undefined)
})

test('without a recorded topology the brokers are one row by broker.rack; a broker without a rack is "(none)", last', () => {
  const c = collected([partition('orders', 0, 0, [0, 1, 2], [0, 1, 2])])
  const snapshot: ClusterSnapshot = { ...c.snapshot, brokers: [...c.snapshot.brokers, { id: 6, host: '127.0.0.1', port: 9099, rack: undefined }] }
  const view = buildLiveView({ ...c, snapshot, topology: undefined })
  assert.equal(view.layout.rowDimension, undefined)
  assert.equal(view.layout.columnDimension, 'rack')
  assert.deepEqual(view.layout.rows, [''])
  assert.deepEqual(view.layout.columns, ['a', 'b', 'c', '(none)'])
  assert.deepEqual(view.layout.cells.map((x) => `${x.row}/${x.column}:${x.brokers.join(',')}`), ['/a:0,3', '/b:1', '/c:2,5', '/(none):4,6'])
})

test('the layout dimensions can be chosen; an unknown one is a notice and the default layout stays', () => {
  const c = collected([])
  const swapped = buildLiveView(c, { layout: ['zone', 'cluster'] })
  assert.deepEqual([swapped.layout.rowDimension, swapped.layout.columnDimension, swapped.layout.rows, swapped.notices], ['zone', 'cluster', ['a', 'b', 'c'], []])
  const one = buildLiveView(c, { layout: ['zone'] })
  assert.deepEqual([one.layout.rowDimension, one.layout.columnDimension, one.layout.rows, one.layout.columns], [undefined, 'zone', [''], ['a', 'b', 'c']])
  const unknown = buildLiveView(c, { layout: ['region', 'zone'] })
  assert.deepEqual([unknown.layout.rowDimension, unknown.layout.columnDimension], ['cluster', 'zone'])
  assert.deepEqual(unknown.notices, ['layout dimension region not in the topology (its dimensions: cluster, zone); shown by cluster x zone'])
})

test('data moves: the partitions being reassigned, from the snapshot alone or with what they add and their bytes', () => {
  const c = collected([partition('orders', 0, 0, [0, 1, 2, 3], [0, 1, 2], { reassigning: true }), partition('orders', 1, 1, [1, 2, 0], [1, 2, 0])])
  const bare = buildLiveView(c)
  assert.deepEqual(bare.moves, {
    partitions: [{ topic: 'orders', partition: 0, replicas: [0, 1, 2, 3], adding: [], removing: [], copiedBytes: undefined, totalBytes: undefined }],
    copiedBytes: 0,
    totalBytes: 0,
    bytesPerSecond: undefined,
    etaSeconds: undefined,
  })
  const sizes = (onThree: number) => [
    { topic: 'orders', partition: 0, broker: 0, bytes: 1000 },
    { topic: 'orders', partition: 0, broker: 1, bytes: 990 },
    { topic: 'orders', partition: 0, broker: 2, bytes: 1000 },
    { topic: 'orders', partition: 0, broker: 3, bytes: onThree },
  ]
  const moves = [{ topic: 'orders', partition: 0, replicas: [0, 1, 2, 3], adding: [3], removing: [2] }]
  const first = buildLiveView(c, { moves, replicaBytes: sizes(200) })
  assert.deepEqual([first.moves.partitions[0]!.copiedBytes, first.moves.partitions[0]!.totalBytes, first.moves.copiedBytes, first.moves.totalBytes], [200, 1000, 200, 1000])
  assert.equal(first.moves.etaSeconds, undefined, 'no rate without a view before')
  // Two seconds later, 400 bytes more: 200 B/s, 2 s left.
  const later = { ...c, snapshot: { ...c.snapshot, takenAt: c.snapshot.takenAt + 2000 } }
  const second = buildLiveView(later, { moves, replicaBytes: sizes(600), previous: first })
  assert.deepEqual([second.moves.copiedBytes, second.moves.bytesPerSecond, second.moves.etaSeconds], [600, 200, 2])
})

test('move progress: an adding replica counts up to the largest other replica; a partition unknown before adds no rate', () => {
  const moves = [
    { topic: 't', partition: 0, replicas: [0, 1, 2], adding: [1, 2], removing: [] },
    { topic: 't', partition: 1, replicas: [0, 1], adding: [1], removing: [] },
  ]
  const bytes = [
    { topic: 't', partition: 0, broker: 0, bytes: 500 },
    { topic: 't', partition: 0, broker: 1, bytes: 900 }, // more than the source (a segment rolled): counts as full
    { topic: 't', partition: 0, broker: 2, bytes: 100 },
  ]
  const progress = moveProgress(moves, bytes, 10_000, { collectedAt: 9_000, moves: { partitions: [], copiedBytes: 0, totalBytes: 0, bytesPerSecond: undefined, etaSeconds: undefined } })
  assert.deepEqual(progress.partitions.map((p) => [p.copiedBytes, p.totalBytes]), [[600, 1000], [undefined, undefined]])
  assert.deepEqual([progress.copiedBytes, progress.totalBytes, progress.bytesPerSecond, progress.etaSeconds], [600, 1000, undefined, undefined])
})

test('consumer groups: members, status, offset lag summed and the largest lag in seconds', () => {
  const view = buildLiveView(
    collected([partition('orders', 0, 0, [0, 1, 2], [0, 1, 2]), partition('orders', 1, 1, [1, 2, 0], [1, 2, 0])], {
      offsets: new Map([
        [partitionKey('orders', 0), { oldest: 0, newest: 100 }],
        [partitionKey('orders', 1), { oldest: 0, newest: undefined }],
      ]),
      groups: [
        { id: 'payments', members: 2, committed: [{ topic: 'orders', partition: 0, offset: 60 }, { topic: 'orders', partition: 1, offset: 10 }] },
        { id: 'audit', members: undefined, committed: [] },
      ],
      lagSeconds: new Map([[groupPartitionKey('payments', 'orders', 0), 12.5]]),
      groupStatuses: new Map([['payments', 'WARN']]),
    }),
  )
  assert.deepEqual(view.groups, [
    { id: 'audit', members: undefined, status: undefined, topics: [], offsetLag: 0, lagSeconds: undefined },
    { id: 'payments', members: 2, status: 'WARN', topics: ['orders'], offsetLag: 40, lagSeconds: 12.5 },
  ])
})
