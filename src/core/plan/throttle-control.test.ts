import { test } from 'node:test'
import assert from 'node:assert/strict'
import { busiestReceived, MIN_MEASURED_MS, ThrottleControl } from './throttle-control.ts'

test('learns the quota efficiency and configures target / efficiency, within bounds', () => {
  const control = new ThrottleControl(1000)
  // Under MIN_MEASURED_MS: unchanged.
  assert.equal(control.record({ bytes: 800, configured: 1000, ms: 1000 }, 1000), 1000)
  let configured = 1000
  for (let i = 0; i < 10; i++) configured = control.record({ bytes: 0.8 * configured, configured, ms: 1000 }, configured)
  assert.equal(configured, 1250)
  assert.ok(Math.abs(control.efficiency! - 0.8) < 1e-9)
  const fast = new ThrottleControl(1000)
  assert.equal(fast.record({ bytes: 3000 * (MIN_MEASURED_MS / 1000), configured: 1000, ms: MIN_MEASURED_MS }, 1000), 500, 'never below half the target')
  const slow = new ThrottleControl(1000)
  assert.equal(slow.record({ bytes: 100, configured: 1000, ms: MIN_MEASURED_MS }, 1000), 1500, 'never above 1.5x the target')
})

test('bursty measurements average out', () => {
  const control = new ThrottleControl(1000)
  let configured = 1000
  // 800 B/s on average, arriving as 1600 B every other second.
  for (let i = 0; i < 20; i++) configured = control.record({ bytes: i % 2 === 0 ? 1600 : 0, configured: 1000, ms: 1000 }, configured)
  assert.equal(configured, 1250)
})

test('the busiest receiving broker sets the pace', () => {
  assert.equal(busiestReceived(new Map([[1, 0], [2, 100]]), new Map([[1, 5000], [2, 2100]])), 5000)
})
