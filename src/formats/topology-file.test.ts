import { test } from 'node:test'
import assert from 'node:assert/strict'
import { isKafkaplaneError } from '../core/errors.ts'
import { parseTopology } from './topology-file.ts'

test('reads the topology format of docs/architecture.md', () => {
  const topology = parseTopology(
    'dimensions: [cluster, zone]\nbrokers:\n  - {id: 0, cluster: k8s-1, zone: a}\n  - {id: 1, cluster: k8s-1, zone: 2}\n',
    't.yaml',
  )
  assert.deepEqual(topology, {
    dimensions: ['cluster', 'zone'],
    brokers: [
      { id: 0, labels: { cluster: 'k8s-1', zone: 'a' } },
      { id: 1, labels: { cluster: 'k8s-1', zone: '2' } },
    ],
  })
})

function rejects(text: string, pattern: RegExp) {
  assert.throws(
    () => parseTopology(text, 't.yaml'),
    (e) => isKafkaplaneError(e, 'BAD_TOPOLOGY') && e.exitCode === 2 && pattern.test(e.message) && e.fix.length > 0,
  )
}

test('bad topology files are refused with the value and the place', () => {
  rejects('dimensions: [zone]\nbrokers: [{id: x, zone: a}]', /brokers\[0\]\.id must be integer/)
  rejects('dimensions: [zone]\nbrokers: [{zone: a}]', /brokers\[0\] needs "id"/)
  rejects('dimension: [zone]\nbrokers: [{id: 0, zone: a}]', /unknown field "dimension"/)
  rejects('dimensions: [zone]\nbrokers: [{id: 0, zome: a}]', /broker 0 has no "zone".*broker 0 has "zome"/)
  rejects('dimensions: [zone]\nbrokers: [{id: 0, zone: a}, {id: 0, zone: b}]', /broker id 0 is listed twice/)
  rejects('dimensions: [zone\n', /not valid YAML/)
})
