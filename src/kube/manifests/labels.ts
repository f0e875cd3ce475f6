import type { KafkaClusterModel, KubernetesClusterModel } from '../model/kafka-cluster-model.ts'

/** The label naming the Kubernetes cluster (of a stretched KafkaCluster) an object belongs to. */
export const KUBERNETES_CLUSTER_LABEL = 'kafkaplane.io/kubernetes-cluster'
export const ZONE_LABEL = 'topology.kubernetes.io/zone'
export const HOSTNAME_LABEL = 'kubernetes.io/hostname'

/** The labels that select everything of a KafkaCluster, brokers' and dedicated controllers' objects alike (what is pruned and deleted with it). */
export function clusterSelector(model: Pick<KafkaClusterModel, 'name'>): Record<string, string> {
  return { 'app.kubernetes.io/name': 'kafka', 'app.kubernetes.io/instance': model.name }
}

/** The labels that select a KafkaCluster's brokers: stable for its life (never the version). */
export function brokerSelector(model: Pick<KafkaClusterModel, 'name'>): Record<string, string> {
  return { ...clusterSelector(model), 'app.kubernetes.io/component': 'broker' }
}

/** The labels that select a KafkaCluster's dedicated KRaft controllers (never its brokers). */
export function controllerSelector(model: Pick<KafkaClusterModel, 'name'>): Record<string, string> {
  return { ...clusterSelector(model), 'app.kubernetes.io/component': 'controller' }
}

/** The common app.kubernetes.io/* labels of every object rendered for a KafkaCluster's brokers. */
export function brokerLabels(model: KafkaClusterModel, cluster: KubernetesClusterModel): Record<string, string> {
  return objectLabels(brokerSelector(model), model, cluster)
}

/** The same for the objects of its dedicated controllers. */
export function controllerLabels(model: KafkaClusterModel, cluster: KubernetesClusterModel): Record<string, string> {
  return objectLabels(controllerSelector(model), model, cluster)
}

function objectLabels(selector: Record<string, string>, model: KafkaClusterModel, cluster: KubernetesClusterModel): Record<string, string> {
  return {
    ...selector,
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
