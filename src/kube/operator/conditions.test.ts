import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { mergeConditions, standingConditions, statusChanged } from './conditions.ts'

describe('status conditions', () => {
  it('gives Ready, Reconciling and Degraded for each standing', () => {
    const of = (state: 'ready' | 'reconciling' | 'degraded') =>
      standingConditions({ state, reason: 'R', message: 'm' }, 3).map((c) => `${c.type}=${c.status}:${c.reason}@${c.observedGeneration}`)
    assert.deepEqual(of('ready'), ['Ready=True:R@3', 'Reconciling=False:Idle@3', 'Degraded=False:AsExpected@3'])
    assert.deepEqual(of('reconciling'), ['Ready=False:R@3', 'Reconciling=True:R@3', 'Degraded=False:AsExpected@3'])
    assert.deepEqual(of('degraded'), ['Ready=False:R@3', 'Reconciling=False:Idle@3', 'Degraded=True:R@3'])
  })

  it('keeps lastTransitionTime while a status does not change', () => {
    const first = mergeConditions(undefined, standingConditions({ state: 'reconciling', reason: 'BrokersNotReady', message: 'StatefulSet kafka-k8s-2 has 1 of 3 ready pods' }, 1), 't1')
    const second = mergeConditions(first, standingConditions({ state: 'reconciling', reason: 'BrokersNotReady', message: 'StatefulSet kafka-k8s-2 has 2 of 3 ready pods' }, 1), 't2')
    assert.deepEqual(second.map((c) => c.lastTransitionTime), ['t1', 't1', 't1'])
    const third = mergeConditions(second, standingConditions({ state: 'ready', reason: 'BrokersReady', message: 'all 6 brokers ready' }, 1), 't3')
    assert.deepEqual(third.map((c) => `${c.type}:${c.lastTransitionTime}`), ['Ready:t3', 'Reconciling:t3', 'Degraded:t1'])
  })

  it('sees no change when only transition times differ', () => {
    const a = { brokers: 3, conditions: mergeConditions(undefined, standingConditions({ state: 'ready', reason: 'R', message: '' }, 1), 't1') }
    const b = { conditions: mergeConditions(undefined, standingConditions({ state: 'ready', reason: 'R', message: '' }, 1), 't2'), brokers: 3 }
    assert.equal(statusChanged(a, b), false)
    assert.equal(statusChanged(a, { ...b, brokers: 4 }), true)
  })
})
