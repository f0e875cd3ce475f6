import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { grid } from '../../core/placement/fixtures.ts'
import type { Topology } from '../../core/topology/topology.ts'
import { topicStatusFields } from './topic-status.ts'

// 2 Kubernetes clusters x 2 zones, 4 brokers.
const topology: Topology = { dimensions: ['cluster', 'zone'], brokers: grid(4, ['k8s-1', 'k8s-2'], ['a', 'b']) }
const topic = (replicas: number[][]) => replicas.map((r, partition) => ({ topic: 't', partition, replicas: r }))

describe('topic status: the actual assignment and its survivability verdict', () => {
  it('RF 4 min.insync 2 over 2 clusters x 2 zones survives any domain loss', () => {
    const status = topicStatusFields('t', topic([[0, 1, 2, 3], [3, 2, 1, 0]]), 2, topology)
    assert.equal(status.survivability.verdict, 'survives-any-domain-loss')
    assert.equal(status.replicationFactor, 4)
    assert.deepEqual(status.assignment[1], { partition: 1, replicas: [3, 2, 1, 0] })
    assert.deepEqual(status.survivability.dimensions.map((d) => [d.dimension, d.writableAfterDomainLoss]), [['cluster', 2], ['zone', 2]])
  })

  it('RF 2 in one cluster survives a zone but not a cluster', () => {
    assert.equal(topicStatusFields('t', topic([[0, 1]]), 1, topology).survivability.verdict, 'survives-zone-loss')
  })

  it('RF 3 min.insync 2 in one zone survives a broker only; RF 1 is fragile; unknown brokers count as one domain', () => {
    assert.equal(topicStatusFields('t', topic([[0, 2, 7]]), 2, topology).survivability.verdict, 'survives-broker-loss')
    assert.equal(topicStatusFields('t', topic([[0]]), 1, topology).survivability.verdict, 'fragile')
  })
})
