import { partitionKey, type PlacementBroker, type PlacementModel, type PlacementPartition } from './model.ts'
import { compareScores, SpreadIndex } from './spread.ts'

/**
 * A mutable working copy of a cluster's placement, with the per-broker replica and leader counts that
 * the planners keep up to date as they move replicas. Planners change only this copy; the caller turns
 * the difference into proposals.
 */
export class PlacementState {
  readonly dimensions: readonly string[]
  readonly brokers: ReadonlyMap<number, PlacementBroker>
  readonly index: SpreadIndex
  /** Partitions in model order, with their current (working) replicas. */
  readonly partitions: PlacementPartition[]
  readonly replicaLoad = new Map<number, number>()
  readonly leaderLoad = new Map<number, number>()
  /** Partition indexes hosted by each broker. */
  readonly hosted = new Map<number, Set<number>>()
  readonly #byKey = new Map<string, number>()

  constructor(model: PlacementModel) {
    this.dimensions = model.dimensions
    this.brokers = new Map(model.brokers.map((b) => [b.id, b]))
    this.index = new SpreadIndex(model.dimensions, model.brokers)
    for (const b of model.brokers) {
      this.replicaLoad.set(b.id, 0)
      this.leaderLoad.set(b.id, 0)
      this.hosted.set(b.id, new Set())
    }
    this.partitions = model.partitions.map((p) => ({ ...p, replicas: [...p.replicas] }))
    this.partitions.forEach((p, i) => {
      this.#byKey.set(partitionKey(p), i)
      this.#count(i, p.replicas, 1)
    })
  }

  indexOf(topic: string, partition: number): number | undefined {
    return this.#byKey.get(partitionKey({ topic, partition }))
  }

  add(partition: PlacementPartition): number {
    const i = this.partitions.push({ ...partition, replicas: [...partition.replicas] }) - 1
    this.#byKey.set(partitionKey(partition), i)
    this.#count(i, partition.replicas, 1)
    return i
  }

  setReplicas(i: number, replicas: readonly number[]): void {
    const p = this.partitions[i]!
    this.#count(i, p.replicas, -1)
    this.partitions[i] = { ...p, replicas: [...replicas] }
    this.#count(i, replicas, 1)
  }

  /** Load of a broker relative to its capacity: what balance compares. */
  normalizedLoad(broker: number, extra = 0): number {
    return (this.replicaLoad.get(broker)! + extra) / this.brokers.get(broker)!.capacity
  }

  isActive(broker: number): boolean {
    return this.brokers.get(broker)?.state === 'active'
  }

  /** True when the partition's spread is the best its brokers allow (the hard spread goal). */
  spreadIsOptimal(i: number): boolean {
    const p = this.partitions[i]!
    const caps = this.capsFor(p.replicas)
    const kept = this.index.cellCounts(this.keepable(p.replicas))
    const best = this.index.optimal(p.replicas.length, p.minInsync, caps, kept)
    return compareScores(this.index.score(p.replicas, p.minInsync), best.score) === 0
  }

  /** Current replicas that may stay where they are: known, not draining, not repeated. */
  keepable(replicas: readonly number[]): number[] {
    const seen = new Set<number>()
    return replicas.filter((b) => {
      const ok = !seen.has(b) && this.brokers.has(b) && this.brokers.get(b)!.state !== 'draining'
      seen.add(b)
      return ok
    })
  }

  /** How many replicas of a partition each cell can hold: its active brokers, plus excluded brokers
   *  that already hold one of `replicas` (they keep it but take no new one). */
  capsFor(replicas: readonly number[]): Int32Array {
    const caps = new Int32Array(this.index.cells.length)
    const current = new Set(replicas)
    for (const cell of this.index.cells) {
      let n = 0
      for (const b of cell.brokers) {
        const state = this.brokers.get(b)!.state
        if (state === 'active' || (state === 'excluded' && current.has(b))) n++
      }
      caps[cell.index] = n
    }
    return caps
  }

  #count(i: number, replicas: readonly number[], sign: 1 | -1): void {
    replicas.forEach((b, position) => {
      if (!this.replicaLoad.has(b)) return // unknown broker: reported by validation
      this.replicaLoad.set(b, this.replicaLoad.get(b)! + sign)
      if (position === 0) this.leaderLoad.set(b, this.leaderLoad.get(b)! + sign)
      if (sign > 0) this.hosted.get(b)!.add(i)
      else this.hosted.get(b)!.delete(i)
    })
  }
}
