import type { KafkaClusterModel } from '../model/kafka-cluster-model.ts'
import type { CustomResource } from './custom-resources.ts'

/**
 * Where a KafkaCluster's brokers are reached from the operator when the spec cannot say it: the
 * KafkaCluster CRD has no field for an existing (or external) cluster's bootstrap address yet, so the
 * operator reads `kafkaplane.io/bootstrap-servers: "host:port,host:port"` from the KafkaCluster.
 */
export const BOOTSTRAP_ANNOTATION = 'kafkaplane.io/bootstrap-servers'

/**
 * The bootstrap servers of a KafkaCluster: the annotation when present, else every broker's advertised
 * address on the inter-broker listener (reachable from inside the Kubernetes cluster it runs in).
 */
export function bootstrapServers(resource: Pick<CustomResource, 'metadata'>, model: KafkaClusterModel): string[] {
  const annotated = resource.metadata.annotations?.[BOOTSTRAP_ANNOTATION]
  if (annotated !== undefined && annotated.trim() !== '') return annotated.split(',').map((s) => s.trim()).filter(Boolean)
  return model.brokers.map((b) => b.advertised[model.interBrokerListener.name]!).filter(Boolean)
}
