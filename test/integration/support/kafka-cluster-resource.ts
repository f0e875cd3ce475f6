/** A Kubernetes cluster of a KafkaCluster's spec.topology.clusters. */
export interface TopologyCluster {
  name: string
  context: string
  zones: string[]
  brokerIds: { first: number; count: number }
}

/**
 * The KafkaCluster `kafka` of the operator tests: its brokers are a local cluster's, reached at
 * `bootstrap`; 3 controllers, small resources, and whatever else `spec` says.
 */
export function kafkaClusterResource(namespace: string, bootstrap: string, clusters: TopologyCluster[], spec: Record<string, unknown> = {}) {
  return {
    apiVersion: 'kafkaplane.io/v1alpha1',
    kind: 'KafkaCluster',
    metadata: { name: 'kafka', namespace },
    spec: {
      kafka: { image: 'example.invalid/kafkaplane-kafka:4.1.1', bootstrapServers: bootstrap.split(',') },
      topology: { controllers: 3, clusters },
      resources: { memory: '2Gi', cpu: '1' },
      ...spec,
    },
  }
}
