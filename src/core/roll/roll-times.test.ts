import assert from 'node:assert/strict'
import { test } from 'node:test'
import { describeRollTimes, rollTimes } from './roll-times.ts'

test('rollTimes: the ideal, and the time before, between and after the batches', () => {
  const done = [
    { ids: [0, 1], startedAt: 10_000, restartMs: 30_000, catchUpMs: 2_000 }, // back at 42 s
    { ids: [2], startedAt: 50_000, restartMs: 20_000, catchUpMs: 1_000 }, // back at 71 s
    { ids: [90], startedAt: 101_000, restartMs: 9_000, catchUpMs: 0 }, // back at 110 s
  ]
  assert.deepEqual(rollTimes(done, { startedAt: 4_000, finishedAt: 112_500 }), {
    idealMs: 62_000,
    beforeFirstMs: 6_000,
    between: [{ ids: [2], ms: 8_000 }, { ids: [90], ms: 30_000 }],
    betweenMs: 38_000,
    afterLastMs: 2_500,
  })
  // the whole: ideal + before + between + after
  const t = rollTimes(done, { startedAt: 4_000, finishedAt: 112_500 })
  assert.equal(t.idealMs + t.beforeFirstMs! + t.betweenMs + t.afterLastMs!, 112_500 - 4_000)
})

test('rollTimes: a roll saved before batches had start times has its ideal and nothing else', () => {
  const done = [{ ids: [0], restartMs: 30_000, catchUpMs: 2_000 }, { ids: [1], startedAt: 50_000, restartMs: 20_000, catchUpMs: 1_000 }]
  assert.deepEqual(rollTimes(done, { startedAt: 0, finishedAt: 90_000 }), { idealMs: 53_000, beforeFirstMs: undefined, between: [], betweenMs: 0, afterLastMs: undefined })
  assert.deepEqual(rollTimes([]), { idealMs: 0, beforeFirstMs: undefined, between: [], betweenMs: 0, afterLastMs: undefined })
})

test('rollTimes: without the roll\'s own start and end, only the gaps between batches', () => {
  const t = rollTimes([{ ids: [0], startedAt: 0, restartMs: 10, catchUpMs: 5 }, { ids: [1], startedAt: 100, restartMs: 10, catchUpMs: 5 }])
  assert.deepEqual(t, { idealMs: 30, beforeFirstMs: undefined, between: [{ ids: [1], ms: 85 }], betweenMs: 85, afterLastMs: undefined })
})

test('describeRollTimes: the restarts and catch-ups, then the time between batches when known', () => {
  const done = [{ ids: [0], startedAt: 0, restartMs: 10_000, catchUpMs: 500 }, { ids: [1], startedAt: 12_000, restartMs: 9_000, catchUpMs: 400 }]
  assert.equal(describeRollTimes(rollTimes(done)), 'restarts and catch-ups 19.9 s, between batches 1.5 s')
  assert.equal(describeRollTimes(rollTimes([done[0]!])), 'restarts and catch-ups 10.5 s')
  assert.equal(describeRollTimes(rollTimes([])), '')
})
