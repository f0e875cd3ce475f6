import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { nextPrefetchAt } from './probe-prefetch.ts'

test('a kubelet probing every 10 s: the next read starts 2 x its duration + 200 ms before the next probe', () => {
  const arrivals = [0, 10_000, 20_010, 29_990]
  assert.equal(nextPrefetchAt({ arrivals, readMs: 300, maxAgeMs: 2000 }), 29_990 + 10_000 - 800)
})

test('a slow read starts at most maxAgeMs ahead, so the answer is never older than allowed', () => {
  assert.equal(nextPrefetchAt({ arrivals: [0, 5000, 10_000], readMs: 4000, maxAgeMs: 2000 }), 13_000)
})

test('no prediction from fewer than three probes, from irregular ones, or from probes faster than a read', () => {
  assert.equal(nextPrefetchAt({ arrivals: [0, 10_000], readMs: 300, maxAgeMs: 2000 }), undefined)
  assert.equal(nextPrefetchAt({ arrivals: [0, 10_000, 14_000], readMs: 300, maxAgeMs: 2000 }), undefined, 'someone with curl')
  assert.equal(nextPrefetchAt({ arrivals: [0, 200, 400, 600], readMs: 300, maxAgeMs: 2000 }), undefined, 'share the read in flight')
  assert.equal(nextPrefetchAt({ arrivals: [5, 5, 5], readMs: 300, maxAgeMs: 2000 }), undefined)
})

test('for any regular period the read starts after the last probe and at most maxAgeMs before the next', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 60_000 }), fc.integer({ min: 3, max: 8 }), fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: 1, max: 10_000 }), (period, n, readMs, maxAgeMs) => {
      const arrivals = Array.from({ length: n }, (_, i) => 1000 + i * period)
      const last = arrivals[n - 1]!
      const start = nextPrefetchAt({ arrivals, readMs, maxAgeMs })
      if (start === undefined) return Math.min(maxAgeMs, readMs * 2 + 200) >= period
      return start > last && last + period - start <= maxAgeMs
    }),
  )
})
