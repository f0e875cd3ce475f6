import type { V1ClusterRole, V1ClusterRoleBinding, V1PolicyRule } from '@kubernetes/client-node'
import { API_GROUP } from '../crds/crd.ts'
import { operatorLabels } from './labels.ts'
import { OPERATOR_NAME } from './operator-service-account.ts'

const MANAGE = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete']
const WATCH = ['get', 'list', 'watch']

/**
 * What the operator may do, and nothing more, in every namespace that holds KafkaClusters:
 *   - read its custom resources and update them (finalizers), write their status;
 *   - manage the objects it renders (StatefulSets, Services, ConfigMaps, PodDisruptionBudgets);
 *   - read and delete broker pods (the roller restarts a broker by deleting its pod);
 *   - read PVCs (never delete: a topic's data outlives its objects) and write Events.
 * No leader election (no Lease): the operator runs as one replica with a Recreate strategy, and its
 * executor refuses to start moves while reassignments it did not start are in flight.
 */
export const OPERATOR_CLUSTER_RULES: readonly V1PolicyRule[] = [
  { apiGroups: [API_GROUP], resources: ['kafkaclusters', 'kafkatopics'], verbs: [...WATCH, 'update', 'patch'] },
  { apiGroups: [API_GROUP], resources: ['kafkaclusters/status', 'kafkatopics/status'], verbs: ['get', 'update', 'patch'] },
  { apiGroups: [API_GROUP], resources: ['kafkaclusters/finalizers', 'kafkatopics/finalizers'], verbs: ['update'] },
  { apiGroups: ['apps'], resources: ['statefulsets'], verbs: MANAGE },
  { apiGroups: [''], resources: ['services', 'configmaps'], verbs: MANAGE },
  { apiGroups: ['policy'], resources: ['poddisruptionbudgets'], verbs: MANAGE },
  { apiGroups: [''], resources: ['pods'], verbs: [...WATCH, 'delete'] },
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
