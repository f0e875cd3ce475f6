import { leaderMoves, replicaMoves, type PlacementModel, type Proposal } from '../core/placement/model.ts'
import type { NamedStatus } from '../core/placement/operations.ts'
import { SpreadIndex } from '../core/placement/spread.ts'
import { summarizeSurvival, type Advice } from '../core/placement/survivability.ts'
import type { PlacementPartition } from '../core/placement/model.ts'

/** Human summaries of plans, for stderr: moves, goals before and after, survivability. */

export function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)))
  return rows.map((r) => '  ' + r.map((cell, c) => cell.padEnd(widths[c]!)).join('  ').trimEnd()).join('\n')
}

export function movesLine(proposals: readonly Proposal[]): string {
  return `moves: ${proposals.length} partitions change, ${replicaMoves(proposals)} replicas move, ${leaderMoves(proposals)} preferred leaders change`
}

export function goalsTable(before: readonly NamedStatus[], after: readonly NamedStatus[]): string {
  const mark = (s: NamedStatus) => (s.satisfied ? 'ok' : 'VIOLATED')
  return table([
    ['goal', 'kind', 'before', 'after', 'after, detail'],
    ...after.map((a, i) => [a.name, a.hard ? 'hard' : 'soft', mark(before[i]!), mark(a), a.satisfied ? '' : a.detail]),
  ])
}

export function survivalTable(model: Pick<PlacementModel, 'dimensions' | 'brokers'>, partitions: readonly PlacementPartition[]): string {
  const index = new SpreadIndex(model.dimensions, model.brokers)
  const rows = summarizeSurvival(index, partitions)
  const share = (n: number, of: number) => `${n}/${of}`
  return table([
    ['dimension', 'writable after losing any one domain', 'readable after', 'writable, 1 broker down per domain', 'acked writes survive a domain loss'],
    ...rows.map((r) => [
      r.dimension,
      share(r.writableAfterDomainLoss, r.partitions),
      share(r.readableAfterDomainLoss, r.partitions),
      share(r.writableDuringMaintenance, r.partitions),
      share(r.durableAfterDomainLoss, r.partitions),
    ]),
  ])
}

export function adviceTable(advice: readonly Advice[]): string {
  const yes = (b: boolean) => (b ? 'yes' : 'no')
  const dims = advice[0]?.survival.map((s) => s.dimension) ?? []
  return table([
    ['RF', 'min.insync', ...dims.flatMap((d) => [`${d} loss: writable`, `${d}: acked safe`, `${d} maintenance`])],
    ...advice.map((a) => [
      String(a.replicationFactor),
      String(a.minInsync),
      ...a.survival.flatMap((s) => [yes(s.writableAfterDomainLoss), yes(s.durableAfterDomainLoss), yes(s.writableDuringMaintenance)]),
    ]),
  ])
}

/** Bytes for people: 1.5 MiB. */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let i = 0
  while (n >= 1024 && i < units.length - 1) (n /= 1024), i++
  return `${n.toFixed(i === 0 ? 0 : 1)} ${units[i]}`
}
