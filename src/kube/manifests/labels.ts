import type { KafkaClusterModel, KubernetesClusterModel } from '../model/kafka-cluster-model.ts'

/** The label naming the Kubernetes cluster (of a stretched KafkaCluster) an object belongs to. */
export const KUBERNETES_CLUSTER_LABEL = 'kafkaplane.io/kubernetes-cluster'
export const ZONE_LABEL = 'topology.kubernetes.io/zone'
export const HOSTNAME_LABEL = 'kubernetes.io/hostname'

/** The labels that select a KafkaCluster's brokers: stable for its life (never the version). */
export function brokerSelector(model: Pick<KafkaClusterModel, 'name'>): Record<string, string> {
  return { 'app.kubernetes.io/name': 'kafka', 'app.kubernetes.io/instance': model.name, 'app.kubernetes.io/component': 'broker' }
}

/** The common app.kubernetes.io/* labels of every object rendered for a KafkaCluster. */
export function brokerLabels(model: KafkaClusterModel, cluster: KubernetesClusterModel): Record<string, string> {
  return {
    ...brokerSelector(model),
    'app.kubernetes.io/part-of': 'kafkaplane',
    'app.kubernetes.io/managed-by': 'kafkaplane',
    'app.kubernetes.io/version': model.spec.kafka.version,
    [KUBERNETES_CLUSTER_LABEL]: cluster.name,
  }
}

/** The labels of the operator's own objects. */
export function operatorLabels(version: string): Record<string, string> {
  return {
    'app.kubernetes.io/name': 'kafkaplane',
    'app.kubernetes.io/component': 'operator',
    'app.kubernetes.io/part-of': 'kafkaplane',
    'app.kubernetes.io/managed-by': 'kafkaplane',
    'app.kubernetes.io/version': version,
  }
}

/** A short stable digest of rendered content (a pod template annotation: a config change shows in the template). */
export function contentHash(text: string): string {
  let hash = 0x811c9dc5
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193) >>> 0
  return hash.toString(16).padStart(8, '0')
}
