import { randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { ListOffsetTimestamps, ProduceAcks, type Consumer, type Message, type MessagesStream, type Producer } from '@platformatic/kafka'
import { KafkaplaneError } from '../core/errors.ts'
import { recordKey, verifyVerdict, VerifyLedger, type LedgerReport, type Verdict } from '../core/verify/ledger.ts'
import { anyConnection, clientConnectionOptions, createAdmin, type KafkaConnectionOptions } from '../kafka/connection.ts'
import { FollowingConsumer, FollowingProducer } from '../kafka/following-clients.ts'
import { describeMetadata, type MetadataResponse } from '../kafka/describe-metadata.ts'
import { isAuthorizationCode, kafkaError } from '../kafka/kafka-error.ts'
import { withTimeout } from '../operations/with-timeout.ts'
import { findLiveBootstrap, noAddressAnswered } from './live-bootstrap.ts'
import { metadataProbe } from './metadata-probe.ts'
import { SeenBrokers, type SeenMetadata } from './seen-brokers.ts'

/** A sequenced produce-and-read-back workload against a real cluster (issue 5). */
export interface WorkloadOptions {
  connection: KafkaConnectionOptions
  /** Existing topics to write to; records go round-robin over every partition of every topic. */
  topics: string[]
  /** Records per second over all producers, on a steady schedule (no bursts). */
  recordsPerSecond: number
  /** Producer streams (each its own idempotent producer, its own sequence); default 1. */
  producers?: number
  /** Bytes of each record's value; default 100. */
  valueBytes?: number
  /** Produce for this long; undefined = until stop(). */
  durationMs?: number
  /** How long stop() waits for outstanding acks, and then for the reads; default 60 000 each. */
  drainTimeoutMs?: number
  /** Called about once a second, in every phase. */
  onProgress?: (progress: WorkloadProgress) => void
}

export interface WorkloadHandle {
  /** Stops producing, waits for acks, reads everything back, closes every client; the same report on every call. */
  stop(): Promise<WorkloadReport>
  progress(): WorkloadProgress
}

export type WorkloadPhase = 'producing' | 'acknowledging' | 'reading' | 'done'

export interface WorkloadProgress {
  phase: WorkloadPhase
  elapsedMs: number
  sent: number
  acknowledged: number
  unacknowledged: number
  produceErrors: number
  /** Distinct records of this run read back (by the live read while producing, then by the final read). */
  consumed: number
  /** Acknowledged records per second over the last five seconds. */
  acknowledgedPerSecond: number
  /**
   * How long the oldest write still unanswered has waited (ms; 0 when none): a client that stopped
   * getting answers shows here long before the run ends, with the partition it waits on.
   */
  oldestWriteMs: number
  oldestWritePartition?: string
}

export interface WorkloadReport extends LedgerReport {
  runId: string
  topics: string[]
  producers: number
  requestedRecordsPerSecond: number
  /** Records sent per second while producing. */
  achievedRecordsPerSecond: number
  producingMs: number
  /** From stop() to the report: acks, then the reads. */
  finishingMs: number
  finalRead: {
    complete: boolean
    incompletePartitions: string[]
    /** Why the final read is incomplete when, the last time it looked for the cluster, no address it knew answered: "no address answered of N tried: ...". */
    unreachable?: string
  }
  /** Times a reader's consumer failed and was started again from where it was. */
  readerRestarts: number
  /** The first few errors that made a reader start again; finalRead.unreachable first when set. */
  readerErrors: string[]
  verdict: Verdict
}

const DEFAULT_VALUE_BYTES = 100
const DEFAULT_DRAIN_TIMEOUT_MS = 60_000
/** A SIGKILLed leader is replaced only after broker.session.timeout.ms (9 s): retry well past it. */
const CLIENT_RETRIES = { retries: 60, retryDelay: 500 }
const TICK_MS = 20
/** At most this much of the schedule is sent at once after a stall, so a stall never becomes a burst. */
const MAX_CATCH_UP_MS = 200
const MAX_BATCH = 500
/** The live read gets this long after producing to catch up; the final read decides anyway. */
const LIVE_CATCH_UP_MS = 10_000
/** Before the clients that ran all along close, each refreshes its brokers for at most this long. */
const METADATA_REFRESH_MS = 3_000
/** At the end, each address known is asked for the brokers with this long to connect and as long to answer... */
const PROBE_TIMEOUT_MS = 3_000
/** ...and the first answer is waited for at most this long (see live-bootstrap.ts). */
const PROBE_WAIT_MS = 2 * PROBE_TIMEOUT_MS
/** Listing the end offsets gets at most this long of the read deadline; past it the acknowledged offsets stand in. */
const END_OFFSETS_MS = 20_000
const UNKNOWN_TOPIC_OR_PARTITION = 3

/**
 * Starts the workload and returns once its clients are connected and producing.
 *
 * 1. Checks the input (BAD_ARGUMENT on a rate <= 0, no topics, an unknown topic) and records where
 *    each partition ends now: this run's records come after it, older data is never read.
 * 2. A live reader (a consumer group of its own, `kafkaplane-verify-<run>-live`) reads every partition
 *    from there while the producers write.
 * 3. Each producer stream is an idempotent producer (acks=all, retries past a leader's failover) that
 *    sends records `run:stream:seq` round-robin over all partitions on a steady schedule. It keeps at
 *    most one batch in flight per partition, so a retried batch can never be overtaken by a later one
 *    of the same partition; partitions proceed independently, so one slow leader stalls only its own
 *    partitions. Records waiting for a partition are bounded (30 s of schedule); past it the schedule
 *    slips rather than bursts. A refused record is counted, never thrown.
 * 4. stop(): stops producing; waits up to drainTimeoutMs for outstanding acks (what is still in flight
 *    after that is abandoned: unacknowledged, not lost); has the producers and the live reader refresh
 *    their brokers (METADATA_REFRESH_MS) and notes them (SeenBrokers); closes the producers.
 * 5. Then, within a read deadline of drainTimeoutMs: the live read catches up with every acknowledged
 *    record (LIVE_CATCH_UP_MS) while every address known is asked at once which answer (live-bootstrap.ts;
 *    a client that bootstraps from dead addresses one after another would spend the deadline on them);
 *    the live reader closes. The final read starts from the live addresses and reads every partition
 *    again from the run's start (from the log's start where the log no longer reaches it) while the end
 *    offsets are listed (END_OFFSETS_MS; where they cannot be, one past the highest acknowledged offset
 *    stands in), up to the end offsets or the deadline: it decides lost, duplicated and out of order
 *    (see core/verify/ledger.ts). Each restart of the final reader looks for live addresses again; when
 *    the read is incomplete and none answered the last time, finalRead.unreachable says so. Every client closes.
 */
export async function startWorkload(options: WorkloadOptions): Promise<WorkloadHandle> {
  const settings = checkOptions(options)
  const runId = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`
  const partitions = await describePartitions(options.connection, settings.topics)
  const workload = new Workload(runId, options, settings, partitions)
  try {
    await workload.start()
  } catch (err) {
    await workload.closeAll()
    throw err
  }
  return { stop: () => workload.stop(), progress: () => workload.progress() }
}

interface Settings {
  topics: string[]
  recordsPerSecond: number
  producers: number
  valueBytes: number
  durationMs: number | undefined
  drainTimeoutMs: number
}

function checkOptions(options: WorkloadOptions): Settings {
  const bad = (message: string, fix: string) => new KafkaplaneError('BAD_ARGUMENT', message, { fix })
  const { recordsPerSecond } = options
  if (!Number.isFinite(recordsPerSecond) || recordsPerSecond <= 0) throw bad(`records per second ${recordsPerSecond} is not a positive number`, 'pass a rate above 0, e.g. 200')
  if (options.topics.length === 0) throw bad('no topic to write to', 'name at least one existing topic')
  const repeated = options.topics.find((t, i) => options.topics.indexOf(t) !== i)
  if (repeated !== undefined) throw bad(`topic ${repeated} is named twice`, 'name each topic once')
  const producers = options.producers ?? 1
  if (!Number.isInteger(producers) || producers < 1 || producers > 64) throw bad(`producers ${producers} is not a whole number between 1 and 64`, 'pass between 1 and 64 producers')
  const valueBytes = options.valueBytes ?? DEFAULT_VALUE_BYTES
  if (!Number.isInteger(valueBytes) || valueBytes < 0 || valueBytes > 1_000_000) throw bad(`value size ${valueBytes} is not a whole number of bytes between 0 and 1000000`, 'pass a value size in bytes, e.g. 100')
  const { durationMs } = options
  if (durationMs !== undefined && (!Number.isFinite(durationMs) || durationMs <= 0)) throw bad(`duration ${durationMs} ms is not positive`, 'pass a duration above 0, or none to run until stopped')
  const drainTimeoutMs = options.drainTimeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS
  if (!Number.isFinite(drainTimeoutMs) || drainTimeoutMs < 0) throw bad(`drain timeout ${drainTimeoutMs} ms is negative`, 'pass a drain timeout of 0 or more')
  return { topics: [...options.topics], recordsPerSecond, producers, valueBytes, durationMs, drainTimeoutMs }
}

/** A partition the workload writes: `topic-partition` names it in reports. */
interface Target {
  topic: string
  partition: number
  name: string
}

/**
 * The partitions of `topics`, from one raw Metadata request of just those topics: the client's own
 * metadata calls fail whole when any partition has no leader, and a verify run must be able to start
 * on a degraded cluster. A topic Kafka does not know is a BAD_ARGUMENT.
 */
async function describePartitions(connection: KafkaConnectionOptions, topics: readonly string[]): Promise<Target[]> {
  const admin = createAdmin(connection, 'kafkaplane-verify')
  try {
    let response: MetadataResponse
    try {
      response = await describeMetadata(await anyConnection(admin, connection.bootstrapServers), topics)
    } catch (err) {
      throw kafkaError(`reading the topics from ${connection.bootstrapServers.join(',')}`, err, { fix: 'check that --bootstrap-server reaches a broker (and the TLS/SASL options)' })
    }
    const found = new Map(response.topics.filter((t) => t.name !== null).map((t) => [t.name!, t]))
    const unknown = topics.filter((t) => {
      const topic = found.get(t)
      return !topic || topic.errorCode === UNKNOWN_TOPIC_OR_PARTITION || topic.partitions.length === 0
    })
    if (unknown.length > 0) {
      throw new KafkaplaneError('BAD_ARGUMENT', `topic${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} ${unknown.length > 1 ? 'do' : 'does'} not exist`, {
        fix: 'create it first (`kafkaplane topics create --topic T --partitions N --replication-factor 3`), or check the name with `kafkaplane topics list`',
      })
    }
    const refused = topics.filter((t) => found.get(t)!.errorCode !== 0)
    if (refused.length > 0) {
      throw new KafkaplaneError(refused.some((t) => isAuthorizationCode(found.get(t)!.errorCode)) ? 'KAFKA_NOT_AUTHORIZED' : 'KAFKA_REQUEST_REFUSED', `Metadata of ${refused.map((t) => `${t} (error code ${found.get(t)!.errorCode})`).join(', ')} was refused`, {
        fix: 'check that this client may describe, write and read the topics (ACLs)',
      })
    }
    return topics.flatMap((topic) => {
      const count = Math.max(...found.get(topic)!.partitions.map((p) => p.partitionIndex)) + 1
      return Array.from({ length: count }, (_, partition) => ({ topic, partition, name: `${topic}-${partition}` }))
    })
  } finally {
    await admin.close().catch(() => {})
  }
}

class Workload {
  readonly runId: string
  readonly ledger: VerifyLedger
  readonly #options: WorkloadOptions
  readonly #settings: Settings
  readonly #targets: Target[]
  readonly #producers: SequencedProducer[] = []
  /** Lists offsets: at the start, then again at the end, from where the brokers were last seen. */
  #offsets: Consumer | undefined
  #live: PartitionReader | undefined
  #final: PartitionReader | undefined
  #phase: WorkloadPhase = 'producing'
  #startedAt = 0
  #producingEndedAt: number | undefined
  #ticker: NodeJS.Timeout | undefined
  #progressTimer: NodeJS.Timeout | undefined
  readonly #samples: { at: number; acknowledged: number }[] = []
  #stopping: Promise<WorkloadReport> | undefined
  /** Where each partition ended when the run began. */
  #startOffsets = new Map<string, bigint>()
  readonly #seenBrokers: SeenBrokers
  /** Set while the last look for live addresses found none (see #liveConnection). */
  #unreachable: string | undefined

  constructor(runId: string, options: WorkloadOptions, settings: Settings, targets: Target[]) {
    this.runId = runId
    this.ledger = new VerifyLedger(runId)
    this.#options = options
    this.#settings = settings
    this.#targets = targets
    this.#seenBrokers = new SeenBrokers(options.connection.bootstrapServers)
  }

  async start(): Promise<void> {
    const offsets = (this.#offsets = this.#offsetsClient(this.#connection()))
    this.#startOffsets = await listOffsets(offsets, this.#settings.topics, ListOffsetTimestamps.LATEST, Date.now() + 30_000)
    await this.#closeOffsetsClient()
    this.#live = new PartitionReader(async () => this.#connection(), `kafkaplane-verify-${this.runId}-live`, this.#targets, this.#startOffsets, this.ledger)
    await this.#live.start().catch((err: unknown) => {
      throw kafkaError("joining the verify reader's consumer group", err, { fix: 'check that the group coordinator is available (`kafkaplane status`) and that this client may use consumer groups' })
    })
    const perStream = this.#settings.recordsPerSecond / this.#settings.producers
    for (let stream = 0; stream < this.#settings.producers; stream++) {
      this.#producers.push(new SequencedProducer(this.runId, stream, this.#options.connection, this.#targets, this.ledger, perStream, this.#settings.valueBytes))
    }
    // Producer ids first, so the first records' latency is not the producers' start-up.
    await Promise.all(this.#producers.map((p) => p.init()))
    this.#startedAt = performance.now()
    let last = this.#startedAt
    this.#ticker = setInterval(() => {
      const now = performance.now()
      if (this.#settings.durationMs !== undefined && now - this.#startedAt >= this.#settings.durationMs) {
        this.#endProducing(this.#startedAt + this.#settings.durationMs)
        return
      }
      for (const p of this.#producers) p.tick(now - last)
      last = now
    }, TICK_MS)
    this.#progressTimer = setInterval(() => {
      this.#observeBrokers()
      const progress = this.progress()
      this.#samples.push({ at: performance.now(), acknowledged: progress.acknowledged })
      if (this.#samples.length > 6) this.#samples.shift()
      this.#options.onProgress?.(progress)
    }, 1000)
  }

  progress(): WorkloadProgress {
    const counts = this.ledger.counts()
    const now = performance.now()
    const first = this.#samples[0]
    const rate = first && now - first.at > 500 ? ((counts.acknowledged - first.acknowledged) * 1000) / (now - first.at) : 0
    return {
      phase: this.#phase,
      elapsedMs: Math.round(now - this.#startedAt),
      sent: counts.sent,
      acknowledged: counts.acknowledged,
      unacknowledged: counts.unacknowledged,
      produceErrors: counts.produceErrors,
      consumed: counts.consumed,
      acknowledgedPerSecond: Math.round(rate),
      ...this.#oldestWrite(now),
    }
  }

  #oldestWrite(now: number): { oldestWriteMs: number; oldestWritePartition?: string } {
    let oldest: { since: number; partition: string } | undefined
    for (const p of this.#producers) {
      const write = p.oldestWrite()
      if (write && (!oldest || write.since < oldest.since)) oldest = write
    }
    return oldest ? { oldestWriteMs: Math.round(now - oldest.since), oldestWritePartition: oldest.partition } : { oldestWriteMs: 0 }
  }

  stop(): Promise<WorkloadReport> {
    this.#stopping ??= this.#stop()
    return this.#stopping
  }

  #endProducing(at: number): void {
    if (this.#ticker) clearInterval(this.#ticker)
    this.#ticker = undefined
    this.#producingEndedAt ??= at
  }

  async #stop(): Promise<WorkloadReport> {
    const stopAt = performance.now()
    this.#endProducing(stopAt)
    try {
      this.#phase = 'acknowledging'
      const ackDeadline = Date.now() + this.#settings.drainTimeoutMs
      await Promise.all(this.#producers.map((p) => p.idle(ackDeadline)))
      await Promise.all([...this.#producers, this.#live!].map((client) => client.refreshMetadata(METADATA_REFRESH_MS)))
      this.#observeBrokers()
      await Promise.all(this.#producers.map((p) => p.close()))

      this.#phase = 'reading'
      const readDeadline = Date.now() + this.#settings.drainTimeoutMs
      const acknowledged = this.#acknowledgedEnds()
      const [connection] = await Promise.all([this.#liveConnection(), this.#live!.waitUntilReached(acknowledged, Math.min(readDeadline, Date.now() + LIVE_CATCH_UP_MS))])
      await this.#live!.close()

      this.ledger.beginFinalRead()
      this.#final = new PartitionReader(() => this.#liveConnection(), `kafkaplane-verify-${this.runId}-final`, this.#targets, this.#startOffsets, this.ledger, { clampEveryStart: true })
      // It reads while the end offsets are listed; it keeps trying (restarting) until the deadline.
      this.#final.start(connection).catch(() => {})
      const offsets = (this.#offsets = this.#offsetsClient(connection))
      const ends = await this.#endOffsets(offsets, Math.min(readDeadline, Date.now() + END_OFFSETS_MS), acknowledged)
      const reached = await this.#final.waitUntilReached(ends, readDeadline)
      const incomplete = this.#targets.filter((t) => !reached.has(t.name))
      const unreachable = incomplete.length > 0 ? this.#unreachable : undefined
      for (const t of incomplete) this.ledger.finalReadIncomplete(t.topic, t.partition, Number(this.#final.position(t.name) ?? this.#startOffsets.get(t.name) ?? 0n))
      this.#phase = 'done'
      const report = this.ledger.report()
      const producingMs = Math.round((this.#producingEndedAt ?? stopAt) - this.#startedAt)
      return {
        runId: this.runId,
        topics: this.#settings.topics,
        producers: this.#settings.producers,
        requestedRecordsPerSecond: this.#settings.recordsPerSecond,
        achievedRecordsPerSecond: producingMs > 0 ? Math.round((report.sent * 10_000) / producingMs) / 10 : 0,
        producingMs,
        finishingMs: Math.round(performance.now() - stopAt),
        finalRead: { complete: incomplete.length === 0, incompletePartitions: incomplete.map((t) => t.name), ...(unreachable === undefined ? {} : { unreachable }) },
        readerRestarts: this.#live!.restarts + this.#final.restarts,
        readerErrors: [...(unreachable === undefined ? [] : [unreachable]), ...this.#live!.errors, ...this.#final.errors].slice(0, 3),
        ...report,
        verdict: verifyVerdict(report),
      }
    } finally {
      await this.closeAll()
    }
  }

  /** Notes where the run's clients last saw the brokers (see SeenBrokers). */
  #observeBrokers(): void {
    for (const p of this.#producers) this.#seenBrokers.observe(p.currentMetadata())
    for (const reader of [this.#live, this.#final]) this.#seenBrokers.observe(reader?.currentMetadata())
    this.#seenBrokers.observe(this.#offsets?.currentMetadata)
  }

  /** How a client started now reaches the cluster: from the brokers last seen, then the addresses given. */
  #connection(): KafkaConnectionOptions {
    return { ...this.#options.connection, bootstrapServers: this.#seenBrokers.bootstrapServers() }
  }

  /**
   * How a client started in the end phase reaches the cluster: every address known is asked at once
   * (see live-bootstrap.ts), the live ones first. Notes in #unreachable when none answered.
   */
  async #liveConnection(): Promise<KafkaConnectionOptions> {
    this.#observeBrokers()
    const found = await findLiveBootstrap(this.#seenBrokers.candidates(), metadataProbe(this.#options.connection, PROBE_TIMEOUT_MS), PROBE_WAIT_MS)
    this.#unreachable = found.answered.length === 0 ? noAddressAnswered(found) : undefined
    return { ...this.#options.connection, bootstrapServers: found.bootstrap }
  }

  /** One past the highest acknowledged offset of every partition: the least its log must hold. */
  #acknowledgedEnds(): Map<string, bigint> {
    return new Map(this.#targets.map((t) => [t.name, BigInt(Math.max(-1, ...this.#producers.map((p) => p.highestAcked(t.name))) + 1)]))
  }

  /** The end offset of every partition now that producing stopped; where it cannot be listed before the deadline, `acknowledged`'s. */
  async #endOffsets(offsets: Consumer, deadline: number, acknowledged: Map<string, bigint>): Promise<Map<string, bigint>> {
    const listed = await listOffsets(offsets, this.#settings.topics, ListOffsetTimestamps.LATEST, deadline).catch(() => new Map<string, bigint>())
    return new Map(this.#targets.map((t) => [t.name, listed.get(t.name) ?? acknowledged.get(t.name) ?? 0n]))
  }

  /** A consumer for listing offsets (no group of its own is ever joined). */
  #offsetsClient(connection: KafkaConnectionOptions): Consumer {
    return new FollowingConsumer({ clientId: `kafkaplane-verify-${this.runId}`, groupId: `kafkaplane-verify-${this.runId}-offsets`, ...clientConnectionOptions(connection), retries: 2, retryDelay: 500 })
  }

  async #closeOffsetsClient(): Promise<void> {
    const offsets = this.#offsets
    this.#offsets = undefined
    await offsets?.close(true).catch(() => {})
  }

  /** Closes every client; safe to call more than once, and after a failed start. */
  async closeAll(): Promise<void> {
    this.#endProducing(performance.now())
    if (this.#progressTimer) clearInterval(this.#progressTimer)
    this.#progressTimer = undefined
    await Promise.all([...this.#producers.map((p) => p.close()), this.#live?.close(), this.#final?.close(), this.#closeOffsetsClient()])
  }
}

/** The offsets (`timestamp`: LATEST or EARLIEST) of every partition of `topics`, retried until `deadline`. */
async function listOffsets(consumer: Consumer, topics: string[], timestamp: bigint, deadline: number): Promise<Map<string, bigint>> {
  for (;;) {
    try {
      const offsets = await withTimeout(Math.max(0, deadline - Date.now()), () => consumer.listOffsets({ topics, timestamp }))
      const out = new Map<string, bigint>()
      for (const [topic, list] of offsets) list.forEach((offset, partition) => out.set(`${topic}-${partition}`, offset))
      return out
    } catch (err) {
      if (Date.now() > deadline) {
        throw kafkaError(`listing the offsets of ${topics.join(', ')}`, err, { fix: 'check that every partition of the topics has a leader (`kafkaplane status`)' })
      }
      consumer.clearMetadata()
      await sleep(500)
    }
  }
}

interface PendingRecord {
  key: string
  value: Buffer
  createdAt: number
}

/**
 * One producer stream: an idempotent producer and its sequence. Records go round-robin over the
 * partitions, wait in a queue per partition, and each partition has at most one batch in flight.
 */
class SequencedProducer {
  readonly #producer: Producer
  readonly #runId: string
  readonly #stream: number
  readonly #targets: Target[]
  readonly #ledger: VerifyLedger
  readonly #ratePerSecond: number
  readonly #valueBytes: number
  readonly #maxPending: number
  readonly #queues: PendingRecord[][]
  /** Partitions with a batch in flight, and when it was sent (performance.now()). */
  readonly #inFlight = new Map<number, number>()
  readonly #highestAcked = new Map<string, number>()
  #pending = 0
  #seq = 0
  #credit = 0
  #closed = false
  #idleWaiters: (() => void)[] = []

  constructor(runId: string, stream: number, connection: KafkaConnectionOptions, targets: Target[], ledger: VerifyLedger, ratePerSecond: number, valueBytes: number) {
    this.#runId = runId
    this.#stream = stream
    this.#targets = targets
    this.#ledger = ledger
    this.#ratePerSecond = ratePerSecond
    this.#valueBytes = valueBytes
    this.#maxPending = Math.max(1000, Math.ceil(ratePerSecond * 30))
    this.#queues = targets.map(() => [])
    this.#producer = new FollowingProducer({
      clientId: `kafkaplane-verify-${runId}-${stream}`,
      ...clientConnectionOptions(connection),
      idempotent: true,
      acks: ProduceAcks.ALL,
      ...CLIENT_RETRIES,
    })
  }

  /** Adds the records the schedule owes after `elapsedMs`, a token bucket that never holds more than MAX_CATCH_UP_MS. */
  tick(elapsedMs: number): void {
    if (this.#closed) return
    this.#credit = Math.min(this.#credit + (this.#ratePerSecond * elapsedMs) / 1000, Math.max(1, (this.#ratePerSecond * MAX_CATCH_UP_MS) / 1000))
    const n = Math.min(Math.floor(this.#credit), this.#maxPending - this.#pending)
    if (n <= 0) return
    this.#credit -= n
    const now = performance.now()
    for (let i = 0; i < n; i++) {
      const seq = this.#seq++
      const key = recordKey(this.#runId, this.#stream, seq)
      const value = Buffer.alloc(this.#valueBytes, '.')
      value.write(key)
      this.#queues[(seq + this.#stream) % this.#targets.length]!.push({ key, value, createdAt: now })
    }
    this.#pending += n
    for (let p = 0; p < this.#queues.length; p++) this.#sendNext(p)
  }

  async init(): Promise<void> {
    try {
      await this.#producer.initIdempotentProducer({})
    } catch (err) {
      throw kafkaError(`getting an idempotent producer id for producer ${this.#stream}`, err, { fix: 'check that the brokers are up (`kafkaplane status`) and that this client may write (IdempotentWrite)' })
    }
  }

  /** The batch in flight the longest: since when, and its partition. */
  oldestWrite(): { since: number; partition: string } | undefined {
    let oldest: { since: number; partition: string } | undefined
    for (const [p, since] of this.#inFlight) if (!oldest || since < oldest.since) oldest = { since, partition: this.#targets[p]!.name }
    return oldest
  }

  /** The brokers as this producer last saw them (undefined before its first metadata). */
  currentMetadata(): SeenMetadata | undefined {
    return this.#producer.currentMetadata
  }

  /** Asks the cluster for its brokers now, for at most `timeoutMs`; a failure leaves the metadata as it was. */
  async refreshMetadata(timeoutMs: number): Promise<void> {
    await refreshBrokers(this.#producer, timeoutMs)
  }

  highestAcked(name: string): number {
    return this.#highestAcked.get(name) ?? -1
  }

  /** Resolves once nothing is queued or in flight, or at `deadline`. */
  async idle(deadline: number): Promise<void> {
    if (this.#pending === 0) return
    const done = new Promise<void>((resolve) => this.#idleWaiters.push(resolve))
    const timeout = sleep(Math.max(0, deadline - Date.now()), undefined, { ref: false })
    await Promise.race([done, timeout])
  }

  /** Closes the producer; answers that arrive later are ignored (their records stay unacknowledged). */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await this.#producer.close(true).catch(() => {})
  }

  #sendNext(p: number): void {
    const queue = this.#queues[p]!
    if (this.#closed || this.#inFlight.has(p) || queue.length === 0) return
    const batch = queue.splice(0, MAX_BATCH)
    const target = this.#targets[p]!
    this.#inFlight.set(p, performance.now())
    for (const r of batch) this.#ledger.sent(r.key)
    this.#producer
      .send({ messages: batch.map((r) => ({ topic: target.topic, partition: target.partition, key: Buffer.from(r.key), value: r.value })) })
      .then(
        (result) => {
          if (this.#closed) return
          const base = result.offsets?.find((o) => o.topic === target.topic && o.partition === target.partition)?.offset
          const now = performance.now()
          if (base === undefined) {
            for (const r of batch) this.#ledger.produceError(r.key, 'the produce response has no offset for the partition')
            return
          }
          batch.forEach((r, i) => this.#ledger.acked(r.key, target.topic, target.partition, Number(base) + i, now - r.createdAt))
          this.#highestAcked.set(target.name, Math.max(this.highestAcked(target.name), Number(base) + batch.length - 1))
        },
        (err: unknown) => {
          if (this.#closed) return
          const message = errorMessage(err)
          for (const r of batch) this.#ledger.produceError(r.key, message)
        },
      )
      .finally(() => {
        this.#inFlight.delete(p)
        this.#pending -= batch.length
        if (this.#pending === 0) for (const wake of this.#idleWaiters.splice(0)) wake()
        this.#sendNext(p)
      })
  }
}

/**
 * Reads partitions from given offsets into the ledger, in a consumer group of its own. When its
 * consumer fails (a stream error that outlived the client's retries) it starts a new one, in a new
 * group, from the next offset of every partition: reading on is the reader's job, not the caller's.
 */
class PartitionReader {
  /** Called at each (re)start: a reader restarted late bootstraps from where the brokers are now. */
  readonly #connection: () => Promise<KafkaConnectionOptions>
  /** Clamp to the log (see #clampToLog) at the first start too, not only at restarts. */
  readonly #clampEveryStart: boolean
  readonly #groupId: string
  readonly #targets: Target[]
  readonly #topics: string[]
  readonly #ledger: VerifyLedger
  readonly #next: Map<string, bigint>
  #consumer: Consumer | undefined
  #stream: MessagesStream<Buffer, Buffer, Buffer, Buffer> | undefined
  #closed = false
  #restarting: Promise<void> | undefined
  restarts = 0
  readonly errors: string[] = []

  constructor(connection: () => Promise<KafkaConnectionOptions>, groupId: string, targets: Target[], from: Map<string, bigint>, ledger: VerifyLedger, options: { clampEveryStart?: boolean } = {}) {
    this.#connection = connection
    this.#clampEveryStart = options.clampEveryStart ?? false
    this.#groupId = groupId
    this.#targets = targets
    this.#topics = [...new Set(targets.map((t) => t.topic))]
    this.#ledger = ledger
    this.#next = new Map(from)
  }

  /** Starts reading, from `connection` when given (else from the reader's own). */
  async start(connection?: KafkaConnectionOptions): Promise<void> {
    const options = connection ?? (await this.#connection())
    if (this.#closed) return
    const consumer = new FollowingConsumer({
      clientId: this.#groupId,
      groupId: this.restarts === 0 ? this.#groupId : `${this.#groupId}-${this.restarts}`,
      ...clientConnectionOptions(options),
      ...CLIENT_RETRIES,
    })
    this.#consumer = consumer
    try {
      if (this.restarts > 0 || this.#clampEveryStart) await Promise.race([this.#clampToLog(consumer).catch(() => {}), sleep(10_000, undefined, { ref: false })])
      const stream = await consumer.consume({
        topics: this.#topics,
        mode: 'manual',
        fallbackMode: 'earliest',
        offsets: this.#targets.map((t) => ({ topic: t.topic, partition: t.partition, offset: this.#next.get(t.name) ?? 0n })),
        autocommit: false,
        maxWaitTime: 500,
      })
      if (this.#closed) {
        await stream.close().catch(() => {})
        return
      }
      this.#stream = stream
      stream.on('data', (message: Message<Buffer, Buffer, Buffer, Buffer>) => this.#read(message))
      stream.on('error', (err) => this.#restart(err))
    } catch (err) {
      this.#restart(err)
      throw err
    }
  }

  /**
   * Before a restart (and the final read's first start): a partition whose log now ends before where
   * the reader was (truncated, or recreated empty) is read again from its start, as is one whose start
   * moved past it (retention).
   * The client's own fallback does not do it once its retries have wrapped OFFSET_OUT_OF_RANGE.
   */
  async #clampToLog(consumer: Consumer): Promise<void> {
    const [earliest, latest] = await Promise.all([
      consumer.listOffsets({ topics: this.#topics, timestamp: ListOffsetTimestamps.EARLIEST }),
      consumer.listOffsets({ topics: this.#topics, timestamp: ListOffsetTimestamps.LATEST }),
    ])
    for (const t of this.#targets) {
      const start = earliest.get(t.topic)?.[t.partition]
      const end = latest.get(t.topic)?.[t.partition]
      const next = this.#next.get(t.name) ?? 0n
      if (start !== undefined && end !== undefined && (next > end || next < start)) this.#next.set(t.name, start)
    }
  }

  /** The brokers as this reader's consumer last saw them. */
  currentMetadata(): SeenMetadata | undefined {
    return this.#consumer?.currentMetadata
  }

  /** Asks the cluster for its brokers now, for at most `timeoutMs`; a failure leaves the metadata as it was. */
  async refreshMetadata(timeoutMs: number): Promise<void> {
    if (this.#consumer) await refreshBrokers(this.#consumer, timeoutMs)
  }

  /** The next offset this reader will read in a partition. */
  position(name: string): bigint | undefined {
    const t = this.#targets.find((x) => x.name === name)
    const fetching = t && this.#stream?.offsetsToFetch.get(`${t.topic}:${t.partition}`)
    return fetching ?? this.#next.get(name)
  }

  /** Waits until every partition was read up to its end offset, or `deadline`; returns the partitions that were. */
  async waitUntilReached(ends: Map<string, bigint>, deadline: number): Promise<Set<string>> {
    for (;;) {
      const reached = new Set(this.#targets.filter((t) => (this.position(t.name) ?? 0n) >= (ends.get(t.name) ?? 0n)).map((t) => t.name))
      if (reached.size === this.#targets.length || Date.now() >= deadline) return reached
      await sleep(Math.min(200, Math.max(1, deadline - Date.now())))
    }
  }

  async close(): Promise<void> {
    this.#closed = true
    await this.#restarting?.catch(() => {})
    await this.#closeClient()
  }

  #read(message: Message<Buffer, Buffer, Buffer, Buffer>): void {
    const name = `${message.topic}-${message.partition}`
    this.#next.set(name, message.offset + 1n)
    this.#ledger.consumed(message.topic, message.partition, Number(message.offset), message.key?.toString() ?? '')
  }

  #restart(cause: unknown): void {
    if (this.#closed || this.#restarting) return
    if (this.errors.length < 3) this.errors.push(errorMessage(cause))
    this.#restarting = (async () => {
      await this.#closeClient()
      await sleep(1000)
      this.restarts++
      this.#restarting = undefined
      if (!this.#closed) await this.start().catch(() => {})
    })()
  }

  async #closeClient(): Promise<void> {
    const stream = this.#stream
    const consumer = this.#consumer
    this.#stream = undefined
    this.#consumer = undefined
    stream?.removeAllListeners('data')
    stream?.on('error', () => {})
    await stream?.close().catch(() => {})
    await consumer?.close(true).catch(() => {})
  }
}

/** One Metadata request without topics, no retries, for at most `timeoutMs`: the client's brokers and their lastUpdate, fresh. */
async function refreshBrokers(client: Producer | Consumer, timeoutMs: number): Promise<void> {
  await withTimeout(timeoutMs, () => client.metadata({ topics: [], forceUpdate: true, retries: 0 })).catch(() => {})
}

/** A produce error as one line: the chain of the client's nested errors, ending with the broker's code. */
function errorMessage(err: unknown): string {
  const parts: string[] = []
  let e = err as { message?: string; apiId?: string; errors?: unknown[] } | undefined
  for (let depth = 0; e && depth < 5; depth++) {
    const part = (e.apiId ?? e.message ?? String(e)).replace(/\.$/, '')
    if (parts.at(-1) !== part) parts.push(part)
    e = Array.isArray(e.errors) && e.errors.length > 0 ? (e.errors.at(-1) as typeof e) : undefined
  }
  return parts.join(': ')
}
