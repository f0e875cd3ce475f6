import type { KafkaConnectionOptions } from '../../kafka/connection-options.ts'
import { KAFKA_CLUSTER, KAFKA_TOPIC } from '../crds/crd.ts'
import { Controller } from './controller.ts'
import { KafkaClusterReconciler } from './kafka-cluster-reconciler.ts'
import { KafkaTopicReconciler } from './kafka-topic-reconciler.ts'
import { KubeClusters } from './kube-clients.ts'
import { RollWorkers } from './roll-workers.ts'

export interface OperatorOptions {
  /** The kubeconfig (default: $KUBECONFIG, ~/.kube/config, or the pod's service account). */
  kubeconfig?: string
  /** The context of the Kubernetes cluster the operator runs in (default: the current context; inside
   * a pod, the name its service account's context takes). */
  context?: string
  /** A kubeconfig with the remote Kubernetes clusters' contexts (src/kube/operator/kube-clients.ts). */
  remoteKubeconfig?: string
  /** Watch one namespace (default: all). */
  namespace?: string
  /** Where replication-factor plans are kept, one file per KafkaTopic. */
  stateDir: string
  /** TLS and SASL for the Kafka clusters. */
  connection: Omit<KafkaConnectionOptions, 'bootstrapServers'>
  /** Replication throttle while a topic's replication factor changes (default 50 MiB/s per broker). */
  throttleBytesPerSecond?: number
  /** Every resource is reconciled again this often (default 5 min). */
  resyncMs?: number
  /** How soon a KafkaCluster whose brokers are not all ready is looked at again (default 10 s). */
  notReadyRequeueMs?: number
  /** A rolling restart without progress this long stops as stalled, and is tried again later (default 10 min). */
  rollStallMs?: number
  /** Executor poll interval (default 1 s). */
  pollMs?: number
  log: (line: string) => void
}

export interface RunningOperator {
  /** Stops watching, lets every reconcile in flight return (a plan in flight stops after its poll, a roll between two steps). */
  stop(): Promise<void>
}

/**
 * `kafkaplane operator`: one controller for KafkaCluster and one for KafkaTopic, each a supervised
 * informer feeding a keyed work queue, against the Kubernetes cluster of the kubeconfig's current
 * context (where the resources live); other contexts of the same kubeconfig, or of the remote clusters'
 * kubeconfig, reach the remote Kubernetes clusters a stretched KafkaCluster names. Resolves once both informers have listed.
 */
export async function startOperator(options: OperatorOptions): Promise<RunningOperator> {
  const clusters = KubeClusters.load({
    ...(options.kubeconfig ? { kubeconfig: options.kubeconfig } : {}),
    ...(options.context ? { context: options.context } : {}),
    ...(options.remoteKubeconfig ? { remoteKubeconfig: options.remoteKubeconfig } : {}),
  })
  const common = { cluster: clusters.home, log: options.log, ...(options.namespace ? { namespace: options.namespace } : {}), ...(options.resyncMs ? { resyncMs: options.resyncMs } : {}) }
  const rolls = new RollWorkers({ clusters, connection: options.connection, log: options.log, ...(options.rollStallMs ? { stallMs: options.rollStallMs } : {}) })
  const clusterReconciler = new KafkaClusterReconciler({ clusters, connection: options.connection, rolls, log: options.log, ...(options.notReadyRequeueMs ? { notReadyRequeueMs: options.notReadyRequeueMs } : {}) })
  const topicReconciler = new KafkaTopicReconciler({
    clusters,
    connection: options.connection,
    stateDir: options.stateDir,
    log: options.log,
    ...(options.throttleBytesPerSecond !== undefined ? { throttleBytesPerSecond: options.throttleBytesPerSecond } : {}),
    ...(options.pollMs ? { pollMs: options.pollMs } : {}),
  })
  const controllers = [
    new Controller({ ...common, kind: KAFKA_CLUSTER.kind, plural: KAFKA_CLUSTER.plural, reconcile: clusterReconciler.reconcile }),
    new Controller({ ...common, kind: KAFKA_TOPIC.kind, plural: KAFKA_TOPIC.plural, reconcile: topicReconciler.reconcile }),
  ]
  const started: Controller[] = []
  try {
    for (const c of controllers) {
      await c.start()
      started.push(c)
    }
  } catch (err) {
    await Promise.all(started.map((c) => c.stop()))
    throw err
  }
  options.log(`watching KafkaCluster and KafkaTopic in ${options.namespace ? `namespace ${options.namespace}` : 'all namespaces'} of context ${clusters.home.context}`)
  return {
    stop: async () => {
      await Promise.all([...controllers.map((c) => c.stop()), rolls.stop()])
    },
  }
}
