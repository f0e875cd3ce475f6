import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { KafkaClusterSpec } from '../crds/kafka-cluster.ts'
import type { KafkaClusterModel } from '../model/kafka-cluster-model.ts'
import { renderedCounts, type ScaleStatus } from '../model/scale.ts'
import type { CustomResource } from './custom-resources.ts'
import type { KubeClusters } from './kube-clients.ts'
import { ScaleWorkers, type ScaleRequest } from './scale-workers.ts'

/** Decisions `ensure` takes without Kafka or an API server: nothing here may start a scale. */
function workers(): ScaleWorkers {
  return new ScaleWorkers({ clusters: {} as KubeClusters, connection: {}, stateDir: '/nonexistent', log: () => {} })
}
function request(counts: [number, number], current: [number, number], extra: Partial<ScaleRequest> = {}, scale?: ScaleStatus): ScaleRequest {
  const spec = {
    topology: { controllers: 3, clusters: [{ name: 'k8s-1', zones: ['a'], brokerIds: { first: 0, count: counts[0] } }, { name: 'k8s-2', zones: ['a'], brokerIds: { first: 10, count: counts[1] } }] },
    scaling: { allowLessSurvivable: false },
  } as unknown as KafkaClusterSpec
  const resource = { apiVersion: 'kafkaplane.io/v1alpha1', kind: 'KafkaCluster', metadata: { name: 'kafka', namespace: 'ns', uid: 'u', generation: 3 }, spec, status: scale ? { scale } : {} } as CustomResource
  return {
    resource,
    spec,
    current: new Map([['k8s-1', current[0]], ['k8s-2', current[1]]]),
    controllers: [0, 1, 10],
    rollActive: false,
    modelFor: () => assert.fail('no model is needed') as KafkaClusterModel,
    topologyOf: () => assert.fail('no topology is needed'),
    ...extra,
  }
}

test('a scale waits while a roll runs: said in status.scale, the StatefulSets keep their size, nothing starts', async () => {
  const w = workers()
  const r = request([4, 3], [3, 3], { rollActive: true })
  const scale = await w.ensure('ns/kafka', r)
  assert.equal(scale?.phase, 'waiting')
  assert.match(scale!.message, /^waiting for the rolling restart to finish \(one change at a time\): then broker 3 joins \(k8s-1 3 -> 4\)$/)
  assert.equal(w.status('ns/kafka'), undefined, 'no scale runs')
  assert.deepEqual([...renderedCounts(r.spec, r.current, scale)], [['k8s-1', 3], ['k8s-2', 3]])
})

test('no scale when the counts match; the last finished scale stays shown, a refused one the spec no longer asks for goes', async () => {
  const w = workers()
  assert.equal(await w.ensure('ns/kafka', request([3, 3], [3, 3])), undefined)
  const finished = { scaleId: 's', generation: 2, startedAt: '', from: [], to: [], adding: [3], removing: [], phase: 'finished', message: 'scaled' } satisfies ScaleStatus
  assert.deepEqual(await w.ensure('ns/kafka', request([3, 3], [3, 3], {}, finished)), finished)
  assert.equal(await w.ensure('ns/kafka', request([3, 3], [3, 3], {}, { ...finished, phase: 'refused' })), undefined)
})

test('a stopping operator starts no scale: a new one waits (the StatefulSets keep their size), one under way is left as it was for the next operator', async () => {
  const w = workers()
  await w.stop()
  const shrink = request([3, 2], [3, 3])
  const waiting = await w.ensure('ns/kafka', shrink)
  assert.equal(waiting?.phase, 'waiting')
  assert.match(waiting!.message, /^the operator is stopping: the next one starts the scale \(broker 12 leaves \(k8s-2 3 -> 2\)\)$/)
  assert.deepEqual([...renderedCounts(shrink.spec, shrink.current, waiting)], [['k8s-1', 3], ['k8s-2', 3]], 'no StatefulSet shrinks undrained')
  assert.equal(w.status('ns/kafka'), undefined, 'no scale runs')
  const moving = { scaleId: 's', generation: 3, startedAt: '', from: [], to: [], adding: [], removing: [12], phase: 'moving', message: 'draining' } satisfies ScaleStatus
  assert.deepEqual(await w.ensure('ns/kafka', request([3, 2], [3, 3], {}, moving)), moving, 'status.scale as it was: not resumed here')
  assert.equal(w.status('ns/kafka'), undefined)
})
