import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { KafkaClusterSpec } from '../crds/kafka-cluster.ts'
import { controllerRefusal, holdShrinks, leavingBrokers, mayRemovePods, renderedCounts, scaleChange, shrinking, withCounts, type ScaleStatus } from './scale.ts'

/** Two Kubernetes clusters: k8s-1 holds ids 0.., k8s-2 ids 10... */
function spec(k8s1: number, k8s2: number): KafkaClusterSpec {
  return {
    topology: {
      controllers: 3,
      clusters: [
        { name: 'k8s-1', zones: ['a', 'b', 'c'], brokerIds: { first: 0, count: k8s1 } },
        { name: 'k8s-2', zones: ['a', 'b', 'c'], brokerIds: { first: 10, count: k8s2 } },
      ],
    },
  } as KafkaClusterSpec
}
const sets = (k8s1: number | undefined, k8s2: number | undefined) => new Map([['k8s-1', k8s1], ['k8s-2', k8s2]])

function status(phase: ScaleStatus['phase'], from: [number, number], to: [number, number]): ScaleStatus {
  return {
    scaleId: 's1',
    generation: 2,
    startedAt: '2026-12-01T00:00:00Z',
    from: [{ cluster: 'k8s-1', brokers: from[0] }, { cluster: 'k8s-2', brokers: from[1] }],
    to: [{ cluster: 'k8s-1', brokers: to[0] }, { cluster: 'k8s-2', brokers: to[1] }],
    adding: [],
    removing: [],
    phase,
    message: '',
  }
}

test('who joins and who leaves: the new highest ordinals join, the highest ordinals leave', () => {
  assert.deepEqual(scaleChange(spec(4, 4), sets(3, 3)), {
    from: [{ cluster: 'k8s-1', brokers: 3 }, { cluster: 'k8s-2', brokers: 3 }],
    to: [{ cluster: 'k8s-1', brokers: 4 }, { cluster: 'k8s-2', brokers: 4 }],
    adding: [3, 13],
    removing: [],
  })
  assert.deepEqual(scaleChange(spec(3, 2), sets(4, 4))?.removing, [3, 12, 13])
  // Both at once: one Kubernetes cluster grows while the other shrinks.
  const both = scaleChange(spec(5, 3), sets(3, 4))!
  assert.deepEqual([both.adding, both.removing], [[3, 4], [13]])
  assert.equal(scaleChange(spec(3, 3), sets(3, 3)), undefined, 'nothing changes')
  assert.equal(scaleChange(spec(3, 3), sets(undefined, undefined)), undefined, 'a new KafkaCluster is not a scale')
  // A Kubernetes cluster new to a running KafkaCluster: all its brokers join.
  assert.deepEqual(scaleChange(spec(3, 2), sets(3, undefined))?.adding, [10, 11])
})

test('refused when a KRaft controller would leave, naming it and what to do', () => {
  const change = scaleChange(spec(3, 1), sets(3, 3))!
  const refusal = controllerRefusal(change, [0, 1, 11])
  assert.match(refusal!.message, /would remove broker 11, a KRaft controller \(the controllers 0, 1, 11 are a static quorum/)
  assert.match(refusal!.fix, /keep broker 11/)
  assert.equal(controllerRefusal(change, [0, 1, 10]), undefined)
})

test('when a StatefulSet may shrink: not before the leaving brokers are drained', () => {
  // No scale: the spec's counts.
  assert.deepEqual([...renderedCounts(spec(4, 2), sets(3, 3), undefined)], [['k8s-1', 4], ['k8s-2', 2]])
  // Under way: new brokers at once, leaving ones kept while they hold data ...
  for (const phase of ['starting-brokers', 'moving'] as const) {
    assert.deepEqual([...renderedCounts(spec(4, 2), sets(4, 3), status(phase, [3, 3], [4, 2]))], [['k8s-1', 4], ['k8s-2', 3]], phase)
  }
  // ... and gone once drained.
  for (const phase of ['removing-pods', 'unregistering'] as const) {
    assert.deepEqual([...renderedCounts(spec(4, 2), sets(4, 3), status(phase, [3, 3], [4, 2]))], [['k8s-1', 4], ['k8s-2', 2]], phase)
  }
  // Refused or waiting: nothing changes, the StatefulSets keep their size.
  for (const phase of ['refused', 'waiting'] as const) {
    assert.deepEqual([...renderedCounts(spec(4, 2), sets(3, 3), status(phase, [3, 3], [4, 2]))], [['k8s-1', 3], ['k8s-2', 3]], phase)
  }
  // Finished: the spec's counts again.
  assert.deepEqual([...renderedCounts(spec(4, 2), sets(4, 2), status('finished', [3, 3], [4, 2]))], [['k8s-1', 4], ['k8s-2', 2]])
  // The spec changed again mid-scale: the scale's counts hold until it ends.
  assert.deepEqual([...renderedCounts(spec(6, 6), sets(4, 3), status('moving', [3, 3], [4, 2]))], [['k8s-1', 4], ['k8s-2', 3]])
  assert.deepEqual(withCounts(spec(3, 3), new Map([['k8s-2', 5]])).topology.clusters.map((c) => c.brokerIds), [{ first: 0, count: 3 }, { first: 10, count: 5 }])
})

test('the pods of leaving brokers may go only when no partition has a replica on them', () => {
  const partitions = [
    { topic: 't', partition: 0, replicas: [0, 1, 2] },
    { topic: 't', partition: 1, replicas: [1, 2, 13] },
  ]
  assert.deepEqual(mayRemovePods(partitions, [13]), { ok: false, holding: 1, example: 't-1 [1,2,13]' })
  assert.deepEqual(mayRemovePods(partitions, [3, 12]), { ok: true })
})

test('the brokers a scale takes away take no new replica while it is under way, and only then', () => {
  const scale = { ...status('moving', [4, 4], [3, 3]), removing: [3, 13] }
  for (const phase of ['starting-brokers', 'moving', 'removing-pods', 'unregistering'] as const) assert.deepEqual(leavingBrokers({ ...scale, phase }), [3, 13], phase)
  for (const phase of ['waiting', 'refused', 'finished'] as const) assert.deepEqual(leavingBrokers({ ...scale, phase }), [], phase)
  assert.deepEqual(leavingBrokers(undefined), [])
})

test('a StatefulSet shrinks only when the brokers it takes hold nothing, read just then', () => {
  const counts = new Map([['k8s-1', 3], ['k8s-2', 2]])
  assert.deepEqual([...shrinking(spec(3, 2), counts, sets(4, 4))], [['k8s-1', [3]], ['k8s-2', [12, 13]]])
  assert.deepEqual([...shrinking(spec(3, 2), new Map([['k8s-1', 4], ['k8s-2', 5]]), sets(4, 4))], [], 'growing or keeping takes nobody')
  assert.deepEqual([...shrinking(spec(3, 2), counts, sets(undefined, 4))], [['k8s-2', [12, 13]]], 'a StatefulSet not made yet takes nobody')
  const empty = [{ topic: 't', partition: 0, replicas: [0, 1, 10] }]
  assert.deepEqual(holdShrinks(spec(3, 2), counts, sets(4, 4), empty), { counts, held: [] })
  // A topic created on broker 13 after the drain: k8s-2 keeps its pods, k8s-1 shrinks.
  const late = [...empty, { topic: 'late', partition: 0, replicas: [13, 0, 1] }]
  assert.deepEqual(holdShrinks(spec(3, 2), counts, sets(4, 4), late), {
    counts: new Map([['k8s-1', 3], ['k8s-2', 4]]),
    held: [{ cluster: 'k8s-2', brokers: [12, 13], reason: 'brokers 12, 13 still hold replicas of 1 partitions (e.g. late-0 [13,0,1])' }],
  })
  // Kafka not read: nothing shrinks.
  const unread = holdShrinks(spec(3, 2), counts, sets(4, 4), undefined)
  assert.deepEqual(unread.counts, new Map([['k8s-1', 4], ['k8s-2', 4]]))
  assert.deepEqual(unread.held.map((h) => h.reason), ['whether broker 3 holds replicas could not be read from Kafka', 'whether brokers 12, 13 hold replicas could not be read from Kafka'])
})
