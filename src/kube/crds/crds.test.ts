import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { customResourceDefinitions, KAFKA_CLUSTER, KAFKA_TOPIC, resourceSchema } from './crd.ts'
import { KAFKA_CLUSTER_SPEC_SCHEMA } from './kafka-cluster.ts'
import { KAFKA_TOPIC_SPEC_SCHEMA } from './kafka-topic.ts'
import { schemaNodes, type Schema } from './schema.ts'
import { compileSpecValidator, type FieldProblem } from './validate.ts'

const validateCluster = compileSpecValidator<Record<string, any>>(KAFKA_CLUSTER_SPEC_SCHEMA, 'spec')
const validateTopic = compileSpecValidator<Record<string, any>>(KAFKA_TOPIC_SPEC_SCHEMA, 'spec')

const minimal = () => ({
  kafka: { image: 'registry.example.com/kafka:4.1.1' },
  topology: { clusters: [{ name: 'k8s-1', zones: ['a', 'b', 'c'], brokerIds: { first: 0, count: 3 } }] },
})

function problems(spec: unknown, validate = validateCluster): FieldProblem[] {
  const result = validate(spec)
  assert.equal(result.ok, false, 'expected the spec to be refused')
  return result.ok ? [] : result.problems
}

function refused(spec: unknown, path: string, message: RegExp, validate = validateCluster) {
  const found = problems(spec, validate)
  const match = found.find((p) => p.path === path && message.test(p.message))
  assert.ok(match, `no problem at ${path} matching ${message}; got ${JSON.stringify(found, null, 1)}`)
  assert.ok(match.fix.length > 10, `the problem at ${path} has no fix`)
}

test('the CRDs are structural: every field typed, properties never beside additionalProperties, rules with messages', () => {
  for (const resource of [KAFKA_CLUSTER, KAFKA_TOPIC]) {
    for (const { path, node } of schemaNodes(resourceSchema(resource))) {
      assert.ok(node.type !== undefined || node['x-kubernetes-preserve-unknown-fields'], `${resource.kind} ${path} has no type`)
      assert.ok(!(node.properties && node.additionalProperties), `${resource.kind} ${path} has properties and additionalProperties`)
      for (const r of node['x-kubernetes-validations'] ?? []) {
        assert.match(r.message, /; /, `${resource.kind} ${path} rule "${r.rule}" has no fix after "; "`)
        assert.ok(r.holds !== undefined || r.rule.includes('oldSelf'), `${resource.kind} ${path} rule "${r.rule}" has no TypeScript twin`)
      }
      if (node.type === 'array' && (node.items?.['x-kubernetes-validations'] || node.items?.type === 'object')) {
        assert.ok(node.maxItems !== undefined || path.startsWith('status'), `${resource.kind} ${path}: lists need maxItems (CEL cost)`)
      }
    }
  }
  const [cluster, topic] = customResourceDefinitions() as any[]
  assert.equal(cluster.metadata.name, 'kafkaclusters.kafkaplane.io')
  assert.equal(topic.spec.names.kind, 'KafkaTopic')
  const version = cluster.spec.versions[0]
  assert.deepEqual(version.subresources, { status: {} })
  assert.equal(cluster.spec.scope, 'Namespaced')
  assert.ok(version.additionalPrinterColumns.some((c: any) => c.jsonPath === '.spec.kafka.version'))
  // The TypeScript twins stay out of what the API server gets.
  assert.doesNotMatch(JSON.stringify(cluster), /holds/)
  assert.match(JSON.stringify(cluster), /x-kubernetes-validations/)
})

test('every default satisfies its own schema', () => {
  for (const schema of [KAFKA_CLUSTER_SPEC_SCHEMA, KAFKA_TOPIC_SPEC_SCHEMA]) {
    for (const { path, node } of schemaNodes(schema)) {
      if (node.default === undefined) continue
      const { default: value, ...rest } = node
      const check = compileSpecValidator(rest as Schema, path)
      assert.ok(check(value).ok, `the default of ${path} is refused by its schema`)
    }
  }
})

test('a minimal KafkaCluster gets every default', () => {
  const result = validateCluster(minimal())
  assert.ok(result.ok)
  const spec = result.value
  assert.equal(spec.kafka.version, '4.1.1')
  assert.equal(spec.topology.controllers, 3)
  assert.deepEqual(spec.storage, { size: '100Gi' })
  assert.deepEqual(spec.resources, { cpu: '2', memory: '8Gi' })
  assert.deepEqual(spec.jvmOptions, { '-XX': {}, javaSystemProperties: [] })
  assert.deepEqual(spec.controllerJvmOptions, { '-XX': {}, javaSystemProperties: [] })
  assert.deepEqual(spec.listeners, [{ name: 'INTERNAL', port: 9092, protocol: 'PLAINTEXT', advertisedAddress: '{pod}.{service}.{namespace}.svc:{port}' }])
  assert.equal(spec.controllerPort, 9093)
  assert.deepEqual(spec.rolling, { maxUnavailable: 1, batchWithin: 'zone', terminationGracePeriodSeconds: 300 })
  assert.deepEqual(spec.selfHealing, { enabled: true, goneBrokerGraceSeconds: 1800, maxPlansPerHour: 2 })
  assert.equal(spec.allowAutoCreateTopics, false)
})

test('bad KafkaCluster specs are refused with the field, the value and the fix', () => {
  const spec = (change: (s: any) => void) => {
    const s: any = minimal()
    change(s)
    return s
  }
  refused(spec((s) => delete s.kafka.image), 'spec.kafka.image', /is required/)
  refused(spec((s) => (s.kafka.version = '3.7.0')), 'spec.kafka.version', /"3.7.0"/)
  refused(spec((s) => (s.kafka.imagee = 'x')), 'spec.kafka.imagee', /unknown field "imagee"/)
  refused(spec((s) => (s.topology.clusters[0].name = 'K8S_1')), 'spec.topology.clusters[0].name', /"K8S_1"/)
  refused(spec((s) => (s.topology.clusters[0].zones = ['a', 'a'])), 'spec.topology.clusters[0].zones', /"a" twice/)
  refused(spec((s) => (s.topology.controllers = 2)), 'spec.topology.controllers', /not one of 1, 3, 5/)
  refused(spec((s) => (s.resources = { memory: 'lots' })), 'spec.resources.memory', /"lots"/)
  refused(spec((s) => (s.brokerConfig = { 'num.io.threads': 8 })), 'spec.brokerConfig["num.io.threads"]', /must be string/)
  refused(spec((s) => (s.listeners = [{ name: 'INTERNAL', port: 80 }])), 'spec.listeners[0].port', /must be >= 1024/)
  refused(spec((s) => (s.selfHealing = { goneBrokerGraceSeconds: 0 })), 'spec.selfHealing.goneBrokerGraceSeconds', /must be >= 10/)
  refused(
    spec((s) => s.topology.clusters.push({ name: 'k8s-2', zones: ['a'], brokerIds: { first: 2, count: 3 } })),
    'spec.topology.clusters',
    /broker id ranges overlap/,
  )
  refused(
    spec((s) => s.topology.clusters.push({ name: 'k8s-1', zones: ['a'], brokerIds: { first: 10, count: 3 } })),
    'spec.topology.clusters',
    /k8s-1.*twice/,
  )
  refused(spec((s) => (s.brokerConfig = { 'auto.create.topics.enable': 'true' })), 'spec.brokerConfig', /auto.create.topics.enable/)
  refused(spec((s) => (s.brokerConfig = { 'node.id': '7' })), 'spec.brokerConfig', /sets a property kafkaplane sets/)
  refused(spec((s) => (s.listeners = [{ name: 'EXTERNAL', port: 9094, advertisedAddress: 'kafka.example.com:9094' }])), 'spec.listeners[0].advertisedAddress', /its own address/)
  refused(spec((s) => (s.listeners = [{ name: 'EXTERNAL', port: 9094, advertisedAddress: 'kafka-{idx}.example.com:9094' }])), 'spec.listeners[0].advertisedAddress', /not allowed/)
  refused(spec((s) => (s.listeners = [{ name: 'A', port: 9093 }])), 'spec.listeners', /share a port/)
  refused(spec((s) => (s.interBrokerListener = 'REPLICATION')), 'spec.interBrokerListener', /names no listener/)
  refused(spec((s) => (s.placement = { replicationFactor: 3, minInsyncReplicas: 4 })), 'spec.placement.minInsyncReplicas', /above replicationFactor/)
  refused(spec((s) => (s.placement = { replicationFactor: 4 })), 'spec.placement.replicationFactor', /above the number of brokers/)
  refused(spec((s) => (s.pool = { tolerations: [{ key: 'dedicated' }] })), 'spec.pool.tolerations[0]', /needs a key and a value/)
  refused(spec((s) => (s.jvmOptions = { '-XX': { '+UseNUMA': 'true' } })), 'spec.jvmOptions', /no -XX option name/)
  refused(spec((s) => (s.jvmOptions = { '-XX': { MaxRAMPercentage: '75' } })), 'spec.jvmOptions', /sizes the heap.*spec\.resources\.heap/)
  refused(spec((s) => (s.controllerJvmOptions = { '-XX': { MaxHeapSize: '1g' } })), 'spec.controllerJvmOptions', /sizes the heap.*spec\.controllerResources\.heap/)
  refused(spec((s) => (s.jvmOptions = { '-XX': { UseZGC: 'true' } })), 'spec.jvmOptions', /a garbage collector other than G1/)
  refused(spec((s) => (s.jvmOptions = { '-XX': { UseG1GC: 'false' } })), 'spec.jvmOptions', /a garbage collector other than G1/)
  refused(spec((s) => (s.jvmOptions = { javaSystemProperties: [{ name: 'kafka.logs.dir', value: '/data' }] })), 'spec.jvmOptions', /the start script sets/)
  refused(spec((s) => (s.jvmOptions = { javaSystemProperties: [{ name: 'user.timezone', value: 'Europe/London UTC' }] })), 'spec.jvmOptions.javaSystemProperties[0].value', /"Europe\/London UTC", which is not allowed/)
  refused(spec((s) => (s.jvmOptions = { '-Xmx': '4g' })), 'spec.jvmOptions.-Xmx', /unknown field/)
  // Allowed when asked for explicitly.
  assert.ok(validateCluster(spec((s) => (s.jvmOptions = { '-XX': { UseG1GC: 'true', TieredStopAtLevel: '1', UseNUMA: 'false' }, javaSystemProperties: [{ name: 'networkaddress.cache.ttl', value: '30' }] }))).ok)
  assert.ok(validateCluster(spec((s) => Object.assign(s, { brokerConfig: { 'auto.create.topics.enable': 'true' }, allowAutoCreateTopics: true }))).ok)
})

test('the broker id overlap rule agrees with a brute-force check', () => {
  const ranges = fc.array(fc.record({ first: fc.integer({ min: 0, max: 30 }), count: fc.integer({ min: 1, max: 10 }) }), { minLength: 1, maxLength: 4 })
  fc.assert(
    fc.property(ranges, (rs) => {
      const clusters = rs.map((r, i) => ({ name: `k${i}`, zones: ['a'], brokerIds: r }))
      const ids = rs.flatMap((r) => Array.from({ length: r.count }, (_, j) => r.first + j))
      const disjoint = new Set(ids).size === ids.length
      const result = validateCluster({ ...minimal(), topology: { clusters, controllers: 1 } })
      assert.equal(result.ok, disjoint)
    }),
  )
})

test('KafkaTopic: defaults and rejections', () => {
  const ok = validateTopic({ cluster: 'payments', partitions: 12 })
  assert.ok(ok.ok)
  assert.deepEqual(ok.value, { cluster: 'payments', partitions: 12, config: {}, placement: { requireDomainLossSurvival: true } })
  refused({ cluster: 'payments' }, 'spec.partitions', /is required/, validateTopic)
  refused({ cluster: 'payments', partitions: 0 }, 'spec.partitions', /must be >= 1/, validateTopic)
  refused({ cluster: 'payments', partitions: 1, topicName: 'bad name' }, 'spec.topicName', /"bad name"/, validateTopic)
  refused({ cluster: 'payments', partitions: 1, replicationFactor: 2, minInsyncReplicas: 3 }, 'spec.minInsyncReplicas', /above spec.replicationFactor/, validateTopic)
  refused({ cluster: 'payments', partitions: 1, config: { 'min.insync.replicas': '2' } }, 'spec.config', /its own field/, validateTopic)
})
