import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { offsetRanges, parseRecordKey, recordKey, verifyVerdict, VerifyLedger } from './ledger.ts'

const RUN = 'run1'

type Event =
  | { type: 'sent'; key: string }
  | { type: 'acked'; key: string; topic: string; partition: number; offset: number; latencyMs: number }
  | { type: 'error'; key: string; message: string }
  | { type: 'consumed'; key: string; topic: string; partition: number; offset: number }

function apply(ledger: VerifyLedger, events: readonly Event[]): VerifyLedger {
  for (const e of events) {
    if (e.type === 'sent') ledger.sent(e.key)
    else if (e.type === 'acked') ledger.acked(e.key, e.topic, e.partition, e.offset, e.latencyMs)
    else if (e.type === 'error') ledger.produceError(e.key, e.message)
    else ledger.consumed(e.topic, e.partition, e.offset, e.key)
  }
  return ledger
}

/** A run written in order: `streams` producers, each record to a partition; offsets follow the write order. */
interface Scenario {
  /** Per stream, the partition (0..partitions-1) of each record in seq order. */
  streams: number[][]
  /** The order the records reach the log: stream indexes, each stream's next record. */
  writeOrder: number[]
  /** Picks which ready event comes next. */
  choices: number[]
}

const scenario: fc.Arbitrary<Scenario> = fc
  .record({
    partitions: fc.integer({ min: 1, max: 4 }),
    sizes: fc.array(fc.integer({ min: 0, max: 25 }), { minLength: 1, maxLength: 3 }),
  })
  .chain(({ partitions, sizes }) =>
    fc.record({
      streams: fc.tuple(...sizes.map((n) => fc.array(fc.integer({ min: 0, max: partitions - 1 }), { minLength: n, maxLength: n }))),
      writeOrder: fc.shuffledSubarray(sizes.flatMap((n, s) => Array.from({ length: n }, () => s)), { minLength: sizes.reduce((a, b) => a + b, 0) }),
      choices: fc.array(fc.nat(), { minLength: 1, maxLength: 400 }),
    }),
  )

/**
 * The log and the events of a clean run, interleaved by `choices`: each stream sends in seq order; a
 * record's ack and its read come after its send, in either order; each partition is read in offset order.
 */
function cleanRun(s: Scenario): { events: Event[]; log: Map<number, { key: string; offset: number }[]> } {
  const log = new Map<number, { key: string; offset: number }[]>()
  const next = s.streams.map(() => 0)
  for (const stream of s.writeOrder) {
    const seq = next[stream]!++
    const partition = s.streams[stream]![seq]!
    const entries = log.get(partition) ?? []
    entries.push({ key: recordKey(RUN, stream, seq), offset: entries.length })
    log.set(partition, entries)
  }
  const position = new Map<string, { partition: number; offset: number }>()
  for (const [partition, entries] of log) for (const e of entries) position.set(e.key, { partition, offset: e.offset })

  const queues: Event[][] = s.streams.map((records, stream) => records.map((_, seq) => ({ type: 'sent', key: recordKey(RUN, stream, seq) })))
  for (const [key, { partition, offset }] of position) queues.push([{ type: 'acked', key, topic: 't', partition, offset, latencyMs: offset }])
  for (const [partition, entries] of log) queues.push(entries.map((e) => ({ type: 'consumed', key: e.key, topic: 't', partition, offset: e.offset })))
  const sent = new Set<string>()
  const events: Event[] = []
  for (let step = 0; ; step++) {
    const ready = queues.filter((q) => q.length > 0 && (q[0]!.type === 'sent' || sent.has(q[0]!.key)))
    if (ready.length === 0) break
    const event = ready[s.choices[step % s.choices.length]! % ready.length]!.shift()!
    if (event.type === 'sent') sent.add(event.key)
    events.push(event)
  }
  return { events, log }
}

test('record keys round-trip; other keys are not records', () => {
  assert.deepEqual(parseRecordKey(recordKey('abc', 2, 17)), { runId: 'abc', stream: 2, seq: 17 })
  for (const key of ['', 'abc', 'abc:1', 'abc::1', 'abc:1:', ':1:2', 'abc:x:1', 'abc:1:-1', 'abc:1:1.5']) assert.equal(parseRecordKey(key), undefined, key)
})

test('property: any interleaving of a clean run gives lost 0, duplicated 0, out of order 0', () => {
  fc.assert(
    fc.property(scenario, (s) => {
      const { events } = cleanRun(s)
      const total = s.streams.reduce((n, r) => n + r.length, 0)
      const report = apply(new VerifyLedger(RUN), events).report()
      assert.equal(report.sent, total)
      assert.equal(report.acknowledged, total)
      assert.equal(report.unacknowledged, 0)
      assert.equal(report.consumed, total)
      assert.equal(report.lost, 0)
      assert.deepEqual(report.duplicated, { records: 0, extraCopies: 0 })
      assert.equal(report.outOfOrder, 0)
      assert.equal(verifyVerdict(report).ok, total > 0)
    }),
  )
})

test('property: one acknowledged record never read is exactly one lost, at its partition and offset', () => {
  fc.assert(
    fc.property(scenario.filter((s) => s.streams.some((r) => r.length > 0)), fc.nat(), (s, pick) => {
      const { events } = cleanRun(s)
      const reads = events.filter((e) => e.type === 'consumed')
      const dropped = reads[pick % reads.length]!
      const report = apply(new VerifyLedger(RUN), events.filter((e) => e !== dropped)).report()
      assert.equal(report.lost, 1)
      assert.equal(report.outOfOrder, 0)
      assert.equal(report.duplicated.records, 0)
      const row = report.partitions.find((p) => p.partition === dropped.partition)!
      assert.equal(row.lost, 1)
      assert.deepEqual(row.lostOffsets, [String(dropped.offset)])
      assert.equal(verifyVerdict(report).ok, false)
    }),
  )
})

test('property: re-reading positions already read (a consumer restart) is neither a duplicate nor out of order', () => {
  fc.assert(
    fc.property(scenario.filter((s) => s.streams.some((r) => r.length > 1)), fc.nat(), (s, pick) => {
      const { events } = cleanRun(s)
      const reads = events.filter((e) => e.type === 'consumed')
      // Rewind one partition to an earlier offset and read it again from there.
      const from = reads[pick % reads.length]!
      const again = reads.filter((e) => e.partition === from.partition && e.offset >= from.offset)
      const report = apply(new VerifyLedger(RUN), [...events, ...again]).report()
      assert.equal(report.lost, 0)
      assert.equal(report.duplicated.records, 0)
      assert.equal(report.outOfOrder, 0)
      assert.equal(report.redelivered, again.length)
    }),
  )
})

function simple(ledger: VerifyLedger, stream: number, seq: number, partition: number, offset: number, topic = 't'): string {
  const key = recordKey(RUN, stream, seq)
  ledger.sent(key)
  ledger.acked(key, topic, partition, offset, 5)
  return key
}

test('a second copy at another offset is a duplicate; a lower seq after a higher one is out of order', () => {
  const ledger = new VerifyLedger(RUN)
  const k0 = simple(ledger, 0, 0, 0, 0)
  const k1 = simple(ledger, 0, 1, 0, 1)
  ledger.consumed('t', 0, 0, k0)
  ledger.consumed('t', 0, 1, k1)
  ledger.consumed('t', 0, 2, k0) // the same record again, at a new offset: a copy, and seq 0 after 1
  const report = ledger.report()
  assert.deepEqual(report.duplicated, { records: 1, extraCopies: 1 })
  assert.equal(report.outOfOrder, 1)
  assert.equal(report.lost, 0)
  assert.deepEqual(report.partitions.map((p) => [p.duplicated, p.outOfOrder]), [[1, 1]])
  const verdict = verifyVerdict(report)
  assert.equal(verdict.ok, false)
  assert.match(verdict.failures.join('\n'), /1 record read out of order within a partition: t-0: 1/)
  assert.match(verdict.warnings.join('\n'), /1 record written more than once \(1 extra copy\)/)
})

test('order is per stream and per partition: streams interleave freely', () => {
  const ledger = new VerifyLedger(RUN)
  const a = [0, 1, 2].map((seq) => simple(ledger, 0, seq, 0, seq * 2))
  const b = [0, 1, 2].map((seq) => simple(ledger, 1, seq, 0, seq * 2 + 1))
  // Stream 1's seq 0 after stream 0's seq 2 is fine; so is a stream's seq 5 in partition 1 after seq 2 in 0.
  ;[a[0]!, b[0]!, a[1]!, b[1]!, a[2]!, b[2]!].forEach((k, offset) => ledger.consumed('t', 0, offset, k))
  const c = simple(ledger, 0, 3, 1, 0)
  ledger.consumed('t', 1, 0, c)
  const report = ledger.report()
  assert.equal(report.outOfOrder, 0)
  assert.equal(report.consumed, 7)
})

test('a refused record found anyway is "written despite error", neither lost nor duplicate; unsettled ones are unacknowledged', () => {
  const ledger = new VerifyLedger(RUN)
  const k0 = simple(ledger, 0, 0, 0, 0)
  const k1 = recordKey(RUN, 0, 1)
  ledger.sent(k1)
  ledger.produceError(k1, 'produce failed 61 times: NOT_ENOUGH_REPLICAS')
  const k2 = recordKey(RUN, 0, 2)
  ledger.sent(k2)
  ledger.produceError(k2, 'produce failed 61 times: NOT_ENOUGH_REPLICAS')
  ledger.sent(recordKey(RUN, 0, 3)) // never settled
  ledger.consumed('t', 0, 0, k0)
  ledger.consumed('t', 0, 1, k1)
  const report = ledger.report()
  assert.equal(report.sent, 4)
  assert.equal(report.acknowledged, 1)
  assert.equal(report.unacknowledged, 1)
  assert.deepEqual(report.produceErrors, { count: 2, writtenDespiteError: 1, messages: [{ message: 'produce failed 61 times: NOT_ENOUGH_REPLICAS', count: 2 }] })
  assert.equal(report.lost, 0)
  assert.equal(report.duplicated.records, 0)
  const verdict = verifyVerdict(report)
  assert.equal(verdict.ok, true)
  assert.equal(verdict.warnings.length, 3)
})

test('records of other runs and other keys are ignored; keys of this run never sent are phantoms', () => {
  const ledger = new VerifyLedger(RUN)
  const k0 = simple(ledger, 0, 0, 0, 10)
  ledger.consumed('t', 0, 3, recordKey('old', 0, 0))
  ledger.consumed('t', 0, 4, 'some-application-key')
  ledger.consumed('t', 0, 5, recordKey(RUN, 7, 0))
  ledger.consumed('t', 0, 10, k0)
  const report = ledger.report()
  assert.equal(report.consumed, 1)
  assert.equal(report.lost, 0)
  assert.equal(report.phantom, 1)
  assert.equal(report.redelivered, 0)
})

test('the final read decides: read live, then gone from the log, is lost; an unreached tail is unverified', () => {
  const ledger = new VerifyLedger(RUN)
  const keys = [0, 1, 2, 3].map((seq) => simple(ledger, 0, seq, 0, seq))
  const other = simple(ledger, 0, 4, 1, 0)
  keys.forEach((k, offset) => ledger.consumed('t', 0, offset, k))
  ledger.consumed('t', 1, 0, other)
  assert.equal(ledger.counts().consumed, 5)
  ledger.beginFinalRead()
  assert.equal(ledger.counts().consumed, 0)
  // The log of partition 0 lost offsets 0-1 (read live before); partition 1 was read only up to offset 0.
  ledger.consumed('t', 0, 2, keys[2]!)
  ledger.consumed('t', 0, 3, keys[3]!)
  ledger.finalReadIncomplete('t', 1, 0)
  const report = ledger.report()
  assert.equal(report.decidedBy, 'final-read')
  assert.equal(report.lost, 2)
  assert.equal(report.live.consumed, 5)
  assert.equal(report.live.consumedThenGone, 2)
  assert.equal(report.unverified, 1)
  assert.deepEqual(
    report.partitions.map((p) => [p.partition, p.acknowledged, p.consumed, p.lost, p.lostOffsets, p.unverified]),
    [
      [0, 4, 2, 2, ['0-1'], 0],
      [1, 1, 0, 0, [], 1],
    ],
  )
  const verdict = verifyVerdict(report)
  assert.deepEqual(verdict.failures, [
    '2 acknowledged records lost, 2 of them read once and then gone from the log: t-0: 2 (offsets 0-1)',
    '1 acknowledged record not verified: the final read did not reach them in time: t-1: 1',
  ])
})

test('latency percentiles are nearest-rank over acknowledged records', () => {
  const ledger = new VerifyLedger(RUN)
  for (let seq = 0; seq < 100; seq++) {
    const key = recordKey(RUN, 0, seq)
    ledger.sent(key)
    ledger.acked(key, 't', 0, seq, seq + 1) // 1..100 ms
  }
  assert.deepEqual(ledger.report().latencyMs, { p50: 50, p99: 99, max: 100 })
  assert.equal(new VerifyLedger(RUN).report().latencyMs, undefined)
})

test('nothing acknowledged fails the verdict: the check proved nothing', () => {
  const ledger = new VerifyLedger(RUN)
  ledger.sent(recordKey(RUN, 0, 0))
  ledger.produceError(recordKey(RUN, 0, 0), 'timeout')
  assert.match(verifyVerdict(ledger.report()).failures.join(), /no record was acknowledged \(1 sent, 1 refused\)/)
})

test('events that cannot happen are bugs and throw', () => {
  const ledger = new VerifyLedger(RUN)
  const key = recordKey(RUN, 0, 0)
  assert.throws(() => ledger.acked(key, 't', 0, 0, 1), /never sent/)
  ledger.sent(key)
  assert.throws(() => ledger.sent(key), /sent twice/)
  ledger.acked(key, 't', 0, 0, 1)
  assert.throws(() => ledger.produceError(key, 'x'), /already acknowledged/)
  assert.throws(() => ledger.sent(recordKey('other', 0, 0)), /not a record key of run run1/)
  assert.throws(() => new VerifyLedger('a:b'), /free of ':'/)
})

test('offset ranges', () => {
  assert.deepEqual(offsetRanges([7, 1, 3, 2, 9, 10], 5), ['1-3', '7', '9-10'])
  assert.deepEqual(offsetRanges([1, 3, 5, 7], 2), ['1', '3', '...'])
  assert.deepEqual(offsetRanges([], 2), [])
})

test('the ledger grows past its first columns', () => {
  const ledger = new VerifyLedger(RUN)
  for (let seq = 0; seq < 5000; seq++) {
    const key = simple(ledger, 3, seq, seq % 7, Math.floor(seq / 7))
    ledger.consumed('t', seq % 7, Math.floor(seq / 7), key)
  }
  const report = ledger.report()
  assert.equal(report.acknowledged, 5000)
  assert.equal(report.consumed, 5000)
  assert.equal(report.lost, 0)
  assert.equal(report.partitions.length, 7)
})
