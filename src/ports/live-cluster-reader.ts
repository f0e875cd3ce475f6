import type { RecordedTopology } from '../core/topology/recorded-topology.ts'
import type { ExecutorCluster } from './executor-cluster.ts'

/**
 * What reading a live cluster for the planners needs (src/operations/live-cluster.ts): the snapshot
 * (fenced brokers too), the replicas' sizes, Kafka's cluster id, the failure domains kafkaplane
 * recorded in the cluster and which brokers are cordoned. src/kafka/executor-cluster.ts implements it over the admin client.
 */
export interface LiveClusterReader extends Pick<ExecutorCluster, 'snapshot' | 'replicaBytes'> {
  clusterId(): Promise<string>
  recordedTopology(): Promise<RecordedTopology>
  /**
   * Which of these brokers are cordoned (KIP-1066; none below metadata.version 4.3-IV0). Never
   * throws: a broker that does not answer counts as not cordoned.
   */
  cordonedBrokers(brokers: readonly number[]): Promise<number[]>
}
