import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import {
  DEFAULT_EVALUATOR,
  EMPTY_WINDOW,
  groupStatus,
  observe,
  observeCommit,
  partitionStatus,
  PARTITION_STATUSES,
  type PartitionStatus,
  type PartitionWindow,
} from './consumer-status.ts'

/**
 * Burrow's own table for its partition rules (linkedin/Burrow, core/internal/evaluator/caching_test.go,
 * `tests`, cases 0-15), carried over as they are: samples are [offset, timestamp ms, lag], `nowSeconds`
 * is Burrow's timeNow (seconds).
 */
const BURROW_CASES: { n: number; samples: [number, number, number | undefined][]; highWatermarks: number[]; currentLag: number; nowSeconds: number; allowedLag: number; status: PartitionStatus }[] = [
  { n: 0, samples: [[1000, 100000, 0], [2000, 200000, 50], [3000, 300000, 100], [4000, 400000, 150], [5000, 500000, 200]], highWatermarks: [5200], currentLag: 200, nowSeconds: 600, allowedLag: 0, status: 'OK' }, // returns OK because there is zero lag somewhere
  { n: 1, samples: [[1000, 100000, 0], [2000, 200000, 50], [3000, 300000, 100], [4000, 400000, 150], [5000, 500000, 200]], highWatermarks: [5200], currentLag: 200, nowSeconds: 900, allowedLag: 0, status: 'OK' }, // same status. does not return true for stop because time since last commit (400s) is equal to the difference (500-100), not greater than
  { n: 2, samples: [[1000, 100000, 0], [2000, 200000, 50], [3000, 300000, 100], [4000, 400000, 150], [5000, 500000, 200]], highWatermarks: [5200], currentLag: 200, nowSeconds: 1000, allowedLag: 0, status: 'STOP' }, // status is now STOP because the time since last commit is great enough (500s), even though lag is zero at the start (fixed due to #290)
  { n: 3, samples: [[1000, 100000, 50], [2000, 200000, 100], [3000, 300000, 150], [4000, 400000, 200], [5000, 500000, 250]], highWatermarks: [5250], currentLag: 250, nowSeconds: 1000, allowedLag: 0, status: 'STOP' }, // status is STOP when lag is always non-zero as well
  { n: 4, samples: [[1000, 100000, 0], [1000, 200000, 50], [1000, 300000, 100], [1000, 400000, 150], [1000, 500000, 200]], highWatermarks: [1200], currentLag: 200, nowSeconds: 600, allowedLag: 0, status: 'OK' }, // status is OK because of zero lag, but stall is true because the offset is always the same and there is lag (another commit with turn this to stall)
  { n: 5, samples: [[1000, 100000, 100], [1000, 200000, 150], [1000, 300000, 200], [1000, 400000, 250], [1000, 500000, 300]], highWatermarks: [1300], currentLag: 300, nowSeconds: 600, allowedLag: 0, status: 'STALL' }, // status is now STALL because the lag is always non-zero
  { n: 6, samples: [[1000, 100000, 100], [1000, 200000, 100], [1000, 300000, 100], [1000, 400000, 100], [1000, 500000, 100]], highWatermarks: [1100], currentLag: 100, nowSeconds: 600, allowedLag: 0, status: 'STALL' }, // status is still STALL even when the lag stays the same
  { n: 7, samples: [[1000, 100000, 100], [2000, 200000, 150], [3000, 300000, 200], [2000, 400000, 1250], [4000, 500000, 300]], highWatermarks: [4300], currentLag: 300, nowSeconds: 600, allowedLag: 0, status: 'OK' }, // status is OK because the offsets go backwards, but though the lag does decrease within the window (caught up the rewind)
  { n: 8, samples: [[1000, 100000, 50], [2000, 200000, 100], [3000, 300000, 150], [4000, 400000, 200], [5000, 500000, 250]], highWatermarks: [5250], currentLag: 0, nowSeconds: 1000, allowedLag: 0, status: 'OK' }, // status is OK because the current lag is 0 (even though the offsets show lag), even though it would be considered stopped due to timestamps
  { n: 9, samples: [[792748079, 1512224618356, 0], [792748080, 1512224619362, 0], [792748081, 1512224620366, 0], [792748082, 1512224621367, 0], [792748083, 1512224622370, 0], [792748084, 1512224623373, 0], [792748085, 1512224624378, 0], [792748086, 1512224625379, 0], [792748087, 1512224626383, 0], [792748088, 1512224627383, 0], [792748089, 1512224628383, 0], [792748090, 1512224629388, 0], [792748091, 1512224630391, 0], [792748092, 1512224631394, 0], [792748093, 1512224632397, 0]], highWatermarks: [792749024, 792749000, 792748800, 792748600, 792748500], currentLag: 931, nowSeconds: 1512224650, allowedLag: 0, status: 'STOP' }, // status is STOP due to timestamps because the current lag is non-zero, even though lag is always zero in offsets, only because there is new data (#290)
  { n: 10, samples: [[792748079, 1512224618356, 0], [792748080, 1512224619362, 0], [792748081, 1512224620366, 0], [792748082, 1512224621367, 0], [792748083, 1512224622370, 0], [792748084, 1512224623373, 0], [792748085, 1512224624378, 0], [792748086, 1512224625379, 0], [792748087, 1512224626383, 0], [792748088, 1512224627383, 0], [792748089, 1512224628383, 0], [792748090, 1512224629388, 0], [792748091, 1512224630391, 0], [792748092, 1512224631394, 0], [792748093, 1512224632397, 0]], highWatermarks: [792748094, 792748093, 792748093, 792748093], currentLag: 1, nowSeconds: 1512224650, allowedLag: 0, status: 'OK' }, // status is OK, even though it would be stop due to timestamps, as within the recent broker offset window the lag was zero (#303)
  { n: 11, samples: [[1000, 100000, 0], [1500, 150000, undefined], [2000, 200000, 50], [2500, 250000, undefined], [3000, 300000, 100], [3500, 350000, undefined], [4000, 400000, 150], [4500, 450000, undefined], [5000, 500000, 200], [5500, 550000, undefined]], highWatermarks: [5700], currentLag: 200, nowSeconds: 600, allowedLag: 0, status: 'OK' }, // same case as test 0 with additional `nil` lag entries which should not affect results
  { n: 12, samples: [[1000, 100000, 2], [2000, 200000, 1], [2000, 300000, 1]], highWatermarks: [2001], currentLag: 1, nowSeconds: 550, allowedLag: 1, status: 'OK' }, // status is OK despite the fact that the current lag is greater zero and the time since last commit is great enough because of the configured allowed lag
  { n: 13, samples: [[1000, 100000, 100], [1000, 200000, 150], [1000, 300000, 200], [1000, 400000, 250], [1000, 500000, 300]], highWatermarks: [1300], currentLag: 300, nowSeconds: 600, allowedLag: 99, status: 'STALL' }, // same as 5 but with an allowed lag
  { n: 14, samples: [[1000, 100000, 100], [2000, 200000, 150], [3000, 300000, 200], [2000, 400000, 1250], [4000, 500000, 300]], highWatermarks: [4300], currentLag: 300, nowSeconds: 600, allowedLag: 99, status: 'OK' }, // same as 7 but with an allowed lag
  { n: 15, samples: [[1000, 100000, 100], [2000, 200000, 150], [3000, 300000, 200], [2000, 400000, 1250], [2500, 500000, 300]], highWatermarks: [4300], currentLag: 300, nowSeconds: 600, allowedLag: 0, status: 'REWIND' }, // Rewind, but we did not catch up to the previous point
]

test("Burrow's own evaluator cases give Burrow's statuses", () => {
  for (const c of BURROW_CASES) {
    const window: PartitionWindow = { samples: c.samples.map(([offset, at, lag]) => ({ offset, at, lag })), highWatermarks: c.highWatermarks }
    const got = partitionStatus(window, c.currentLag, c.nowSeconds * 1000, { ...DEFAULT_EVALUATOR, allowedLag: c.allowedLag })
    assert.equal(got, c.status, `Burrow case ${c.n}`)
  }
})

test('a group takes its worst partition status; STOP, STALL and REWIND are ERR', () => {
  assert.equal(groupStatus([]), 'OK')
  assert.equal(groupStatus(['OK', 'WARN', 'OK']), 'WARN')
  assert.equal(groupStatus(['WARN', 'STALL']), 'ERR')
  fc.assert(
    fc.property(fc.array(fc.constantFrom(...PARTITION_STATUSES)), (statuses) => {
      const expected = statuses.some((s) => s === 'STOP' || s === 'STALL' || s === 'REWIND') ? 'ERR' : statuses.includes('WARN') ? 'WARN' : 'OK'
      assert.equal(groupStatus(statuses), expected)
    }),
  )
})

const sample = fc.record({ offset: fc.nat(1_000_000), at: fc.nat(1_000_000_000), lag: fc.option(fc.nat(1_000_000), { nil: undefined }) })

test('a partition at or below the allowed lag is OK whatever its history', () => {
  fc.assert(
    fc.property(fc.array(sample, { maxLength: 12 }), fc.array(fc.nat(2_000_000), { maxLength: 10 }), fc.nat(50), fc.nat(2_000_000_000), (samples, highWatermarks, allowedLag, now) => {
      samples.sort((a, b) => a.at - b.at)
      const lag = Math.min(allowedLag, 7)
      assert.equal(partitionStatus({ samples, highWatermarks }, lag, now, { ...DEFAULT_EVALUATOR, allowedLag }), 'OK')
    }),
  )
})

test('the window keeps the newest `intervals` samples and high watermarks, oldest first', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.option(fc.nat(), { nil: undefined }), fc.option(sample, { nil: undefined })), { maxLength: 30 }), fc.integer({ min: 1, max: 12 }), (steps, intervals) => {
      let window = EMPTY_WINDOW
      for (const [hw, s] of steps) window = observe(window, hw, s, intervals)
      const samples = steps.map(([, s]) => s).filter((s) => s !== undefined)
      const hws = steps.map(([hw]) => hw).filter((h) => h !== undefined)
      assert.deepEqual(window.samples, samples.slice(-intervals))
      assert.deepEqual(window.highWatermarks, hws.slice(-intervals))
    }),
  )
})

test('as the exporter sees consumers: a live slow consumer WARNs, a live stuck one STALLs, a gone one STOPs, a healthy one is OK', () => {
  // One observation every 30 s, lag measured against a high watermark that grows 100 records each time.
  const run = (offsetAt: (i: number) => number, members: (i: number) => boolean, steps = 10) => {
    let window = EMPTY_WINDOW
    let status: PartitionStatus = 'OK'
    for (let i = 0; i < steps; i++) {
      const hw = 1000 + 100 * i
      const offset = offsetAt(i)
      const at = i * 30_000
      window = observeCommit(window, { offset, previousOffset: i === 0 ? undefined : offsetAt(i - 1), members: members(i) ? 1 : 0, highWatermark: hw, at })
      status = partitionStatus(window, hw - offset, at)
    }
    return status
  }
  assert.equal(run((i) => 1000 + 100 * i, () => true), 'OK', 'keeps up: lag 0')
  assert.equal(run((i) => 900 + 50 * i, () => true), 'WARN', 'moves, but the lag grows')
  assert.equal(run(() => 900, () => true), 'STALL', 'commits the same offset while records arrive')
  // Left at step 5; STOP once the recent high watermarks no longer show it caught up and the silence
  // outlasts the window.
  assert.equal(run((i) => (i < 5 ? 900 + 100 * i : 1300), (i) => i < 5, 20), 'STOP', 'left at step 5: no samples since, lag grows')
})
