import type { Topology, TopologyBroker } from './topology.ts'

export interface LayoutDimension {
  name: string
  /** The domains of this dimension, e.g. ["a", "b", "c"] for zones. */
  values: readonly string[]
}

/**
 * Lays `count` brokers out over the given dimensions as evenly as possible on every dimension at once,
 * with broker ids `firstId, firstId + 1, ...`.
 *
 * Algorithm: brokers are placed one at a time into the cell (one value per dimension) that minimises,
 * compared in order, (1) the broker count of the cell's domain in each dimension, taken in dimension
 * priority order, then (2) the cell's own count; ties go to the earliest cell. Each step adds one broker
 * to one domain of every dimension, always to a least-loaded one, so on every dimension the per-domain
 * counts differ by at most one after every step, and any prefix of the layout (the first three brokers,
 * which become the KRaft controllers) is itself spread as evenly as possible.
 */
export function layoutBrokers(count: number, dimensions: readonly LayoutDimension[], firstId = 0): Topology {
  const cells = cartesian(dimensions)
  const domainLoad = dimensions.map((d) => new Map(d.values.map((v) => [v, 0])))
  const cellLoad = cells.map(() => 0)
  const brokers: TopologyBroker[] = []
  for (let i = 0; i < count; i++) {
    let best = 0
    let bestKey: number[] | undefined
    cells.forEach((cell, c) => {
      const key = [...cell.map((value, d) => domainLoad[d]!.get(value)!), cellLoad[c]!]
      if (bestKey === undefined || compareKeys(key, bestKey) < 0) {
        best = c
        bestKey = key
      }
    })
    const cell = cells[best]!
    cell.forEach((value, d) => domainLoad[d]!.set(value, domainLoad[d]!.get(value)! + 1))
    cellLoad[best]!++
    brokers.push({
      id: firstId + i,
      labels: Object.fromEntries(dimensions.map((d, j) => [d.name, cell[j]!])),
    })
  }
  return { dimensions: dimensions.map((d) => d.name), brokers }
}

function cartesian(dimensions: readonly LayoutDimension[]): string[][] {
  return dimensions.reduce<string[][]>(
    (cells, dimension) => cells.flatMap((cell) => dimension.values.map((value) => [...cell, value])),
    [[]],
  )
}

function compareKeys(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) return a[i]! - b[i]!
  }
  return 0
}
