import { partitionKey, type PlacementBroker, type PlacementModel, type PlacementPartition } from './model.ts'
import { compareScores, SpreadIndex, type OptimalSpread } from './spread.ts'

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
  /** Bytes each broker holds, from the partitions' sizes (0 where unknown). */
  readonly bytesLoad = new Map<number, number>()
  /** Partition indexes hosted by each broker. */
  readonly hosted = new Map<number, Set<number>>()
  /** Partition indexes of each topic, in model order. */
  readonly topicPartitions = new Map<string, number[]>()
  /** Replicas of each topic on each broker. */
  readonly #topicLoad = new Map<string, Map<number, number>>()
  readonly #byKey = new Map<string, number>()
  /** Active brokers of each cell, least loaded (relative to capacity) first, kept in order as loads change. */
  readonly #cellOrder: number[][]
  readonly #position = new Map<number, number>()
  /** Active brokers per cell: the caps of a partition before its excluded brokers are added. */
  readonly #activeCaps: Int32Array

  constructor(model: PlacementModel) {
    this.dimensions = model.dimensions
    this.brokers = new Map(model.brokers.map((b) => [b.id, b]))
    this.index = new SpreadIndex(model.dimensions, model.brokers)
    for (const b of model.brokers) {
      this.replicaLoad.set(b.id, 0)
      this.leaderLoad.set(b.id, 0)
      this.bytesLoad.set(b.id, 0)
      this.hosted.set(b.id, new Set())
    }
    this.#cellOrder = this.index.cells.map(() => [])
    this.#activeCaps = new Int32Array(this.index.cells.length)
    this.partitions = model.partitions.map((p) => ({ ...p, replicas: [...p.replicas] }))
    this.partitions.forEach((p, i) => {
      this.#byKey.set(partitionKey(p), i)
      this.#indexTopic(p.topic, i)
      this.#count(i, p.replicas, 1)
    })
    for (const cell of this.index.cells) {
      const order = cell.brokers.filter((b) => this.brokers.get(b)!.state === 'active')
      order.sort((a, b) => this.normalizedLoad(a) - this.normalizedLoad(b) || a - b)
      order.forEach((b, i) => this.#position.set(b, i))
      this.#cellOrder[cell.index] = order
      this.#activeCaps[cell.index] = order.length
    }
  }

  /**
   * The `count` least-loaded active brokers of a cell that are not in `exclude`, least loaded first.
   * Reads the cell's maintained order, so it costs O(count + excluded), not a sort.
   */
  leastLoaded(cell: number, count: number, exclude: readonly number[]): number[] {
    const out: number[] = []
    for (const b of this.#cellOrder[cell]!) {
      if (out.length === count) break
      if (!exclude.includes(b)) out.push(b)
    }
    return out
  }

  indexOf(topic: string, partition: number): number | undefined {
    return this.#byKey.get(partitionKey({ topic, partition }))
  }

  add(partition: PlacementPartition): number {
    const i = this.partitions.push({ ...partition, replicas: [...partition.replicas] }) - 1
    this.#byKey.set(partitionKey(partition), i)
    this.#indexTopic(partition.topic, i)
    this.#count(i, partition.replicas, 1)
    return i
  }

  /** Replicas of `topic` that `broker` holds. */
  topicLoad(topic: string, broker: number): number {
    return this.#topicLoad.get(topic)?.get(broker) ?? 0
  }

  /** A copy of every topic's replicas per broker, to compare with later. */
  topicLoads(): Map<string, Map<number, number>> {
    return new Map([...this.#topicLoad].map(([topic, loads]) => [topic, new Map(loads)]))
  }

  #indexTopic(topic: string, i: number): void {
    const list = this.topicPartitions.get(topic)
    if (list) list.push(i)
    else this.topicPartitions.set(topic, [i])
  }

  /** Makes `broker` (one of the partition's replicas) its preferred leader: a reorder, no data moves. */
  setLeader(i: number, broker: number): void {
    const p = this.partitions[i]!
    const old = p.replicas[0]
    if (old === broker || !p.replicas.includes(broker)) return
    if (old !== undefined && this.leaderLoad.has(old)) this.leaderLoad.set(old, this.leaderLoad.get(old)! - 1)
    if (this.leaderLoad.has(broker)) this.leaderLoad.set(broker, this.leaderLoad.get(broker)! + 1)
    this.partitions[i] = { ...p, replicas: [broker, ...p.replicas.filter((b) => b !== broker)] }
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

  /**
   * The best spread partition `i` can have with `rf` replicas (default: its current count), given the
   * brokers that may hold it, and the cell patterns that reach it keeping the most current replicas.
   */
  bestSpread(i: number, rf?: number): OptimalSpread {
    const p = this.partitions[i]!
    const keepable = this.keepable(p.replicas)
    return this.index.optimal(rf ?? p.replicas.length, p.minInsync, this.capsFor(keepable), this.index.cellCounts(keepable))
  }

  /** True when the partition's spread is the best its brokers allow (the hard spread goal). */
  spreadIsOptimal(i: number): boolean {
    const p = this.partitions[i]!
    return compareScores(this.index.score(p.replicas, p.minInsync), this.bestSpread(i).score) === 0
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
    const caps = this.#activeCaps.slice()
    replicas.forEach((b, i) => {
      if (this.brokers.get(b)?.state === 'excluded' && replicas.indexOf(b) === i) caps[this.index.cellOf(b)]!++
    })
    return caps
  }

  #count(i: number, replicas: readonly number[], sign: 1 | -1): void {
    const p = this.partitions[i]!
    const size = p.sizeBytes ?? 0
    let topicLoad = this.#topicLoad.get(p.topic)
    if (!topicLoad) this.#topicLoad.set(p.topic, (topicLoad = new Map()))
    replicas.forEach((b, position) => {
      if (!this.replicaLoad.has(b)) return // unknown broker: reported by validation
      this.replicaLoad.set(b, this.replicaLoad.get(b)! + sign)
      topicLoad.set(b, (topicLoad.get(b) ?? 0) + sign)
      if (size > 0) this.bytesLoad.set(b, this.bytesLoad.get(b)! + sign * size)
      this.#reposition(b, sign)
      if (position === 0) this.leaderLoad.set(b, this.leaderLoad.get(b)! + sign)
      if (sign > 0) this.hosted.get(b)!.add(i)
      else this.hosted.get(b)!.delete(i)
    })
  }

  /** Keeps a broker's cell order after its load moved by one (a few swaps at most; ties keep their order). */
  #reposition(b: number, direction: 1 | -1): void {
    const at = this.#position.get(b)
    if (at === undefined) return // not active, or the order is not built yet
    const order = this.#cellOrder[this.index.cellOf(b)]!
    const load = this.normalizedLoad(b)
    let i = at
    if (direction > 0) {
      while (i + 1 < order.length && this.normalizedLoad(order[i + 1]!) < load) {
        order[i] = order[i + 1]!
        this.#position.set(order[i]!, i)
        i++
      }
    } else {
      while (i > 0 && this.normalizedLoad(order[i - 1]!) > load) {
        order[i] = order[i - 1]!
        this.#position.set(order[i]!, i)
        i--
      }
    }
    order[i] = b
    this.#position.set(b, i)
  }
}
