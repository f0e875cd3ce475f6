import { CustomObjectsApi, KubeConfig, KubernetesObjectApi } from '@kubernetes/client-node'
import { KafkaplaneError } from '../../core/errors.ts'
import { Applier } from '../apply.ts'

/** The API clients of one Kubernetes cluster, reached through one kubeconfig context. */
export interface KubeCluster {
  context: string
  config: KubeConfig
  objects: KubernetesObjectApi
  custom: CustomObjectsApi
  applier: Applier
}

/**
 * The Kubernetes clusters the operator reaches: the one it runs in (`home`: the kubeconfig's current
 * context, or `--context`), where the KafkaCluster and KafkaTopic resources live, and every other context
 * of the same kubeconfig, made on first use (a KafkaCluster names them in spec.topology.clusters[].context).
 */
export class KubeClusters {
  readonly home: KubeCluster
  readonly #base: KubeConfig
  readonly #clusters = new Map<string, KubeCluster>()

  constructor(base: KubeConfig, homeContext?: string) {
    this.#base = base
    this.home = this.get(homeContext ?? base.getCurrentContext())
  }

  /** Loads a kubeconfig file, else $KUBECONFIG / ~/.kube/config / the in-cluster service account. */
  static load(options: { kubeconfig?: string; context?: string }): KubeClusters {
    const config = new KubeConfig()
    try {
      if (options.kubeconfig) config.loadFromFile(options.kubeconfig)
      else config.loadFromDefault()
    } catch (err) {
      throw new KafkaplaneError('BAD_ARGUMENT', `cannot read the kubeconfig ${options.kubeconfig ?? '(default)'}: ${(err as Error).message}`, {
        fix: 'pass --kubeconfig FILE (a readable kubeconfig), or run inside a pod with a service account',
      })
    }
    return new KubeClusters(config, options.context)
  }

  has(context: string): boolean {
    return this.#base.getContexts().some((c) => c.name === context)
  }

  contexts(): string[] {
    return this.#base.getContexts().map((c) => c.name)
  }

  get(context: string): KubeCluster {
    const known = this.#clusters.get(context)
    if (known) return known
    if (!this.has(context)) {
      throw new KafkaplaneError('BAD_ARGUMENT', `the kubeconfig has no context "${context}" (it has ${this.contexts().join(', ') || 'none'})`, {
        fix: `add a context named ${context} to the operator's kubeconfig, or name an existing one`,
      })
    }
    const config = new KubeConfig()
    config.loadFromString(this.#base.exportConfig())
    config.setCurrentContext(context)
    const objects = KubernetesObjectApi.makeApiClient(config)
    const cluster: KubeCluster = { context, config, objects, custom: config.makeApiClient(CustomObjectsApi), applier: new Applier(objects) }
    this.#clusters.set(context, cluster)
    return cluster
  }
}
