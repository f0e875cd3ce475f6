import assert from 'node:assert/strict'
import { test } from 'node:test'
import { liveTopology } from './live-topology.ts'
import { knownTopology, mergeRecorded, parseRecord, recordChanges, recordNames, RECORD_PREFIX } from './recorded-topology.ts'
import type { Topology } from './topology.ts'

const WISE: Topology = {
  dimensions: ['cluster', 'zone'],
  brokers: [
    { id: 1, labels: { cluster: 'k8s-2', zone: 'b' } },
    { id: 0, labels: { cluster: 'k8s-1', zone: 'a' } },
  ],
}

test('a topology round-trips through the record names, dimensions in priority order', () => {
  const names = recordNames(WISE)
  assert.deepEqual(names, ['kafkaplane.topology/dimensions=cluster,zone', 'kafkaplane.topology/broker=0/cluster=k8s-1,zone=a', 'kafkaplane.topology/broker=1/cluster=k8s-2,zone=b'])
  const back = parseRecord([...names].reverse())
  assert.deepEqual(back.problems, [])
  assert.deepEqual(back.topology, { dimensions: ['cluster', 'zone'], brokers: [...WISE.brokers].sort((a, b) => a.id - b.id) })
})

test('labels with separators survive; other entities are ignored; nothing recorded is undefined', () => {
  const odd: Topology = { dimensions: ['region/dc', 'rack'], brokers: [{ id: 7, labels: { 'region/dc': 'eu=1,west', rack: 'r/2' } }] }
  assert.deepEqual(parseRecord(['payments-client', ...recordNames(odd)]).topology, odd)
  assert.deepEqual(parseRecord(['payments-client']), { topology: undefined, problems: [] })
})

test('broken or contradicting records are problems, not guesses', () => {
  const found = parseRecord([
    `${RECORD_PREFIX}dimensions=cluster,zone`,
    `${RECORD_PREFIX}broker=0/cluster=k8s-1`,
    `${RECORD_PREFIX}broker=1/cluster=k8s-1,zone=a`,
    `${RECORD_PREFIX}broker=1/cluster=k8s-2,zone=a`,
    `${RECORD_PREFIX}brokers=x`,
  ])
  assert.deepEqual(found.problems, ['broker 1 has two records', `cannot read the record "${RECORD_PREFIX}brokers=x"`, 'the record of broker 0 lacks zone'])
})

test('recordChanges adds what is missing and removes old labels and brokers that left', () => {
  const recorded = [...recordNames(WISE), `${RECORD_PREFIX}broker=5/cluster=k8s-1,zone=c`, 'someone-else']
  const moved: Topology = { dimensions: WISE.dimensions, brokers: [{ id: 0, labels: { cluster: 'k8s-1', zone: 'c' } }, WISE.brokers[0]!] }
  assert.deepEqual(recordChanges(recorded, moved), {
    add: [`${RECORD_PREFIX}broker=0/cluster=k8s-1,zone=c`],
    remove: [`${RECORD_PREFIX}broker=0/cluster=k8s-1,zone=a`, `${RECORD_PREFIX}broker=5/cluster=k8s-1,zone=c`],
  })
  assert.deepEqual(recordChanges(recordNames(WISE), WISE), { add: [], remove: [] })
})

test('mergeRecorded adds joining brokers and refuses other dimensions', () => {
  const joined = mergeRecorded(WISE, { dimensions: WISE.dimensions, brokers: [{ id: 6, labels: { cluster: 'k8s-1', zone: 'b' } }] })
  assert.ok('topology' in joined)
  assert.deepEqual(joined.topology.brokers.map((b) => b.id), [0, 1, 6])
  const other = mergeRecorded(WISE, { dimensions: ['zone'], brokers: [{ id: 6, labels: { zone: 'b' } }] })
  assert.ok('problem' in other && /records dimensions cluster,zone/.test(other.problem))
  assert.deepEqual(mergeRecorded(undefined, WISE), { topology: WISE })
})

test('liveTopology: the file overrides, then the record (unrecorded brokers are problems), then broker.rack', () => {
  const live = [{ id: 0, rack: 'a' }, { id: 1, rack: 'b' }]
  assert.equal(liveTopology(live, WISE, undefined).source, 'file')
  const recorded = { ...WISE, brokers: [...WISE.brokers, { id: 4, labels: { cluster: 'k8s-1', zone: 'b' } }, { id: 9, labels: { cluster: 'k8s-2', zone: 'c' } }] }
  const fromRecord = liveTopology(live, undefined, recorded, [4])
  assert.equal(fromRecord.source, 'recorded')
  assert.deepEqual(fromRecord.problems, [])
  // Broker 4 (dead, still named by replicas) keeps its labels; broker 9 (gone for good) is ignored.
  assert.deepEqual(fromRecord.topology.brokers.map((b) => b.id).sort(), [0, 1, 4])
  const unrecorded = liveTopology([...live, { id: 2, rack: 'c' }], undefined, recorded)
  assert.match(unrecorded.problems[0]!, /broker 2 is registered but kafkaplane recorded no failure domains/)
  assert.deepEqual(liveTopology(live, undefined, undefined).topology.dimensions, ['rack'])
})

test('knownTopology: recorded brokers as recorded, planned ones not recorded yet added, the plan alone when the dimensions differ', () => {
  const planned: Topology = { dimensions: ['cluster', 'zone'], brokers: [{ id: 0, labels: { cluster: 'k8s-1', zone: 'a' } }, { id: 1, labels: { cluster: 'k8s-1', zone: 'b' } }, { id: 2, labels: { cluster: 'k8s-2', zone: 'a' } }] }
  // Broker 1's pod landed in zone c; broker 2 joins and is not recorded yet; broker 9 leaves, recorded until unregistered.
  const recorded: Topology = { dimensions: ['cluster', 'zone'], brokers: [{ id: 0, labels: { cluster: 'k8s-1', zone: 'a' } }, { id: 1, labels: { cluster: 'k8s-1', zone: 'c' } }, { id: 9, labels: { cluster: 'k8s-2', zone: 'b' } }] }
  assert.deepEqual(knownTopology(planned, recorded), {
    dimensions: ['cluster', 'zone'],
    brokers: [{ id: 0, labels: { cluster: 'k8s-1', zone: 'a' } }, { id: 1, labels: { cluster: 'k8s-1', zone: 'c' } }, { id: 2, labels: { cluster: 'k8s-2', zone: 'a' } }, { id: 9, labels: { cluster: 'k8s-2', zone: 'b' } }],
  })
  assert.deepEqual(knownTopology(planned, undefined), planned)
  assert.deepEqual(knownTopology(planned, { dimensions: ['zone'], brokers: [{ id: 0, labels: { zone: 'x' } }] }), planned)
})
