import type { KubernetesObject } from '@kubernetes/client-node'
import type { WatchedKafkaCluster } from '../../core/observe/operator-series.ts'
import type { KafkaConnectionOptions } from '../../kafka/connection-options.ts'
import { OperatorMetrics } from '../../observe/operator-metrics.ts'
import { systemClock } from '../../operations/system-clock.ts'
import { KAFKA_CLUSTER, KAFKA_TOPIC } from '../crds/crd.ts'
import { OPERATOR_NAME } from '../manifests/operator-service-account.ts'
import { Controller } from './controller.ts'
import { recordEvent } from './events.ts'
import { kafkaClusterModel, type KafkaClusterResource } from '../model/kafka-cluster-model.ts'
import { bootstrapServers } from './bootstrap-servers.ts'
import { KafkaClusterReconciler } from './kafka-cluster-reconciler.ts'
import { KafkaTopicReconciler } from './kafka-topic-reconciler.ts'
import { KubeClusters } from './kube-clients.ts'
import { kubeLeaseStore } from './kube-lease-store.ts'
import { LeaderElector } from './leader-elector.ts'
import { DEFAULT_TIMINGS, type LeaderElectionTimings } from './lease-decision.ts'
import { RollWorkers } from './roll-workers.ts'
import { HealWorkers } from './heal-workers.ts'
import { ScaleWorkers } from './scale-workers.ts'
import { leavingBrokers } from '../model/scale.ts'
import { describeError } from './supervised-informer.ts'

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
  /** Where plans are kept: one file per KafkaTopic (replication factor), one per KafkaCluster (a scale, the self-healer: one at a time). */
  stateDir: string
  /** TLS and SASL for the Kafka clusters. */
  connection: Omit<KafkaConnectionOptions, 'bootstrapServers'>
  /** Replication throttle while a topic's replication factor changes, the self-healer moves data, or a scale without spec.scaling.throttle does (default 50 MiB/s per broker). */
  throttleBytesPerSecond?: number
  /** How often the self-healer looks at each KafkaCluster (default 30 s). */
  healIntervalMs?: number
  /** Every resource is reconciled again this often (default 5 min). */
  resyncMs?: number
  /** How soon a KafkaCluster whose brokers are not all ready is looked at again (default 10 s). */
  notReadyRequeueMs?: number
  /** A rolling restart without progress this long stops as stalled, and is tried again later (default 10 min). */
  rollStallMs?: number
  /** Executor poll interval (default 1 s). */
  pollMs?: number
  /** Leader election: only the operator holding this Lease, in the home cluster, reconciles. */
  lease: OperatorLease
  /** Serve Prometheus metrics (src/observe/operator-metrics.ts): the Kafka clusters' series and the operator's own. */
  metrics?: { host: string; port: number; intervalMs: number; seriesBudget: number }
  log: (line: string) => void
}

export interface OperatorLease {
  /** This operator among its replicas: its pod's name (the Deployment's POD_NAME), else host and pid. */
  identity: string
  /** The Lease's namespace (default: the home context's namespace, which in a pod is its own; else `default`). */
  namespace?: string
  /** Default kafkaplane-operator. */
  name?: string
  /** Default: 15 s lease, 10 s renew deadline, 2 s retry period (src/kube/operator/lease-decision.ts). */
  timings?: LeaderElectionTimings
}

/** Why a running operator ended by itself: it lost the Lease (all work stopped first), or its work could not start once elected. */
export type OperatorEnd = { reason: 'lost'; message: string } | { reason: 'failed'; error: unknown }

export interface RunningOperator {
  /** The port the metrics are served on, when they are. */
  readonly metricsPort: number | undefined
  /**
   * Stops watching, lets every reconcile in flight return (a plan in flight stops after its poll, a roll
   * between two steps), keeping the Lease meanwhile, then releases it for the next operator.
   */
  stop(): Promise<void>
  /** Resolves when the operator ended by itself; never after stop(). The process should then exit non-zero. */
  readonly ended: Promise<OperatorEnd>
}

/**
 * `kafkaplane operator`: one controller for KafkaCluster and one for KafkaTopic, each a supervised
 * informer feeding a keyed work queue, against the Kubernetes cluster of the kubeconfig's current
 * context (where the resources live); other contexts of the same kubeconfig, or of the remote clusters'
 * kubeconfig, reach the remote Kubernetes clusters a stretched KafkaCluster names.
 *
 * Several may run (two replicas, or the old pod still terminating while the new one starts): they
 * elect a leader through a Lease in the home cluster (src/kube/operator/leader-elector.ts), and only
 * the leader starts the controllers and the rolls. One that loses the Lease stops all its work at
 * once (between two steps, as on SIGTERM; after `leaseDuration - renewDeadline`, 5 s by default, when
 * another may have taken over, it no longer waits for the rest) and `ended` resolves: it must exit, as it may no longer
 * tell what it did not finish. Resolves at once; the work starts when this operator is elected.
 */
export async function startOperator(options: OperatorOptions): Promise<RunningOperator> {
  const clusters = KubeClusters.load({
    ...(options.kubeconfig ? { kubeconfig: options.kubeconfig } : {}),
    ...(options.context ? { context: options.context } : {}),
    ...(options.remoteKubeconfig ? { remoteKubeconfig: options.remoteKubeconfig } : {}),
  })
  const { log } = options
  const timings = options.lease.timings ?? DEFAULT_TIMINGS
  const lease = {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    name: options.lease.name ?? OPERATOR_NAME,
    namespace: options.lease.namespace ?? clusters.home.config.getContextObject(clusters.home.context)?.namespace ?? 'default',
  }
  const metrics = options.metrics ? new OperatorMetrics({ connection: options.connection, log, ...options.metrics }) : undefined
  const metricsPort = metrics ? (await metrics.start()).port : undefined
  if (metrics) log(`serving metrics: GET /metrics on ${options.metrics!.host}:${metricsPort}`)
  const elector = new LeaderElector({ store: kubeLeaseStore(clusters.home.config, lease.namespace, lease.name), identity: options.lease.identity, clock: systemClock, timings, log })
  let work: Promise<Work | undefined> = Promise.resolve(undefined)
  let stopping = false
  let end: (e: OperatorEnd) => void = () => {}
  const ended = new Promise<OperatorEnd>((resolve) => (end = resolve))
  const election = (async () => {
    if (!(await elector.acquire()) || stopping) return
    log(`became leader: Lease ${lease.namespace}/${lease.name} held by ${elector.identity}`)
    void recordEvent(clusters.home, lease, 'LeaderElection', `${elector.identity} became leader`).catch((err: unknown) => log(`could not write the leader election Event (${describeError(err)})`))
    const holding = elector.hold()
    work = startWork(clusters, options, metrics).catch((error: unknown) => {
      if (!stopping) end({ reason: 'failed', error })
      return undefined
    })
    const outcome = await holding
    if (outcome.reason === 'lost' && !stopping) {
      log(`lost the lease (${outcome.message}): stopping all work`)
      const running = await work
      const stopped = running ? running.stop() : Promise.resolve()
      const grace = timings.leaseDurationMs - timings.renewDeadlineMs
      if (!(await Promise.race([stopped.then(() => true), systemClock.sleep(grace).then(() => false)]))) log(`work still stopping after ${grace} ms: leaving it`)
      end({ reason: 'lost', message: outcome.message })
    }
  })()
  return {
    ended,
    metricsPort,
    stop: async () => {
      stopping = true
      // The work stops first, under the Lease; then the Lease goes to the next operator.
      await (await work)?.stop()
      await elector.stop()
      await election
      await metrics?.stop()
    },
  }
}

interface Work {
  stop(): Promise<void>
}

/** The controllers, the rolls, the scales and the self-healer: resolves once both informers have listed. */
async function startWork(clusters: KubeClusters, options: OperatorOptions, metrics: OperatorMetrics | undefined): Promise<Work> {
  const home = clusters.home
  const common = { cluster: home, log: options.log, ...(options.namespace ? { namespace: options.namespace } : {}), ...(options.resyncMs ? { resyncMs: options.resyncMs } : {}) }
  const rolls = new RollWorkers({ clusters, connection: options.connection, log: options.log, ...(options.rollStallMs ? { stallMs: options.rollStallMs } : {}) })
  // What the plan runners need: where plans are kept, how fast data moves, how often to look.
  const plans = {
    clusters,
    connection: options.connection,
    stateDir: options.stateDir,
    log: options.log,
    ...(options.throttleBytesPerSecond !== undefined ? { throttleBytesPerSecond: options.throttleBytesPerSecond } : {}),
    ...(options.pollMs ? { pollMs: options.pollMs } : {}),
  }
  const scales = new ScaleWorkers(plans)
  // The self-healer waits while a roll runs (and stops its plan between steps when one starts); a scale
  // and the healer share the KafkaCluster's plan file, so an unfinished plan of either holds the other.
  const heals = new HealWorkers({ ...plans, rolling: (key) => rolls.running(key), leaving: (key) => leavingBrokers(scales.status(key)), ...(options.healIntervalMs ? { intervalMs: options.healIntervalMs } : {}) })
  const clusterReconciler = new KafkaClusterReconciler({ clusters, connection: options.connection, rolls, scales, heals, log: options.log, ...(options.notReadyRequeueMs ? { notReadyRequeueMs: options.notReadyRequeueMs } : {}) })
  const topicReconciler = new KafkaTopicReconciler(plans)
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
  options.log(`watching KafkaCluster and KafkaTopic in ${options.namespace ? `namespace ${options.namespace}` : 'all namespaces'} of context ${home.context}`)
  metrics?.lead({ list: () => controllers[0]!.informer.list().map(watchedKafkaCluster) })
  let stopped: Promise<unknown> | undefined
  return {
    stop: async () => {
      stopped ??= Promise.all([...controllers.map((c) => c.stop()), rolls.stop(), scales.stop(), heals.stop(), metrics?.standBy()])
      await stopped
    },
  }
}

/** A KafkaCluster as the metrics see it: its status as the informer holds it, and where its brokers are (none for an invalid spec). */
function watchedKafkaCluster(object: KubernetesObject): { cluster: WatchedKafkaCluster; bootstrapServers: readonly string[] | undefined } {
  const resource = object as KafkaClusterResource & { status?: WatchedKafkaCluster['status'] & { controllers?: number[] } }
  const namespace = resource.metadata?.namespace ?? ''
  const checked = kafkaClusterModel(resource, namespace, { controllers: resource.status?.controllers })
  return { cluster: { namespace, name: resource.metadata?.name ?? '', ...(resource.status ? { status: resource.status } : {}) }, bootstrapServers: checked.ok ? bootstrapServers(checked.model) : undefined }
}
