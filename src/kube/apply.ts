import { ApiException, PatchStrategy, type KubernetesObject, type KubernetesObjectApi } from '@kubernetes/client-node'

/** The one field manager every object kafkaplane's operator writes is applied under. */
export const FIELD_MANAGER = 'kafkaplane-operator'

export type ApplyAction = 'noop' | 'created' | 'patched' | 'deleted'

/** An object by apiVersion, kind, namespace and name. */
export interface ObjectRef {
  apiVersion: string
  kind: string
  metadata: { name: string; namespace?: string }
}

export interface ApplyResult {
  action: ApplyAction
  /** `StatefulSet kafka/kafka-k8s-1`. */
  object: string
  /** Fields another manager had set and we took back (`.data.zone from kubectl-edit`); empty mostly. */
  tookOver: string[]
}

/** Metadata the API server owns; never part of what we apply. */
const SERVER_FIELDS = ['resourceVersion', 'uid', 'creationTimestamp', 'generation', 'managedFields', 'selfLink', 'deletionTimestamp', 'deletionGracePeriodSeconds'] as const

/**
 * The operator's one way to write Kubernetes objects (docs/architecture.md, principle 3): server-side apply under one field
 * manager, `kafkaplane-operator`.
 *
 * apply(desired):
 *   1. read the object (absent: it will be created);
 *   2. apply `desired` (without status and server-owned metadata) without force;
 *   3. on 409 Conflict (another manager set a field we apply), apply again with force: every field in
 *      `desired` is ours by declaration (the renderers put in nothing else), and fields other managers
 *      set that we do not apply are left alone. The fields taken back are named in the result;
 *   4. the result: created (it was absent), noop (resourceVersion unchanged: the API server found
 *      nothing to change), patched otherwise.
 * remove(ref): "desired is absent": deleted (background propagation), or noop when already gone.
 * prune(...): every object of the given kinds carrying the selector labels that is not desired is
 *   removed; the objects a KafkaCluster owns carry its managed-by and instance labels.
 */
export class Applier {
  readonly client: KubernetesObjectApi
  readonly fieldManager: string

  constructor(client: KubernetesObjectApi, fieldManager: string = FIELD_MANAGER) {
    this.client = client
    this.fieldManager = fieldManager
  }

  async apply(desired: KubernetesObject): Promise<ApplyResult> {
    const ref = refOf(desired)
    const before = await this.read(ref)
    const body = applyBody(desired)
    let tookOver: string[] = []
    let after: KubernetesObject
    try {
      after = await this.client.patch(body, undefined, undefined, this.fieldManager, false, PatchStrategy.ServerSideApply)
    } catch (err) {
      if (!(err instanceof ApiException) || err.code !== 409) throw err
      tookOver = conflicts(err.body)
      after = await this.client.patch(body, undefined, undefined, this.fieldManager, true, PatchStrategy.ServerSideApply)
    }
    const action: ApplyAction = before === undefined ? 'created' : before.metadata?.resourceVersion === after.metadata?.resourceVersion ? 'noop' : 'patched'
    return { action, object: describeRef(ref), tookOver }
  }

  async remove(ref: ObjectRef): Promise<ApplyResult> {
    try {
      await this.client.delete(ref, undefined, undefined, undefined, undefined, 'Background')
      return { action: 'deleted', object: describeRef(ref), tookOver: [] }
    } catch (err) {
      if (err instanceof ApiException && err.code === 404) return { action: 'noop', object: describeRef(ref), tookOver: [] }
      throw err
    }
  }

  /** Removes the objects of `kinds` in `namespace` matching `selector` that `keep` does not name. */
  async prune(namespace: string, selector: Readonly<Record<string, string>>, kinds: readonly { apiVersion: string; kind: string }[], keep: readonly KubernetesObject[]): Promise<ApplyResult[]> {
    const kept = new Set(keep.map((o) => describeRef(refOf(o))))
    const labelSelector = Object.entries(selector).map(([k, v]) => `${k}=${v}`).join(',')
    const results: ApplyResult[] = []
    for (const { apiVersion, kind } of kinds) {
      const list = await this.client.list(apiVersion, kind, namespace, undefined, undefined, undefined, undefined, labelSelector)
      for (const item of list.items) {
        const ref: ObjectRef = { apiVersion, kind, metadata: { name: item.metadata!.name!, namespace } }
        if (!kept.has(describeRef(ref))) results.push(await this.remove(ref))
      }
    }
    return results
  }

  /** The object as the API server has it, or undefined when it does not exist. */
  async read<T extends KubernetesObject>(ref: ObjectRef): Promise<T | undefined> {
    try {
      return (await this.client.read(ref as KubernetesObject & ObjectRef)) as T
    } catch (err) {
      if (err instanceof ApiException && err.code === 404) return undefined
      throw err
    }
  }
}

export function refOf(object: KubernetesObject): ObjectRef {
  const name = object.metadata?.name
  if (!object.apiVersion || !object.kind || !name) throw new Error(`an object to apply needs apiVersion, kind and metadata.name: ${JSON.stringify(object).slice(0, 200)}`)
  return { apiVersion: object.apiVersion, kind: object.kind, metadata: { name, ...(object.metadata?.namespace ? { namespace: object.metadata.namespace } : {}) } }
}

export function describeRef(ref: ObjectRef): string {
  return `${ref.kind} ${ref.metadata.namespace ? `${ref.metadata.namespace}/` : ''}${ref.metadata.name}`
}

/** What we send: no status (a subresource) and no metadata the API server owns. */
export function applyBody(desired: KubernetesObject): KubernetesObject {
  const { status: _status, ...rest } = desired as KubernetesObject & { status?: unknown }
  const metadata = { ...rest.metadata } as Record<string, unknown>
  for (const field of SERVER_FIELDS) delete metadata[field]
  return { ...rest, metadata }
}

/** The fields of a 409 apply conflict (`.spec.replicas from kubectl`), from the Status body. */
export function conflicts(body: unknown): string[] {
  try {
    const status = (typeof body === 'string' ? JSON.parse(body) : body) as { details?: { causes?: { field?: string; message?: string }[] } }
    return (status.details?.causes ?? []).map((c) => `${c.field ?? '?'}${c.message ? ` (${c.message})` : ''}`)
  } catch {
    return ['(unparsed conflict)']
  }
}
