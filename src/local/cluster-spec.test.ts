import { test } from 'node:test'
import assert from 'node:assert/strict'
import { layoutBrokers } from '../core/topology/layout.ts'
import { isKafkaplaneError } from '../core/errors.ts'
import { bootstrapServers, planLocalCluster, renderNodeProperties } from './cluster-spec.ts'

const wise = layoutBrokers(6, [
  { name: 'cluster', values: ['k8s-1', 'k8s-2'] },
  { name: 'zone', values: ['a', 'b', 'c'] },
])

function parse(properties: string): Map<string, string> {
  return new Map(
    properties
      .split('\n')
      .filter((l) => l && !l.startsWith('#'))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  )
}

test('three combined nodes, the rest broker-only, ports from the base port', () => {
  const spec = planLocalCluster(wise, 9092)
  assert.deepEqual(
    spec.nodes.map((n) => [n.id, n.roles.join('+'), n.brokerPort, n.controllerPort, n.rack]),
    [
      [0, 'broker+controller', 9092, 9192, 'a'],
      [1, 'broker+controller', 9093, 9193, 'b'],
      [2, 'broker+controller', 9094, 9194, 'c'],
      [3, 'broker', 9095, undefined, 'a'],
      [4, 'broker', 9096, undefined, 'b'],
      [5, 'broker', 9097, undefined, 'c'],
    ],
  )
  assert.deepEqual(bootstrapServers(spec).slice(0, 2), ['127.0.0.1:9092', '127.0.0.1:9093'])
})

test('dedicated controllers: every broker broker-only, three controller-only nodes after the highest broker id, spread like the first three brokers', () => {
  const spec = planLocalCluster(wise, 9092, {}, undefined, undefined, 'dedicated')
  assert.deepEqual(
    spec.nodes.map((n) => [n.id, n.roles.join('+'), n.brokerPort, n.controllerPort, n.rack, n.labels.zone]),
    [
      [0, 'broker', 9092, undefined, 'a', 'a'],
      [1, 'broker', 9093, undefined, 'b', 'b'],
      [2, 'broker', 9094, undefined, 'c', 'c'],
      [3, 'broker', 9095, undefined, 'a', 'a'],
      [4, 'broker', 9096, undefined, 'b', 'b'],
      [5, 'broker', 9097, undefined, 'c', 'c'],
      [6, 'controller', undefined, 9192, undefined, 'a'],
      [7, 'controller', undefined, 9193, undefined, 'b'],
      [8, 'controller', undefined, 9194, undefined, 'c'],
    ],
  )
  assert.equal(bootstrapServers(spec).length, 6, 'clients bootstrap from the brokers only')
  const controller = parse(renderNodeProperties(spec, spec.nodes[6]!, '/d/6'))
  assert.equal(controller.get('process.roles'), 'controller')
  assert.equal(controller.get('listeners'), 'CONTROLLER://127.0.0.1:9192')
  assert.equal(controller.get('listener.security.protocol.map'), 'CONTROLLER:PLAINTEXT')
  assert.equal(controller.get('controller.quorum.voters'), '6@127.0.0.1:9192,7@127.0.0.1:9193,8@127.0.0.1:9194')
  for (const key of ['advertised.listeners', 'inter.broker.listener.name', 'broker.rack']) assert.equal(controller.get(key), undefined, `${key} is a broker's`)
  const broker = parse(renderNodeProperties(spec, spec.nodes[0]!, '/d/0'))
  assert.equal(broker.get('process.roles'), 'broker')
  assert.equal(broker.get('listeners'), 'PLAINTEXT://127.0.0.1:9092')
  assert.equal(broker.get('controller.quorum.voters'), controller.get('controller.quorum.voters'))
  assert.equal(broker.get('default.replication.factor'), '3', 'the safe defaults count brokers, not controllers')
  // One broker: still three controllers (a quorum that survives one loss), the policy of one broker.
  const one = planLocalCluster(layoutBrokers(1, [{ name: 'zone', values: ['a'] }]), 9092, {}, undefined, undefined, 'dedicated')
  assert.deepEqual(one.nodes.map((n) => n.id), [0, 1, 2, 3])
  assert.equal(parse(renderNodeProperties(one, one.nodes[0]!, '/d')).get('min.insync.replicas'), '1')
})

test('node properties carry identity, voters, rack and the safe defaults', () => {
  const spec = planLocalCluster(wise, 9092, { 'log.retention.hours': '1' })
  const combined = parse(renderNodeProperties(spec, spec.nodes[0]!, '/d/0'))
  assert.equal(combined.get('process.roles'), 'broker,controller')
  assert.equal(combined.get('listeners'), 'PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9192')
  assert.equal(combined.get('controller.quorum.voters'), '0@127.0.0.1:9192,1@127.0.0.1:9193,2@127.0.0.1:9194')
  assert.equal(combined.get('broker.rack'), 'a')
  assert.equal(combined.get('log.dirs'), '/d/0')
  assert.equal(combined.get('auto.create.topics.enable'), 'false')
  assert.equal(combined.get('default.replication.factor'), '3')
  assert.equal(combined.get('min.insync.replicas'), '2')
  assert.equal(combined.get('offsets.topic.replication.factor'), '3')
  assert.equal(combined.get('log.retention.hours'), '1')
  const brokerOnly = parse(renderNodeProperties(spec, spec.nodes[4]!, '/d/4'))
  assert.equal(brokerOnly.get('process.roles'), 'broker')
  assert.equal(brokerOnly.get('listeners'), 'PLAINTEXT://127.0.0.1:9096')
  assert.equal(brokerOnly.get('broker.rack'), 'b')
})

test('a one-broker cluster lowers replication to what it has', () => {
  const spec = planLocalCluster(layoutBrokers(1, [{ name: 'zone', values: ['a'] }]), 9092)
  const props = parse(renderNodeProperties(spec, spec.nodes[0]!, '/d'))
  assert.equal(props.get('default.replication.factor'), '1')
  assert.equal(props.get('min.insync.replicas'), '1')
})

test('bad input is refused with the value and the fix', () => {
  assert.throws(
    () => planLocalCluster(wise, 32700),
    (e) => isKafkaplaneError(e, 'BAD_ARGUMENT') && /--base-port 32700/.test(e.message) && e.exitCode === 2,
  )
  assert.throws(
    () => planLocalCluster(wise, 80),
    (e) => isKafkaplaneError(e, 'BAD_ARGUMENT') && /--base-port 80 /.test(e.message),
  )
  assert.throws(
    () => planLocalCluster(wise, 9092, { 'broker.rack': 'x' }),
    (e) => isKafkaplaneError(e, 'BAD_ARGUMENT') && /--config broker.rack/.test(e.message),
  )
})
