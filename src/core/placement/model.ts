/**
 * The placement engine's model of a cluster: brokers with failure-domain labels, capacity weights and a
 * state, and partitions with their replicas (first = preferred leader) and their topic's
 * min.insync.replicas. Pure data; planners work on copies and return proposals (docs/architecture.md, principle 5).
 */
export type BrokerState = 'active' | 'excluded' | 'draining'

export interface PlacementBroker {
  id: number
  labels: Readonly<Record<string, string>>
  /** Relative weight for replica balance (default 1): a broker of capacity 2 takes twice the replicas. */
  capacity: number
  /**
   * active: takes new replicas. excluded: keeps what it has, takes no new replicas.
   * draining: must lose every replica (decommission, migration source).
   */
  state: BrokerState
  /**
   * Cordoned in Kafka (KIP-1066, `cordoned.log.dirs`; always with state excluded): besides taking no
   * new replica, Kafka refuses any assignment or reassignment whose replicas name it, even a partition
   * that keeps its replica there. A plan changes a partition it holds only by moving that replica away
   * (its other changes are held back: `Plan.held`).
   */
  cordoned?: boolean
}

/**
 * A broker as the planners see it once its cordon (KIP-1066) is known: a cordoned one takes no new
 * replica (excluded, or still draining when it must lose its replicas) and is marked cordoned; any
 * other is left as it is.
 */
export function withCordon<B extends { state?: BrokerState }>(broker: B, cordoned: boolean): B | (B & { state: BrokerState; cordoned: true }) {
  return cordoned ? { ...broker, state: broker.state === 'draining' ? 'draining' : 'excluded', cordoned: true } : broker
}

export interface PartitionAssignment {
  topic: string
  partition: number
  /** Broker ids; the first is the preferred leader. */
  replicas: readonly number[]
}

export interface PlacementPartition extends PartitionAssignment {
  minInsync: number
  /** Bytes on disk of one replica, when known (disk balance). */
  sizeBytes?: number
}

export interface PlacementModel {
  /** Failure dimensions, highest priority first. */
  dimensions: readonly string[]
  brokers: readonly PlacementBroker[]
  partitions: readonly PlacementPartition[]
}

/** One change of one partition: what the executor turns into a reassignment. */
export interface Proposal {
  topic: string
  partition: number
  oldReplicas: readonly number[]
  newReplicas: readonly number[]
}

export function partitionKey(p: Pick<PartitionAssignment, 'topic' | 'partition'>): string {
  return `${p.topic}-${p.partition}`
}

/** The proposals that turn `before` into `after` (partitions matched by topic and number). */
export function diffAssignments(before: readonly PartitionAssignment[], after: readonly PartitionAssignment[]): Proposal[] {
  const old = new Map(before.map((p) => [partitionKey(p), p.replicas]))
  const proposals: Proposal[] = []
  for (const p of after) {
    const oldReplicas = old.get(partitionKey(p)) ?? []
    if (!sameOrder(oldReplicas, p.replicas)) {
      proposals.push({ topic: p.topic, partition: p.partition, oldReplicas: [...oldReplicas], newReplicas: [...p.replicas] })
    }
  }
  return proposals
}

export function sameOrder(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i])
}

/** Replicas that must move: in `after` but not in `before`. */
export function replicaMoves(proposals: readonly Proposal[]): number {
  let moves = 0
  for (const p of proposals) {
    const old = new Set(p.oldReplicas)
    for (const b of p.newReplicas) if (!old.has(b)) moves++
  }
  return moves
}

/** Partitions whose preferred leader changes. */
export function leaderMoves(proposals: readonly Proposal[]): number {
  return proposals.filter((p) => p.oldReplicas.length > 0 && p.oldReplicas[0] !== p.newReplicas[0]).length
}

/**
 * A placement model from a topology (brokers, their labels, capacity and state) and an assignment.
 * `minInsync(topic)` gives each topic's effective min.insync.replicas.
 */
export function modelFromTopology(
  topology: { dimensions: readonly string[]; brokers: readonly { id: number; labels: Readonly<Record<string, string>>; capacity?: number; state?: BrokerState; cordoned?: boolean }[] },
  assignments: readonly PartitionAssignment[],
  minInsync: (topic: string) => number,
  sizeBytes?: (partition: PartitionAssignment) => number | undefined,
): PlacementModel {
  return {
    dimensions: topology.dimensions,
    brokers: topology.brokers.map((b) => ({ id: b.id, labels: b.labels, capacity: b.capacity ?? 1, state: b.state ?? 'active', ...(b.cordoned ? { cordoned: true } : {}) })),
    partitions: assignments.map((a) => {
      const size = sizeBytes?.(a)
      return { topic: a.topic, partition: a.partition, replicas: [...a.replicas], minInsync: minInsync(a.topic), ...(size === undefined ? {} : { sizeBytes: size }) }
    }),
  }
}
