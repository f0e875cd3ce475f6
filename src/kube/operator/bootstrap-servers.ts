import type { KafkaClusterModel } from '../model/kafka-cluster-model.ts'

/**
 * Where the operator reaches a KafkaCluster's brokers: `spec.kafka.bootstrapServers` when set (an
 * operator outside the brokers' network, a cluster reached through a load balancer), else every
 * broker's advertised address on the inter-broker listener (reachable from inside the Kubernetes
 * cluster it runs in).
 */
export function bootstrapServers(model: KafkaClusterModel): string[] {
  return model.spec.kafka.bootstrapServers ?? model.brokers.map((b) => b.advertised[model.interBrokerListener.name]!).filter(Boolean)
}
