import { pushTo } from '../core/collections.ts'
import { canStop, domainsThatCanStop } from '../core/health/restart-check.ts'
import type { ClusterSnapshot } from '../core/health/snapshot.ts'
import { clusterVerdict } from '../core/health/verdict.ts'
import type { Topology } from '../core/topology/topology.ts'
import { readTopologyFile } from '../formats/topology-file.ts'
import { createAdmin } from '../kafka/connection.ts'
import { describeClusterSnapshot } from '../kafka/describe-cluster-snapshot.ts'
import { describeCordonsIfApplied } from '../kafka/describe-cordoned-brokers.ts'
import { describeRecordedTopology } from '../kafka/describe-recorded-topology.ts'
import { describeBrokerDisks, type BrokerDisk } from '../kafka/describe-replica-sizes.ts'
import { type Command, helpOrNoArguments, parseOptions } from './command.ts'
import { CONNECTION_HELP, CONNECTION_OPTIONS, connectionOptions } from './connection-options.ts'
import { formatBytes, table } from './plan-report.ts'
import { caughtUp } from '../core/health/quorum.ts'
import { brokerState } from '../core/observe/live-view.ts'

export const status: Command = {
  name: 'status',
  help: `Usage: kafkaplane status [--bootstrap-server HOST:PORT] [--topology FILE] [--json]

Shows the cluster's verdict (healthy, degraded, unhealthy) with reasons, the brokers grouped by every
failure dimension (from --topology, else the failure domains kafkaplane recorded in the cluster, else
by broker.rack) with their state (up; fenced: starting or catching up on the metadata log;
down: gone, or stopped and still registered), log dir usage and, from metadata.version 4.3-IV0 on,
whether each is cordoned (KIP-1066: it takes no new replica; a broker not up or not answering counts
as not cordoned), the controller quorum, partition health counts, which brokers may restart now and which
whole domains could go down together, and why not.
  --topology FILE          failure domains of the brokers; its broker ids are the expected brokers
  --json                   the same, for machines
${CONNECTION_HELP}
Exit codes: 0 healthy or degraded, 1 unhealthy (offline or under-min-ISR partitions, no quorum leader)
or unreachable, 2 bad input.
`,
  async run(argv, io) {
    const { values, positionals } = parseOptions('status', argv, {
      ...CONNECTION_OPTIONS,
      topology: { type: 'string' },
      json: { type: 'boolean' },
    })
    if (helpOrNoArguments(this, { values, positionals }, io)) return 0
    const connection = connectionOptions(values, io.env)
    const file = values.topology === undefined ? undefined : await readTopologyFile(values.topology)
    const admin = createAdmin(connection)
    let snapshot: ClusterSnapshot
    let disks: BrokerDisk[] | undefined
    let cordoned: number[] | undefined
    let topology = file
    try {
      snapshot = await describeClusterSnapshot(admin, { bootstrapServers: connection.bootstrapServers, expectedBrokerIds: file?.brokers.map((b) => b.id) })
      // Without a file, the failure domains kafkaplane recorded in the cluster; a broker they do not
      // name shows "(none)" (status never refuses: it must show the verdict).
      topology ??= (await describeRecordedTopology(admin, connection.bootstrapServers).catch(() => undefined))?.topology
      // Disk usage is for people; a broker that cannot answer it must not hide the health verdict.
      // Cordons are asked of the brokers up, as the planners do (never throws; undefined below 4.3-IV0).
      ;[disks, cordoned] = await Promise.all([
        describeBrokerDisks(admin, snapshot.partitions).catch(() => undefined),
        describeCordonsIfApplied(admin, snapshot.brokers.map((b) => b.id)),
      ])
    } finally {
      await admin.close().catch(() => {})
    }
    const report = statusReport(snapshot, topology, disks, cordoned)
    io.stdout.write(values.json ? JSON.stringify(report, (_k, v) => (typeof v === 'bigint' ? String(v) : v), 2) + '\n' : renderStatus(report))
    return report.verdict.status === 'unhealthy' ? 1 : 0
  },
}

/**
 * What `status` shows, `--json` as it is. `cordoned`: the brokers cordoned (KIP-1066), undefined when
 * the cluster's cordons were not read (below metadata.version 4.3-IV0): each broker then has no
 * `cordoned` field, otherwise `cordoned: true` or `false`.
 */
export function statusReport(snapshot: ClusterSnapshot, topology: Topology | undefined, disks?: readonly BrokerDisk[], cordoned?: readonly number[]) {
  const dimensions = topology?.dimensions ?? ['rack']
  const labels = new Map<number, Readonly<Record<string, string>>>(
    topology
      ? topology.brokers.map((b) => [b.id, b.labels])
      : snapshot.brokers.map((b) => [b.id, { rack: b.rack ?? '(none)' }]),
  )
  const registered = new Set(snapshot.brokers.map((b) => b.id))
  const fenced = new Set((snapshot.fencedBrokers ?? []).map((b) => b.id))
  const ids = [...new Set([...snapshot.expectedBrokerIds, ...registered, ...fenced])].sort((a, b) => a - b)
  const quorum = snapshot.quorum
  const voters = new Set(quorum?.voters.map((v) => v.id) ?? [])
  return {
    verdict: clusterVerdict(snapshot),
    brokers: ids.map((id) => ({
      id,
      registered: registered.has(id),
      state: brokerState(snapshot, id),
      ...(cordoned === undefined ? {} : { cordoned: cordoned.includes(id) }),
      logDirs: (disks ?? []).filter((d) => d.broker === id).map(({ logDir, replicaBytes, totalBytes, usableBytes }) => ({ logDir, replicaBytes, totalBytes, usableBytes })),
      labels: labels.get(id) ?? {},
      roles: [...(voters.has(id) ? ['controller'] : []), ...(quorum?.leaderId === id ? ['active-controller'] : [])],
      restart: canStop(snapshot, [id]),
    })),
    quorum,
    domains: domainsThatCanStop(snapshot, dimensions, labels),
    dimensions,
  }
}

/** The human output of `status`. */
export function renderStatus(report: ReturnType<typeof statusReport>): string {
  const lines: string[] = []
  const v = report.verdict
  lines.push(`cluster: ${v.status.toUpperCase()}`)
  for (const r of v.reasons) lines.push(`  - ${r}`)
  const p = v.partitions
  const total = Object.values(p).reduce((a, b) => a + b, 0)
  lines.push(
    '',
    `partitions: ${total}: ${p.offline} offline, ${p['under-min-isr']} under min ISR, ${p['at-min-isr']} at min ISR, ${p['under-replicated']} under-replicated, ${p.healthy} healthy`,
  )
  const q = report.quorum
  lines.push(
    q
      ? `quorum: active controller ${q.leaderId} (epoch ${q.leaderEpoch}); voters ${q.voters.map((m) => `${m.id}${m.id === q.leaderId ? '*' : caughtUp(q, m) ? '' : ' (behind)'}`).join(', ')}; observers ${q.observers.map((m) => m.id).join(', ') || 'none'}`
      : 'quorum: unknown (DescribeQuorum failed)',
    '',
  )
  for (const dimension of report.dimensions) {
    const domains = new Map<string, string[]>()
    for (const b of report.brokers) {
      const d = b.labels[dimension] ?? '(none)'
      pushTo(domains, d, `${b.id}${b.roles.includes('active-controller') ? '*' : b.roles.includes('controller') ? 'c' : ''}${b.state === 'up' ? '' : ` (${b.state.toUpperCase()})`}`)
    }
    lines.push(`brokers by ${dimension}: ${[...domains].sort(([a], [b]) => a.localeCompare(b)).map(([d, bs]) => `${d}: ${bs.join(' ')}`).join(' | ')}`)
  }
  lines.push('  (* active controller, c controller voter)', '', 'brokers (may restart now?):')
  // The cordoned column only where the cordons were read (metadata.version 4.3-IV0 on).
  const cordons = report.brokers.some((b) => b.cordoned !== undefined)
  lines.push(
    table([
      ['broker', 'state', ...(cordons ? ['cordoned'] : []), 'data', 'disk free', 'restart', 'why not'],
      ...report.brokers.map((b) => [
        String(b.id),
        b.state,
        ...(cordons ? [b.cordoned ? 'yes' : 'no'] : []),
        disk(b.logDirs, 'data'),
        disk(b.logDirs, 'free'),
        b.restart.ok ? 'yes' : 'no',
        b.restart.blockers.join('; '),
      ]),
    ]),
  )
  const cordoned = report.brokers.filter((b) => b.cordoned).map((b) => b.id)
  if (cordoned.length > 0) lines.push(cordonedLine(cordoned))
  lines.push('', 'whole domains that may go down together:')
  lines.push(table([['dimension', 'domain', 'down together', 'why not'], ...report.domains.map((d) => [d.dimension, d.domain, d.check.ok ? 'yes' : 'no', d.check.blockers.join('; ')])]))
  const warnings = new Set(report.brokers.flatMap((b) => b.restart.warnings))
  for (const w of warnings) lines.push(`warning: ${w}`)
  return lines.join('\n') + '\n'
}

/** What a cordon means, for the brokers that have one. */
function cordonedLine(ids: readonly number[]): string {
  const them = ids.length > 1 ? 'them' : 'it'
  return `cordoned: broker ${ids.join(', ')} (KIP-1066, cordoned.log.dirs set): no new replica goes on ${them} (Kafka refuses any assignment naming ${them}, kafkaplane's plans leave ${them} out); the replicas ${ids.length > 1 ? 'they have' : 'it has'} stay and are served; kafkaplane brokers add ${ids.join(',')} lifts the cordon (and moves replicas onto ${them})`
}

function disk(dirs: readonly { replicaBytes: number; totalBytes: number; usableBytes: number }[], what: 'data' | 'free'): string {
  if (dirs.length === 0) return '-'
  if (what === 'data') return formatBytes(dirs.reduce((s, d) => s + d.replicaBytes, 0))
  const total = dirs.reduce((s, d) => s + d.totalBytes, 0)
  const usable = dirs.reduce((s, d) => s + d.usableBytes, 0)
  return total > 0 ? `${formatBytes(usable)} (${Math.round((100 * usable) / total)}%)` : '?'
}
