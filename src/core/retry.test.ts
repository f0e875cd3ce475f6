import { test } from 'node:test'
import assert from 'node:assert/strict'
import { KafkaplaneError } from './errors.ts'
import { retrying, type RetryOptions } from './retry.ts'

const transient = (n: number) => new KafkaplaneError('KAFKA_REQUEST_FAILED', `not answering ${n}`, { fix: 'wait', retriable: true })
const refused = new KafkaplaneError('KAFKA_REQUEST_REFUSED', 'invalid config', { fix: 'fix the config' })

/**
 * An attempt that fails with `failures` in turn (each one taking `attemptMs` of the test's clock), then
 * answers 'ok'; the clock moves only when the attempt or the wait says so.
 */
function harness(failures: Error[], attemptMs = 0, options: Partial<RetryOptions> = {}) {
  let now = 1000
  const calls: number[] = []
  const retried: string[] = []
  const waits: number[] = []
  const attempt = async () => {
    calls.push(now)
    now += attemptMs
    const failure = failures[calls.length - 1]
    if (failure) throw failure
    return 'ok'
  }
  const run = retrying(attempt, {
    limitMs: 10_000,
    intervalMs: 2000,
    onRetry: (err) => retried.push(err.message),
    now: () => now,
    sleep: async (ms) => {
      waits.push(ms)
      now += ms
    },
    ...options,
  })
  return { run, calls, retried, waits }
}

test('a retriable error is tried again, intervalMs later, until the attempt answers', async () => {
  const h = harness([transient(1), transient(2)])
  assert.equal(await h.run, 'ok')
  assert.deepEqual(h.calls, [1000, 3000, 5000])
  assert.deepEqual(h.waits, [2000, 2000])
})

test('onRetry is called with each error that is tried again, and not after a success', async () => {
  const h = harness([transient(1), transient(2), transient(3)])
  assert.equal(await h.run, 'ok')
  assert.deepEqual(h.retried, ['not answering 1', 'not answering 2', 'not answering 3'])
})

test('an error that is not retriable is thrown at once, untried again', async () => {
  for (const err of [refused, new Error('a bug')]) {
    const h = harness([err, err])
    await assert.rejects(h.run, err)
    assert.equal(h.calls.length, 1)
    assert.deepEqual(h.retried, [])
    assert.deepEqual(h.waits, [])
  }
})

test('a non-retriable error after retriable ones is thrown at once', async () => {
  const h = harness([transient(1), refused])
  await assert.rejects(h.run, refused)
  assert.equal(h.calls.length, 2)
  assert.deepEqual(h.retried, ['not answering 1'])
})

test('once limitMs has passed, the last retriable error is thrown', async () => {
  const failures = Array.from({ length: 20 }, (_, i) => transient(i + 1))
  const h = harness(failures)
  // Attempts at 0, 2, 4, 6, 8 and 10 s after the first: the one at 10 s fails on the limit.
  await assert.rejects(h.run, failures[5])
  assert.deepEqual(h.calls, [1000, 3000, 5000, 7000, 9000, 11_000])
  assert.equal(h.retried.length, 5, 'the error thrown is not announced as retried')
})

test('the limit counts the attempts time too, not only the waits', async () => {
  const failures = Array.from({ length: 20 }, (_, i) => transient(i + 1))
  // Each attempt takes 4 s (a request running to its timeout): 0-4 s, 6-10 s, then past the limit.
  const h = harness(failures, 4000)
  await assert.rejects(h.run, failures[1])
  assert.deepEqual(h.calls, [1000, 7000])
})

test('a limit of 0 makes one attempt', async () => {
  const h = harness([transient(1)], 0, { limitMs: 0 })
  await assert.rejects(h.run, /not answering 1/)
  assert.equal(h.calls.length, 1)
})
