import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import type { V1Pod, V1StatefulSet } from '@kubernetes/client-node'
import { parse } from 'yaml'
import { kafkaClusterModel, type KafkaClusterResource } from '../model/kafka-cluster-model.ts'
import { brokerStatefulSet } from './broker-statefulset.ts'
import { podRestartReasons, RESTART_ANNOTATION } from './pod-restart-reasons.ts'

const example = (): KafkaClusterResource => parse(readFileSync(new URL('../../../examples/kafka-cluster.yaml', import.meta.url), 'utf8'))

function statefulSet(resource: KafkaClusterResource, revision: string): V1StatefulSet {
  const result = kafkaClusterModel(resource)
  assert.ok(result.ok)
  return { ...brokerStatefulSet(result.model, result.model.clusters[0]!), status: { replicas: 3, updateRevision: revision } }
}

/** The pod the StatefulSet controller makes from its template at `revision`. */
function podOf(sts: V1StatefulSet, revision: string): V1Pod {
  const template = structuredClone(sts.spec!.template)
  return { metadata: { ...template.metadata, labels: { ...template.metadata!.labels, 'controller-revision-hash': revision } }, spec: template.spec! }
}

test('a pod made from the current template has no reason to restart', () => {
  const sts = statefulSet(example(), 'r1')
  assert.deepEqual(podRestartReasons(podOf(sts, 'r1'), sts), [])
})

test('a config change, a new Kafka version, a new image, a request and any other template change are each named', () => {
  const pod = podOf(statefulSet(example(), 'r1'), 'r1')
  const config = example()
  ;(config.spec as any).brokerConfig['num.replica.fetchers'] = '8'
  const reasons = podRestartReasons(pod, statefulSet(config, 'r2'))
  assert.deepEqual(reasons.map((r) => r.kind), ['config'])
  assert.match(reasons[0]!.detail, /^config hash \S+ -> \S+$/)

  const upgrade = example()
  ;(upgrade.spec as any).kafka = { ...(upgrade.spec as any).kafka, version: '4.2.0', image: 'registry.example.com/kafkaplane-kafka:4.2.0' }
  const upgraded = podRestartReasons(pod, statefulSet(upgrade, 'r3'))
  assert.deepEqual(upgraded.find((r) => r.kind === 'version')?.detail, 'Kafka 4.1.1 -> 4.2.0')
  assert.ok(upgraded.some((r) => r.kind === 'image' && /probe-server image .*4\.1\.1 -> .*4\.2\.0/.test(r.detail)), JSON.stringify(upgraded))

  const rebuilt = example()
  ;(rebuilt.spec as any).kafka = { ...(rebuilt.spec as any).kafka, image: 'registry.example.com/kafkaplane-kafka:4.1.1-patched' }
  assert.deepEqual([...new Set(podRestartReasons(pod, statefulSet(rebuilt, 'r4')).map((r) => r.kind))], ['image'])

  const asked: V1Pod = { ...pod, metadata: { ...pod.metadata, annotations: { ...pod.metadata!.annotations, [RESTART_ANNOTATION]: 'now' } } }
  assert.deepEqual(podRestartReasons(asked, statefulSet(example(), 'r1')), [{ kind: 'manual', detail: 'annotated kafkaplane.io/restart=now' }])

  assert.deepEqual(podRestartReasons(pod, statefulSet(example(), 'r5')), [{ kind: 'config', detail: 'pod template revision r1 -> r5' }])
})
