import type { PlacementBroker } from './model.ts'

/**
 * Spread of replicas over failure domains, on every dimension at once.
 *
 * Brokers with the same label on every dimension form a *cell*; a partition's spread depends only on
 * how many of its replicas sit in each cell. The spread score of a placement is a vector compared
 * lexicographically, lower is better:
 *
 *   [ for each dimension in priority order: 1 if losing its worst domain leaves fewer than
 *     min.insync.replicas replicas (not writable), else 0 ]
 *   ++ [ for each dimension in priority order: its per-domain replica counts, sorted descending ]
 *
 * So a placement that stays writable after the loss of any one domain is chosen whenever one exists
 * (docs/architecture.md, invariant 3), then each dimension is as even as the brokers allow: counts differing by at
 * most one where possible, else the lexicographically smallest maximum; a higher-priority dimension
 * wins where not every dimension can be even.
 */
export type SpreadScore = readonly number[]

export interface Cell {
  index: number
  /** Domain index of this cell on each dimension. */
  domains: readonly number[]
  /** Every broker of the cell, any state. */
  brokers: readonly number[]
}

export interface OptimalSpread {
  score: SpreadScore
  /** Replica counts per cell that reach `score`, with the most kept replicas; at most PATTERN_LIMIT. */
  patterns: readonly Int32Array[]
  /** Replicas of the current placement a pattern keeps (the maximum). */
  kept: number
  /** False when the search hit its budget: the best pattern found is used, and said so. */
  exhaustive: boolean
}

const PATTERN_LIMIT = 256
const SEARCH_BUDGET = 2_000_000

export function compareScores(a: SpreadScore, b: SpreadScore): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!
  return 0
}

export class SpreadIndex {
  readonly dimensions: readonly string[]
  /** Domain values of each dimension, in first-seen order. */
  readonly domains: readonly (readonly string[])[]
  readonly cells: readonly Cell[]
  readonly #cellOfBroker = new Map<number, number>()
  readonly #memo = new Map<string, OptimalSpread>()
  /** Searches that stopped at their budget (see OptimalSpread.exhaustive). */
  truncatedSearches = 0

  constructor(dimensions: readonly string[], brokers: readonly Pick<PlacementBroker, 'id' | 'labels'>[]) {
    this.dimensions = dimensions
    const domains = dimensions.map(() => [] as string[])
    const cells = new Map<string, { domains: number[]; brokers: number[] }>()
    for (const broker of brokers) {
      const indexes = dimensions.map((d, i) => {
        const value = broker.labels[d] ?? ''
        let at = domains[i]!.indexOf(value)
        if (at < 0) at = domains[i]!.push(value) - 1
        return at
      })
      const key = indexes.join(',')
      let cell = cells.get(key)
      if (!cell) cells.set(key, (cell = { domains: indexes, brokers: [] }))
      cell.brokers.push(broker.id)
    }
    this.domains = domains
    this.cells = [...cells.values()].map((c, index) => ({ index, domains: c.domains, brokers: c.brokers }))
    for (const cell of this.cells) for (const b of cell.brokers) this.#cellOfBroker.set(b, cell.index)
  }

  cellOf(broker: number): number {
    const cell = this.#cellOfBroker.get(broker)
    if (cell === undefined) throw new Error(`broker ${broker} is not in the spread index`)
    return cell
  }

  cellCounts(replicas: readonly number[]): Int32Array {
    const counts = new Int32Array(this.cells.length)
    for (const b of replicas) counts[this.cellOf(b)]!++
    return counts
  }

  /** Per-domain replica counts of each dimension. */
  domainCounts(cellCounts: Int32Array): number[][] {
    const counts = this.domains.map((values) => new Array<number>(values.length).fill(0))
    for (const cell of this.cells) {
      const n = cellCounts[cell.index]!
      if (n > 0) cell.domains.forEach((domain, d) => (counts[d]![domain]! += n))
    }
    return counts
  }

  score(replicas: readonly number[], minInsync: number): SpreadScore {
    return this.scoreOfCounts(this.cellCounts(replicas), replicas.length, minInsync)
  }

  scoreOfCounts(cellCounts: Int32Array, rf: number, minInsync: number): SpreadScore {
    const perDimension = this.domainCounts(cellCounts)
    const flags = perDimension.map((counts) => (rf - Math.max(0, ...counts) >= minInsync ? 0 : 1))
    return [...flags, ...perDimension.flatMap((counts) => [...counts].sort((a, b) => b - a))]
  }

  /**
   * The best spread score for `rf` replicas when cell `c` can hold at most `caps[c]` of them, and the
   * cell patterns that reach it while keeping the most of the `kept[c]` current replicas. Exhaustive
   * search over cell counts with pruning, memoised (most partitions share their caps and kept cells).
   */
  optimal(rf: number, minInsync: number, caps: Int32Array, kept: Int32Array): OptimalSpread {
    const key = `${rf}|${minInsync}|${caps.join(',')}|${kept.join(',')}`
    let result = this.#memo.get(key)
    if (!result) {
      result = this.#search(rf, minInsync, caps, kept)
      if (!result.exhaustive) this.truncatedSearches++
      this.#memo.set(key, result)
    }
    return result
  }

  #search(rf: number, minInsync: number, caps: Int32Array, kept: Int32Array): OptimalSpread {
    const k = this.cells.length
    const suffixCap = new Int32Array(k + 1)
    for (let i = k - 1; i >= 0; i--) suffixCap[i] = suffixCap[i + 1]! + caps[i]!
    if (suffixCap[0]! < rf) throw new Error(`cannot place ${rf} replicas on ${suffixCap[0]} brokers`)
    const counts = new Int32Array(k)
    const dims = this.dimensions.length
    const domainLoad = this.domains.map((values) => new Int32Array(values.length))
    let best: SpreadScore | undefined
    let bestKept = -1
    let patterns: Int32Array[] = []
    let leaves = 0
    let exhaustive = true

    const flagsWorse = (): boolean => {
      // Counts only grow deeper in the search, so a dimension already unwritable stays so.
      if (!best) return false
      for (let d = 0; d < dims; d++) {
        const flag = rf - Math.max(...domainLoad[d]!) >= minInsync ? 0 : 1
        if (flag !== best[d]) return flag > best[d]!
      }
      return false
    }

    const visit = (i: number, remaining: number, keptSoFar: number): void => {
      if (!exhaustive) return
      if (remaining === 0) {
        if (++leaves > SEARCH_BUDGET) exhaustive = false
        const score = this.scoreOfCounts(counts, rf, minInsync)
        const order = best === undefined ? -1 : compareScores(score, best)
        if (order < 0 || (order === 0 && keptSoFar > bestKept)) {
          best = score
          bestKept = keptSoFar
          patterns = [counts.slice()]
        } else if (order === 0 && keptSoFar === bestKept && patterns.length < PATTERN_LIMIT) {
          patterns.push(counts.slice())
        }
        return
      }
      if (i === k || suffixCap[i]! < remaining) return
      if (flagsWorse()) return
      const cell = this.cells[i]!
      for (let n = Math.min(caps[i]!, remaining); n >= 0; n--) {
        counts[i] = n
        for (let d = 0; d < dims; d++) domainLoad[d]![cell.domains[d]!]! += n
        visit(i + 1, remaining - n, keptSoFar + Math.min(n, kept[i]!))
        for (let d = 0; d < dims; d++) domainLoad[d]![cell.domains[d]!]! -= n
      }
      counts[i] = 0
    }
    visit(0, rf, 0)
    return { score: best!, patterns, kept: bestKept, exhaustive }
  }
}
