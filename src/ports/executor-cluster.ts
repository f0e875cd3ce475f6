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
  /** The principal lacks an ACL: repeating the move cannot help, the plan stops at once. */
  notAuthorized?: boolean
}

/** Where a replication throttle is set now. */
export interface ThrottlesSet {
  brokers: number[]
  topics: string[]
}

/** A broker that did not take a config change, and why. */
export interface BrokerConfigFailure {
  broker: number
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
  /**
   * Sets the plan's throttle. Each broker takes its rate on its own: the brokers that did not (dead,
   * fenced, not answering) are returned; a failure of the topics' throttled replica lists throws.
   */
  setThrottles(plan: ThrottlePlan): Promise<BrokerConfigFailure[]>
  /** Removes the throttle from these topics (throws on failure) and brokers (returns those that failed). */
  clearThrottles(brokers: readonly number[], topics: readonly string[]): Promise<BrokerConfigFailure[]>
  /**
   * The replication throttles set now on these brokers (their rates) and topics (throttled replica
   * lists): brokers that do not answer are left out.
   */
  throttlesSet(brokers: readonly number[], topics: readonly string[] | 'all'): Promise<ThrottlesSet>
  /** Preferred-leader election; returns the partitions where it failed. */
  electPreferredLeaders(partitions: readonly PartitionRef[]): Promise<ReassignmentRefusal[]>
  /** Bytes each broker holds of these partitions, by `topic-partition` and broker. */
  replicaBytes(partitions: readonly PartitionRef[]): Promise<Map<string, Map<number, number>>>
}
