import assert from 'node:assert/strict'
import { test } from 'node:test'
import { decide, DEFAULT_TIMINGS, observe, released, stillLeading, type LeaseObservation, type LeaseRecord } from './lease-decision.ts'

const held = (holderIdentity: string, renewTime = 1000, leaseTransitions = 2): LeaseRecord => ({ holderIdentity, leaseDurationSeconds: 15, acquireTime: 500, renewTime, leaseTransitions })
const seen = (record: LeaseRecord, observedAt: number, version = '7'): LeaseObservation => ({ record, version, observedAt })

test('no Lease: create it, held by me, no transitions yet', () => {
  assert.deepEqual(decide(undefined, 'a', 5000), { action: 'create', record: { holderIdentity: 'a', leaseDurationSeconds: 15, acquireTime: 5000, renewTime: 5000, leaseTransitions: 0 } })
})

test('my own Lease: renew it with the version read, keeping acquireTime and transitions', () => {
  assert.deepEqual(decide(seen(held('a'), 0), 'a', 9000), { action: 'renew', version: '7', record: { ...held('a'), renewTime: 9000 } })
  // Even when it looks expired (this process was paused): the record still names me, nobody took it.
  assert.equal(decide(seen(held('a'), 0), 'a', 60_000).action, 'renew')
})

test("another's Lease: wait until its record has not changed for leaseDurationSeconds by MY clock, then take it over", () => {
  // Its renewTime says 1 s since the epoch (another node's clock, far behind ours): not used.
  const observed = seen(held('b', 1000), 100_000)
  assert.deepEqual(decide(observed, 'a', 100_000), { action: 'wait', holder: 'b', expiresAt: 115_000 })
  assert.deepEqual(decide(observed, 'a', 114_999), { action: 'wait', holder: 'b', expiresAt: 115_000 })
  assert.deepEqual(decide(observed, 'a', 115_000), {
    action: 'acquire',
    version: '7',
    record: { holderIdentity: 'a', leaseDurationSeconds: 15, acquireTime: 115_000, renewTime: 115_000, leaseTransitions: 3 },
  })
  // The holder's own duration counts (a holder configured for 30 s is waited for 30 s).
  assert.equal(decide(seen({ ...held('b'), leaseDurationSeconds: 30 }, 0), 'a', 20_000).action, 'wait')
})

test('a released Lease (no holder) is taken over at once, counting a transition', () => {
  const free = seen({ ...held(''), leaseDurationSeconds: 1 }, 50_000)
  assert.deepEqual(decide(free, 'a', 50_000), { action: 'acquire', version: '7', record: { holderIdentity: 'a', leaseDurationSeconds: 15, acquireTime: 50_000, renewTime: 50_000, leaseTransitions: 3 } })
})

test('observe: the time a record was first seen stays while the record stays, and moves when it changes', () => {
  const first = observe(undefined, { record: held('b', 1000), version: '1' }, 10_000)!
  assert.equal(first.observedAt, 10_000)
  // Read again, unchanged (another resourceVersion alone, say a label added, is no renewal).
  const again = observe(first, { record: held('b', 1000), version: '2' }, 14_000)!
  assert.deepEqual([again.observedAt, again.version], [10_000, '2'])
  const renewed = observe(again, { record: held('b', 3000), version: '3' }, 16_000)!
  assert.equal(renewed.observedAt, 16_000)
  assert.equal(observe(renewed, undefined, 17_000), undefined, 'deleted: no observation')
})

test('released: only by its holder, clearing the holder with a 1 s lease and keeping the transitions', () => {
  assert.deepEqual(released({ record: held('a'), version: '4' }, 'a', 70_000), { holderIdentity: '', leaseDurationSeconds: 1, acquireTime: 70_000, renewTime: 70_000, leaseTransitions: 2 })
  assert.equal(released({ record: held('b'), version: '4' }, 'a', 70_000), undefined)
})

test('stillLeading: until the renew deadline after the last successful renew began', () => {
  assert.equal(stillLeading(1000, 1000 + DEFAULT_TIMINGS.renewDeadlineMs - 1), true)
  assert.equal(stillLeading(1000, 1000 + DEFAULT_TIMINGS.renewDeadlineMs), false)
  assert.ok(DEFAULT_TIMINGS.renewDeadlineMs < DEFAULT_TIMINGS.leaseDurationMs, 'a holder stops before anyone may take over')
})
