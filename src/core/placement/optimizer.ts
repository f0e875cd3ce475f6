import { byteShares, evenSpread, leaderShares, replicaShares, shareBounds, topicShareBounds, topicShares, type BalanceOptions, type Goal } from './goals.ts'
import type { PlacementState } from './placement-state.ts'

/**
 * The optimizers, one per goal family, each run on a PlacementState in goal priority order.
 *
 * 1. Hard repair (`placePartition`): a partition that breaks a hard goal, or has the wrong replication
 *    factor, gets the best-spread placement that keeps the most of its current replicas; among equally
 *    good cell patterns, the one whose new brokers are least loaded; within a cell, the brokers holding
 *    the fewest of the partition's topic, then the least loaded. Current replicas keep their order, so a kept leader stays leader.
 * 2. Replica balance (`balanceReplicas`): moves replicas from a broker above its fair share to one
 *    below, preferring a receiver in the donor's own cell (same labels on every dimension, so the spread
 *    cannot change), followers over leaders, and partitions of topics the donor holds too much of and the
 *    receiver too little, until every broker is within tolerance. Where one replica alone cannot move
 *    without unbalancing a partition's spread, a paired move (two replicas of the partition swap
 *    domains) may (`pairedMove`).
 *    Then topic balance (`balanceTopicReplicas`): the same moves within each topic, so that a topic's
 *    replicas (and its traffic) spread over the brokers, within what replica balance allows.
 * 3. Leader balance (`balanceLeaders`): reorders replicas (no data moves) so that no broker leads more
 *    than its share, picking the new leader whose domains lead least.
 * 4. Disk balance (`balanceDisk`, when partition sizes are known): swaps a follower replica of a large
 *    partition on the fullest broker with a follower replica of a smaller one on a broker of the same
 *    cell, so replica counts, leaders and spread stay exactly as the earlier goals left them.
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

  // The new brokers of a cell that hold the fewest of this topic's replicas, then the least loaded,
  // fetched once per cell for this partition (a selection over the cell's load order, not a sort).
  const candidates = new Map<number, number[]>()
  const newBrokers = (cell: number, count: number): number[] => {
    let list = candidates.get(cell)
    if (!list || list.length < count) {
      const pool = state.leastLoaded(cell, Infinity, keepable)
      const topicLoad = pool.map((b) => state.topicLoad(p.topic, b) / state.brokers.get(b)!.capacity)
      list = []
      while (list.length < count && list.length < pool.length) {
        let at = -1
        for (let j = 0; j < pool.length; j++) if (topicLoad[j]! >= 0 && (at < 0 || topicLoad[j]! < topicLoad[at]!)) at = j
        list.push(pool[at]!)
        topicLoad[at] = -1
      }
      candidates.set(cell, list)
    }
    return list.length === count ? list : list.slice(0, count)
  }
  let chosen = best.patterns[0]!
  if (best.patterns.length > 1) {
    let chosenCost = Infinity
    for (const pattern of best.patterns) {
      let cost = 0
      for (let c = 0; c < pattern.length; c++) {
        const missing = pattern[c]! - Math.min(pattern[c]!, keptCells[c]!)
        if (missing > 0) for (const b of newBrokers(c, missing)) cost += state.normalizedLoad(b, 1)
      }
      if (cost < chosenCost) {
        chosenCost = cost
        chosen = pattern
      }
    }
  }
  const leader = p.replicas[0]
  const keep = new Set<number>()
  const added: number[] = []
  for (let c = 0; c < chosen.length; c++) {
    const want = chosen[c]!
    if (want === 0) continue
    if (keptCells[c]! > 0) {
      // Current replicas in this cell: the leader first, then the least loaded.
      const here = keepable
        .filter((b) => index.cellOf(b) === c)
        .sort((a, b) => (a === leader ? -1 : b === leader ? 1 : state.normalizedLoad(a) - state.normalizedLoad(b) || a - b))
      for (const b of here.slice(0, want)) keep.add(b)
    }
    const missing = want - Math.min(want, keptCells[c]!)
    if (missing > 0) added.push(...newBrokers(c, missing))
  }
  state.setReplicas(i, [...keepable.filter((b) => keep.has(b)), ...added])
  return true
}

/** Partitions that break a hard goal (or have another RF than `rf`) are re-placed. Returns the ones that could not be. */
export function repairHardGoals(state: PlacementState, hardGoals: readonly Goal[], targetRf?: (i: number) => number | undefined): number[] {
  const impossible: number[] = []
  state.partitions.forEach((p, i) => {
    const rf = targetRf?.(i) ?? p.replicas.length
    // A goal accepts the partition as it is unless it breaks that goal; the spread goal's acceptance is
    // relative (no worse than now), so its absolute test is spreadIsOptimal.
    const broken =
      rf !== p.replicas.length ||
      hardGoals.some((g) => g !== evenSpread && !g.accept(state, i, p.replicas)) ||
      !state.spreadIsOptimal(i)
    if (broken && !placePartition(state, i, rf)) impossible.push(i)
  })
  return impossible
}

/**
 * What one balance pass evens out: a count of replicas per active broker over some partitions (all of
 * them, or one topic's), its fair shares and bands, and what earlier goals still allow.
 */
interface BalanceView {
  /** Fair share of every broker that may take replicas. */
  shares: ReadonlyMap<number, number>
  bounds: ReadonlyMap<number, readonly [number, number]>
  load(broker: number): number
  /** The partitions counted here that `broker` holds. */
  partitionsOf(broker: number): Iterable<number>
  /** Whether partition `i`'s replica may go from `from` to `to` as far as earlier goals are concerned. */
  allows(i: number, from: number, to: number): boolean
  /** Rank (0, 1 or 2) in which a donor's partitions are tried, lower first; default: model order. */
  preference?(i: number, from: number, to: number): 0 | 1 | 2
}

/**
 * Moves replicas until every active broker holds its fair share within tolerance, or no acceptable move
 * is left. Each move keeps the partition's spread score (earlier, hard goals) unchanged or better.
 */
export function balanceReplicas(state: PlacementState, options: BalanceOptions): void {
  const shares = replicaShares(state)
  const topicShare = new Map<string, Map<number, number>>()
  const shareOf = (topic: string, b: number) => {
    let s = topicShare.get(topic)
    if (!s) topicShare.set(topic, (s = topicShares(state, topic)))
    return s.get(b) ?? 0
  }
  balanceCounts(state, {
    shares,
    bounds: new Map([...shares].map(([id, share]) => [id, shareBounds(share, options.tolerance)])),
    load: (b) => state.replicaLoad.get(b)!,
    partitionsOf: (b) => state.hosted.get(b)!,
    allows: () => true,
    // Of the donor's partitions, first those of topics it holds more than its share of and the receiver
    // less: each such move also evens out a topic, so the topic pass after this one has less to do.
    preference(i, from, to) {
      const topic = state.partitions[i]!.topic
      return ((state.topicLoad(topic, from) > shareOf(topic, from) ? 0 : 1) + (state.topicLoad(topic, to) < shareOf(topic, to) ? 0 : 1)) as 0 | 1 | 2
    },
  })
}

/**
 * Evens out each topic's replicas over the active brokers (topicShareBounds), moving only what keeps
 * every broker inside its replica-balance band (the earlier goal), in a few passes over the topics since
 * one topic's moves can make room for another's. `start` is each topic's replicas per broker before any
 * balancing of this plan: a broker that gained replicas of a topic since then gives none of it back, one
 * that lost some takes none (that would move data for nothing); across topics, a broker may give one
 * topic's replica and take another's.
 */
export function balanceTopicReplicas(state: PlacementState, options: BalanceOptions, start: ReadonlyMap<string, ReadonlyMap<number, number>>): void {
  if (!Number.isFinite(options.tolerance)) return
  const globalShares = replicaShares(state)
  const globalBounds = new Map([...globalShares].map(([id, share]) => [id, shareBounds(share, options.tolerance)]))
  const mayTake = (b: number) => state.replicaLoad.get(b)! + 1 <= globalBounds.get(b)![1]
  const mayGive = (b: number) => state.replicaLoad.get(b)! - 1 >= globalBounds.get(b)![0]
  for (let pass = 0; pass < 3; pass++) {
    let moved = 0
    for (const [topic, partitions] of state.topicPartitions) {
      const shares = topicShares(state, topic)
      const load = (b: number) => state.topicLoad(topic, b)
      const before = (b: number) => start.get(topic)?.get(b) ?? 0
      const brokers = [...shares.keys()]
      moved += balanceCounts(
        state,
        {
          shares,
          bounds: new Map([...shares].map(([id, share]) => [id, topicShareBounds(share, options.tolerance)])),
          load,
          partitionsOf: (b) => partitions.filter((i) => state.partitions[i]!.replicas.includes(b)),
          allows: (_i, from, to) => mayGive(from) && mayTake(to),
        },
        { gave: brokers.filter((b) => load(b) < before(b)), took: brokers.filter((b) => load(b) > before(b)) },
      )
    }
    if (moved === 0) return
  }
}

/**
 * The balance loop of one view: whoever is furthest outside its band drives the next moves, a receiver
 * below it or a donor above it; a broker either gives or takes, never both (moving data onto a broker and
 * off it again is waste). Only what brings the driving broker into its band moves (fewest moves), and no
 * broker is pushed past its fair share (at least one replica, so a broker just outside can always be
 * fixed). `already` names brokers that already gave or took what this view counts. Returns the replicas
 * moved.
 */
function balanceCounts(state: PlacementState, view: BalanceView, already: { gave: number[]; took: number[] } = { gave: [], took: [] }): number {
  const { shares, bounds, load } = view
  const deficit = (b: number) => bounds.get(b)![0] - load(b)
  const excess = (b: number) => load(b) - bounds.get(b)![1]
  const canGive = (b: number) => Math.max(1, Math.floor(load(b) - shares.get(b)!))
  const canTake = (b: number) => Math.max(1, Math.floor(shares.get(b)! - load(b)))
  const active = [...shares.keys()]
  const gave = new Set(already.gave)
  const took = new Set(already.took)
  const outOfBandFirst = (key: (b: number) => number) => (a: number, b: number) => (key(a) > 0 ? 0 : 1) - (key(b) > 0 ? 0 : 1)
  const mover = { state, view, gave, took }
  let total = 0
  for (;;) {
    const receiver = maxBy(active.filter((b) => !gave.has(b)), deficit)
    const donor = maxBy(active.filter((b) => !took.has(b)), excess)
    let moved = 0
    if (receiver !== undefined && deficit(receiver) > 0 && (donor === undefined || deficit(receiver) >= excess(donor))) {
      const donors = active
        .filter((b) => b !== receiver && !took.has(b) && load(b) > shares.get(b)!)
        .sort((a, b) => outOfBandFirst(excess)(a, b) || sameCellFirst(state, receiver, a, b) || excess(b) - excess(a) || a - b)
      for (const d of donors) {
        if ((moved = moveReplicas(mover, d, receiver, Math.min(canGive(d), deficit(receiver)))) > 0) {
          gave.add(d)
          took.add(receiver)
          break
        }
      }
    } else if (donor !== undefined && excess(donor) > 0) {
      const receivers = active
        .filter((b) => b !== donor && !gave.has(b) && load(b) < shares.get(b)!)
        .sort((a, b) => outOfBandFirst(deficit)(a, b) || sameCellFirst(state, donor, a, b) || deficit(b) - deficit(a) || a - b)
      for (const r of receivers) {
        if ((moved = moveReplicas(mover, donor, r, Math.min(excess(donor), canTake(r)))) > 0) {
          gave.add(donor)
          took.add(r)
          break
        }
      }
    }
    if (moved === 0) return total
    total += moved
  }
}

interface Mover {
  state: PlacementState
  view: BalanceView
  /** Brokers that gave (may not take) and took (may not give) in this balance loop. */
  gave: Set<number>
  took: Set<number>
}

/**
 * Moves up to `count` replicas from `from` to `to`, of partitions whose spread allows it, followers
 * before leaders (a follower move changes no leadership). Where moving one replica would make a
 * partition's spread worse (`to` is in another domain of some dimension), a paired move may still keep
 * it: see pairedMove. Returns how many moved.
 */
function moveReplicas(mover: Mover, from: number, to: number, count: number): number {
  const { state, view } = mover
  const sameCell = state.index.cellOf(from) === state.index.cellOf(to)
  const candidates = [...view.partitionsOf(from)]
  // The preference is read at each move, not once: moves change it.
  const ranks = view.preference ? [0, 1, 2] : [undefined]
  let moved = 0
  for (const leaders of [false, true]) {
    for (const rank of ranks) {
      for (const i of candidates) {
        if (moved === count) return moved
        const p = state.partitions[i]!
        if ((p.replicas[0] === from) !== leaders || p.replicas.includes(to) || !p.replicas.includes(from)) continue
        if (rank !== undefined && view.preference!(i, from, to) !== rank) continue
        if (!view.allows(i, from, to)) continue
        const single = p.replicas.map((b) => (b === from ? to : b))
        if (sameCell || moveKeepsSpread(state, p.replicas, from, to)) state.setReplicas(i, single)
        else if (!pairedMove(mover, i, from, to, single)) continue
        moved++
      }
    }
  }
  return moved
}

/**
 * A move of one replica (`from` -> `to`) that alone would unbalance the partition's spread, made together
 * with a second one (`x` -> `y`, both counted by the same view) so that on every dimension the two
 * replicas that go and the two that come sit in the same domains: the spread stays exactly as it was.
 * Example (cluster x zone, RF 4 over four zones, two replicas per cluster): a new broker in zone c of
 * cluster 2 takes the zone-c replica of cluster 1 only if the partition's zone-d replica moves from
 * cluster 2 to cluster 1's zone-d broker at the same time; no single move can give it anything.
 * `x` must be able to give (above its band's floor, not a receiver of this loop) and `y` to take (below
 * its band's ceiling, not a donor); of those, the pair that evens out most wins, a follower `x` first.
 */
function pairedMove(mover: Mover, i: number, from: number, to: number, single: readonly number[]): boolean {
  const { state, view, gave, took } = mover
  const index = state.index
  const p = state.partitions[i]!
  const domainsOf = (b: number) => index.cells[index.cellOf(b)]!.domains
  const [fromDomains, toDomains] = [domainsOf(from), domainsOf(to)]
  let best: { x: number; y: number; gain: number } | undefined
  for (const x of p.replicas) {
    if (x === from || took.has(x) || !view.shares.has(x) || view.load(x) - 1 < view.bounds.get(x)![0]) continue
    // y's domain on each dimension: of {from's, x's}, the one `to` does not take.
    const xDomains = domainsOf(x)
    const want: number[] = []
    for (let d = 0; d < fromDomains.length; d++) {
      if (toDomains[d] === fromDomains[d]) want.push(xDomains[d]!)
      else if (toDomains[d] === xDomains[d]) want.push(fromDomains[d]!)
      else break
    }
    if (want.length !== fromDomains.length) continue
    const cell = index.cells.find((c) => c.domains.every((dom, d) => dom === want[d]))
    if (!cell) continue
    for (const y of cell.brokers) {
      if (y === to || p.replicas.includes(y) || gave.has(y) || !view.shares.has(y) || !state.isActive(y)) continue
      if (view.load(y) + 1 > view.bounds.get(y)![1] || !view.allows(i, x, y)) continue
      const gain = view.load(x) - view.shares.get(x)! + view.shares.get(y)! - view.load(y) + (x === p.replicas[0] ? -1000 : 0)
      if (!best || gain > best.gain) best = { x, y, gain }
    }
  }
  if (!best) return false
  state.setReplicas(i, single.map((b) => (b === best.x ? best.y : b)))
  gave.add(best.x)
  took.add(best.y)
  return true
}

/**
 * Whether moving one replica from broker `from` to broker `to` leaves the partition's spread no worse,
 * without building a score: on every dimension where the two brokers' domains differ, the receiving
 * domain may end with at most as many replicas as the giving domain had (counts swap or even out).
 * Conservative: a move that trades a better higher-priority dimension for a worse lower one is refused.
 */
export function moveKeepsSpread(state: PlacementState, replicas: readonly number[], from: number, to: number): boolean {
  const index = state.index
  const a = index.cells[index.cellOf(from)]!.domains
  const b = index.cells[index.cellOf(to)]!.domains
  for (let d = 0; d < a.length; d++) {
    if (a[d] === b[d]) continue
    let inA = 0
    let inB = 0
    for (const r of replicas) {
      const dom = index.cells[index.cellOf(r)]!.domains[d]
      if (dom === a[d]) inA++
      else if (dom === b[d]) inB++
    }
    if (inB + 1 > inA) return false
  }
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
      state.setLeader(i, next)
      changed = true
    })
    if (!changed) return
  }
}

/** Brings every broker's bytes within tolerance of its fair share by same-cell follower swaps, where it can. */
export function balanceDisk(state: PlacementState, options: BalanceOptions): void {
  const shares = byteShares(state)
  if (shares.size === 0) return
  const bytes = (b: number) => state.bytesLoad.get(b)!
  const ratio = (b: number) => bytes(b) / shares.get(b)!
  const size = (i: number) => state.partitions[i]!.sizeBytes ?? 0
  const followers = (b: number) => [...state.hosted.get(b)!].filter((i) => state.partitions[i]!.replicas[0] !== b && size(i) > 0)
  const stuck = new Set<number>()
  for (let round = 0; round < state.partitions.length; round++) {
    const heavy = maxBy([...shares.keys()].filter((b) => !stuck.has(b)), ratio)
    if (heavy === undefined || ratio(heavy) <= 1 + options.tolerance) return
    const cell = state.index.cellOf(heavy)
    const lights = [...shares.keys()].filter((b) => b !== heavy && state.index.cellOf(b) === cell && bytes(b) < bytes(heavy)).sort((a, b) => ratio(a) - ratio(b))
    let swapped = false
    const big = followers(heavy).sort((a, b) => size(b) - size(a))
    for (const light of lights) {
      const small = followers(light).sort((a, b) => size(a) - size(b))
      for (const a of big) {
        if (state.partitions[a]!.replicas.includes(light)) continue
        // The swap must leave both brokers below the heavy one's current bytes.
        const b = small.find((j) => !state.partitions[j]!.replicas.includes(heavy) && size(j) < size(a) && bytes(light) - size(j) + size(a) < bytes(heavy))
        if (b === undefined) continue
        state.setReplicas(a, state.partitions[a]!.replicas.map((x) => (x === heavy ? light : x)))
        state.setReplicas(b, state.partitions[b]!.replicas.map((x) => (x === light ? heavy : x)))
        swapped = true
        break
      }
      if (swapped) break
    }
    if (!swapped) stuck.add(heavy)
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
