import { setTimeout as sleep } from 'node:timers/promises'
import { startWorkload, type WorkloadProgress, type WorkloadReport } from '../verify/workload.ts'
import { badArgument, type Command, helpOrNoArguments, integerOption, listOption, parseOptions } from './command.ts'
import { CONNECTION_HELP, CONNECTION_OPTIONS, connectionOptions } from './connection-options.ts'
import { table } from './plan-report.ts'

const PROGRESS_EVERY_MS = 5000
/** A write unanswered this long is named in the progress line. */
const SLOW_WRITE_MS = 10_000

export const verify: Command = {
  name: 'verify',
  help: `Usage: kafkaplane verify --topics T[,T...] --rate N [--duration-seconds S] [--producers P] [--json]

An end-to-end check of a real cluster: idempotent producers (acks=all, retrying past a leader's
failover) write sequence-numbered records (key run:producer:seq) round-robin over every partition of
the topics at a steady rate, a consumer group of the run's own reads them back while they are written,
and after the producers stop a final read reads every partition again from where the run began to where
it ended. Only this run's records count; older data is never read. Progress goes to stderr every 5 s,
the report to stdout: records sent, acknowledged, unacknowledged, refused by the producer, lost,
duplicated and out of order, produce latency (p50, p99, max), and the partitions with a problem.
  --topics T,U             existing topics to write to (records go to every partition)
  --rate N                 records per second over all producers (may be fractional)
  --duration-seconds S     how long to produce (default 30); Ctrl-C stops early and still reports
  --producers P            producer streams, each its own idempotent producer (default 1)
  --value-bytes B          size of each record's value (default 100)
  --drain-timeout-seconds S  how long to wait for outstanding acks, and then for the reads (default 60)
  --json                   the report as JSON, for machines
${CONNECTION_HELP}
Verdict: FAIL when an acknowledged record is lost (not found by the final read, including records read
once and gone later), when a producer's records are read out of order within a partition (one
idempotent producer keeps its order per partition, so this is a correctness failure), when acknowledged
records could not be read back before the drain timeout (not verified), or when nothing was
acknowledged. Duplicates only warn: idempotence prevents them within a producer session, and a producer
that re-initialises after a lost ack may write a record twice by design. Records the producer gave up
on are not acknowledged, so they are never counted as lost ("written despite error" if found).
Exit codes: 0 pass, 1 fail (or the cluster could not be reached), 2 bad input (nothing was written).
`,
  async run(argv, io) {
    const { values, positionals } = parseOptions('verify', argv, {
      ...CONNECTION_OPTIONS,
      topics: { type: 'string' },
      rate: { type: 'string' },
      'duration-seconds': { type: 'string' },
      producers: { type: 'string' },
      'value-bytes': { type: 'string' },
      'drain-timeout-seconds': { type: 'string' },
      json: { type: 'boolean' },
    })
    if (helpOrNoArguments(this, { values, positionals }, io)) return 0
    const topics = listOption('--topics', values.topics)
    if (topics === undefined) throw badArgument('kafkaplane verify needs --topics', 'pass the topics to write to, e.g. --topics orders,payments')
    if (values.rate === undefined) throw badArgument('kafkaplane verify needs --rate', 'pass records per second, e.g. --rate 200')
    const rate = positiveNumber('--rate', values.rate, 'e.g. --rate 200')
    const durationSeconds = values['duration-seconds'] === undefined ? 30 : positiveNumber('--duration-seconds', values['duration-seconds'], 'e.g. --duration-seconds 30')
    const drainSeconds = values['drain-timeout-seconds'] === undefined ? 60 : positiveNumber('--drain-timeout-seconds', values['drain-timeout-seconds'], 'e.g. --drain-timeout-seconds 60')
    const producers = integerOption('--producers', values.producers, 1, 64)
    const valueBytes = integerOption('--value-bytes', values['value-bytes'], 0, 1_000_000)
    const connection = connectionOptions(values, io.env)

    let lastProgress = 0
    const workload = await startWorkload({
      connection,
      topics,
      recordsPerSecond: rate,
      producers,
      valueBytes,
      durationMs: durationSeconds * 1000,
      drainTimeoutMs: drainSeconds * 1000,
      onProgress: (p) => {
        if (p.elapsedMs - lastProgress < PROGRESS_EVERY_MS - 500) return
        lastProgress = p.elapsedMs
        io.stderr.write(progressLine(p))
      },
    })
    const interrupted = Promise.withResolvers<void>()
    const onSignal = () => {
      io.stderr.write('verify: interrupted; stopping the producers and reading back what was acknowledged\n')
      interrupted.resolve()
    }
    process.once('SIGINT', onSignal)
    process.once('SIGTERM', onSignal)
    const timer = new AbortController()
    let report: WorkloadReport
    try {
      await Promise.race([sleep(durationSeconds * 1000, undefined, { signal: timer.signal }).catch(() => {}), interrupted.promise])
      io.stderr.write(`verify: producing stopped; waiting for acks and reading everything back\n`)
      report = await workload.stop()
    } finally {
      timer.abort()
      process.removeListener('SIGINT', onSignal)
      process.removeListener('SIGTERM', onSignal)
      await workload.stop().catch(() => {})
    }
    io.stdout.write(values.json ? JSON.stringify(report, null, 2) + '\n' : renderReport(report))
    return report.verdict.ok ? 0 : 1
  },
}

function positiveNumber(flag: string, value: string, example: string): number {
  const n = Number(value)
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0) throw badArgument(`${flag} ${value} is not a positive number`, `pass ${flag} with a number above 0, ${example}`)
  return n
}

function progressLine(p: WorkloadProgress): string {
  // A write unanswered for long is named: a client that stopped getting answers shows while the run goes on.
  const waiting = p.oldestWriteMs >= SLOW_WRITE_MS ? `, oldest write waiting ${Math.round(p.oldestWriteMs / 1000)} s (${p.oldestWritePartition})` : ''
  return `verify: ${Math.round(p.elapsedMs / 1000)} s ${p.phase}: sent ${p.sent}, acknowledged ${p.acknowledged} (${p.acknowledgedPerSecond}/s), in flight ${p.unacknowledged}, refused ${p.produceErrors}, read back ${p.consumed}${waiting}\n`
}

export function renderReport(r: WorkloadReport): string {
  const lines: string[] = []
  const partitionCount = r.partitions.length
  lines.push(
    `verify run ${r.runId}: ${r.topics.join(', ')} (${partitionCount} partitions), ${r.producers} producer${r.producers > 1 ? 's' : ''}, ` +
      `${r.requestedRecordsPerSecond} records/s asked, ${r.achievedRecordsPerSecond} sent/s over ${(r.producingMs / 1000).toFixed(1)} s`,
    '',
  )
  lines.push(
    table([
      ['records', 'count', ''],
      ['sent', String(r.sent), ''],
      ['acknowledged', String(r.acknowledged), 'acks=all'],
      ['unacknowledged', String(r.unacknowledged), 'still in flight at the end'],
      ['refused', String(r.produceErrors.count), r.produceErrors.count > 0 ? `${r.produceErrors.writtenDespiteError} written despite the error` : ''],
      ['read back', String(r.consumed), `by the ${r.decidedBy === 'final-read' ? 'final read' : 'live read'}; the live read saw ${r.live.consumed}`],
      ['lost', String(r.lost), r.live.consumedThenGone > 0 ? `${r.live.consumedThenGone} read once, then gone` : ''],
      ['not verified', String(r.unverified), r.finalRead.complete ? '' : `final read incomplete: ${r.finalRead.incompletePartitions.slice(0, 5).join(', ')}${r.finalRead.unreachable ? ` (${r.finalRead.unreachable})` : ''}`],
      ['duplicated', String(r.duplicated.records), r.duplicated.extraCopies > 0 ? `${r.duplicated.extraCopies} extra copies` : ''],
      ['out of order', String(r.outOfOrder), ''],
    ]),
  )
  const l = r.latencyMs
  lines.push('', l ? `produce latency (send to ack): p50 ${l.p50} ms, p99 ${l.p99} ms, max ${l.max} ms` : 'produce latency: no record was acknowledged')
  const problems = r.partitions.filter((p) => p.lost + p.duplicated + p.outOfOrder + p.unverified > 0)
  if (problems.length > 0) {
    lines.push('', 'partitions with problems:')
    lines.push(
      table([
        ['partition', 'acknowledged', 'read back', 'lost', 'lost offsets', 'duplicated', 'out of order', 'not verified'],
        ...problems.map((p) => [`${p.topic}-${p.partition}`, String(p.acknowledged), String(p.consumed), String(p.lost), p.lostOffsets.join(' '), String(p.duplicated), String(p.outOfOrder), String(p.unverified)]),
      ]),
    )
  }
  if (r.readerRestarts > 0) lines.push('', `note: a reader's consumer failed and was started again ${r.readerRestarts} time${r.readerRestarts > 1 ? 's' : ''} (first: ${r.readerErrors[0] ?? 'unknown'})`)
  lines.push('', `verdict: ${r.verdict.ok ? 'PASS' : 'FAIL'}`)
  for (const f of r.verdict.failures) lines.push(`  - ${f}`)
  for (const w of r.verdict.warnings) lines.push(`warning: ${w}`)
  if (r.produceErrors.messages.length > 1) for (const m of r.produceErrors.messages) lines.push(`  refused ${m.count}x: ${m.message}`)
  return lines.join('\n') + '\n'
}
