import type { V1ClusterRole, V1ClusterRoleBinding, V1PolicyRule, V1Role, V1RoleBinding } from '@kubernetes/client-node'
import { API_GROUP } from '../crds/crd.ts'
import { operatorLabels } from './labels.ts'
import { OPERATOR_NAME } from './operator-service-account.ts'

const MANAGE = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete']
const WATCH = ['get', 'list', 'watch']

/**
 * What the operator may do, and nothing more, in every namespace that holds KafkaClusters:
 *   - read its custom resources and update them (finalizers), write their status;
 *   - manage the objects it renders (StatefulSets, Services, ConfigMaps, PodDisruptionBudgets);
 *   - read broker pods and evict them (the roller restarts a broker through the Eviction API, so that
 *     the PodDisruptionBudgets weigh its restarts together with node drains);
 *   - read PVCs (never delete: a topic's data outlives its objects) and write Events;
 *   - read the Secrets TLS listeners name (by name: `get`) and write its copies of them, which it lists
 *     by its labels to prune (model/listener-certificates.ts); never `watch`: no cache of every Secret
 *     (a renewed certificate is seen at the next reconcile, at least once a resync).
 * Its leader election's Lease is in its own namespace only: OPERATOR_LEASE_RULES, a Role.
 */
export const OPERATOR_CLUSTER_RULES: readonly V1PolicyRule[] = [
  { apiGroups: [API_GROUP], resources: ['kafkaclusters', 'kafkatopics'], verbs: [...WATCH, 'update', 'patch'] },
  { apiGroups: [API_GROUP], resources: ['kafkaclusters/status', 'kafkatopics/status'], verbs: ['get', 'update', 'patch'] },
  { apiGroups: [API_GROUP], resources: ['kafkaclusters/finalizers', 'kafkatopics/finalizers'], verbs: ['update'] },
  { apiGroups: ['apps'], resources: ['statefulsets'], verbs: MANAGE },
  { apiGroups: [''], resources: ['services', 'configmaps'], verbs: MANAGE },
  { apiGroups: [''], resources: ['secrets'], verbs: ['get', 'list', 'create', 'update', 'patch', 'delete'] },
  { apiGroups: ['policy'], resources: ['poddisruptionbudgets'], verbs: MANAGE },
  { apiGroups: [''], resources: ['pods'], verbs: WATCH },
  { apiGroups: [''], resources: ['pods/eviction'], verbs: ['create'] },
  { apiGroups: [''], resources: ['persistentvolumeclaims'], verbs: WATCH },
  { apiGroups: ['', 'events.k8s.io'], resources: ['events'], verbs: ['create', 'patch'] },
]

export function operatorClusterRole(version: string): V1ClusterRole {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name: OPERATOR_NAME, labels: operatorLabels(version) },
    rules: OPERATOR_CLUSTER_RULES.map((r) => ({ ...r, apiGroups: [...r.apiGroups!], resources: [...r.resources!], verbs: [...r.verbs] })),
  }
}

export function operatorClusterRoleBinding(namespace: string, version: string, role = OPERATOR_NAME): V1ClusterRoleBinding {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: role, labels: operatorLabels(version) },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
    subjects: [{ kind: 'ServiceAccount', name: OPERATOR_NAME, namespace }],
  }
}

/**
 * The leader election's Lease (src/kube/operator/leader-elector.ts), in the operator's own namespace
 * only: create it, then read and update it by name (a create cannot be limited to a name).
 */
export const OPERATOR_LEASE_RULES: readonly V1PolicyRule[] = [
  { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
  { apiGroups: ['coordination.k8s.io'], resources: ['leases'], resourceNames: [OPERATOR_NAME], verbs: ['get', 'update'] },
]

export function operatorLeaseRole(namespace: string, version: string): V1Role {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata: { name: OPERATOR_NAME, namespace, labels: operatorLabels(version) },
    rules: OPERATOR_LEASE_RULES.map((r) => structuredClone(r) as V1PolicyRule),
  }
}

export function operatorLeaseRoleBinding(namespace: string, version: string): V1RoleBinding {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { name: OPERATOR_NAME, namespace, labels: operatorLabels(version) },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: OPERATOR_NAME },
    subjects: [{ kind: 'ServiceAccount', name: OPERATOR_NAME, namespace }],
  }
}
