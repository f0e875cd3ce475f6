import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { layoutBrokers } from './layout.ts'
import { domainCounts, rackOf, topologyProblems } from './topology.ts'

test('the default layout: 6 brokers over 2 Kubernetes clusters x 3 zones fill every cell once', () => {
  const topology = layoutBrokers(6, [
    { name: 'cluster', values: ['k8s-1', 'k8s-2'] },
    { name: 'zone', values: ['a', 'b', 'c'] },
  ])
  assert.deepEqual(topology.dimensions, ['cluster', 'zone'])
  assert.deepEqual(
    topology.brokers.map((b) => `${b.id}:${b.labels.cluster}/${b.labels.zone}`),
    ['0:k8s-1/a', '1:k8s-2/b', '2:k8s-1/c', '3:k8s-2/a', '4:k8s-1/b', '5:k8s-2/c'],
  )
  assert.deepEqual(topologyProblems(topology), [])
})

test('the first three brokers (the controllers) land in three different zones', () => {
  const topology = layoutBrokers(6, [
    { name: 'cluster', values: ['k8s-1', 'k8s-2'] },
    { name: 'zone', values: ['a', 'b', 'c'] },
  ])
  assert.equal(new Set(topology.brokers.slice(0, 3).map((b) => rackOf(topology, b))).size, 3)
})

test('ids start at firstId', () => {
  const topology = layoutBrokers(3, [{ name: 'zone', values: ['a', 'b', 'c'] }], 1001)
  assert.deepEqual(topology.brokers.map((b) => b.id), [1001, 1002, 1003])
})

const dimensionsArb = fc
  .array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 3 })
  .map((sizes) => sizes.map((n, d) => ({ name: `d${d}`, values: Array.from({ length: n }, (_, v) => `v${v}`) })))

test('property: every prefix of a layout is even (+-1) on every dimension at once', () => {
  fc.assert(
    fc.property(dimensionsArb, fc.integer({ min: 1, max: 30 }), (dimensions, count) => {
      const topology = layoutBrokers(count, dimensions)
      for (let n = 1; n <= count; n++) {
        const prefix = { dimensions: topology.dimensions, brokers: topology.brokers.slice(0, n) }
        for (const dimension of dimensions) {
          const counts = dimension.values.map((v) => domainCounts(prefix, dimension.name).get(v) ?? 0)
          assert.ok(Math.max(...counts) - Math.min(...counts) <= 1, `${dimension.name} uneven at ${n}: ${counts}`)
        }
      }
      assert.deepEqual(topologyProblems(topology), [])
    }),
  )
})

test('rack is the zone dimension, else the last dimension', () => {
  const broker = { id: 0, labels: { cluster: 'k8s-1', zone: 'b', host: 'h1' } }
  assert.equal(rackOf({ dimensions: ['zone', 'cluster', 'host'] }, broker), 'b')
  assert.equal(rackOf({ dimensions: ['cluster', 'host'] }, broker), 'h1')
})

test('topology problems name the value and the fix', () => {
  const problems = topologyProblems({
    dimensions: ['cluster', 'zone', 'zone'],
    brokers: [
      { id: 1, labels: { cluster: 'k8s-1', zone: 'a' } },
      { id: 1, labels: { cluster: 'k8s-1', zome: 'b' } },
    ],
  })
  assert.deepEqual(problems, [
    'dimension "zone" is listed twice: list each dimension once',
    'broker id 1 is listed twice: give every broker its own id',
    'broker 1 has no "zone": give every broker a value for every dimension',
    'broker 1 has "zome", which is not a dimension: add "zome" to dimensions or remove it',
  ])
})
