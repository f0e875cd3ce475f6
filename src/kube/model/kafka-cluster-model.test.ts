import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { parse } from 'yaml'
import { deriveClusterId, kafkaClusterModel, type KafkaClusterModel, type KafkaClusterResource } from './kafka-cluster-model.ts'
import { kafkaTopicModel } from './kafka-topic-model.ts'
import { parseQuantity } from './quantity.ts'

const example = () => parse(readFileSync(new URL('../../../examples/kafka-cluster.yaml', import.meta.url), 'utf8')) as KafkaClusterResource

function model(resource: KafkaClusterResource): KafkaClusterModel {
  const result = kafkaClusterModel(resource)
  assert.ok(result.ok, JSON.stringify(!result.ok && result.errors))
  return result.model
}

test('quantities read as the API server reads them', () => {
  assert.equal(parseQuantity('16Gi'), 16 * 2 ** 30)
  assert.equal(parseQuantity('500M'), 5e8)
  assert.equal(parseQuantity('1.5Gi'), 1.5 * 2 ** 30)
  assert.equal(parseQuantity('2e3'), 2000)
  assert.equal(parseQuantity('250m'), 0.25)
})

test('the Wise example: broker ids per Kubernetes cluster, zones, controllers, heap, policy', () => {
  const m = model(example())
  assert.deepEqual(m.clusters.map((c) => [c.name, c.statefulSet, c.firstId, c.brokers.map((b) => b.id)]), [
    ['k8s-1', 'payments-k8s-1', 0, [0, 1, 2]],
    ['k8s-2', 'payments-k8s-2', 100, [100, 101, 102]],
  ])
  assert.deepEqual(m.brokers.map((b) => b.zone), ['eu-west-1a', 'eu-west-1b', 'eu-west-1c', 'eu-west-1a', 'eu-west-1b', 'eu-west-1c'])
  assert.equal(m.heapMebibytes, 8192)
  assert.equal(m.clusterId.length, 22)
  // Three controllers in three zones and both Kubernetes clusters.
  const controllers = m.brokers.filter((b) => b.controller)
  assert.equal(controllers.length, 3)
  assert.equal(new Set(controllers.map((b) => b.zone)).size, 3)
  assert.equal(new Set(controllers.map((b) => b.cluster)).size, 2)
  assert.deepEqual(m.placement, { ...m.placement, replicationFactor: 6, minInsyncReplicas: 3 })
  assert.equal(m.placement.advice?.survivesAnyDomainLoss, true)
  const b = m.brokers.find((x) => x.id === 101)!
  assert.equal(b.properties['node.id'], '101')
  assert.equal(b.properties['broker.rack'], 'eu-west-1b')
  assert.equal(b.properties['process.roles'], 'broker,controller')
  assert.equal(b.properties['advertised.listeners'], 'INTERNAL://payments-k8s-2-101.payments-k8s-2.kafka.svc:9092,REPLICATION://kafka-101.k8s-2.kafka.example.com:9094')
  assert.match(b.properties.listeners!, /CONTROLLER:\/\/0\.0\.0\.0:9093/)
  assert.equal(b.properties['controller.quorum.voters'], controllers.map((c) => `${c.id}@kafka-${c.id}.${c.cluster}.kafka.example.com:9093`).join(','))
  assert.equal(b.properties['inter.broker.listener.name'], 'REPLICATION')
  assert.equal(b.properties['min.insync.replicas'], '3')
  // Every internal topic at the policy too (the share-group state topic included).
  for (const key of ['offsets.topic.replication.factor', 'transaction.state.log.replication.factor', 'share.coordinator.state.topic.replication.factor']) assert.equal(b.properties[key], '6', key)
  for (const key of ['transaction.state.log.min.isr', 'share.coordinator.state.topic.min.isr']) assert.equal(b.properties[key], '3', key)
  assert.equal(b.properties['log.retention.hours'], '168')
  assert.doesNotMatch(m.brokers.find((x) => x.id === 100)!.properties.listeners!, /CONTROLLER/)
})

test('heap: half the memory, overridable, and below the memory', () => {
  const r = example()
  ;(r.spec as any).resources = { memory: '6Gi', heap: '4Gi' }
  assert.equal(model(r).heapMebibytes, 4096)
  ;(r.spec as any).resources = { memory: '3Gi' }
  assert.equal(model(r).heapMebibytes, 1536)
  ;(r.spec as any).resources = { memory: '4Gi', heap: '4Gi' }
  const result = kafkaClusterModel(r)
  assert.ok(!result.ok && result.errors.some((e) => e.path === 'spec.resources.heap' && /must be less than spec.resources.memory/.test(e.message)))
})

test('without a placement policy the engine recommends one; a weak one is warned about', () => {
  const r = example()
  ;(r.spec as any).placement = {}
  const m = model(r)
  assert.deepEqual([m.placement.replicationFactor, m.placement.minInsyncReplicas, m.placement.recommended], [6, 3, true])
  ;(r.spec as any).placement = { replicationFactor: 3, minInsyncReplicas: 2 }
  const weak = kafkaClusterModel(r)
  assert.ok(weak.ok)
  const w = weak.warnings.find((x) => x.path === 'spec.placement')
  assert.match(w!.message, /unwritable after the loss of one cluster/)
  assert.match(w!.fix, /replicationFactor 6 with minInsyncReplicas 3/)
})

test('broker config: weak replication defaults are warned about, in-cluster addresses across clusters too', () => {
  const r = example()
  ;(r.spec as any).brokerConfig = { 'default.replication.factor': '2', 'min.insync.replicas': '1' }
  ;(r.spec as any).listeners = [{ name: 'INTERNAL', port: 9092 }]
  delete (r.spec as any).interBrokerListener
  const result = kafkaClusterModel(r)
  assert.ok(result.ok)
  const paths = result.warnings.map((w) => w.path)
  assert.ok(paths.includes('spec.brokerConfig["default.replication.factor"]'))
  assert.ok(paths.includes('spec.brokerConfig["min.insync.replicas"]'))
  assert.ok(paths.includes('spec.listeners'))
})

test('resource rules: the name must fit in object names', () => {
  const r = example()
  r.metadata.name = 'a'.repeat(50)
  const result = kafkaClusterModel(r)
  assert.ok(!result.ok && result.errors.some((e) => e.path === 'metadata.name'))
})

test('the cluster id is stable and well formed', () => {
  assert.equal(deriveClusterId('kafka/payments'), deriveClusterId('kafka/payments'))
  assert.notEqual(deriveClusterId('kafka/payments'), deriveClusterId('kafka/orders'))
  assert.match(deriveClusterId('x'), /^[A-Za-z0-9_-]{22}$/)
})

test('KafkaTopic: defaults from the cluster, survivability refused unless allowed, data kept by default', () => {
  const cluster = model(example())
  const topic = (spec: object, annotations?: Record<string, string>) => kafkaTopicModel({ metadata: { name: 'payments-events', ...(annotations ? { annotations } : {}) }, spec: { cluster: 'payments', partitions: 12, ...spec } }, cluster)
  const ok = topic({})
  assert.ok(ok.ok)
  assert.deepEqual([ok.model.replicationFactor, ok.model.minInsyncReplicas, ok.model.deleteData, ok.model.topicName], [6, 3, false, 'payments-events'])
  assert.equal(ok.model.configs['min.insync.replicas'], '3')
  const weak = topic({ replicationFactor: 3, minInsyncReplicas: 2 })
  assert.ok(!weak.ok && /cannot stay writable after the loss of one cluster/.test(weak.errors[0]!.message))
  assert.equal(weak.errors[0]!.fix, 'set spec.replicationFactor: 6 and spec.minInsyncReplicas: 3 (they stay writable after losing any one cluster or one zone), or set spec.placement.requireDomainLossSurvival: false to accept it')
  // A cluster whose own policy does not survive the loss of a cluster: the fix names a pair that does, not the policy.
  const weakPolicy = example()
  ;(weakPolicy.spec as any).placement = { replicationFactor: 3, minInsyncReplicas: 2 }
  const onPolicy = kafkaTopicModel({ metadata: { name: 'payments-events' }, spec: { cluster: 'payments', partitions: 12 } }, model(weakPolicy))
  assert.ok(!onPolicy.ok)
  assert.match(onPolicy.errors[0]!.message, /replication factor 3 with min\.insync\.replicas 2 \(the cluster's spec\.placement\) cannot stay writable after the loss of one cluster/)
  assert.match(onPolicy.errors[0]!.fix, /^set spec\.replicationFactor: 6 and spec\.minInsyncReplicas: 3 /)
  assert.ok(topic({ replicationFactor: 3, minInsyncReplicas: 2, placement: { requireDomainLossSurvival: false } }).ok)
  // The writability rule: min.insync.replicas above the replication factor the cluster's policy gives.
  const unwritable = topic({ minInsyncReplicas: 7 })
  assert.ok(!unwritable.ok)
  assert.equal(unwritable.errors[0]!.path, 'spec.minInsyncReplicas')
  assert.match(unwritable.errors[0]!.message, /replication factor 6 below min\.insync\.replicas 7/)
  assert.match(unwritable.errors[0]!.fix, /raise spec\.replicationFactor \(default 6, the cluster's spec\.placement\) to 7 or more, or lower spec\.minInsyncReplicas to 6 or less/)
  const tooBig = topic({ replicationFactor: 7 })
  assert.ok(!tooBig.ok && tooBig.errors[0]!.path === 'spec.replicationFactor')
  const deleting = topic({}, { 'kafkaplane.io/delete-data': 'true' })
  assert.ok(deleting.ok && deleting.model.deleteData)
  const unclear = topic({}, { 'kafkaplane.io/delete-data': 'yes' })
  assert.ok(unclear.ok && !unclear.model.deleteData && unclear.warnings.length === 1)
})

test('{podIP}: left for the start script on a client listener, refused on the inter-broker listener', () => {
  const r = example()
  ;(r.spec as any).listeners = [
    { name: 'INTERNAL', port: 9092, advertisedAddress: '{pod}.{service}.{namespace}.svc.{cluster}.local:{port}' },
    { name: 'FLAT', port: 9094, advertisedAddress: '{podIP}:{port}' },
  ]
  ;(r.spec as any).interBrokerListener = 'INTERNAL'
  const m = model(r)
  const broker = m.brokers.find((b) => b.id === 0)!
  assert.match(broker.properties['advertised.listeners']!, /^INTERNAL:\/\/payments-k8s-1-0\.[^,]+:9092,FLAT:\/\/\{podIP\}:9094$/)
  assert.doesNotMatch(broker.properties['controller.quorum.voters']!, /podIP/)

  ;(r.spec as any).interBrokerListener = 'FLAT'
  const refused = kafkaClusterModel(r)
  assert.equal(refused.ok, false)
  assert.ok(!refused.ok && refused.errors.some((e) => e.path === 'spec.listeners' && /changes when a pod restarts/.test(e.message) && /\{pod\}/.test(e.fix)))
})

test('controllers: a running cluster keeps its own when brokers are added or removed (a static quorum never changes under it)', () => {
  // k8s-1 has one broker, k8s-2 two: picked fresh, the quorum is 0, 100, 101.
  const resource = (k8s1: number, k8s2: number): KafkaClusterResource => {
    const r = example()
    const spec = r.spec as { topology: { clusters: { zones: string[]; brokerIds: { count: number } }[] }; placement: unknown }
    spec.topology.clusters[0]!.zones = ['a', 'b']
    spec.topology.clusters[1]!.zones = ['a', 'b']
    spec.topology.clusters[0]!.brokerIds.count = k8s1
    spec.topology.clusters[1]!.brokerIds.count = k8s2
    spec.placement = { replicationFactor: 3, minInsyncReplicas: 2 }
    return r
  }
  const small = model(resource(1, 2))
  assert.deepEqual(small.controllers, [0, 100, 101])
  // Picked fresh on the grown topology, the choice would differ: that is what must not happen live.
  assert.deepEqual(model(resource(2, 2)).controllers, [0, 1, 101])
  const grown = kafkaClusterModel(resource(2, 2), 'default', { controllers: small.controllers })
  assert.ok(grown.ok)
  assert.deepEqual(grown.model.controllers, [0, 100, 101])
  const voters = (m: KafkaClusterModel) => m.brokers[0]!.properties['controller.quorum.voters']
  assert.equal(voters(grown.model), voters(small))
  assert.equal(grown.model.brokers.find((b) => b.id === 1)!.properties['process.roles'], 'broker')
  // A kept controller the topology no longer has, or another controller count: picked afresh.
  const shrunk = kafkaClusterModel(resource(2, 1), 'default', { controllers: [0, 100, 101] })
  assert.ok(shrunk.ok)
  assert.deepEqual(shrunk.model.controllers, [0, 1, 100])
  const five = kafkaClusterModel({ ...resource(2, 2), spec: { ...(resource(2, 2).spec as object), topology: { ...(resource(2, 2).spec as { topology: object }).topology, controllers: 1 } } }, 'default', { controllers: [0, 100, 101] })
  assert.ok(five.ok)
  assert.deepEqual(five.model.controllers, [0])
})

/** The example with dedicated controllers: 90 and 91 in k8s-1, 190 in k8s-2. */
function dedicated(): KafkaClusterResource {
  const r = example()
  const spec = r.spec as { topology: { clusters: { controllerIds?: { first: number; count: number } }[] } }
  spec.topology.clusters[0]!.controllerIds = { first: 90, count: 2 }
  spec.topology.clusters[1]!.controllerIds = { first: 190, count: 1 }
  return r
}

test('dedicated controllers: their own StatefulSet per Kubernetes cluster, the CONTROLLER listener alone, advertised by name; brokers are brokers only', () => {
  const m = model(dedicated())
  assert.deepEqual(m.controllers, [90, 91, 190])
  assert.deepEqual(m.clusters.map((c) => [c.controllerSet?.statefulSet, c.controllerSet?.firstId, c.controllerSet?.controllers.map((x) => [x.id, x.zone, x.pod, x.service])]), [
    ['payments-k8s-1-controller', 90, [[90, 'eu-west-1a', 'payments-k8s-1-controller-90', 'payments-controller-90'], [91, 'eu-west-1b', 'payments-k8s-1-controller-91', 'payments-controller-91']]],
    ['payments-k8s-2-controller', 190, [[190, 'eu-west-1a', 'payments-k8s-2-controller-190', 'payments-controller-190']]],
  ])
  assert.deepEqual(m.dedicatedControllers.map((c) => c.id), [90, 91, 190])
  const voters = '90@kafka-90.k8s-1.kafka.example.com:9093,91@kafka-91.k8s-1.kafka.example.com:9093,190@kafka-190.k8s-2.kafka.example.com:9093'
  for (const b of m.brokers) {
    assert.equal(b.controller, false)
    assert.equal(b.properties['process.roles'], 'broker')
    assert.doesNotMatch(b.properties.listeners!, /CONTROLLER/)
    assert.equal(b.properties['controller.quorum.voters'], voters)
  }
  const c = m.dedicatedControllers.find((x) => x.id === 190)!
  assert.deepEqual(
    Object.fromEntries(['node.id', 'process.roles', 'listeners', 'advertised.listeners', 'listener.security.protocol.map', 'controller.listener.names', 'controller.quorum.voters'].map((k) => [k, c.properties[k]])),
    {
      'node.id': '190',
      'process.roles': 'controller',
      listeners: 'CONTROLLER://0.0.0.0:9093',
      'advertised.listeners': 'CONTROLLER://kafka-190.k8s-2.kafka.example.com:9093',
      'listener.security.protocol.map': 'CONTROLLER:PLAINTEXT',
      'controller.listener.names': 'CONTROLLER',
      'controller.quorum.voters': voters,
    },
  )
  assert.equal(c.address, 'kafka-190.k8s-2.kafka.example.com:9093')
  assert.equal(c.properties['broker.rack'], undefined, 'a controller has no rack')
  // The active controller places topics created without a replication factor: it has the policy's defaults.
  assert.equal(c.properties['default.replication.factor'], '6')
  assert.equal(c.properties['min.insync.replicas'], '3')
  // Its heap from spec.controllerResources (default 2Gi: 1024m), not the brokers'.
  assert.equal(m.controllerHeapMebibytes, 1024)
  assert.equal(m.heapMebibytes, 8192)
})

test('dedicated controllers: with the default in-cluster listener they are addressed as <pod>.<statefulset>.<namespace>.svc', () => {
  const r = dedicated()
  const spec = r.spec as { listeners?: unknown; interBrokerListener?: string; brokerServices?: unknown }
  delete spec.listeners
  delete spec.interBrokerListener
  delete spec.brokerServices
  const m = model(r)
  assert.equal(m.dedicatedControllers[0]!.properties['advertised.listeners'], 'CONTROLLER://payments-k8s-1-controller-90.payments-k8s-1-controller.kafka.svc:9093')
  assert.match(m.brokers[0]!.properties['controller.quorum.voters']!, /^90@payments-k8s-1-controller-90\.payments-k8s-1-controller\.kafka\.svc:9093,/)
})

test('dedicated controllers: the counts must add up, ids stay apart from brokers, the name must fit, the heap must fit', () => {
  const problem = (change: (spec: any) => void, path: RegExp) => {
    const r = dedicated()
    change(r.spec)
    const result = kafkaClusterModel(r)
    assert.ok(!result.ok, 'refused')
    assert.ok(result.errors.some((e) => path.test(e.path)), JSON.stringify(result.errors))
    return result.errors.map((e) => `${e.message} ${e.fix}`).join('\n')
  }
  assert.match(problem((s) => (s.topology.controllers = 5), /topology/), /add up to spec\.topology\.controllers/)
  assert.match(problem((s) => (s.topology.clusters[1].controllerIds = { first: 101, count: 1 }), /topology/), /overlaps a broker id range/)
  assert.match(problem((s) => (s.topology.clusters[1].controllerIds = { first: 91, count: 1 }), /topology/), /overlaps/)
  assert.match(problem((s) => (s.controllerResources = { memory: '2Gi', heap: '2Gi' }), /controllerResources/), /spec\.controllerResources\.heap/)
  assert.match(problem((s) => (s.controllerResources = { memory: '256Mi' }), /controllerResources/), /too small for a controller/)
  const long = dedicated()
  long.metadata.name = 'a'.repeat(42)
  const refused = kafkaClusterModel(long)
  assert.ok(!refused.ok && refused.errors.some((e) => e.path === 'metadata.name'), 'with "-controller" the StatefulSet name would pass 52 characters')
  // Combined controllers: the same name fits.
  const combined = example()
  combined.metadata.name = 'a'.repeat(42)
  assert.ok(kafkaClusterModel(combined).ok)
})

test('dedicated controllers: a running cluster never changes its quorum between combined and dedicated, nor its controller ids', () => {
  const running = (r: KafkaClusterResource, controllers: number[]) => kafkaClusterModel(r, 'default', { controllers })
  assert.ok(running(dedicated(), [90, 91, 190]).ok, 'the same controllers')
  const toDedicated = running(dedicated(), [0, 1, 100])
  assert.ok(!toDedicated.ok && toDedicated.errors.some((e) => /runs with the KRaft controllers \[0, 1, 100\] \(brokers that are controllers too\)/.test(e.message) && /remove controllerIds/.test(e.fix)), JSON.stringify(!toDedicated.ok && toDedicated.errors))
  const moved = dedicated()
  ;(moved.spec as any).topology.clusters[1].controllerIds = { first: 191, count: 1 }
  const renumbered = running(moved, [90, 91, 190])
  assert.ok(!renumbered.ok && renumbered.errors.some((e) => /name exactly \[90, 91, 190\]/.test(e.fix)), JSON.stringify(!renumbered.ok && renumbered.errors))
  // Ids in any order over the clusters: the same quorum.
  const swapped = example()
  ;(swapped.spec as any).topology.clusters[0].controllerIds = { first: 190, count: 1 }
  ;(swapped.spec as any).topology.clusters[1].controllerIds = { first: 90, count: 2 }
  const kept = running(swapped, [90, 91, 190])
  assert.ok(kept.ok, JSON.stringify(!kept.ok && kept.errors))
  assert.deepEqual(kept.model.controllers, [90, 91, 190])
  const toCombined = running(example(), [90, 91, 190])
  assert.ok(!toCombined.ok && toCombined.errors.some((e) => /dedicated KRaft controllers \[90, 91, 190\], which spec\.topology\.clusters no longer names/.test(e.message)), JSON.stringify(!toCombined.ok && toCombined.errors))
})
