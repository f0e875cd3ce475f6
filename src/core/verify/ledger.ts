/**
 * The accounting of `kafkaplane verify` (issue 5): which sequenced records were sent, acknowledged,
 * refused, read back, lost, duplicated or read out of order. Pure: the workload feeds it events.
 *
 * Record identity. Every record's key is `runId:stream:seq` (recordKey): the run, the producer stream
 * that wrote it, and that stream's sequence number (0, 1, 2, ... in the order the stream sent them).
 * Records of other runs (other keys) are ignored.
 *
 * Events, in the order the workload sees them:
 *   sent(key)                                   the record was handed to the producer
 *   acked(key, topic, partition, offset, ms)    the cluster acknowledged it (acks=all) at that offset
 *   produceError(key, message)                  the producer gave up on it; it may still have been
 *                                               written (the ack was lost): "written despite error"
 *   consumed(topic, partition, offset, key)     a reader saw it at that position
 * A record may be consumed before its ack arrives (the reader is faster than the ack's way back).
 *
 * Reads. A read is a pass over the log. The live read runs while the producers do; after they stop,
 * `beginFinalRead()` starts the final read, which reads every partition once more from where the run
 * began to where it ended. The final read decides: a record the live read saw but the final read does
 * not find was acknowledged, read, and then gone from the log (an unclean election, a wiped disk), and
 * that is loss too. Without a final read, the live read decides.
 *
 * Within one read, a position (partition, offset) at or below the highest offset already read in that
 * partition is a re-read (a consumer restart or rebalance), counted as `redelivered` and otherwise
 * ignored: it is not a new copy. So:
 *   lost           acknowledged, and not found by the deciding read
 *   unverified     acknowledged at an offset the deciding read did not reach (finalReadIncomplete)
 *   duplicated     found at more than one position: records with copies > 1, and the extra copies
 *   out of order   in one partition, a record of a stream whose seq is lower than the previous record
 *                  of the same stream read in that partition
 *   unacknowledged sent, and neither acknowledged nor refused (still in flight, or abandoned at the end)
 *
 * Memory: about 30 bytes a record (flags, acknowledged position, copies per read, latency).
 */

const SENT = 1
const ACKED = 2
const ERRORED = 4
/** How many distinct produce error messages a report keeps. */
const ERROR_SAMPLES = 5
/** How many lost offset ranges a partition's report lists. */
const LOST_RANGES = 5

export interface RecordId {
  runId: string
  stream: number
  seq: number
}

/** The key of record `seq` of producer stream `stream` in run `runId` (which must not contain ':'). */
export function recordKey(runId: string, stream: number, seq: number): string {
  return `${runId}:${stream}:${seq}`
}

/** The identity in a key written by recordKey, or undefined for any other key. */
export function parseRecordKey(key: string): RecordId | undefined {
  const a = key.indexOf(':')
  const b = key.indexOf(':', a + 1)
  if (a <= 0 || b < 0) return undefined
  const stream = Number(key.slice(a + 1, b))
  const seq = Number(key.slice(b + 1))
  if (!Number.isSafeInteger(stream) || stream < 0 || !Number.isSafeInteger(seq) || seq < 0 || b === a + 1 || b === key.length - 1) return undefined
  return { runId: key.slice(0, a), stream, seq }
}

/** One partition's share of a report. */
export interface PartitionReport {
  topic: string
  partition: number
  /** Records acknowledged at an offset of this partition. */
  acknowledged: number
  /** Distinct records of this run the deciding read found here. */
  consumed: number
  lost: number
  /** The lost offsets as ranges ("120-135", "200"), the first few. */
  lostOffsets: string[]
  unverified: number
  /** Records found here a second (third, ...) time. */
  duplicated: number
  outOfOrder: number
}

export interface LedgerReport {
  sent: number
  acknowledged: number
  unacknowledged: number
  produceErrors: {
    count: number
    /** Refused records that the deciding read found anyway (the write happened, its ack was lost). */
    writtenDespiteError: number
    /** The first few distinct messages, with how often each came. */
    messages: { message: string; count: number }[]
  }
  /** Which read decided lost, duplicated and out of order. */
  decidedBy: 'final-read' | 'live-read'
  /** Distinct records of this run the deciding read found. */
  consumed: number
  lost: number
  unverified: number
  duplicated: { records: number; extraCopies: number }
  outOfOrder: number
  /** Positions read again by the deciding read (consumer restarts); harmless. */
  redelivered: number
  /** Keys of this run that were never sent: a bug in the workload, or a key collision. */
  phantom: number
  live: {
    /** Distinct records of this run the live read found. */
    consumed: number
    /** Acknowledged records the live read found and the final read did not: read, then gone. */
    consumedThenGone: number
  }
  /** Produce latency of acknowledged records, send to ack; undefined when none was acknowledged. */
  latencyMs: { p50: number; p99: number; max: number } | undefined
  /** Every partition that had an acknowledged or a consumed record of this run. */
  partitions: PartitionReport[]
}

/** Running totals, cheap enough for a progress line every second. */
export interface LedgerCounts {
  sent: number
  acknowledged: number
  produceErrors: number
  unacknowledged: number
  /** Distinct records of this run found by the current read (live, then final). */
  consumed: number
}

/** Is the run a pass? Failures make `kafkaplane verify` exit 1; warnings are printed. */
export interface Verdict {
  ok: boolean
  failures: string[]
  warnings: string[]
}

class StreamRecords {
  flags = new Uint8Array(1024)
  partition = new Int32Array(1024)
  offset = new Float64Array(1024)
  length = 0

  ensure(seq: number): void {
    if (seq < this.flags.length) return
    const size = Math.max(seq + 1, this.flags.length * 2)
    this.flags = grown(this.flags, new Uint8Array(size))
    this.partition = grown(this.partition, new Int32Array(size))
    this.offset = grown(this.offset, new Float64Array(size))
  }
}

/** One pass over the log: copies per record, positions read, order per (partition, stream). */
class Read {
  readonly copies = new Map<number, Uint8Array>()
  readonly frontier = new Map<number, number>()
  readonly lastSeq = new Map<string, number>()
  readonly consumed = new Map<number, number>()
  readonly duplicated = new Map<number, number>()
  readonly outOfOrder = new Map<number, number>()
  /** Partition index -> the offset the read stopped at without reaching the end. */
  readonly incompleteFrom = new Map<number, number>()
  distinct = 0
  duplicatedRecords = 0
  extraCopies = 0
  redelivered = 0

  copiesOf(stream: number, seq: number): number {
    return this.copies.get(stream)?.[seq] ?? 0
  }

  addCopy(stream: number, seq: number): number {
    let column = this.copies.get(stream)
    if (!column || seq >= column.length) {
      column = grown(column ?? new Uint8Array(0), new Uint8Array(Math.max(seq + 1, (column?.length ?? 512) * 2)))
      this.copies.set(stream, column)
    }
    if (column[seq]! < 255) column[seq]!++
    return column[seq]!
  }
}

export class VerifyLedger {
  readonly runId: string
  readonly #streams = new Map<number, StreamRecords>()
  readonly #partitions: { topic: string; partition: number }[] = []
  readonly #partitionIndex = new Map<string, number>()
  readonly #errorMessages = new Map<string, number>()
  #latencies = new Float64Array(1024)
  #sent = 0
  #acked = 0
  #errored = 0
  #phantom = 0
  readonly #live = new Read()
  #final: Read | undefined

  constructor(runId: string) {
    if (runId === '' || runId.includes(':')) throw new Error(`run id "${runId}" must be non-empty and free of ':'`)
    this.runId = runId
  }

  sent(key: string): void {
    const { stream, seq } = this.#ownRecord(key, 'sent')
    let records = this.#streams.get(stream)
    if (!records) this.#streams.set(stream, (records = new StreamRecords()))
    records.ensure(seq)
    if (records.flags[seq]! & SENT) throw new Error(`record ${key} was sent twice`)
    records.flags[seq] = SENT
    records.partition[seq] = -1
    records.length = Math.max(records.length, seq + 1)
    this.#sent++
  }

  acked(key: string, topic: string, partition: number, offset: number, latencyMs: number): void {
    const { records, seq } = this.#settle(key, 'acked')
    records.flags[seq]! |= ACKED
    records.partition[seq] = this.#indexOf(topic, partition)
    records.offset[seq] = offset
    if (this.#acked >= this.#latencies.length) this.#latencies = grown(this.#latencies, new Float64Array(this.#latencies.length * 2))
    this.#latencies[this.#acked] = latencyMs
    this.#acked++
  }

  produceError(key: string, message: string): void {
    const { records, seq } = this.#settle(key, 'produceError')
    records.flags[seq]! |= ERRORED
    this.#errored++
    if (this.#errorMessages.has(message) || this.#errorMessages.size < ERROR_SAMPLES) this.#errorMessages.set(message, (this.#errorMessages.get(message) ?? 0) + 1)
  }

  consumed(topic: string, partition: number, offset: number, key: string): void {
    const read = this.#final ?? this.#live
    const p = this.#indexOf(topic, partition)
    const id = parseRecordKey(key)
    const ours = id?.runId === this.runId
    if (offset <= (read.frontier.get(p) ?? -1)) {
      if (ours) read.redelivered++
      return
    }
    read.frontier.set(p, offset)
    if (!ours) return
    const { stream, seq } = id!
    const records = this.#streams.get(stream)
    if (!records || seq >= records.length || !(records.flags[seq]! & SENT)) {
      this.#phantom++
      return
    }
    const copies = read.addCopy(stream, seq)
    if (copies === 1) {
      read.distinct++
      read.consumed.set(p, (read.consumed.get(p) ?? 0) + 1)
    } else {
      if (copies === 2) read.duplicatedRecords++
      read.extraCopies++
      read.duplicated.set(p, (read.duplicated.get(p) ?? 0) + 1)
    }
    const order = `${p}/${stream}`
    const previous = read.lastSeq.get(order)
    if (previous !== undefined && seq < previous) read.outOfOrder.set(p, (read.outOfOrder.get(p) ?? 0) + 1)
    read.lastSeq.set(order, seq)
  }

  /** From now on consumed() events belong to the final read, which decides the report. */
  beginFinalRead(): void {
    if (this.#final) throw new Error('the final read has begun already')
    this.#final = new Read()
  }

  /**
   * The final read stopped in `topic`-`partition` at `nextOffset` without reaching the partition's end:
   * records acknowledged at or after it, and not found, are unverified instead of lost.
   */
  finalReadIncomplete(topic: string, partition: number, nextOffset: number): void {
    if (!this.#final) throw new Error('finalReadIncomplete before beginFinalRead')
    this.#final.incompleteFrom.set(this.#indexOf(topic, partition), nextOffset)
  }

  counts(): LedgerCounts {
    return {
      sent: this.#sent,
      acknowledged: this.#acked,
      produceErrors: this.#errored,
      unacknowledged: this.#sent - this.#acked - this.#errored,
      consumed: (this.#final ?? this.#live).distinct,
    }
  }

  report(): LedgerReport {
    const read = this.#final ?? this.#live
    const rows = this.#partitions.map((p, i) => ({
      ...p,
      acknowledged: 0,
      consumed: read.consumed.get(i) ?? 0,
      lost: 0,
      lostOffsets: [] as number[],
      unverified: 0,
      duplicated: read.duplicated.get(i) ?? 0,
      outOfOrder: read.outOfOrder.get(i) ?? 0,
    }))
    let lost = 0
    let unverified = 0
    let writtenDespiteError = 0
    let consumedThenGone = 0
    for (const [stream, records] of this.#streams) {
      for (let seq = 0; seq < records.length; seq++) {
        const flags = records.flags[seq]!
        const found = read.copiesOf(stream, seq) > 0
        if (flags & ERRORED && found) writtenDespiteError++
        if (!(flags & ACKED)) continue
        const p = records.partition[seq]!
        const row = rows[p]!
        row.acknowledged++
        if (found) continue
        const offset = records.offset[seq]!
        const stoppedAt = read.incompleteFrom.get(p)
        if (stoppedAt !== undefined && offset >= stoppedAt) {
          row.unverified++
          unverified++
          continue
        }
        row.lost++
        row.lostOffsets.push(offset)
        lost++
        if (this.#final && this.#live.copiesOf(stream, seq) > 0) consumedThenGone++
      }
    }
    const partitions: PartitionReport[] = rows
      .filter((r) => r.acknowledged > 0 || r.consumed > 0)
      .map((r) => ({ ...r, lostOffsets: offsetRanges(r.lostOffsets, LOST_RANGES) }))
      .sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition)
    return {
      sent: this.#sent,
      acknowledged: this.#acked,
      unacknowledged: this.#sent - this.#acked - this.#errored,
      produceErrors: {
        count: this.#errored,
        writtenDespiteError,
        messages: [...this.#errorMessages].map(([message, count]) => ({ message, count })),
      },
      decidedBy: this.#final ? 'final-read' : 'live-read',
      consumed: read.distinct,
      lost,
      unverified,
      duplicated: { records: read.duplicatedRecords, extraCopies: read.extraCopies },
      outOfOrder: [...read.outOfOrder.values()].reduce((a, b) => a + b, 0),
      redelivered: read.redelivered,
      phantom: this.#phantom,
      live: { consumed: this.#live.distinct, consumedThenGone },
      latencyMs: latencySummary(this.#latencies.subarray(0, this.#acked)),
      partitions,
    }
  }

  #ownRecord(key: string, event: string): RecordId {
    const id = parseRecordKey(key)
    if (!id || id.runId !== this.runId) throw new Error(`${event}(${key}): not a record key of run ${this.runId}`)
    return id
  }

  /** The record of an ack or a produce error: sent, and not settled yet. */
  #settle(key: string, event: string): { records: StreamRecords; seq: number } {
    const { stream, seq } = this.#ownRecord(key, event)
    const records = this.#streams.get(stream)
    const flags = records && seq < records.length ? records.flags[seq]! : 0
    if (!(flags & SENT)) throw new Error(`${event}(${key}) for a record never sent`)
    if (flags & (ACKED | ERRORED)) throw new Error(`${event}(${key}) for a record already ${flags & ACKED ? 'acknowledged' : 'refused'}`)
    return { records: records!, seq }
  }

  #indexOf(topic: string, partition: number): number {
    const name = `${topic}\u0000${partition}`
    let index = this.#partitionIndex.get(name)
    if (index === undefined) {
      index = this.#partitions.length
      this.#partitions.push({ topic, partition })
      this.#partitionIndex.set(name, index)
    }
    return index
  }
}

/**
 * Is the run a pass? It fails when an acknowledged record was lost, when a stream's records were read
 * out of order within a partition (one idempotent producer's writes to a partition keep their order),
 * when acknowledged records could not be checked (unverified), or when nothing was acknowledged at all
 * (the check proved nothing). Duplicates only warn: idempotence prevents them within one producer
 * session, and a producer that re-initialises after a lost ack may write a record twice by design.
 */
export function verifyVerdict(report: LedgerReport): Verdict {
  const failures: string[] = []
  const warnings: string[] = []
  const where = (pick: (p: PartitionReport) => number, detail?: (p: PartitionReport) => string) =>
    report.partitions
      .filter((p) => pick(p) > 0)
      .slice(0, 5)
      .map((p) => `${p.topic}-${p.partition}: ${pick(p)}${detail ? ` (${detail(p)})` : ''}`)
      .join('; ')
  if (report.lost > 0) {
    const gone = report.live.consumedThenGone > 0 ? `, ${report.live.consumedThenGone} of them read once and then gone from the log` : ''
    failures.push(`${report.lost} acknowledged record${s(report.lost)} lost${gone}: ${where((p) => p.lost, (p) => `offsets ${p.lostOffsets.join(', ')}`)}`)
  }
  if (report.outOfOrder > 0) failures.push(`${report.outOfOrder} record${s(report.outOfOrder)} read out of order within a partition: ${where((p) => p.outOfOrder)}`)
  if (report.unverified > 0) failures.push(`${report.unverified} acknowledged record${s(report.unverified)} not verified: the final read did not reach them in time: ${where((p) => p.unverified)}`)
  if (report.acknowledged === 0) failures.push(`no record was acknowledged (${report.sent} sent, ${report.produceErrors.count} refused): the check proved nothing`)
  if (report.duplicated.records > 0) warnings.push(`${report.duplicated.records} record${s(report.duplicated.records)} written more than once (${report.duplicated.extraCopies} extra cop${report.duplicated.extraCopies === 1 ? 'y' : 'ies'}): ${where((p) => p.duplicated)}`)
  if (report.produceErrors.count > 0) {
    const first = report.produceErrors.messages[0]
    warnings.push(`${report.produceErrors.count} record${s(report.produceErrors.count)} refused by the producer (not acknowledged, so not counted as lost)${first ? `; first error: ${first.message}` : ''}`)
  }
  if (report.produceErrors.writtenDespiteError > 0) warnings.push(`${report.produceErrors.writtenDespiteError} refused record${s(report.produceErrors.writtenDespiteError)} written anyway (the write happened, its ack was lost)`)
  if (report.unacknowledged > 0) warnings.push(`${report.unacknowledged} record${s(report.unacknowledged)} still unacknowledged at the end (neither acknowledged nor refused)`)
  if (report.phantom > 0) warnings.push(`${report.phantom} record${s(report.phantom)} of this run read that were never sent`)
  return { ok: failures.length === 0, failures, warnings }
}

/** Nearest-rank percentiles, to a tenth of a millisecond. */
function latencySummary(latencies: Float64Array): LedgerReport['latencyMs'] {
  if (latencies.length === 0) return undefined
  const sorted = Float64Array.from(latencies).sort()
  const rank = (q: number) => tenth(sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)]!)
  return { p50: rank(0.5), p99: rank(0.99), max: tenth(sorted[sorted.length - 1]!) }
}

/** Sorted offsets as ranges: [1, 2, 3, 7] -> ["1-3", "7"], at most `limit` (then "..."). */
export function offsetRanges(offsets: readonly number[], limit: number): string[] {
  const sorted = [...offsets].sort((a, b) => a - b)
  const ranges: string[] = []
  for (let i = 0; i < sorted.length; ) {
    let j = i
    while (j + 1 < sorted.length && sorted[j + 1]! <= sorted[j]! + 1) j++
    if (ranges.length === limit) {
      ranges.push('...')
      break
    }
    ranges.push(sorted[i] === sorted[j] ? String(sorted[i]) : `${sorted[i]}-${sorted[j]}`)
    i = j + 1
  }
  return ranges
}

function grown<T extends Uint8Array | Int32Array | Float64Array>(old: T, next: T): T {
  next.set(old)
  return next
}

function tenth(ms: number): number {
  return Math.round(ms * 10) / 10
}

function s(n: number): string {
  return n === 1 ? '' : 's'
}
