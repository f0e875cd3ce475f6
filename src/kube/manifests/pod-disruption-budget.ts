import type { V1PodDisruptionBudget } from '@kubernetes/client-node'
import type { KafkaClusterModel, KubernetesClusterModel } from '../model/kafka-cluster-model.ts'
import { brokerLabels, brokerSelector, KUBERNETES_CLUSTER_LABEL } from './labels.ts'

/**
 * At most `maxUnavailable` brokers of a Kubernetes cluster down through voluntary disruptions (node
 * drains): what the operator computes from the live cluster for every Kubernetes cluster together
 * (core/roll/disruption-budget.ts), else `spec.rolling.maxUnavailable` (default 1). Not-ready brokers are
 * evicted only while the budget holds (IfHealthyBudget): readiness fails on every broker while a
 * partition is under min.insync.replicas, and a drain must not take them all then.
 */
export function podDisruptionBudget(model: KafkaClusterModel, cluster: KubernetesClusterModel, maxUnavailable = model.spec.rolling.maxUnavailable): V1PodDisruptionBudget {
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name: cluster.statefulSet, namespace: model.namespace, labels: brokerLabels(model, cluster) },
    spec: {
      maxUnavailable,
      unhealthyPodEvictionPolicy: 'IfHealthyBudget',
      selector: { matchLabels: { ...brokerSelector(model), [KUBERNETES_CLUSTER_LABEL]: cluster.name } },
    },
  }
}
