import { evenSpread, leaderShares, replicaShares, shareBounds, type BalanceOptions, type Goal } from './goals.ts'
import type { PlacementState } from './placement-state.ts'

/**
 * The optimizers, one per goal family, each run on a PlacementState in goal priority order.
 *
 * 1. Hard repair (`placePartition`): a partition that breaks a hard goal, or has the wrong replication
 *    factor, gets the best-spread placement that keeps the most of its current replicas; among equally
 *    good cell patterns, the one whose new brokers are least loaded; within a cell, the least-loaded
 *    brokers. Current replicas keep their order, so a kept leader stays leader.
 * 2. Replica balance (`balanceReplicas`): moves one replica at a time from a broker above its fair share
 *    to one below, preferring a receiver in the donor's own cell (same labels on every dimension, so the
 *    spread cannot change) and followers over leaders, until every broker is within tolerance.
 * 3. Leader balance (`balanceLeaders`): reorders replicas (no data moves) so that no broker leads more
 *    than its share, picking the new leader whose domains lead least.
 */

/** Picks replicas for partition `i` with `rf` replicas and applies them. Returns false if impossible. */
export function placePartition(state: PlacementState, i: number, rf: number): boolean {
  const p = state.partitions[i]!
  const keepable = state.keepable(p.replicas)
  const caps = state.capsFor(keepable)
  const index = state.index
  let capacity = 0
  for (const c of caps) capacity += c
  if (capacity < rf) return false
  const keptCells = index.cellCounts(keepable)
  const best = index.optimal(rf, p.minInsync, caps, keptCells)
  const leader = p.replicas[0]

  let chosen: number[] | undefined
  let chosenCost = Infinity
  for (const pattern of best.patterns) {
    const keep: number[] = []
    const added: number[] = []
    let cost = 0
    for (const cell of index.cells) {
      const want = pattern[cell.index]!
      if (want === 0) continue
      // Current replicas in this cell, the leader first, then the least loaded.
      const here = keepable
        .filter((b) => index.cellOf(b) === cell.index)
        .sort((a, b) => (a === leader ? -1 : b === leader ? 1 : state.normalizedLoad(a) - state.normalizedLoad(b) || a - b))
      keep.push(...here.slice(0, want))
      const missing = want - Math.min(want, here.length)
      if (missing > 0) {
        const candidates = cell.brokers
          .filter((b) => state.isActive(b) && !keepable.includes(b))
          .sort((a, b) => state.normalizedLoad(a, 1) - state.normalizedLoad(b, 1) || a - b)
          .slice(0, missing)
        for (const b of candidates) cost += state.normalizedLoad(b, 1)
        added.push(...candidates)
      }
    }
    if (cost < chosenCost) {
      chosenCost = cost
      const kept = new Set(keep)
      chosen = [...p.replicas.filter((b) => kept.has(b)), ...added]
    }
  }
  state.setReplicas(i, chosen!)
  return true
}

/** Partitions that break a hard goal (or have another RF than `rf`) are re-placed. Returns the ones that could not be. */
export function repairHardGoals(state: PlacementState, hardGoals: readonly Goal[], targetRf?: (i: number) => number | undefined): number[] {
  const impossible: number[] = []
  state.partitions.forEach((p, i) => {
    const rf = targetRf?.(i) ?? p.replicas.length
    const broken =
      rf !== p.replicas.length ||
      hardGoals.some((g) => g !== evenSpread && !g.accept(state, i, p.replicas)) ||
      new Set(p.replicas).size !== p.replicas.length ||
      p.replicas.some((b) => state.brokers.get(b)?.state === 'draining') ||
      !state.spreadIsOptimal(i)
    if (broken && !placePartition(state, i, rf)) impossible.push(i)
  })
  return impossible
}

/**
 * Moves replicas until every active broker holds its fair share within tolerance, or no acceptable move
 * is left. Each move keeps the partition's spread score (earlier, hard goals) unchanged or better.
 */
export function balanceReplicas(state: PlacementState, options: BalanceOptions): void {
  const shares = replicaShares(state)
  const bounds = new Map([...shares].map(([id, share]) => [id, shareBounds(share, options.tolerance)]))
  const deficit = (b: number) => bounds.get(b)![0] - state.replicaLoad.get(b)!
  const excess = (b: number) => state.replicaLoad.get(b)! - bounds.get(b)![1]
  const active = [...shares.keys()]
  // A broker either gives or takes, never both: moving data onto a broker and off it again is waste.
  const gave = new Set<number>()
  const took = new Set<number>()
  const outOfBandFirst = (key: (b: number) => number) => (a: number, b: number) => (key(a) > 0 ? 0 : 1) - (key(b) > 0 ? 0 : 1)
  // At most one move per replica: a hard stop against cycling, never reached in practice.
  let budget = state.partitions.reduce((n, p) => n + p.replicas.length, 0)
  while (budget-- > 0) {
    // Whoever is furthest outside the band drives the next move: a receiver below it, or a donor above.
    const receiver = maxBy(active.filter((b) => !gave.has(b)), deficit)
    const donor = maxBy(active.filter((b) => !took.has(b)), excess)
    let moved: [number, number] | undefined
    if (receiver !== undefined && deficit(receiver) > 0 && (donor === undefined || deficit(receiver) >= excess(donor))) {
      const donors = active
        .filter((b) => b !== receiver && !took.has(b) && state.replicaLoad.get(b)! > shares.get(b)!)
        .sort((a, b) => outOfBandFirst(excess)(a, b) || sameCellFirst(state, receiver, a, b) || excess(b) - excess(a) || a - b)
      for (const d of donors) if (moveOne(state, d, receiver) && (moved = [d, receiver])) break
    } else if (donor !== undefined && excess(donor) > 0) {
      const receivers = active
        .filter((b) => b !== donor && !gave.has(b) && state.replicaLoad.get(b)! < shares.get(b)!)
        .sort((a, b) => outOfBandFirst(deficit)(a, b) || sameCellFirst(state, donor, a, b) || deficit(b) - deficit(a) || a - b)
      for (const r of receivers) if (moveOne(state, donor, r) && (moved = [donor, r])) break
    }
    if (!moved) return
    gave.add(moved[0])
    took.add(moved[1])
  }
}

/** Moves one replica from `from` to `to` if some partition allows it without a worse spread; followers first. */
function moveOne(state: PlacementState, from: number, to: number): boolean {
  const sameCell = state.index.cellOf(from) === state.index.cellOf(to)
  let leaderCandidate: number | undefined
  for (const i of state.hosted.get(from)!) {
    const p = state.partitions[i]!
    if (p.replicas.includes(to)) continue
    const replicas = p.replicas.map((b) => (b === from ? to : b))
    if (!sameCell && !evenSpread.accept(state, i, replicas)) continue
    if (p.replicas[0] === from) {
      leaderCandidate ??= i
      continue
    }
    state.setReplicas(i, replicas)
    return true
  }
  if (leaderCandidate === undefined) return false
  state.setReplicas(leaderCandidate, state.partitions[leaderCandidate]!.replicas.map((b) => (b === from ? to : b)))
  return true
}

/**
 * Reorders replicas so that no broker leads more than its fair share (within tolerance). Only
 * partitions in `scope` (default: all) may change leader; the others still count.
 */
export function balanceLeaders(state: PlacementState, options: BalanceOptions, scope?: ReadonlySet<number>): void {
  const shares = leaderShares(state)
  const ceiling = (b: number) => shareBounds(shares.get(b) ?? 0, options.tolerance)[1]
  const domainLeaders = state.dimensions.map((_, d) => new Array<number>(state.index.domains[d]!.length).fill(0))
  const domainsOf = (b: number) => state.index.cells[state.index.cellOf(b)]!.domains
  for (const p of state.partitions) {
    const leader = p.replicas[0]
    if (leader !== undefined && state.brokers.has(leader)) domainsOf(leader).forEach((dom, d) => domainLeaders[d]![dom]!++)
  }
  const domainPressure = (b: number) => domainsOf(b).reduce((n, dom, d) => n * 1000 + domainLeaders[d]![dom]!, 0)
  for (let pass = 0; pass < 3; pass++) {
    let changed = false
    state.partitions.forEach((p, i) => {
      if (scope && !scope.has(i)) return
      const leader = p.replicas[0]
      if (leader === undefined) return
      const over = !shares.has(leader) || state.leaderLoad.get(leader)! > ceiling(leader) || (scope !== undefined && state.leaderLoad.get(leader)! > shares.get(leader)!)
      if (!over) return
      const alternatives = p.replicas
        .slice(1)
        .filter((b) => shares.has(b) && state.leaderLoad.get(b)! + 1 <= ceiling(b))
        .sort(
          (a, b) =>
            state.leaderLoad.get(a)! / shares.get(a)! - state.leaderLoad.get(b)! / shares.get(b)! || domainPressure(a) - domainPressure(b) || a - b,
        )
      const next = alternatives[0]
      if (next === undefined) return
      // Under a scope (new partitions), only hand over when it actually evens things out.
      if (scope && state.leaderLoad.get(next)! + 1 > state.leaderLoad.get(leader)!) return
      domainsOf(leader).forEach((dom, d) => domainLeaders[d]![dom]!--)
      domainsOf(next).forEach((dom, d) => domainLeaders[d]![dom]!++)
      state.setReplicas(i, [next, ...p.replicas.filter((b) => b !== next)])
      changed = true
    })
    if (!changed) return
  }
}

function sameCellFirst(state: PlacementState, anchor: number, a: number, b: number): number {
  const cell = state.index.cellOf(anchor)
  return (state.index.cellOf(a) === cell ? 0 : 1) - (state.index.cellOf(b) === cell ? 0 : 1)
}

function maxBy<T>(items: readonly T[], key: (item: T) => number): T | undefined {
  let best: T | undefined
  let bestKey = -Infinity
  for (const item of items) {
    const k = key(item)
    if (k > bestKey) {
      best = item
      bestKey = k
    }
  }
  return best
}
