import { makeInformer, type KubernetesListObject, type KubernetesObject } from '@kubernetes/client-node'
import { API_GROUP, API_VERSION } from '../crds/crd.ts'
import type { KubeCluster } from './kube-clients.ts'
import { describeError, SupervisedInformer } from './supervised-informer.ts'
import { WorkQueue, type ReconcileOutcome } from './work-queue.ts'

export interface ControllerOptions {
  /** The custom resource's plural (`kafkaclusters`) and kind (for logs). */
  plural: string
  kind: string
  cluster: KubeCluster
  /** Watch one namespace; all namespaces when absent. */
  namespace?: string
  /** Reconciles one `namespace/name`; the object may be gone by then. */
  reconcile: (key: string, signal: AbortSignal) => Promise<ReconcileOutcome | void>
  workers?: number
  /** Every key in the cache is queued again this often (default 5 min): drift is found without events. */
  resyncMs?: number
  log: (line: string) => void
}

/**
 * One controller: a supervised informer on a custom resource, feeding a keyed work queue. Events only
 * name a key (`namespace/name`); the reconcile reads the current object and works from it (docs/architecture.md, principle 12).
 * Every key in the cache is queued again each `resyncMs`.
 */
export class Controller {
  readonly kind: string
  readonly queue: WorkQueue
  readonly informer: SupervisedInformer<KubernetesObject>
  readonly #resyncMs: number
  #resync: NodeJS.Timeout | undefined

  constructor(options: ControllerOptions) {
    const { plural, cluster, namespace } = options
    this.kind = options.kind
    this.#resyncMs = options.resyncMs ?? 5 * 60_000
    this.queue = new WorkQueue({
      reconcile: options.reconcile,
      workers: options.workers ?? 2,
      onError: (key, err, attempt, retryInMs) => options.log(`${options.kind} ${key}: reconcile failed (attempt ${attempt}): ${describeError(err)}; again in ${retryInMs} ms`),
    })
    const path = namespace ? `/apis/${API_GROUP}/${API_VERSION}/namespaces/${namespace}/${plural}` : `/apis/${API_GROUP}/${API_VERSION}/${plural}`
    const list = async () =>
      (namespace
        ? await cluster.custom.listNamespacedCustomObject({ group: API_GROUP, version: API_VERSION, namespace, plural })
        : await cluster.custom.listClusterCustomObject({ group: API_GROUP, version: API_VERSION, plural })) as KubernetesListObject<KubernetesObject>
    this.informer = new SupervisedInformer({
      name: options.kind,
      informer: makeInformer(cluster.config, path, list),
      onChange: (object) => this.queue.add(keyOf(object)),
      log: options.log,
    })
  }

  async start(): Promise<void> {
    await this.informer.start()
    for (const object of this.informer.list()) this.queue.add(keyOf(object))
    this.#resync = setInterval(() => {
      for (const object of this.informer.list()) this.queue.add(keyOf(object))
    }, this.#resyncMs)
    this.#resync.unref()
  }

  /** Stops watching, aborts the reconciles in flight and waits for them to return. */
  async stop(): Promise<void> {
    clearInterval(this.#resync)
    await this.informer.stop()
    await this.queue.stop()
  }
}

export function keyOf(object: KubernetesObject): string {
  return `${object.metadata?.namespace ?? ''}/${object.metadata?.name ?? ''}`
}

export function splitKey(key: string): { namespace: string; name: string } {
  const at = key.indexOf('/')
  return { namespace: key.slice(0, at), name: key.slice(at + 1) }
}
