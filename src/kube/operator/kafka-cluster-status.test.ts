import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { ScaleStatus } from '../model/scale.ts'
import { brokersStanding, scaleStanding } from './kafka-cluster-status.ts'

describe('KafkaCluster standing from its StatefulSets', () => {
  it('names every StatefulSet that lags, with ready of wanted pods', () => {
    const standing = brokersStanding([
      { cluster: 'k8s-1', name: 'kafka-k8s-1', role: 'broker', replicas: 3, readyReplicas: 3 },
      { cluster: 'k8s-2', name: 'kafka-k8s-2', role: 'broker', replicas: 3, readyReplicas: 1 },
    ])
    assert.deepEqual(standing, { state: 'reconciling', reason: 'BrokersNotReady', message: 'StatefulSet kafka-k8s-2 (Kubernetes cluster k8s-2) has 1 of 3 ready pods' })
  })

  it('is ready when every pod is, and counts a StatefulSet not yet there as 0 ready', () => {
    assert.equal(brokersStanding([{ cluster: 'k8s-1', name: 'kafka-k8s-1', role: 'broker', replicas: 2, readyReplicas: 2 }]).state, 'ready')
    assert.match(brokersStanding([{ cluster: 'k8s-1', name: 'kafka-k8s-1', role: 'broker', replicas: 2, readyReplicas: undefined }]).message, /has 0 of 2 ready pods/)
  })

  it('waits for dedicated controllers as for brokers, and counts them apart', () => {
    const controllers = { cluster: 'k8s-1', name: 'kafka-k8s-1-controller', role: 'controller', replicas: 3 } as const
    const brokers = { cluster: 'k8s-1', name: 'kafka-k8s-1', role: 'broker', replicas: 3, readyReplicas: 3 } as const
    assert.deepEqual(brokersStanding([{ ...controllers, readyReplicas: 2 }, brokers]), { state: 'reconciling', reason: 'BrokersNotReady', message: 'StatefulSet kafka-k8s-1-controller (Kubernetes cluster k8s-1) has 2 of 3 ready pods' })
    assert.deepEqual(brokersStanding([{ ...controllers, readyReplicas: 3 }, brokers]), { state: 'ready', reason: 'BrokersReady', message: 'all 3 brokers and 3 dedicated controllers are ready' })
  })
})

describe('KafkaCluster standing with a scale', () => {
  const ready = { state: 'ready', reason: 'BrokersReady', message: 'all 8 brokers are ready' } as const
  const notReady = { state: 'reconciling', reason: 'BrokersNotReady', message: 'StatefulSet kafka-k8s-1 (Kubernetes cluster k8s-1) has 3 of 4 ready pods' } as const
  const scale = (phase: ScaleStatus['phase'], extra: Partial<ScaleStatus> = {}): ScaleStatus => ({ scaleId: 's', generation: 1, startedAt: '', from: [], to: [], adding: [3], removing: [], phase, message: `the ${phase} message`, ...extra })

  it('refused is Degraded with the refusal, whatever the brokers say', () => {
    assert.deepEqual(scaleStanding(scale('refused'), notReady), { state: 'degraded', reason: 'ScaleRefused', message: 'the refused message' })
  })

  it('under way or waiting is Reconciling once the brokers are ready; before, the brokers say more', () => {
    assert.deepEqual(scaleStanding(scale('moving', { problem: 'Kafka did not answer' }), ready), { state: 'reconciling', reason: 'Scaling', message: 'the moving message (Kafka did not answer); rolling restarts wait for it' })
    assert.deepEqual(scaleStanding(scale('waiting'), ready), { state: 'reconciling', reason: 'ScaleWaiting', message: 'the waiting message' })
    assert.deepEqual(scaleStanding(scale('starting-brokers'), notReady), notReady)
    assert.deepEqual(scaleStanding(scale('finished'), ready), ready)
    assert.deepEqual(scaleStanding(undefined, ready), ready)
  })
})
