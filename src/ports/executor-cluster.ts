import type { ClusterSnapshot } from '../core/health/snapshot.ts'
import type { ThrottlePlan } from '../core/plan/moves.ts'

/** A reassignment the controller is carrying out now. */
export interface InFlightReassignment {
  topic: string
  partition: number
  /** The full replica set while moving (old and new). */
  replicas: readonly number[]
  adding: readonly number[]
  removing: readonly number[]
}

export interface PartitionRef {
  topic: string
  partition: number
}

export interface ReassignmentRefusal extends PartitionRef {
  errorCode: number
  message: string
}

/**
 * What the executor needs from a Kafka cluster (src/kafka/executor-cluster.ts implements it over the
 * admin client). Every call may throw a retriable KafkaplaneError; the executor retries on the next poll.
 */
export interface ExecutorCluster {
  /** Brokers, partitions (replicas, ISR, leader, min.insync) and the quorum, right now. */
  snapshot(): Promise<ClusterSnapshot>
  inFlight(): Promise<InFlightReassignment[]>
  /** Starts moves (`replicas`) or cancels them (`null`); returns the partitions Kafka refused. */
  reassign(moves: readonly (PartitionRef & { replicas: readonly number[] | null })[]): Promise<ReassignmentRefusal[]>
  setThrottles(plan: ThrottlePlan): Promise<void>
  clearThrottles(brokers: readonly number[], topics: readonly string[]): Promise<void>
  /** Preferred-leader election; returns the partitions where it failed. */
  electPreferredLeaders(partitions: readonly PartitionRef[]): Promise<ReassignmentRefusal[]>
  /** Bytes each broker holds of these partitions, by `topic-partition` and broker. */
  replicaBytes(partitions: readonly PartitionRef[]): Promise<Map<string, Map<number, number>>>
}
