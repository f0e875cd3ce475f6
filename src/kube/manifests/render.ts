import type { KubernetesObject } from '@kubernetes/client-node'
import { customResourceDefinitions } from '../crds/crd.ts'
import type { KafkaClusterModel } from '../model/kafka-cluster-model.ts'
import { brokerConfigMap } from './broker-config-map.ts'
import { brokerService } from './broker-service.ts'
import { brokerStatefulSet } from './broker-statefulset.ts'
import type { ListenerCertificates } from '../model/listener-certificates.ts'
import { listenerTlsSecret } from './listener-tls-secret.ts'
import { headlessService } from './headless-service.ts'
import { operatorNamespace } from './operator-namespace.ts'
import { operatorClusterRole, operatorClusterRoleBinding, operatorLeaseRole, operatorLeaseRoleBinding } from './operator-rbac.ts'
import { operatorDeployment, operatorStateClaim } from './operator-deployment.ts'
import { operatorRemoteClusterRole, operatorRemoteClusterRoleBinding, operatorRemoteToken } from './operator-remote-access.ts'
import { operatorServiceAccount } from './operator-service-account.ts'
import { controllerConfigMap } from './controller-config-map.ts'
import { controllerService } from './controller-service.ts'
import { controllerStatefulSet } from './controller-statefulset.ts'
import { controllerHeadlessService } from './headless-service.ts'
import { controllerDisruptionBudget, podDisruptionBudget } from './pod-disruption-budget.ts'

/** The objects to apply to one Kubernetes cluster (through its kubeconfig context). */
export interface ClusterManifests {
  cluster: string
  context: string
  objects: KubernetesObject[]
}

/** Each Kubernetes cluster's PodDisruptionBudget `maxUnavailable`, as the operator sets them from the live cluster (core/roll/disruption-budget.ts). */
export interface RenderedBudgets {
  brokers?: ReadonlyMap<string, number>
  controllers?: ReadonlyMap<string, number>
}

/**
 * Every object a KafkaCluster needs, per Kubernetes cluster, in apply order: the dedicated
 * controllers' first where the cluster has some (ConfigMap, headless Service, per-controller Services,
 * PodDisruptionBudget, StatefulSet: the brokers wait for a quorum), then the brokers' (the same
 * kinds). `budgets`: the PDBs' `maxUnavailable`; without them, `spec.rolling.maxUnavailable` for
 * brokers and the quorum's own default for controllers (pod-disruption-budget.ts). `certificates`: the
 * TLS listeners' certificates as the operator checked them (model/listener-certificates.ts), copied into
 * a Secret before the brokers' StatefulSet; without them (`kafkaplane render`) the StatefulSet names the
 * Secret the operator would write, and no Secret is rendered.
 */
export function renderKafkaCluster(model: KafkaClusterModel, budgets: RenderedBudgets = {}, certificates?: ListenerCertificates): ClusterManifests[] {
  return model.clusters.map((cluster) => {
    const set = cluster.controllerSet
    return {
      cluster: cluster.name,
      context: cluster.context,
      objects: [
        ...(set
          ? [
              controllerConfigMap(model, cluster, set),
              controllerHeadlessService(model, cluster, set),
              ...set.controllers.map((c) => controllerService(model, cluster, c)),
              controllerDisruptionBudget(model, cluster, set, budgets.controllers?.get(cluster.name)),
              controllerStatefulSet(model, cluster, set),
            ]
          : []),
        brokerConfigMap(model, cluster),
        headlessService(model, cluster),
        ...cluster.brokers.map((b) => brokerService(model, cluster, b)),
        podDisruptionBudget(model, cluster, budgets.brokers?.get(cluster.name)),
        ...(certificates && model.tlsListeners.length > 0 ? [listenerTlsSecret(model, cluster, certificates)] : []),
        brokerStatefulSet(model, cluster, model.tlsListeners.length > 0 ? certificates?.hash : undefined),
      ],
    }
  })
}

/** What `kafkaplane install` applies: the CRDs, then the operator's namespace, RBAC (the Role: its Lease) and Deployment. */
export function renderInstall(options: { namespace: string; image: string; version: string; homeContext?: string }): KubernetesObject[] {
  const { namespace, image, version } = options
  return [
    ...(customResourceDefinitions() as KubernetesObject[]),
    operatorNamespace(namespace, version),
    operatorServiceAccount(namespace, version),
    operatorClusterRole(version),
    operatorClusterRoleBinding(namespace, version),
    operatorLeaseRole(namespace, version),
    operatorLeaseRoleBinding(namespace, version),
    operatorStateClaim(namespace, version),
    operatorDeployment(namespace, image, version, options.homeContext),
  ]
}

/**
 * What `kafkaplane install --remote` applies to a remote Kubernetes cluster of a stretched KafkaCluster:
 * the operator's namespace, ServiceAccount, its rules without the custom resources, and a token Secret
 * for `kafkaplane remote-secret`. No CRDs and no Deployment: the operator runs in its home cluster.
 */
export function renderRemoteInstall(options: { namespace: string; version: string }): KubernetesObject[] {
  const { namespace, version } = options
  return [
    operatorNamespace(namespace, version),
    operatorServiceAccount(namespace, version),
    operatorRemoteClusterRole(version),
    operatorRemoteClusterRoleBinding(namespace, version),
    operatorRemoteToken(namespace, version),
  ]
}
