import type { V1PodDisruptionBudget } from '@kubernetes/client-node'
import { quorumGroup } from '../../core/roll/disruption-budget.ts'
import type { ControllerSetModel, KafkaClusterModel, KubernetesClusterModel } from '../model/kafka-cluster-model.ts'
import { brokerLabels, brokerSelector, controllerLabels, controllerSelector, KUBERNETES_CLUSTER_LABEL } from './labels.ts'

/**
 * At most `maxUnavailable` brokers of a Kubernetes cluster down through voluntary disruptions (node
 * drains): what the operator computes from the live cluster for every Kubernetes cluster together
 * (core/roll/disruption-budget.ts), else `spec.rolling.maxUnavailable` (default 1). Not-ready brokers are
 * evicted only while the budget holds (IfHealthyBudget): readiness fails on every broker while a
 * partition is under min.insync.replicas, and a drain must not take them all then.
 */
export function podDisruptionBudget(model: KafkaClusterModel, cluster: KubernetesClusterModel, maxUnavailable = model.spec.rolling.maxUnavailable): V1PodDisruptionBudget {
  return budget(model, cluster.statefulSet, brokerLabels(model, cluster), { ...brokerSelector(model), [KUBERNETES_CLUSTER_LABEL]: cluster.name }, maxUnavailable)
}

/**
 * The same for a Kubernetes cluster's dedicated controllers: what the operator computes for the quorum
 * over every Kubernetes cluster together (a majority of voters up at all times). Without it: the
 * quorum's spare (one of three) when this Kubernetes cluster holds every voter, else 0, since a
 * budget here cannot see a voter down in another cluster.
 */
export function controllerDisruptionBudget(model: KafkaClusterModel, cluster: KubernetesClusterModel, set: ControllerSetModel, maxUnavailable = set.controllers.length === model.controllers.length ? quorumGroup(model.controllers).spare : 0): V1PodDisruptionBudget {
  return budget(model, set.statefulSet, controllerLabels(model, cluster), { ...controllerSelector(model), [KUBERNETES_CLUSTER_LABEL]: cluster.name }, maxUnavailable)
}

function budget(model: KafkaClusterModel, name: string, labels: Record<string, string>, selector: Record<string, string>, maxUnavailable: number): V1PodDisruptionBudget {
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name, namespace: model.namespace, labels },
    spec: { maxUnavailable, unhealthyPodEvictionPolicy: 'IfHealthyBudget', selector: { matchLabels: selector } },
  }
}
