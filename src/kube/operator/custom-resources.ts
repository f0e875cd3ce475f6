import { mergePatchTo } from './merge-patch.ts'
import { ApiException, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node'
import { API_GROUP, API_VERSION, GROUP_VERSION } from '../crds/crd.ts'
import type { Condition } from './conditions.ts'
import { mergeConditions, standingConditions, statusChanged, type Standing } from './conditions.ts'
import type { KubeCluster } from './kube-clients.ts'

/** The finalizer the operator puts on KafkaCluster and KafkaTopic resources. */
export const FINALIZER = 'kafkaplane.io/finalizer'

/** A KafkaCluster or KafkaTopic as the API server returns it. */
export interface CustomResource {
  apiVersion: string
  kind: string
  metadata: {
    name: string
    namespace: string
    uid: string
    generation?: number
    deletionTimestamp?: string
    finalizers?: string[]
    annotations?: Record<string, string>
    labels?: Record<string, string>
  }
  spec: unknown
  status?: { conditions?: Condition[]; [field: string]: unknown }
}

export interface ResourceKind {
  kind: 'KafkaCluster' | 'KafkaTopic'
  plural: 'kafkaclusters' | 'kafkatopics'
}

export const KAFKA_CLUSTERS: ResourceKind = { kind: 'KafkaCluster', plural: 'kafkaclusters' }
export const KAFKA_TOPICS: ResourceKind = { kind: 'KafkaTopic', plural: 'kafkatopics' }

/** The resource now, or undefined when it is gone. */
export async function readResource(cluster: KubeCluster, kind: ResourceKind, namespace: string, name: string): Promise<CustomResource | undefined> {
  try {
    return (await cluster.custom.getNamespacedCustomObject({ group: API_GROUP, version: API_VERSION, namespace, plural: kind.plural, name })) as CustomResource
  } catch (err) {
    if (err instanceof ApiException && err.code === 404) return undefined
    throw err
  }
}

/**
 * Server-side applies the metadata the operator owns on a resource, under its one field manager: its
 * finalizer (present or not) and its annotations. Other managers' finalizers and annotations stay: the
 * finalizer list is a set, each entry owned by whoever applied it.
 */
export async function applyOwnedMetadata(cluster: KubeCluster, resource: CustomResource, owned: { finalizer: boolean; annotations?: Record<string, string> }): Promise<void> {
  await cluster.applier.apply({
    apiVersion: GROUP_VERSION,
    kind: resource.kind,
    metadata: {
      name: resource.metadata.name,
      namespace: resource.metadata.namespace,
      ...(owned.finalizer ? { finalizers: [FINALIZER] } : {}),
      ...(owned.annotations && Object.keys(owned.annotations).length > 0 ? { annotations: owned.annotations } : {}),
    },
  })
}

export function hasFinalizer(resource: CustomResource): boolean {
  return resource.metadata.finalizers?.includes(FINALIZER) ?? false
}

/**
 * Writes the status (a JSON merge patch of the status subresource) with the three conditions of
 * `standing`, unless nothing but transition times would change. Returns the status written (or kept).
 */
export async function writeStatus(cluster: KubeCluster, kind: ResourceKind, resource: CustomResource, fields: object, standing: Standing): Promise<Record<string, unknown>> {
  const generation = resource.metadata.generation
  const conditions = mergeConditions(resource.status?.conditions, standingConditions(standing, generation), new Date().toISOString())
  const status: Record<string, unknown> = { ...fields, observedGeneration: generation, conditions }
  if (!statusChanged(resource.status ?? {}, status)) return status
  // Fields the new status lacks, at any depth, are removed (null in a merge patch).
  await cluster.custom.patchNamespacedCustomObjectStatus(
    { group: API_GROUP, version: API_VERSION, namespace: resource.metadata.namespace, plural: kind.plural, name: resource.metadata.name, body: { status: mergePatchTo(resource.status, status) } },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  )
  return status
}
