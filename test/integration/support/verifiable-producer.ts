/**
 * The independent writer of the tests: Kafka's own VerifiableProducer (kafka-tools, the tool Kafka's
 * system tests use) with acks=all, printing a JSON line per acknowledged record, and Kafka's own
 * ConsoleConsumer reading the topic back (a consumer of its own, not the producer's). An acknowledged
 * record is lost when a read passed its offset without finding it; one beyond where every read got to is
 * not verified.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { createWriteStream } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { findJava } from '../../../src/local/java.ts'
import { resolveKafkaDistribution } from '../../../src/local/kafka-distribution.ts'
import { cacheDir } from '../../../src/local/paths.ts'

/** VerifiableProducer's values are `<prefix>.<n>` (an int prefix), which tells them from other writers' records. */
const VALUE_PREFIX = 424242

export interface ProducerCheck {
  acknowledged: number
  found: number
  lost: number
  /** Acknowledged records beyond where every read got to. */
  notVerified: number
  /** Up to five lost records: value, partition and offset. */
  detail: string[]
  /** Why the check is not complete (nothing acknowledged, acknowledged records no read reached). */
  unverified: string[]
}

export interface VerifiableProducerHandle {
  readonly child: ChildProcess
  /** Records acknowledged so far (lines of its output). */
  acknowledged(): Promise<number>
  /**
   * Stops it (SIGTERM: it flushes; SIGKILL after 60 s) and reads the topic back, up to three times,
   * through `bootstrap` (default: the one it started with; pass the brokers' addresses now when they moved).
   */
  stopAndCheck(bootstrap?: string): Promise<ProducerCheck>
}

async function javaAndClasspath(): Promise<{ java: string; classpath: string }> {
  const [java, distribution] = await Promise.all([findJava(process.env), resolveKafkaDistribution({ cacheDir: cacheDir() })])
  return { java: java.command, classpath: distribution.classpath }
}

/**
 * Starts VerifiableProducer on `topic` at `recordsPerSecond`, its output in `dir`. Every child it starts
 * is pushed to `children`, for the caller to kill by pid when a test fails first.
 */
export async function startVerifiableProducer(options: { bootstrap: string; topic: string; recordsPerSecond: number; dir: string; children: ChildProcess[] }): Promise<VerifiableProducerHandle> {
  const { java, classpath } = await javaAndClasspath()
  const file = join(options.dir, `verifiable-producer-${options.topic}.jsonl`)
  const out = createWriteStream(file)
  const child = spawn(
    java,
    ['-Xmx128m', '-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC', '-cp', classpath, 'org.apache.kafka.tools.VerifiableProducer', '--topic', options.topic, '--bootstrap-server', options.bootstrap, '--acks', '-1', '--max-messages', '-1', '--throughput', String(options.recordsPerSecond), '--value-prefix', String(VALUE_PREFIX)],
    { stdio: ['ignore', 'pipe', 'ignore'] },
  )
  options.children.push(child)
  child.stdout!.pipe(out)
  const acked = async () => {
    const records: { value: string; partition: number; offset: number }[] = []
    for (const line of (await readFile(file, 'utf8').catch(() => '')).split('\n')) {
      if (line.includes('producer_send_success')) records.push(JSON.parse(line) as { value: string; partition: number; offset: number })
    }
    return records
  }
  return {
    child,
    acknowledged: async () => (await acked()).length,
    async stopAndCheck(bootstrap = options.bootstrap) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM')
        const gone = await Promise.race([new Promise((r) => child.once('close', r)).then(() => true), sleep(60_000, undefined, { ref: false }).then(() => false)])
        if (!gone) child.kill('SIGKILL')
      }
      await new Promise<void>((resolve) => (out.writableFinished ? resolve() : out.once('finish', () => resolve())))
      const records = await acked()
      const found = new Set<string>()
      const reached = new Map<number, number>() // partition -> highest offset read
      let missing = records
      let beyond = records
      // Each read ends once it passed the last acknowledged offset of every partition written to.
      const ends = new Map<number, number>()
      for (const r of records) ends.set(r.partition, Math.max(ends.get(r.partition) ?? -1, r.offset))
      for (let read = 1; read <= 3 && beyond.length > 0; read++) {
        for (const r of await consoleConsume(bootstrap, options.topic, options.children, ends)) {
          reached.set(r.partition, Math.max(reached.get(r.partition) ?? -1, r.offset))
          if (r.value.startsWith(`${VALUE_PREFIX}.`)) found.add(r.value)
        }
        missing = records.filter((a) => !found.has(a.value))
        beyond = missing.filter((a) => a.offset > (reached.get(a.partition) ?? -1))
      }
      const lost = missing.filter((a) => a.offset <= (reached.get(a.partition) ?? -1))
      return {
        acknowledged: records.length,
        found: found.size,
        lost: lost.length,
        notVerified: beyond.length,
        detail: lost.slice(0, 5).map((a) => `VerifiableProducer ${a.value} acked at ${options.topic}-${a.partition}@${a.offset}, not read back`),
        unverified: [
          ...(records.length === 0 ? ['VerifiableProducer had no record acknowledged'] : []),
          ...(beyond.length > 0 ? [`ConsoleConsumer did not reach ${beyond.length} acknowledged records of VerifiableProducer (e.g. ${options.topic}-${beyond[0]!.partition}@${beyond[0]!.offset})`] : []),
        ],
      }
    },
  }
}

/**
 * Every record of `topic` from the beginning, read by Kafka's own ConsoleConsumer, until it has printed
 * an offset at or past `ends` (partition -> offset) in every partition named there, or has been idle 30 s
 * (`--timeout-ms`: the end, when a record at an end is not printed, e.g. a transaction marker).
 */
async function consoleConsume(bootstrap: string, topic: string, children: ChildProcess[], ends: ReadonlyMap<number, number>): Promise<{ partition: number; offset: number; value: string }[]> {
  const { java, classpath } = await javaAndClasspath()
  const child = spawn(
    java,
    ['-Xmx192m', '-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC', '-cp', classpath, 'org.apache.kafka.tools.consumer.ConsoleConsumer', '--bootstrap-server', bootstrap, '--topic', topic, '--from-beginning', '--timeout-ms', '30000', '--property', 'print.partition=true', '--property', 'print.offset=true'],
    { stdio: ['ignore', 'pipe', 'ignore'] },
  )
  children.push(child)
  const records: { partition: number; offset: number; value: string }[] = []
  const left = new Map(ends)
  let partial = ''
  const take = (lines: readonly string[]) => {
    for (const line of lines) {
      const m = /^Partition:(\d+)\s+Offset:(\d+)\s+(.*)$/.exec(line)
      if (!m) continue
      const record = { partition: Number(m[1]), offset: Number(m[2]), value: m[3]! }
      records.push(record)
      if (record.offset >= (left.get(record.partition) ?? Infinity)) left.delete(record.partition)
    }
  }
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n')
    partial = lines.pop()!
    take(lines)
    if (left.size === 0 && child.exitCode === null) child.kill('SIGKILL')
  })
  const timer = setTimeout(() => child.kill('SIGKILL'), 240_000)
  await new Promise((r) => child.once('close', r))
  clearTimeout(timer)
  take([partial])
  return records
}
