import { pushTo } from '../collections.ts'
import { PARTITION_HEALTH_ORDER, partitionHealth, type PartitionHealth } from '../health/partition-health.ts'
import { caughtUp } from '../health/quorum.ts'
import { canStop } from '../health/restart-check.ts'
import type { ClusterSnapshot, PartitionState } from '../health/snapshot.ts'
import { clusterVerdict, type ClusterStatus } from '../health/verdict.ts'
import type { GroupStatus } from './consumer-status.ts'
import { groupPartitionKey, partitionKey, type CollectedCluster } from './exporter-series.ts'

/**
 * The view model of `kafkaplane dashboard` (src/observe/live-server.ts serves it as JSON and pushes each
 * new one to the page, src/observe/live/): built from one collection with no I/O, so that the page only
 * draws it.
 *
 *   - layout: the brokers in a grid of two failure dimensions (rows x columns; by default the topology's
 *     first two, e.g. Kubernetes cluster x zone); a topology of one dimension gives one row, a column per
 *     domain; without a recorded topology, broker.rack is the one dimension;
 *   - brokers: state (up, fenced, down: brokerState below), roles in the
 *     controller quorum, partitions led, replicas hosted and how many of them are out of sync, log dir
 *     usage (when DescribeLogDirs answered), and whether it may restart now (core/health/restart-check.ts)
 *     or what blocks it;
 *   - partitions: counts by health (core/health/partition-health.ts), under-replicated in all, and the
 *     worst ones named (offline first), at most `worstPartitions`;
 *   - survivability: for each domain of each dimension, what its loss would do right now (on the current
 *     ISRs): partitions left without an in-sync replica (offline), partitions left below
 *     min.insync.replicas (acks=all writes fail), and whether the controller quorum keeps a majority;
 *   - data moves: the partitions being reassigned (ListPartitionReassignments), with the bytes copied to
 *     their new replicas (DescribeLogDirs) out of what they must reach, and an ETA from the rate since
 *     the previous view (moveProgress below). Plans and rolls keep their own progress in the files of the
 *     process running them, not in the cluster: they are not shown;
 *   - consumer groups: members, Burrow-style status, offset lag (summed over the committed partitions) and
 *     lag in seconds (the largest).
 */
export type BrokerState = 'up' | 'fenced' | 'down'

/**
 * A broker's state on the page:
 *   up      registered and unfenced: it serves clients;
 *   fenced  registered but fenced, and following the metadata log (its quorum entry, as a voter or an
 *           observer, caught up within DEFAULT_QUORUM_LAG_MS): starting, catching up or shutting down;
 *   down    not registered, or registered but fenced and not following the metadata log: a broker that
 *           was stopped stays registered, fenced (core/health/snapshot.ts), and the quorum leader stops
 *           hearing from it. With the quorum unknown a fenced broker stays `fenced`.
 */
export function brokerState(snapshot: ClusterSnapshot, id: number): BrokerState {
  if (snapshot.brokers.some((b) => b.id === id)) return 'up'
  if (!(snapshot.fencedBrokers ?? []).some((b) => b.id === id)) return 'down'
  const q = snapshot.quorum
  if (q === undefined) return 'fenced'
  const member = q.voters.find((v) => v.id === id) ?? q.observers.find((o) => o.id === id)
  return member !== undefined && caughtUp(q, member) ? 'fenced' : 'down'
}

export interface LiveBroker {
  id: number
  state: BrokerState
  /** Failure-domain labels, one per dimension of the view ("(none)" when unknown). */
  labels: Readonly<Record<string, string>>
  /** 'controller' (a voter), 'active controller' (the quorum leader). */
  roles: string[]
  leaders: number
  replicas: number
  /** Replicas on this broker that are out of their partition's ISR. */
  outOfSync: number
  /** Log dir usage, when DescribeLogDirs answered for this broker. */
  disk: { replicaBytes: number; totalBytes: number; usableBytes: number } | undefined
  restart: { ok: boolean; blockers: string[]; warnings: string[] }
}

export interface LiveCell {
  row: string
  column: string
  brokers: number[]
}

export interface LiveLayout {
  /** The dimension of the rows (undefined: one row, for a layout of one dimension) and of the columns. */
  rowDimension: string | undefined
  columnDimension: string
  rows: string[]
  columns: string[]
  /** One per (row, column) in row-major order, empty ones included. */
  cells: LiveCell[]
}

export interface LivePartition {
  topic: string
  partition: number
  health: PartitionHealth
  leader: number
  replicas: readonly number[]
  isr: readonly number[]
  minInsync: number
}

export interface LiveDomainLoss {
  dimension: string
  domain: string
  brokers: number[]
  /** Partitions that would keep no in-sync replica. */
  offline: number
  /** Partitions that would keep fewer in-sync replicas than min.insync.replicas (offline ones included). */
  unwritable: number
  /** Whether the controller quorum keeps a caught-up majority; undefined when the quorum is unknown. */
  quorumKept: boolean | undefined
  survives: boolean
  /** What is lost, for people (empty when it survives). */
  losses: string[]
}

export interface LiveGroup {
  id: string
  members: number | undefined
  status: GroupStatus | undefined
  topics: string[]
  /** Records behind, summed over the committed partitions whose high watermark is known. */
  offsetLag: number
  /** The largest lag in seconds of its partitions, when known. */
  lagSeconds: number | undefined
}

export interface LiveMove {
  topic: string
  partition: number
  replicas: readonly number[]
  /** Replicas being added and removed; empty when only the snapshot's "reassigning" was known. */
  adding: readonly number[]
  removing: readonly number[]
  /** Bytes on the adding replicas, and what they must reach (the largest other replica's size, once per adding replica), when read. */
  copiedBytes: number | undefined
  totalBytes: number | undefined
}

export interface LiveMoves {
  partitions: LiveMove[]
  /** Over every move whose sizes were read. */
  copiedBytes: number
  totalBytes: number
  /** Bytes a second copied since the previous view, and the seconds left at that rate, when they can be told. */
  bytesPerSecond: number | undefined
  etaSeconds: number | undefined
}

/** One ongoing reassignment, as ListPartitionReassignments gives it (src/kafka/list-partition-reassignments.ts). */
export interface OngoingMove {
  topic: string
  partition: number
  replicas: readonly number[]
  adding: readonly number[]
  removing: readonly number[]
}

export interface ReplicaBytes {
  topic: string
  partition: number
  broker: number
  bytes: number
}

export interface LiveView {
  /** When the collection started and how long it took (ms). */
  collectedAt: number
  durationMs: number
  verdict: { status: ClusterStatus; reasons: string[] }
  quorum: { leaderId: number; voters: number[] } | undefined
  layout: LiveLayout
  brokers: LiveBroker[]
  partitions: { total: number; counts: Record<PartitionHealth, number>; underReplicated: number; worst: LivePartition[] }
  survivability: LiveDomainLoss[]
  moves: LiveMoves
  groups: LiveGroup[]
  /** Things the view could not show as asked (an unknown layout dimension), for people. */
  notices: string[]
}

export interface LiveViewOptions {
  /** Dimensions of the rows and columns (default: the topology's first two). */
  layout?: readonly string[]
  /** Partitions named in `partitions.worst` (default 10). */
  worstPartitions?: number
  /** Log dir usage by broker (src/kafka/describe-replica-sizes.ts describeBrokerDisks), when read. */
  disks?: readonly { broker: number; replicaBytes: number; totalBytes: number; usableBytes: number }[]
  /** The reassignments in flight (default: the snapshot's reassigning partitions, without what they add). */
  moves?: readonly OngoingMove[]
  /** The size of the moving partitions' replicas (DescribeLogDirs), for their progress. */
  replicaBytes?: readonly ReplicaBytes[]
  /** The view before, for the copy rate and ETA. */
  previous?: Pick<LiveView, 'collectedAt' | 'moves'>
  durationMs?: number
}

const NONE = '(none)'

export function buildLiveView(c: CollectedCluster, options: LiveViewOptions = {}): LiveView {
  const { snapshot, topology } = c
  const notices: string[] = []
  const dimensions = topology?.dimensions ?? ['rack']
  const registered = new Set(snapshot.brokers.map((b) => b.id))
  const fenced = new Set((snapshot.fencedBrokers ?? []).map((b) => b.id))
  const ids = [...new Set([...snapshot.expectedBrokerIds, ...registered, ...fenced, ...(topology?.brokers.map((b) => b.id) ?? [])])].sort((a, b) => a - b)
  const rackOf = new Map([...snapshot.brokers, ...(snapshot.fencedBrokers ?? [])].map((b) => [b.id, b.rack]))
  const labelsOf = (id: number): Record<string, string> => {
    const fromTopology = topology?.brokers.find((b) => b.id === id)?.labels
    return Object.fromEntries(dimensions.map((d) => [d, (topology ? fromTopology?.[d] : rackOf.get(id)) ?? NONE]))
  }
  const labels = new Map(ids.map((id) => [id, labelsOf(id)]))

  let shown = options.layout?.filter((d) => dimensions.includes(d)) ?? []
  const unknown = options.layout?.filter((d) => !dimensions.includes(d)) ?? []
  if (unknown.length > 0) notices.push(`layout dimension${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} not in the topology (its dimensions: ${dimensions.join(', ')}); shown by ${dimensions.slice(0, 2).join(' x ')}`)
  if (shown.length === 0 || unknown.length > 0) shown = dimensions.slice(0, 2)
  const layout = shown.length === 1 ? gridOf(ids, labels, undefined, shown[0]!) : gridOf(ids, labels, shown[0]!, shown[1]!)

  const quorum = snapshot.quorum
  const voters = new Set(quorum?.voters.map((v) => v.id) ?? [])
  const disks = new Map<number, { replicaBytes: number; totalBytes: number; usableBytes: number }>()
  for (const d of options.disks ?? []) {
    const sum = disks.get(d.broker) ?? { replicaBytes: 0, totalBytes: 0, usableBytes: 0 }
    disks.set(d.broker, { replicaBytes: sum.replicaBytes + d.replicaBytes, totalBytes: sum.totalBytes + d.totalBytes, usableBytes: sum.usableBytes + d.usableBytes })
  }
  const brokers: LiveBroker[] = ids.map((id) => {
    let leaders = 0
    let replicas = 0
    let outOfSync = 0
    for (const p of snapshot.partitions) {
      if (p.leader === id) leaders++
      if (p.replicas.includes(id)) {
        replicas++
        if (!p.isr.includes(id)) outOfSync++
      }
    }
    const { ok, blockers, warnings } = canStop(snapshot, [id])
    return {
      id,
      state: brokerState(snapshot, id),
      labels: labels.get(id)!,
      roles: [...(voters.has(id) ? ['controller'] : []), ...(quorum?.leaderId === id ? ['active controller'] : [])],
      leaders,
      replicas,
      outOfSync,
      disk: disks.get(id),
      restart: { ok, blockers, warnings },
    }
  })

  const verdict = clusterVerdict(snapshot)
  const worst = [...snapshot.partitions]
    .map((p) => ({ p, health: partitionHealth(p) }))
    .filter((x) => x.health !== 'healthy')
    .sort((a, b) => PARTITION_HEALTH_ORDER.indexOf(a.health) - PARTITION_HEALTH_ORDER.indexOf(b.health) || a.p.topic.localeCompare(b.p.topic) || a.p.partition - b.p.partition)
    .slice(0, options.worstPartitions ?? 10)
    .map(({ p, health }) => ({ topic: p.topic, partition: p.partition, health, leader: p.leader, replicas: p.replicas, isr: p.isr, minInsync: p.minInsync }))

  return {
    collectedAt: snapshot.takenAt,
    durationMs: options.durationMs ?? 0,
    verdict: { status: verdict.status, reasons: verdict.reasons },
    quorum: quorum ? { leaderId: quorum.leaderId, voters: quorum.voters.map((v) => v.id) } : undefined,
    layout,
    brokers,
    partitions: {
      total: snapshot.partitions.length,
      counts: verdict.partitions,
      underReplicated: snapshot.partitions.filter((p) => p.isr.length < p.replicas.length).length,
      worst,
    },
    survivability: domainLosses(snapshot, dimensions, labels),
    moves: moveProgress(
      options.moves ?? snapshot.partitions.filter((p) => p.reassigning).map((p) => ({ topic: p.topic, partition: p.partition, replicas: p.replicas, adding: [], removing: [] })),
      options.replicaBytes ?? [],
      snapshot.takenAt,
      options.previous,
    ),
    groups: liveGroups(c),
    notices,
  }
}

function gridOf(ids: readonly number[], labels: ReadonlyMap<number, Record<string, string>>, rowDimension: string | undefined, columnDimension: string): LiveLayout {
  const values = (d: string | undefined) => (d === undefined ? [''] : [...new Set(ids.map((id) => labels.get(id)![d]!))].sort(byDomain))
  const rows = values(rowDimension)
  const columns = values(columnDimension)
  const byCell = new Map<string, number[]>()
  for (const id of ids) pushTo(byCell, `${rowDimension === undefined ? '' : labels.get(id)![rowDimension]}\u0000${labels.get(id)![columnDimension]}`, id)
  const cells = rows.flatMap((row) => columns.map((column) => ({ row, column, brokers: byCell.get(`${row}\u0000${column}`) ?? [] })))
  return { rowDimension, columnDimension, rows, columns, cells }
}

/** Domain names in order, "(none)" last. */
function byDomain(a: string, b: string): number {
  return Number(a === NONE) - Number(b === NONE) || a.localeCompare(b)
}

/** What the loss of each domain of each dimension would do now, on the current ISRs and quorum. */
export function domainLosses(snapshot: ClusterSnapshot, dimensions: readonly string[], labels: ReadonlyMap<number, Readonly<Record<string, string>>>): LiveDomainLoss[] {
  const out: LiveDomainLoss[] = []
  for (const dimension of dimensions) {
    const domains = new Map<string, number[]>()
    for (const [id, l] of labels) pushTo(domains, l[dimension] ?? NONE, id)
    for (const [domain, ids] of [...domains].sort(([a], [b]) => byDomain(a, b))) {
      const lost = new Set(ids)
      const offline: PartitionState[] = []
      const unwritable: PartitionState[] = []
      for (const p of snapshot.partitions) {
        if (!p.isr.some((b) => lost.has(b))) continue
        const left = p.isr.filter((b) => !lost.has(b)).length
        if (left === 0) offline.push(p)
        if (left < p.minInsync) unwritable.push(p)
      }
      const q = snapshot.quorum
      let quorumKept: boolean | undefined
      const losses: string[] = []
      if (q !== undefined) {
        const staying = q.voters.filter((v) => !lost.has(v.id) && caughtUp(q, v)).length
        const majority = Math.floor(q.voters.length / 2) + 1
        quorumKept = staying >= majority
        if (!quorumKept) losses.push(`the controller quorum (${staying} caught-up voter${staying === 1 ? '' : 's'} of ${q.voters.length} left; a majority needs ${majority})`)
      }
      if (offline.length > 0) losses.push(`${offline.length} partition${offline.length === 1 ? '' : 's'} offline (e.g. ${name(offline[0]!)})`)
      const writesOnly = unwritable.filter((p) => !offline.includes(p))
      if (writesOnly.length > 0) losses.push(`acks=all writes to ${writesOnly.length} partition${writesOnly.length === 1 ? '' : 's'} (e.g. ${name(writesOnly[0]!)}: ISR ${writesOnly[0]!.isr.join(',')}, min.insync.replicas ${writesOnly[0]!.minInsync})`)
      out.push({ dimension, domain, brokers: ids.sort((a, b) => a - b), offline: offline.length, unwritable: unwritable.length, quorumKept, survives: losses.length === 0, losses })
    }
  }
  return out
}

const name = (p: PartitionState) => `${p.topic}-${p.partition}`

function liveGroups(c: CollectedCluster): LiveGroup[] {
  return [...c.groups]
    .sort((a, b) => a.id.localeCompare(b.id))
    .map((g) => {
      let offsetLag = 0
      let lagSeconds: number | undefined
      for (const o of g.committed) {
        const newest = c.offsets.get(partitionKey(o.topic, o.partition))?.newest
        if (newest !== undefined) offsetLag += Math.max(0, newest - o.offset)
        const seconds = c.lagSeconds.get(groupPartitionKey(g.id, o.topic, o.partition))
        if (seconds !== undefined) lagSeconds = Math.max(lagSeconds ?? 0, seconds)
      }
      return { id: g.id, members: g.members, status: c.groupStatuses.get(g.id), topics: [...new Set(g.committed.map((o) => o.topic))].sort(), offsetLag, lagSeconds }
    })
}

/**
 * Progress of the reassignments in flight. A new replica is full when it holds as many bytes as the
 * largest replica that is not being added (the leader's, normally); a partition's total is that size
 * once per adding replica, its copied bytes what its adding replicas hold (each counted up to that size).
 * The rate is the growth of the copied bytes since `previous`, over the partitions moving in both (a
 * partition that finished in between is not counted), and the ETA what is left at that rate.
 */
export function moveProgress(moves: readonly OngoingMove[], replicaBytes: readonly ReplicaBytes[], at: number, previous?: Pick<LiveView, 'collectedAt' | 'moves'>): LiveMoves {
  const sizes = new Map<string, Map<number, number>>()
  for (const r of replicaBytes) {
    const key = partitionKey(r.topic, r.partition)
    sizes.set(key, (sizes.get(key) ?? new Map<number, number>()).set(r.broker, r.bytes))
  }
  const partitions: LiveMove[] = [...moves]
    .sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition)
    .map((m) => {
      const bytes = sizes.get(partitionKey(m.topic, m.partition))
      const sources = m.replicas.filter((b) => !m.adding.includes(b) && bytes?.has(b)).map((b) => bytes!.get(b)!)
      if (bytes === undefined || m.adding.length === 0 || sources.length === 0) return { ...m, copiedBytes: undefined, totalBytes: undefined }
      const full = Math.max(...sources)
      return { ...m, copiedBytes: m.adding.reduce((sum, b) => sum + Math.min(full, bytes.get(b) ?? 0), 0), totalBytes: full * m.adding.length }
    })
  let copiedBytes = 0
  let totalBytes = 0
  for (const p of partitions) {
    copiedBytes += p.copiedBytes ?? 0
    totalBytes += p.totalBytes ?? 0
  }
  let bytesPerSecond: number | undefined
  let etaSeconds: number | undefined
  if (previous !== undefined && at > previous.collectedAt) {
    const before = new Map(previous.moves.partitions.map((p) => [partitionKey(p.topic, p.partition), p.copiedBytes]))
    let grown = 0
    let compared = 0
    for (const p of partitions) {
      const was = before.get(partitionKey(p.topic, p.partition))
      if (was === undefined || p.copiedBytes === undefined) continue
      grown += p.copiedBytes - was
      compared++
    }
    if (compared > 0) {
      bytesPerSecond = Math.max(0, (grown * 1000) / (at - previous.collectedAt))
      if (bytesPerSecond > 0) etaSeconds = (totalBytes - copiedBytes) / bytesPerSecond
    }
  }
  return { partitions, copiedBytes, totalBytes, bytesPerSecond, etaSeconds }
}
