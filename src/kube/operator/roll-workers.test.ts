import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { newRollState } from '../../operations/roller.ts'
import { withState, type RollStatus } from './roll-workers.ts'

describe('status.roll follows the roll state', () => {
  const started = () => {
    const state = newRollState('cluster-1', [], Date.parse('2026-12-03T14:00:00Z'))
    const status: RollStatus = { ...structuredClone(state), phase: 'restarting', message: 'starting a roll' }
    return { state, status }
  }

  it('a batch saved as current is written; once it is back and recorded, current goes from the status too', () => {
    const { state, status } = started()
    state.current = { ids: [0, 1], reasons: ['config: config hash a -> b'], startedAt: 1 }
    withState(status, state)
    assert.deepEqual(status.current?.ids, [0, 1])
    state.done.push({ ids: [0, 1], reasons: ['config: config hash a -> b'], restartMs: 50_000, catchUpMs: 100 })
    delete state.current
    withState(status, state, { phase: 'waiting', message: 'looking for the next batch' })
    assert.equal('current' in status, false, JSON.stringify(status))
    assert.deepEqual(JSON.parse(JSON.stringify(status)), { ...JSON.parse(JSON.stringify(state)), phase: 'waiting', message: 'looking for the next batch' })
  })

  it('a batch refused by its budget and dropped leaves no current behind (a resumed roll would count it restarted; its budget would stay raised)', () => {
    const { state, status } = started()
    state.current = { ids: [100], reasons: ['version: Kafka 4.1.1 -> 4.4.0'], startedAt: 1 }
    withState(status, state)
    delete state.current
    withState(status, state, { phase: 'blocked', message: '100: the PodDisruptionBudget allows no eviction now' })
    assert.equal(status.current, undefined)
    assert.deepEqual(status.done, [])
    assert.equal(status.phase, 'blocked')
  })

  it('the status keeps what the roller does now (phase, message, ETA) beside the state, and the state is copied, not shared', () => {
    const { state, status } = started()
    state.current = { ids: [2], reasons: ['manual: restart requested'], startedAt: 1 }
    withState(status, state, { phase: 'waiting', message: 'waiting for broker 2', etaSeconds: 30 })
    state.current.ids.push(3)
    assert.deepEqual(status.current?.ids, [2])
    assert.equal(status.etaSeconds, 30)
    withState(status, state, { etaSeconds: undefined })
    assert.equal(JSON.parse(JSON.stringify(status)).etaSeconds, undefined)
    assert.deepEqual(status.current?.ids, [2, 3])
  })
})
