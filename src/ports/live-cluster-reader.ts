import type { RecordedTopology } from '../core/topology/recorded-topology.ts'
import type { ExecutorCluster } from './executor-cluster.ts'

/**
 * What reading a live cluster for the planners needs (src/operations/live-cluster.ts): the snapshot
 * (fenced brokers too), the replicas' sizes, Kafka's cluster id and the failure domains kafkaplane
 * recorded in the cluster. src/kafka/executor-cluster.ts implements it over the admin client.
 */
export interface LiveClusterReader extends Pick<ExecutorCluster, 'snapshot' | 'replicaBytes'> {
  clusterId(): Promise<string>
  recordedTopology(): Promise<RecordedTopology>
}
