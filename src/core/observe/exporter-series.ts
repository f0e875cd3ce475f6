import { partitionHealth, type PartitionHealth } from '../health/partition-health.ts'
import type { ClusterSnapshot, PartitionState } from '../health/snapshot.ts'
import { pushTo } from '../collections.ts'
import type { Topology } from '../topology/topology.ts'
import type { ClusterRisk } from './cluster-risk.ts'
import type { GroupStatus, PartitionStatus } from './consumer-status.ts'
import { brokerState, type BrokerState, type LiveMoves } from './live-view.ts'

/**
 * The series of `kafkaplane exporter`, built from one collection (src/observe/collector.ts) with no I/O.
 *
 * Two sets:
 *   - kafka_exporter's (github.com/danielqsj/kafka_exporter, kafka_exporter.go), same names, labels and
 *     meaning, so that its Grafana dashboards and Strimzi's exporter alerts work unchanged: brokers are
 *     the live ones (Metadata), `current_offset` is the high watermark and `oldest_offset` the log start
 *     (ListOffsets latest / earliest), a partition's leader "is preferred" when it is its first replica and
 *     "under replicated" when its ISR is smaller than its replica list. A group's offsets are shown for
 *     every partition of each topic it committed in (its `offset.show-all` default): a partition without a
 *     commit shows current_offset -1 and lag -1; `lag_sum` leaves those out, `current_offset_sum` adds
 *     their -1 as kafka_exporter does. `members` is shown for every group.
 *   - kafkaplane's own (`kafkaplane_`): brokers by every failure dimension, the controller quorum, partition
 *     health per topic (core/health/partition-health.ts), lag in seconds and Burrow-style group status
 *     (core/observe/consumer-status.ts), per-topic sums that stand in for the per-partition series;
 *     what may restart now and what blocks it, survivability of each domain's loss, placement goals
 *     (core/observe/cluster-risk.ts), reassignments in flight with bytes left, rate and ETA
 *     (core/observe/live-view.ts's moveProgress), and the log dirs' volumes (size, free bytes).
 *
 * Series budget: when the series would number more than `budget`, every per-partition family (those with
 * a `partition` label) is left out; the per-topic ones stay (kafka_topic_partitions, the `_sum` families,
 * kafkaplane_topic_*, kafkaplane_consumergroup_topic_lag_seconds_max). `perPartition` says which it was.
 */
export interface PartitionOffsets {
  /** Log start offset (ListOffsets earliest); undefined when it could not be read. */
  oldest: number | undefined
  /** High watermark (ListOffsets latest); undefined when it could not be read. */
  newest: number | undefined
}

export interface CommittedOffset {
  topic: string
  partition: number
  /** The group's committed offset (the next record it will read). */
  offset: number
}

export interface ConsumerGroupState {
  id: string
  /** Undefined when the group could not be described. */
  members: number | undefined
  /** Committed offsets (-1 ones left out). */
  committed: readonly CommittedOffset[]
}

export interface CollectedCluster {
  snapshot: ClusterSnapshot
  /** Failure domains of the brokers (recorded in the cluster), when known. */
  topology: Topology | undefined
  /** By partitionKey(topic, partition). */
  offsets: ReadonlyMap<string, PartitionOffsets>
  groups: readonly ConsumerGroupState[]
  /** Age in seconds of the record at the committed offset (0 when caught up), by groupPartitionKey. */
  lagSeconds: ReadonlyMap<string, number>
  /** Burrow status of each committed partition, by groupPartitionKey. */
  partitionStatuses: ReadonlyMap<string, PartitionStatus>
  groupStatuses: ReadonlyMap<string, GroupStatus>
  /** Restartability, survivability and placement goals (core/observe/cluster-risk.ts), when computed. */
  risk?: ClusterRisk
  /** Reassignments in flight, when read. */
  reassignments?: Reassignments
  /** The log dirs of the live brokers (DescribeLogDirs), when read. */
  logDirs?: readonly LogDirState[]
}

export interface Reassignments {
  /** Partitions being reassigned (ListPartitionReassignments). */
  inFlight: number
  /** Their bytes copied and to copy, rate and ETA (core/observe/live-view.ts's moveProgress), when their sizes were read. */
  progress: LiveMoves | undefined
}

export interface LogDirState {
  broker: number
  logDir: string
  totalBytes: number
  usableBytes: number
}

export interface Sample {
  labels: Readonly<Record<string, string>>
  value: number
}

export interface SeriesFamily {
  name: string
  help: string
  labelNames: readonly string[]
  samples: readonly Sample[]
}

export interface BuiltSeries {
  families: SeriesFamily[]
  /** False when the budget made the per-partition families fall back to per-topic ones. */
  perPartition: boolean
  /** Samples in `families`. */
  count: number
  /** Samples there would have been with the per-partition families. */
  fullCount: number
}

export const partitionKey = (topic: string, partition: number): string => `${topic}\u0000${partition}`
export const groupPartitionKey = (group: string, topic: string, partition: number): string => `${group}\u0000${topic}\u0000${partition}`

const BROKER_STATES: readonly BrokerState[] = ['up', 'fenced', 'down']

/** Burrow's numbers for a group status (core/protocol/evaluator.go: OK 1, WARN 2, ERR 3). */
export const GROUP_STATUS_CODE: Readonly<Record<GroupStatus, number>> = { OK: 1, WARN: 2, ERR: 3 }

class Families {
  readonly sink: (family: SeriesFamily) => void
  constructor(sink: (family: SeriesFamily) => void) {
    this.sink = sink
  }
  add(name: string, help: string, labelNames: readonly string[], samples: Sample[]): void {
    this.sink({ name, help, labelNames, samples })
  }
}

/**
 * Every family of one collection, each handed to `sink` as soon as it is built, in a fixed order: a
 * caller that renders them as they come holds one family's samples at a time (at 10,000 partitions and
 * 1,000 groups the whole set is 126,000 samples). The series budget is the caller's (buildSeries, or
 * src/observe/collection-worker.ts as it renders).
 */
export function eachSeriesFamily(c: CollectedCluster, sink: (family: SeriesFamily) => void): void {
  const f = new Families(sink)
  kafkaExporterSeries(c, f)
  kafkaplaneSeries(c, f)
  riskSeries(c, f)
}

/** Whether a family is one of the per-partition ones that the series budget leaves out. */
export const isPerPartition = (family: SeriesFamily): boolean => family.labelNames.includes('partition')

/** Every series of one collection, within `budget` samples when the per-topic fallback allows it. */
export function buildSeries(c: CollectedCluster, budget: number): BuiltSeries {
  const list: SeriesFamily[] = []
  eachSeriesFamily(c, (family) => list.push(family))
  const fullCount = countSamples(list)
  if (fullCount <= budget) return { families: list, perPartition: true, count: fullCount, fullCount }
  const families = list.filter((x) => !isPerPartition(x))
  return { families, perPartition: false, count: countSamples(families), fullCount }
}

export function countSamples(families: readonly SeriesFamily[]): number {
  return families.reduce((n, x) => n + x.samples.length, 0)
}

function kafkaExporterSeries(c: CollectedCluster, f: Families): void {
  const { snapshot } = c
  f.add('kafka_brokers', 'Number of Brokers in the Kafka Cluster.', [], [{ labels: {}, value: snapshot.brokers.length }])
  f.add('kafka_broker_info', 'Information about the Kafka Broker.', ['id', 'address'], snapshot.brokers.map((b) => ({ labels: { id: String(b.id), address: `${b.host}:${b.port}` }, value: 1 })))
  const byTopic = partitionsByTopic(snapshot)
  f.add('kafka_topic_partitions', 'Number of partitions for this Topic', ['topic'], [...byTopic].map(([topic, ps]) => ({ labels: { topic }, value: ps.length })))
  const perPartition = (name: string, help: string, value: (p: PartitionState) => number | undefined) => {
    const samples: Sample[] = []
    for (const p of snapshot.partitions) {
      const v = value(p)
      if (v !== undefined) samples.push({ labels: { topic: p.topic, partition: String(p.partition) }, value: v })
    }
    f.add(name, help, ['topic', 'partition'], samples)
  }
  const offsets = (p: { topic: string; partition: number }) => c.offsets.get(partitionKey(p.topic, p.partition))
  perPartition('kafka_topic_partition_current_offset', 'Current Offset of a Broker at Topic/Partition', (p) => offsets(p)?.newest)
  perPartition('kafka_topic_partition_oldest_offset', 'Oldest Offset of a Broker at Topic/Partition', (p) => offsets(p)?.oldest)
  // kafka_exporter leaves out the leader of a partition it cannot find one for.
  perPartition('kafka_topic_partition_leader', 'Leader Broker ID of this Topic/Partition', (p) => (p.leader >= 0 ? p.leader : undefined))
  perPartition('kafka_topic_partition_replicas', 'Number of Replicas for this Topic/Partition', (p) => p.replicas.length)
  perPartition('kafka_topic_partition_in_sync_replica', 'Number of In-Sync Replicas for this Topic/Partition', (p) => p.isr.length)
  perPartition('kafka_topic_partition_leader_is_preferred', '1 if Topic/Partition is using the Preferred Broker', (p) => (p.leader >= 0 && p.leader === p.replicas[0] ? 1 : 0))
  perPartition('kafka_topic_partition_under_replicated_partition', '1 if Topic/Partition is under Replicated', (p) => (p.isr.length < p.replicas.length ? 1 : 0))

  const current: Sample[] = []
  const currentSum: Sample[] = []
  const lag: Sample[] = []
  const lagSum: Sample[] = []
  for (const g of c.groups) {
    const committed = new Map(g.committed.map((o) => [partitionKey(o.topic, o.partition), o.offset]))
    for (const topic of [...new Set(g.committed.map((o) => o.topic))].sort()) {
      let offsetSum = 0
      let lagTotal = 0
      for (const p of byTopic.get(topic) ?? []) {
        const offset = committed.get(partitionKey(topic, p.partition)) ?? -1
        const labels = { consumergroup: g.id, topic, partition: String(p.partition) }
        offsetSum += offset
        current.push({ labels, value: offset })
        const newest = c.offsets.get(partitionKey(topic, p.partition))?.newest
        if (newest === undefined) continue
        const partitionLag = offset === -1 ? -1 : newest - offset
        if (offset !== -1) lagTotal += partitionLag
        lag.push({ labels, value: partitionLag })
      }
      currentSum.push({ labels: { consumergroup: g.id, topic }, value: offsetSum })
      lagSum.push({ labels: { consumergroup: g.id, topic }, value: lagTotal })
    }
  }
  const groupLabels = ['consumergroup', 'topic', 'partition']
  f.add('kafka_consumergroup_current_offset', 'Current Offset of a ConsumerGroup at Topic/Partition', groupLabels, current)
  f.add('kafka_consumergroup_current_offset_sum', 'Current Offset of a ConsumerGroup at Topic for all partitions', ['consumergroup', 'topic'], currentSum)
  f.add('kafka_consumergroup_lag', 'Current Approximate Lag of a ConsumerGroup at Topic/Partition', groupLabels, lag)
  f.add('kafka_consumergroup_lag_sum', 'Current Approximate Lag of a ConsumerGroup at Topic for all partitions', ['consumergroup', 'topic'], lagSum)
  f.add('kafka_consumergroup_members', 'Amount of members in a consumer group', ['consumergroup'], c.groups.flatMap((g) => (g.members === undefined ? [] : [{ labels: { consumergroup: g.id }, value: g.members }])))
}

function kafkaplaneSeries(c: CollectedCluster, f: Families): void {
  const { snapshot, topology } = c
  // Brokers, by every failure dimension.
  const registered = new Set(snapshot.brokers.map((b) => b.id))
  const fenced = new Set((snapshot.fencedBrokers ?? []).map((b) => b.id))
  const ids = [...new Set([...snapshot.expectedBrokerIds, ...registered, ...fenced, ...(topology?.brokers.map((b) => b.id) ?? [])])].sort((a, b) => a - b)
  const dimensions = topology?.dimensions ?? ['rack']
  const labelOf = labelNamesFor(dimensions)
  const domainsOf = (id: number): Record<string, string> => {
    const fromTopology = topology?.brokers.find((b) => b.id === id)?.labels
    const rack = snapshot.brokers.find((b) => b.id === id)?.rack ?? snapshot.fencedBrokers?.find((b) => b.id === id)?.rack
    return Object.fromEntries(dimensions.map((d) => [d, (topology ? fromTopology?.[d] : rack) ?? '']))
  }
  const brokerLabels = (id: number) => ({ broker: String(id), ...Object.fromEntries(Object.entries(domainsOf(id)).map(([d, v]) => [labelOf.get(d)!, v])) })
  const brokerLabelNames = ['broker', ...dimensions.map((d) => labelOf.get(d)!)]
  f.add('kafkaplane_broker_up', '1 if the broker is registered and unfenced, 0 if it is fenced or gone; labelled with its failure domains', brokerLabelNames, ids.map((id) => ({ labels: brokerLabels(id), value: registered.has(id) ? 1 : 0 })))
  f.add('kafkaplane_broker_fenced', '1 if the broker is registered but fenced (starting, catching up on metadata, or shutting down)', ['broker'], ids.map((id) => ({ labels: { broker: String(id) }, value: fenced.has(id) ? 1 : 0 })))
  f.add(
    'kafkaplane_broker_state',
    "The broker's state, 1 for the current one: up (registered, unfenced), fenced (fenced and following the metadata log: starting or catching up), down (gone, or fenced and not following it: stopped)",
    ['broker', 'state'],
    ids.flatMap((id) => {
      const state = brokerState(snapshot, id)
      return BROKER_STATES.map((s) => ({ labels: { broker: String(id), state: s }, value: s === state ? 1 : 0 }))
    }),
  )
  const domainTotal: Sample[] = []
  const domainUp: Sample[] = []
  for (const dimension of dimensions) {
    const counts = new Map<string, { total: number; up: number }>()
    for (const id of ids) {
      const domain = domainsOf(id)[dimension] ?? ''
      const n = counts.get(domain) ?? { total: 0, up: 0 }
      n.total++
      if (registered.has(id)) n.up++
      counts.set(domain, n)
    }
    for (const [domain, n] of [...counts].sort(([a], [b]) => a.localeCompare(b))) {
      domainTotal.push({ labels: { dimension, domain }, value: n.total })
      domainUp.push({ labels: { dimension, domain }, value: n.up })
    }
  }
  f.add('kafkaplane_domain_brokers', 'Brokers in a failure domain (one value of one dimension)', ['dimension', 'domain'], domainTotal)
  f.add('kafkaplane_domain_brokers_up', 'Brokers up (registered, unfenced) in a failure domain', ['dimension', 'domain'], domainUp)

  // The KRaft controller quorum.
  const q = snapshot.quorum
  const leader = q?.voters.find((v) => v.id === q.leaderId)
  f.add('kafkaplane_controller_active_count', 'Active controllers (the KRaft quorum leader): 1, or 0 when there is none or the quorum cannot be read', [], [{ labels: {}, value: q && q.leaderId >= 0 ? 1 : 0 }])
  f.add('kafkaplane_controller_active', '1 for the voter that is the active controller', ['broker'], (q?.voters ?? []).map((v) => ({ labels: { broker: String(v.id) }, value: v.id === q!.leaderId ? 1 : 0 })))
  f.add('kafkaplane_quorum_leader_epoch', 'Epoch of the KRaft quorum leader', [], q ? [{ labels: {}, value: q.leaderEpoch }] : [])
  f.add(
    'kafkaplane_quorum_voter_lag_records',
    "Records a controller voter's metadata log is behind the active controller's",
    ['voter'],
    leader ? q!.voters.map((v) => ({ labels: { voter: String(v.id) }, value: Math.max(0, Number(leader.logEndOffset - v.logEndOffset)) })) : [],
  )
  f.add(
    'kafkaplane_quorum_voter_caught_up_ago_seconds',
    'Seconds since a controller voter last caught up with the active controller (0 for the leader)',
    ['voter'],
    (q?.voters ?? []).filter((v) => v.caughtUpAgoMs !== undefined).map((v) => ({ labels: { voter: String(v.id) }, value: v.caughtUpAgoMs! / 1000 })),
  )

  // Partition health per topic, and per-topic stand-ins for the per-partition series.
  const byTopic = partitionsByTopic(snapshot)
  const health = (name: PartitionHealth | 'leader-not-preferred') => [...byTopic].map(([topic, ps]) => ({
    labels: { topic },
    value: ps.filter((p) => (name === 'leader-not-preferred' ? p.leader !== p.replicas[0] : name === 'under-replicated' ? p.isr.length < p.replicas.length : partitionHealth(p) === name)).length,
  }))
  f.add('kafkaplane_topic_partitions_offline', 'Partitions of the topic without a leader', ['topic'], health('offline'))
  f.add('kafkaplane_topic_partitions_under_min_isr', 'Partitions of the topic whose ISR is below min.insync.replicas (acks=all writes fail)', ['topic'], health('under-min-isr'))
  f.add('kafkaplane_topic_partitions_at_min_isr', 'Partitions of the topic whose ISR is exactly min.insync.replicas, below its replicas (one more loss stops writes)', ['topic'], health('at-min-isr'))
  f.add('kafkaplane_topic_partitions_under_replicated', 'Partitions of the topic whose ISR is smaller than its replica list', ['topic'], health('under-replicated'))
  f.add('kafkaplane_topic_partitions_leader_not_preferred', 'Partitions of the topic whose leader is not their first replica', ['topic'], health('leader-not-preferred'))
  const offsetSum = (which: keyof PartitionOffsets) =>
    [...byTopic].flatMap(([topic, ps]) => {
      const values = ps.map((p) => c.offsets.get(partitionKey(topic, p.partition))?.[which])
      return values.every((v) => v !== undefined) ? [{ labels: { topic }, value: values.reduce((a: number, b) => a + b!, 0) }] : []
    })
  f.add('kafkaplane_topic_current_offset_sum', "Sum of the high watermarks of the topic's partitions (records ever written)", ['topic'], offsetSum('newest'))
  f.add('kafkaplane_topic_oldest_offset_sum', "Sum of the log start offsets of the topic's partitions", ['topic'], offsetSum('oldest'))

  // Lag in seconds and Burrow-style status.
  const lagSeconds: Sample[] = []
  const topicMax = new Map<string, { group: string; topic: string; value: number }>()
  const groupMax: Sample[] = []
  const partitionStatus: Sample[] = []
  for (const g of c.groups) {
    let max: number | undefined
    for (const o of g.committed) {
      const key = groupPartitionKey(g.id, o.topic, o.partition)
      const labels = { consumergroup: g.id, topic: o.topic, partition: String(o.partition) }
      const status = c.partitionStatuses.get(key)
      if (status !== undefined) partitionStatus.push({ labels: { ...labels, status }, value: 1 })
      const seconds = c.lagSeconds.get(key)
      if (seconds === undefined) continue
      lagSeconds.push({ labels, value: seconds })
      max = Math.max(max ?? 0, seconds)
      const tk = `${g.id}\u0000${o.topic}`
      topicMax.set(tk, { group: g.id, topic: o.topic, value: Math.max(topicMax.get(tk)?.value ?? 0, seconds) })
    }
    if (max !== undefined) groupMax.push({ labels: { consumergroup: g.id }, value: max })
  }
  f.add('kafkaplane_consumergroup_lag_seconds', "Age in seconds of the record at the group's committed offset (the next it will read); 0 when caught up", ['consumergroup', 'topic', 'partition'], lagSeconds)
  f.add('kafkaplane_consumergroup_topic_lag_seconds_max', 'Largest kafkaplane_consumergroup_lag_seconds of the group in the topic', ['consumergroup', 'topic'], [...topicMax.values()].map((t) => ({ labels: { consumergroup: t.group, topic: t.topic }, value: t.value })))
  f.add('kafkaplane_consumergroup_lag_seconds_max', 'Largest kafkaplane_consumergroup_lag_seconds of the group', ['consumergroup'], groupMax)
  f.add('kafkaplane_consumergroup_partition_status', "Burrow's status of one committed partition of the group (OK, WARN, STOP, STALL, REWIND): 1 for the current one", ['consumergroup', 'topic', 'partition', 'status'], partitionStatus)
  const statuses = c.groups.flatMap((g) => {
    const s = c.groupStatuses.get(g.id)
    return s === undefined ? [] : [{ id: g.id, status: s }]
  })
  f.add('kafkaplane_consumergroup_status', "Burrow's status of the group (OK, WARN, ERR): 1 for the current one", ['consumergroup', 'status'], statuses.map((s) => ({ labels: { consumergroup: s.id, status: s.status }, value: 1 })))
  f.add('kafkaplane_consumergroup_status_code', "Burrow's status of the group as Burrow numbers it: 1 OK, 2 WARN, 3 ERR", ['consumergroup'], statuses.map((s) => ({ labels: { consumergroup: s.id }, value: GROUP_STATUS_CODE[s.status] })))
}

function riskSeries(c: CollectedCluster, f: Families): void {
  const bool = (b: boolean) => (b ? 1 : 0)
  const { risk, reassignments, logDirs } = c
  if (logDirs) {
    const dir = (d: LogDirState) => ({ broker: String(d.broker), log_dir: d.logDir })
    f.add('kafkaplane_log_dir_total_bytes', "Size of the volume holding the broker's log dir (DescribeLogDirs)", ['broker', 'log_dir'], logDirs.map((d) => ({ labels: dir(d), value: d.totalBytes })))
    f.add('kafkaplane_log_dir_usable_bytes', "Bytes still free for Kafka on the volume of the broker's log dir", ['broker', 'log_dir'], logDirs.map((d) => ({ labels: dir(d), value: d.usableBytes })))
  }
  if (risk) {
    f.add('kafkaplane_broker_restartable', '1 if the live broker may go down now (every partition keeps min.insync.replicas in sync, the controller quorum a caught-up majority), else 0', ['broker'], risk.brokers.map((b) => ({ labels: { broker: String(b.id) }, value: bool(b.check.ok) })))
    f.add('kafkaplane_broker_restart_blocking_partitions', 'Partitions of the topic that would drop below min.insync.replicas without the broker (what blocks its restart)', ['broker', 'topic'], risk.brokers.flatMap((b) => b.check.blockingPartitions.map((x) => ({ labels: { broker: String(b.id), topic: x.topic }, value: x.partitions }))))
    f.add('kafkaplane_broker_restart_blocked_by_quorum', '1 if the controller quorum would lose its caught-up majority without the broker', ['broker'], risk.brokers.map((b) => ({ labels: { broker: String(b.id) }, value: bool(b.check.quorumBlocks) })))
    const domain = (d: { dimension: string; domain: string }) => ({ dimension: d.dimension, domain: d.domain })
    f.add('kafkaplane_domain_restartable', '1 if every broker of the failure domain may go down together now, else 0', ['dimension', 'domain'], risk.domains.map((d) => ({ labels: domain(d), value: bool(d.check.ok) })))
    f.add('kafkaplane_domain_restart_blocking_partitions', 'Partitions of the topic that would drop below min.insync.replicas without the whole domain', ['dimension', 'domain', 'topic'], risk.domains.flatMap((d) => d.check.blockingPartitions.map((x) => ({ labels: { ...domain(d), topic: x.topic }, value: x.partitions }))))
    f.add('kafkaplane_domain_restart_blocked_by_quorum', '1 if the controller quorum would lose its caught-up majority without the whole domain', ['dimension', 'domain'], risk.domains.map((d) => ({ labels: domain(d), value: bool(d.check.quorumBlocks) })))
    f.add('kafkaplane_domain_loss_partitions', 'Partitions with a replica in the failure domain (as assigned)', ['dimension', 'domain'], risk.domainLoss.map((d) => ({ labels: domain(d), value: d.partitions })))
    f.add('kafkaplane_domain_loss_unwritable_partitions', 'Partitions that would stop taking acks=all writes if the failure domain were lost (fewer than min.insync.replicas of their replicas outside it)', ['dimension', 'domain'], risk.domainLoss.map((d) => ({ labels: domain(d), value: d.unwritable })))
    f.add('kafkaplane_domain_loss_unreadable_partitions', 'Partitions with every replica in the failure domain (lost with it)', ['dimension', 'domain'], risk.domainLoss.map((d) => ({ labels: domain(d), value: d.unreadable })))
    f.add('kafkaplane_domain_loss_survivable', '1 if every partition stays writable after the loss of the failure domain, else 0', ['dimension', 'domain'], risk.domainLoss.map((d) => ({ labels: domain(d), value: bool(d.unwritable === 0) })))
    f.add('kafkaplane_dimension_partitions', 'Partitions judged for the survivability of the dimension', ['dimension'], risk.survivability.map((s) => ({ labels: { dimension: s.dimension }, value: s.partitions })))
    f.add('kafkaplane_dimension_partitions_writable_after_any_domain_loss', 'Partitions that stay writable whichever one domain of the dimension is lost', ['dimension'], risk.survivability.map((s) => ({ labels: { dimension: s.dimension }, value: s.writableAfterAnyDomainLoss })))
    f.add('kafkaplane_placement_goal_satisfied', "1 if the placement meets the goal (core/placement/goals.ts; hard goals first), else 0", ['goal', 'hard'], risk.goals.map((g) => ({ labels: { goal: g.goal, hard: String(g.hard) }, value: bool(g.satisfied) })))
    if (risk.goals.length > 0) {
      const bad = new Map(risk.spreadViolations.map((v) => [v.topic, v.partitions]))
      f.add('kafkaplane_topic_partitions_spread_violated', 'Partitions of the topic spread over the failure domains worse than their brokers allow (the hard spread goal, on every dimension)', ['topic'], [...partitionsByTopic(c.snapshot).keys()].map((topic) => ({ labels: { topic }, value: bad.get(topic) ?? 0 })))
    }
  }
  if (reassignments) {
    const p = reassignments.progress
    const one = (value: number | undefined) => (value === undefined ? [] : [{ labels: {}, value }])
    f.add('kafkaplane_reassigning_partitions', 'Partition reassignments in flight (any plan or tool: ListPartitionReassignments)', [], one(reassignments.inFlight))
    f.add('kafkaplane_reassignment_bytes_left', 'Bytes the new replicas of the reassignments in flight still have to copy', [], one(p && p.totalBytes - p.copiedBytes))
    f.add('kafkaplane_reassignment_rate_bytes_per_second', 'Bytes per second the new replicas grew by since the previous collection', [], one(p?.bytesPerSecond))
    f.add('kafkaplane_reassignment_eta_seconds', 'Seconds until the reassignments in flight are copied, at that rate', [], one(p?.etaSeconds))
  }
}

function partitionsByTopic(snapshot: ClusterSnapshot): Map<string, PartitionState[]> {
  const byTopic = new Map<string, PartitionState[]>()
  for (const p of snapshot.partitions) pushTo(byTopic, p.topic, p)
  return byTopic
}

const RESERVED_LABELS = new Set(['broker'])

/**
 * Prometheus label names for failure dimensions: characters outside [a-zA-Z0-9_] become `_`, a leading
 * digit gets a `_` before it, and a name taken by another label (`broker`) or another dimension gets
 * `_` appended until it is free.
 */
export function labelNamesFor(dimensions: readonly string[]): Map<string, string> {
  const taken = new Set(RESERVED_LABELS)
  const names = new Map<string, string>()
  for (const d of dimensions) {
    let name = d.replace(/[^a-zA-Z0-9_]/g, '_').replace(/^(?=[0-9])/, '_').replace(/^__/, '_x_') || '_'
    while (taken.has(name)) name += '_'
    taken.add(name)
    names.set(d, name)
  }
  return names
}
