/**
 * What the health model reads: one consistent view of a cluster's brokers, controller quorum and
 * partitions, taken by the Kafka adapter (src/kafka/describe-cluster-snapshot.ts). Pure data.
 */
export interface SnapshotBroker {
  id: number
  host: string
  port: number
  rack: string | undefined
}

export interface QuorumMember {
  id: number
  logEndOffset: bigint
  /** Milliseconds since the member last caught up with the leader (0 for the leader), when known. */
  caughtUpAgoMs: number | undefined
}

export interface QuorumState {
  /** The active controller (DescribeQuorum's leaderId; -1 when there is none). */
  leaderId: number
  leaderEpoch: number
  highWatermark: bigint
  /** When it was described (ms since epoch): each member's caughtUpAgoMs counts back from it. */
  describedAt: number
  voters: readonly QuorumMember[]
  observers: readonly QuorumMember[]
}

export interface PartitionState {
  topic: string
  partition: number
  /** -1 when the partition has no leader (offline). */
  leader: number
  replicas: readonly number[]
  isr: readonly number[]
  /** Replicas on brokers the leader sees as offline (their log dir failed or they are gone). */
  offlineReplicas?: readonly number[]
  /** Effective min.insync.replicas of its topic. */
  minInsync: number
  /** True while a reassignment of this partition is in progress. */
  reassigning: boolean
  /** The replicas that reassignment is adding (not in sync until it ends); undefined when not known. */
  adding?: readonly number[]
  /** Eligible Leader Replicas (KIP-966): out of the ISR, yet safe to elect; empty when none or unknown. */
  elr?: readonly number[]
}

export interface ClusterSnapshot {
  /** Brokers registered and unfenced (Metadata lists exactly those in KRaft). */
  brokers: readonly SnapshotBroker[]
  /**
   * Brokers registered but fenced: starting and catching up on the metadata log, or shutting down
   * (DescribeCluster v2, Kafka 4.0+). Undefined when the cluster cannot say (older Kafka).
   */
  fencedBrokers?: readonly SnapshotBroker[]
  /** Broker ids the cluster should have (from the orchestrator or a topology); may include absent ones. */
  expectedBrokerIds: readonly number[]
  quorum: QuorumState | undefined
  partitions: readonly PartitionState[]
  /** When the snapshot was taken (ms since epoch). */
  takenAt: number
}
