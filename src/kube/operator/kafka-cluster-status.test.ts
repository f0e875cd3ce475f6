import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { brokersStanding } from './kafka-cluster-status.ts'

describe('KafkaCluster standing from its StatefulSets', () => {
  it('names every StatefulSet that lags, with ready of wanted pods', () => {
    const standing = brokersStanding([
      { cluster: 'k8s-1', name: 'kafka-k8s-1', replicas: 3, readyReplicas: 3 },
      { cluster: 'k8s-2', name: 'kafka-k8s-2', replicas: 3, readyReplicas: 1 },
    ])
    assert.deepEqual(standing, { state: 'reconciling', reason: 'BrokersNotReady', message: 'StatefulSet kafka-k8s-2 (Kubernetes cluster k8s-2) has 1 of 3 ready pods' })
  })

  it('is ready when every pod is, and counts a StatefulSet not yet there as 0 ready', () => {
    assert.equal(brokersStanding([{ cluster: 'k8s-1', name: 'kafka-k8s-1', replicas: 2, readyReplicas: 2 }]).state, 'ready')
    assert.match(brokersStanding([{ cluster: 'k8s-1', name: 'kafka-k8s-1', replicas: 2, readyReplicas: undefined }]).message, /has 0 of 2 ready pods/)
  })
})
