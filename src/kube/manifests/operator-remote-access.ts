import type { V1ClusterRole, V1ClusterRoleBinding, V1Secret } from '@kubernetes/client-node'
import { stringify } from 'yaml'
import { API_GROUP } from '../crds/crd.ts'
import { operatorLabels } from './labels.ts'
import { REMOTE_CLUSTERS_KEY, REMOTE_CLUSTERS_SECRET } from './operator-deployment.ts'
import { OPERATOR_CLUSTER_RULES, operatorClusterRoleBinding } from './operator-rbac.ts'
import { OPERATOR_NAME } from './operator-service-account.ts'

/**
 * The operator's identity in a remote Kubernetes cluster of a stretched KafkaCluster: the operator runs
 * in one cluster (its home, where the custom resources live) and applies each other cluster's brokers
 * there as the ServiceAccount kafkaplane-operator of that cluster, with a long-lived token
 * (`kafkaplane remote-secret` puts it into the home cluster's Secret kafkaplane-remote-clusters).
 */
export const REMOTE_ROLE = `${OPERATOR_NAME}-remote`
export const REMOTE_TOKEN_SECRET = `${OPERATOR_NAME}-token`

/** The operator's rules without its custom resources (those live in the home cluster only). */
export function operatorRemoteClusterRole(version: string): V1ClusterRole {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name: REMOTE_ROLE, labels: operatorLabels(version) },
    rules: OPERATOR_CLUSTER_RULES.filter((r) => !r.apiGroups!.includes(API_GROUP)).map((r) => ({ ...r, apiGroups: [...r.apiGroups!], resources: [...r.resources!], verbs: [...r.verbs] })),
  }
}

/** The operator's ServiceAccount bound to that role. */
export function operatorRemoteClusterRoleBinding(namespace: string, version: string): V1ClusterRoleBinding {
  return operatorClusterRoleBinding(namespace, version, REMOTE_ROLE)
}

/** A service-account token Secret: Kubernetes' token controller fills in `token` and `ca.crt`. */
export function operatorRemoteToken(namespace: string, version: string): V1Secret {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'kubernetes.io/service-account-token',
    metadata: { name: REMOTE_TOKEN_SECRET, namespace, labels: operatorLabels(version), annotations: { 'kubernetes.io/service-account.name': OPERATOR_NAME } },
  }
}

/** What the operator needs to reach one remote Kubernetes cluster. */
export interface RemoteClusterAccess {
  /** The context name KafkaClusters use for it (spec.topology.clusters[].context). */
  context: string
  /** Its API server's URL as the operator's pod reaches it. */
  server: string
  /** The PEM of the CA that signed the API server's certificate. */
  caPem: string
  /** The operator ServiceAccount's token in that cluster. */
  token: string
}

/**
 * The home cluster's Secret kafkaplane-remote-clusters: one kubeconfig with a context (its own cluster
 * and user entries, named after it) per remote Kubernetes cluster, which the operator's Deployment mounts.
 */
export function remoteClustersSecret(namespace: string, version: string, remotes: readonly RemoteClusterAccess[]): V1Secret {
  const kubeconfig = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: remotes.map((r) => ({ name: r.context, cluster: { server: r.server, 'certificate-authority-data': Buffer.from(r.caPem).toString('base64') } })),
    users: remotes.map((r) => ({ name: r.context, user: { token: r.token } })),
    contexts: remotes.map((r) => ({ name: r.context, context: { cluster: r.context, user: r.context } })),
    'current-context': remotes[0]?.context ?? '',
  }
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'Opaque',
    metadata: { name: REMOTE_CLUSTERS_SECRET, namespace, labels: operatorLabels(version) },
    stringData: { [REMOTE_CLUSTERS_KEY]: stringify(kubeconfig) },
  }
}
