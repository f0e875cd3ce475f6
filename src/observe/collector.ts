import type { Admin, Connection } from '@platformatic/kafka'
import { chunks, pushTo } from '../core/collections.ts'
import { DEFAULT_EVALUATOR, EMPTY_WINDOW, groupStatus, observeCommit, partitionStatus, type EvaluatorOptions, type GroupStatus, type PartitionStatus, type PartitionWindow } from '../core/observe/consumer-status.ts'
import { clusterRisk, type ClusterRisk } from '../core/observe/cluster-risk.ts'
import { moveProgress, type LiveMoves, type OngoingMove, type ReplicaBytes } from '../core/observe/live-view.ts'
import { buildSeries, groupPartitionKey, partitionKey, type BuiltSeries, type CollectedCluster, type ConsumerGroupState, type LogDirState, type PartitionOffsets, type Reassignments } from '../core/observe/exporter-series.ts'
import type { ClusterSnapshot } from '../core/health/snapshot.ts'
import type { Topology } from '../core/topology/topology.ts'
import { anyConnection, createAdmin, type KafkaConnectionOptions } from '../kafka/connection.ts'
import { describeClusterSnapshot } from '../kafka/describe-cluster-snapshot.ts'
import { describeConsumerGroups } from '../kafka/describe-consumer-groups.ts'
import { describeRecordedTopology } from '../kafka/describe-recorded-topology.ts'
import { fetchRecordTimestamps, type RecordAt } from '../kafka/fetch-record-timestamps.ts'
import { listConsumerGroupOffsets } from '../kafka/list-consumer-group-offsets.ts'
import { listConsumerGroups } from '../kafka/list-consumer-groups.ts'
import { listOffsets, type TopicPartition } from '../kafka/list-offsets.ts'
import { listPartitionReassignments } from '../kafka/list-partition-reassignments.ts'
import { describeReplicaSizes } from '../kafka/describe-replica-sizes.ts'
import { describeLogDirUsage } from '../kafka/describe-log-dir-usage.ts'

export interface CollectorOptions {
  connection: KafkaConnectionOptions
  /** Series above which the per-partition families fall back to per-topic ones. */
  seriesBudget: number
  /** Partitions per ListOffsets and per Fetch, groups per DescribeGroups / OffsetFetch (default 1000 / 200 / 100). */
  batches?: { partitions?: number; records?: number; groups?: number }
  evaluator?: EvaluatorOptions
  log: (line: string) => void
  now?: () => number
  /**
   * False: a collection returns the collected cluster and no series (a caller that renders the families
   * as they are built, with eachSeriesFamily, src/observe/collection-worker.ts). Default true.
   */
  buildSeries?: boolean
}

/** One collection: the series, or why there are none, and what it cost. */
export interface Collection {
  /** Undefined when the collection failed, or when the collector was asked not to build them. */
  series: BuiltSeries | undefined
  /** What the series were built from (the live view, src/core/observe/live-view.ts, reads it too). */
  cluster: CollectedCluster | undefined
  error: Error | undefined
  startedAt: number
  durationMs: number
  /** Record timestamps fetched (cache misses) in this collection. */
  fetchedTimestamps: number
}

/** How long the collector trusts a topic's min.insync.replicas before it asks again. */
const MIN_INSYNC_TTL_MS = 5 * 60_000

/**
 * Collects what `kafkaplane exporter` serves, off the scrape path (the server only ever reads the last
 * collection). One collection, in order:
 *   1. the cluster snapshot of the health model (src/kafka/describe-cluster-snapshot.ts) and the failure
 *      domains recorded in the cluster; without a snapshot the collection fails (and the caller serves
 *      only the exporter's own series);
 *   2. log start offsets and high watermarks of every partition with a leader, `partitions` at a time;
 *   3. every consumer group, `groups` at a time: its members and committed offsets;
 *   4. each committed partition's Burrow window takes what this collection saw (observeCommit) and its
 *      status is evaluated (core/observe/consumer-status.ts);
 *   5. lag in seconds: the age of the record at each committed offset below the high watermark (at the
 *      log start when the offset fell off the log), from its timestamp, read once per (topic, partition,
 *      offset) and cached while some group still sits at that offset: an idle group costs no fetch.
 *      Records are fetched from each partition's leader, `records` partitions a request;
 *   6. the risks (core/observe/cluster-risk.ts: restartability of each broker and domain, survivability
 *      of each domain's loss, placement goals) from the snapshot and the domains, with no further read;
 *   7. the log dirs of every live broker: their volume's size and free bytes (DescribeLogDirs for no topic);
 *   8. only while some partition is being reassigned: ListPartitionReassignments and DescribeLogDirs of
 *      those partitions, for the bytes left, the copy rate and an ETA (moveProgress, core/observe/live-view.ts).
 * A failed batch costs only its own series (it is logged); the client is renewed after a failed
 * collection, which may have left broken connections behind.
 */
export class Collector {
  readonly #options: CollectorOptions
  #admin: Admin
  readonly #windows = new Map<string, PartitionWindow>()
  readonly #lastOffsets = new Map<string, number>()
  /** Record timestamps (ms) by topic, partition, offset. */
  #timestamps = new Map<string, number>()
  readonly #minInsync = new Map<string, number>()
  #minInsyncReadAt = 0
  #topology: Topology | undefined
  #previousMoves: { collectedAt: number; moves: LiveMoves } | undefined

  constructor(options: CollectorOptions) {
    this.#options = options
    this.#admin = createAdmin(options.connection, 'kafkaplane-exporter')
  }

  get #now(): number {
    return (this.#options.now ?? Date.now)()
  }

  async collect(): Promise<Collection> {
    const startedAt = this.#now
    try {
      const { series, cluster, fetchedTimestamps } = await this.#collect(startedAt)
      return { series, cluster, error: undefined, startedAt, durationMs: this.#now - startedAt, fetchedTimestamps }
    } catch (err) {
      const broken = this.#admin
      this.#admin = createAdmin(this.#options.connection, 'kafkaplane-exporter')
      void broken.close().catch(() => {})
      return { series: undefined, cluster: undefined, error: err as Error, startedAt, durationMs: this.#now - startedAt, fetchedTimestamps: 0 }
    }
  }

  async close(): Promise<void> {
    await this.#admin.close().catch(() => {})
  }

  async #collect(startedAt: number): Promise<{ series: BuiltSeries | undefined; cluster: CollectedCluster; fetchedTimestamps: number }> {
    const admin = this.#admin
    const bootstrapServers = this.#options.connection.bootstrapServers
    if (startedAt - this.#minInsyncReadAt > MIN_INSYNC_TTL_MS) {
      this.#minInsync.clear()
      this.#minInsyncReadAt = startedAt
    }
    const snapshot = await describeClusterSnapshot(admin, { bootstrapServers, minInsyncCache: this.#minInsync })
    this.#topology = (await describeRecordedTopology(admin, bootstrapServers).catch(() => undefined))?.topology ?? this.#topology
    const offsets = await this.#offsets(snapshot)
    const groups = await this.#groups()
    const evaluatedAt = this.#now
    const { partitionStatuses, groupStatuses } = this.#evaluate(groups, offsets, evaluatedAt)
    const { lagSeconds, fetched } = await this.#lagSeconds(snapshot, groups, offsets)
    const risk = this.#risk(snapshot)
    const [reassignments, logDirs] = await Promise.all([this.#reassignments(snapshot), this.#logDirs(snapshot)])
    const cluster: CollectedCluster = { snapshot, topology: this.#topology, offsets, groups, lagSeconds, partitionStatuses, groupStatuses, risk, reassignments, logDirs }
    return { series: this.#options.buildSeries === false ? undefined : buildSeries(cluster, this.#options.seriesBudget), cluster, fetchedTimestamps: fetched }
  }

  #risk(snapshot: ClusterSnapshot): ClusterRisk | undefined {
    try {
      return clusterRisk(snapshot, this.#topology)
    } catch (err) {
      this.#options.log(`exporter: restartability, survivability and placement goals not computed (a bug): ${(err as Error).stack ?? String(err)}`)
      return undefined
    }
  }

  /** The log dirs' volumes of every live broker, each asked in parallel; one that does not answer is left out. */
  async #logDirs(snapshot: ClusterSnapshot): Promise<LogDirState[]> {
    const perBroker = await Promise.all(
      snapshot.brokers.map(async (b) => {
        try {
          const connection = await this.#admin.connections.get({ host: b.host, port: b.port })
          return (await describeLogDirUsage(connection)).map((d) => ({ broker: b.id, ...d }))
        } catch (err) {
          this.#options.log(`exporter: log dirs of broker ${b.id} not read: ${(err as Error).message}`)
          return []
        }
      }),
    )
    return perBroker.flat()
  }

  /**
   * The reassignments in flight and their progress (core/observe/live-view.ts's moveProgress, the rate
   * since the previous collection): ListPartitionReassignments and DescribeLogDirs of those partitions,
   * only while the snapshot shows some partition reassigning. Undefined when they could not be read.
   */
  async #reassignments(snapshot: ClusterSnapshot): Promise<Reassignments | undefined> {
    const now = this.#now
    let moves: OngoingMove[] = []
    let sizes: ReplicaBytes[] = []
    if (snapshot.partitions.some((p) => p.reassigning)) {
      try {
        moves = await listPartitionReassignments(await anyConnection(this.#admin, this.#options.connection.bootstrapServers))
      } catch (err) {
        this.#options.log(`exporter: reassignments in flight not read: ${(err as Error).message}`)
        this.#previousMoves = undefined
        return undefined
      }
      try {
        sizes = await describeReplicaSizes(this.#admin, moves)
      } catch (err) {
        this.#options.log(`exporter: sizes of the replicas being reassigned not read: ${(err as Error).message}`)
        this.#previousMoves = undefined
        return { inFlight: moves.length, progress: undefined }
      }
    }
    const progress = moveProgress(moves, sizes, now, this.#previousMoves)
    this.#previousMoves = { collectedAt: now, moves: progress }
    return { inFlight: moves.length, progress }
  }

  async #offsets(snapshot: ClusterSnapshot): Promise<Map<string, PartitionOffsets>> {
    const wanted: TopicPartition[] = snapshot.partitions.map((p) => ({ topic: p.topic, partition: p.partition }))
    const read = (which: 'earliest' | 'latest') =>
      this.#perLeader(snapshot, wanted, this.#options.batches?.partitions ?? 1000, async (connection, batch) => {
        try {
          return await listOffsets(connection, batch, which)
        } catch (err) {
          return this.#failed(which === 'earliest' ? 'log start offsets' : 'high watermarks', batch.length, err as Error)
        }
      })
    const [oldest, newest] = await Promise.all([read('earliest'), read('latest')])
    return new Map(wanted.map((p) => [partitionKey(p.topic, p.partition), { oldest: oldest.get(p.topic)?.get(p.partition), newest: newest.get(p.topic)?.get(p.partition) }]))
  }

  /**
   * `read` of the partitions' leaders, each given its own partitions `size` at a time (leaders in
   * parallel, one request at a time each), the answers merged by topic and partition. A partition
   * without a live leader is left out; a leader that cannot be reached costs only its own partitions.
   */
  async #perLeader<T extends TopicPartition>(
    snapshot: ClusterSnapshot,
    items: readonly T[],
    size: number,
    read: (connection: Connection, batch: T[]) => Promise<Map<string, Map<number, number>>>,
  ): Promise<Map<string, Map<number, number>>> {
    const leaders = new Map(snapshot.partitions.map((p) => [partitionKey(p.topic, p.partition), p.leader]))
    const brokers = new Map(snapshot.brokers.map((b) => [b.id, b]))
    const byLeader = new Map<number, T[]>()
    for (const item of items) {
      const leader = leaders.get(partitionKey(item.topic, item.partition))
      if (leader !== undefined && brokers.has(leader)) pushTo(byLeader, leader, item)
    }
    const result = new Map<string, Map<number, number>>()
    await Promise.all(
      [...byLeader].map(async ([leader, mine]) => {
        const broker = brokers.get(leader)!
        let connection: Connection
        try {
          connection = await this.#admin.connections.get({ host: broker.host, port: broker.port })
        } catch (err) {
          this.#options.log(`exporter: broker ${leader} (${broker.host}:${broker.port}) not reached: ${(err as Error).message}`)
          return
        }
        for (const batch of chunks(mine, size)) {
          for (const [topic, ps] of await read(connection, batch)) for (const [p, v] of ps) result.set(topic, (result.get(topic) ?? new Map<number, number>()).set(p, v))
        }
      }),
    )
    return result
  }

  async #groups(): Promise<ConsumerGroupState[]> {
    const ids = await listConsumerGroups(this.#admin).catch((err: Error) => {
      this.#options.log(`exporter: consumer groups not listed: ${err.message}`)
      return []
    })
    const groups: ConsumerGroupState[] = []
    for (const batch of chunks(ids, this.#options.batches?.groups ?? 100)) {
      const [described, committed] = await Promise.all([
        describeConsumerGroups(this.#admin, batch).catch((err: Error) => this.#failed('consumer groups described', batch.length, err, [])),
        listConsumerGroupOffsets(this.#admin, batch).catch((err: Error) => this.#failed('consumer group offsets', batch.length, err)),
      ])
      const members = new Map(described.map((g) => [g.id, g.members]))
      for (const id of batch) groups.push({ id, members: members.get(id), committed: committed.get(id) ?? [] })
    }
    return groups
  }

  #evaluate(groups: readonly ConsumerGroupState[], offsets: ReadonlyMap<string, PartitionOffsets>, now: number) {
    const evaluator = this.#options.evaluator ?? DEFAULT_EVALUATOR
    const partitionStatuses = new Map<string, PartitionStatus>()
    const groupStatuses = new Map<string, GroupStatus>()
    const seen = new Set<string>()
    for (const g of groups) {
      const statuses: PartitionStatus[] = []
      for (const o of g.committed) {
        const key = groupPartitionKey(g.id, o.topic, o.partition)
        seen.add(key)
        const newest = offsets.get(partitionKey(o.topic, o.partition))?.newest
        const observed = { offset: o.offset, previousOffset: this.#lastOffsets.get(key), members: g.members ?? 0, highWatermark: newest, at: now }
        const window = observeCommit(this.#windows.get(key) ?? EMPTY_WINDOW, observed, evaluator.intervals)
        this.#windows.set(key, window)
        this.#lastOffsets.set(key, o.offset)
        if (newest === undefined) continue
        const status = partitionStatus(window, Math.max(0, newest - o.offset), now, evaluator)
        partitionStatuses.set(key, status)
        statuses.push(status)
      }
      if (g.committed.length > 0) groupStatuses.set(g.id, groupStatus(statuses))
    }
    for (const key of [...this.#windows.keys()]) {
      if (!seen.has(key)) {
        this.#windows.delete(key)
        this.#lastOffsets.delete(key)
      }
    }
    return { partitionStatuses, groupStatuses }
  }

  async #lagSeconds(snapshot: ClusterSnapshot, groups: readonly ConsumerGroupState[], offsets: ReadonlyMap<string, PartitionOffsets>) {
    // The record each committed partition waits on: at its committed offset, or at the log start when
    // the committed offset fell off the log; none (undefined) when it is caught up.
    const waitingOn = new Map<string, RecordAt | undefined>()
    for (const g of groups) {
      for (const o of g.committed) {
        const known = offsets.get(partitionKey(o.topic, o.partition))
        if (known?.newest === undefined) continue
        const caughtUp = o.offset >= known.newest
        waitingOn.set(groupPartitionKey(g.id, o.topic, o.partition), caughtUp ? undefined : { topic: o.topic, partition: o.partition, offset: Math.max(o.offset, known.oldest ?? 0) })
      }
    }
    const recordKey = (r: RecordAt) => `${partitionKey(r.topic, r.partition)}\u0000${r.offset}`
    const cache = new Map<string, number>()
    // Records not cached, in rounds that ask each partition for one offset at most (groups may wait at
    // different offsets of one partition; a Fetch names a partition once).
    const rounds: RecordAt[][] = []
    const asked = new Map<string, number>()
    for (const record of waitingOn.values()) {
      if (!record || cache.has(recordKey(record))) continue
      const ts = this.#timestamps.get(recordKey(record))
      cache.set(recordKey(record), ts ?? Number.NaN)
      if (ts !== undefined) continue
      const round = asked.get(partitionKey(record.topic, record.partition)) ?? 0
      asked.set(partitionKey(record.topic, record.partition), round + 1)
      ;(rounds[round] ??= []).push(record)
    }
    for (const round of rounds) {
      const fetched = await this.#fetchTimestamps(snapshot, round)
      for (const r of round) cache.set(recordKey(r), fetched.get(r.topic)?.get(r.partition) ?? Number.NaN)
    }
    // Only what some group still waits on stays cached.
    this.#timestamps = new Map([...cache].filter(([, ts]) => !Number.isNaN(ts)))
    const now = this.#now
    const lagSeconds = new Map<string, number>()
    for (const [key, record] of waitingOn) {
      const ts = record === undefined ? now : this.#timestamps.get(recordKey(record))
      if (ts !== undefined) lagSeconds.set(key, Math.max(0, (now - ts) / 1000))
    }
    return { lagSeconds, fetched: rounds.reduce((n, r) => n + r.length, 0) }
  }

  /** Timestamps of the records, from each partition's leader; a partition a batch did not bring whole is asked alone. */
  async #fetchTimestamps(snapshot: ClusterSnapshot, records: readonly RecordAt[]): Promise<Map<string, Map<number, number>>> {
    return this.#perLeader(snapshot, records, this.#options.batches?.records ?? 200, async (connection, batch) => {
      try {
        const found = await fetchRecordTimestamps(connection, batch)
        for (const r of batch.length > 1 ? batch.filter((x) => found.get(x.topic)?.get(x.partition) === undefined) : []) {
          const alone = (await fetchRecordTimestamps(connection, [r])).get(r.topic)?.get(r.partition)
          if (alone !== undefined) found.set(r.topic, (found.get(r.topic) ?? new Map<number, number>()).set(r.partition, alone))
        }
        return found
      } catch (err) {
        return this.#failed('record timestamps', batch.length, err as Error)
      }
    })
  }

  #failed<T = Map<string, never>>(what: string, count: number, err: Error, empty?: T): T {
    this.#options.log(`exporter: ${what} of a batch of ${count} not read: ${err.message}`)
    return empty ?? (new Map() as T)
  }
}
