import { existsSync, readFileSync } from 'node:fs'
import { CoreV1Api, CustomObjectsApi, KubeConfig, KubernetesObjectApi, type Cluster, type Context, type User } from '@kubernetes/client-node'
import { KafkaplaneError } from '../../core/errors.ts'
import { Applier } from '../apply.ts'

/** The API clients of one Kubernetes cluster, reached through one kubeconfig context. */
export interface KubeCluster {
  context: string
  config: KubeConfig
  objects: KubernetesObjectApi
  custom: CustomObjectsApi
  /** Pod evictions (the Eviction API honours PodDisruptionBudgets). */
  core: CoreV1Api
  applier: Applier
}

/** The context name @kubernetes/client-node gives the pod's own service account. */
const IN_CLUSTER_CONTEXT = 'inClusterContext'

interface KubeconfigParts {
  clusters: Cluster[]
  users: User[]
  contexts: Context[]
}

export interface KubeClustersOptions {
  /** A kubeconfig file; default $KUBECONFIG, ~/.kube/config, else the pod's service account. */
  kubeconfig?: string
  /**
   * The context of the Kubernetes cluster the operator runs in (default: the current one). Inside a
   * pod, the service account's context is renamed to it: the name a KafkaCluster gives this Kubernetes
   * cluster in spec.topology.clusters[].context.
   */
  context?: string
  /**
   * A kubeconfig with the contexts of the remote Kubernetes clusters (the operator's Deployment mounts
   * it from the Secret that `kafkaplane remote-secret` makes). Read again when a context is asked for
   * that is not known yet, so a Secret added or changed later is found without a restart. A missing
   * file is no error: no remote clusters yet.
   */
  remoteKubeconfig?: string
}

/**
 * The Kubernetes clusters the operator reaches: the one it runs in (`home`: the kubeconfig's current
 * context, or `--context`), where the KafkaCluster and KafkaTopic resources live, and every other context
 * of the same kubeconfig or of the remote-clusters kubeconfig, made on first use (a KafkaCluster names
 * them in spec.topology.clusters[].context).
 */
export class KubeClusters {
  readonly home: KubeCluster
  readonly #base: KubeconfigParts
  readonly #remoteFile: string | undefined
  #remote: KubeconfigParts = { clusters: [], users: [], contexts: [] }
  readonly #clusters = new Map<string, KubeCluster>()

  constructor(base: KubeConfig, homeContext?: string, remoteFile?: string) {
    this.#base = { clusters: [...base.clusters], users: [...base.users], contexts: [...base.contexts] }
    this.#remoteFile = remoteFile
    this.#readRemote()
    this.home = this.get(homeContext ?? base.getCurrentContext())
  }

  /** Loads a kubeconfig file, else $KUBECONFIG / ~/.kube/config / the in-cluster service account. */
  static load(options: KubeClustersOptions): KubeClusters {
    const config = new KubeConfig()
    try {
      if (options.kubeconfig) config.loadFromFile(options.kubeconfig)
      else config.loadFromDefault()
    } catch (err) {
      throw new KafkaplaneError('BAD_ARGUMENT', `cannot read the kubeconfig ${options.kubeconfig ?? '(default)'}: ${(err as Error).message}`, {
        fix: 'pass --kubeconfig FILE (a readable kubeconfig), or run inside a pod with a service account',
      })
    }
    if (options.context && config.getCurrentContext() === IN_CLUSTER_CONTEXT && !config.contexts.some((c) => c.name === options.context)) {
      config.loadFromOptions({
        clusters: config.clusters,
        users: config.users,
        contexts: config.contexts.map((c) => (c.name === IN_CLUSTER_CONTEXT ? { ...c, name: options.context! } : c)),
        currentContext: options.context,
      })
    }
    return new KubeClusters(config, options.context, options.remoteKubeconfig)
  }

  has(context: string): boolean {
    if (this.#find(context)) return true
    // A remote cluster added since: the Secret's file changed under us.
    return this.#readRemote() && this.#find(context) !== undefined
  }

  contexts(): string[] {
    return [...this.#base.contexts, ...this.#remote.contexts].map((c) => c.name)
  }

  get(context: string): KubeCluster {
    const known = this.#clusters.get(context)
    if (known) return known
    if (!this.has(context)) {
      throw new KafkaplaneError('BAD_ARGUMENT', `the kubeconfig has no context "${context}" (it has ${this.contexts().join(', ') || 'none'})`, {
        fix: `add a context named ${context} to the operator's kubeconfig${this.#remoteFile ? ` or to its remote clusters' kubeconfig ${this.#remoteFile} (kafkaplane remote-secret)` : ''}, or name an existing one`,
      })
    }
    const parts = this.#find(context)!
    const config = new KubeConfig()
    config.loadFromOptions({ ...parts, currentContext: context })
    const objects = KubernetesObjectApi.makeApiClient(config)
    const cluster: KubeCluster = { context, config, objects, custom: config.makeApiClient(CustomObjectsApi), core: config.makeApiClient(CoreV1Api), applier: new Applier(objects) }
    this.#clusters.set(context, cluster)
    return cluster
  }

  /** The context's own cluster and user, from the base kubeconfig first, else the remote one. */
  #find(context: string): KubeconfigParts | undefined {
    for (const source of [this.#base, this.#remote]) {
      const c = source.contexts.find((x) => x.name === context)
      if (!c) continue
      const cluster = source.clusters.find((x) => x.name === c.cluster)
      const user = source.users.find((x) => x.name === c.user)
      if (cluster && user) return { clusters: [cluster], users: [user], contexts: [c] }
    }
    return undefined
  }

  /** Reads the remote clusters' kubeconfig again; true when it changed. */
  #readRemote(): boolean {
    if (!this.#remoteFile || !existsSync(this.#remoteFile)) return false
    const config = new KubeConfig()
    try {
      config.loadFromString(readFileSync(this.#remoteFile, 'utf8'))
    } catch (err) {
      throw new KafkaplaneError('BAD_ARGUMENT', `cannot read the remote clusters' kubeconfig ${this.#remoteFile}: ${(err as Error).message}`, {
        fix: 'make its Secret again with `kafkaplane remote-secret`',
      })
    }
    const next = { clusters: [...config.clusters], users: [...config.users], contexts: [...config.contexts] }
    if (JSON.stringify(next) === JSON.stringify(this.#remote)) return false
    this.#remote = next
    // A changed credential or address: make those clients anew.
    for (const c of next.contexts) if (c.name !== this.home?.context) this.#clusters.delete(c.name)
    return true
  }
}
