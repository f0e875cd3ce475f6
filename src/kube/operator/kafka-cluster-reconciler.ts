import { ApiException, type KubernetesObject, type V1OwnerReference, type V1Pod, type V1PodDisruptionBudget, type V1StatefulSet } from '@kubernetes/client-node'
import type { ClusterSnapshot } from '../../core/health/snapshot.ts'
import { budgetsToWrite, disruptionBudgets, partitionGroups, policyGroup, quorumGroup } from '../../core/roll/disruption-budget.ts'
import { createAdmin } from '../../kafka/connection.ts'
import { describeClusterSnapshot } from '../../kafka/describe-cluster-snapshot.ts'
import type { KafkaConnectionOptions } from '../../kafka/connection-options.ts'
import { recordTopology } from '../../kafka/record-topology.ts'
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node'
import type { ApplyResult } from '../apply.ts'
import type { FieldProblem } from '../crds/validate.ts'
import { brokerSelector, clusterSelector, controllerSelector, ZONE_LABEL } from '../manifests/labels.ts'
import { renderKafkaCluster, type ClusterManifests } from '../manifests/render.ts'
import { kafkaClusterModel, type KafkaClusterModel, type KafkaClusterResource } from '../model/kafka-cluster-model.ts'
import { listenerCertificates, type CertificatesResult, type SecretData } from '../model/listener-certificates.ts'
import type { Standing } from './conditions.ts'
import { splitKey } from './controller.ts'
import { bootstrapServers } from './bootstrap-servers.ts'
import { API_GROUP, API_VERSION } from '../crds/crd.ts'
import { applyOwnedMetadata, hasFinalizer, KAFKA_CLUSTERS, readResource, writeStatus, type CustomResource } from './custom-resources.ts'
import { recordEvent } from './events.ts'
import { KafkaVersionSteps, type KafkaVersionStatus } from './kafka-version.ts'
import { brokersStanding, clusterStatusFields, scaleStanding, type StatefulSetReadiness } from './kafka-cluster-status.ts'
import type { KubeCluster, KubeClusters } from './kube-clients.ts'
import { apiMessage, describeError } from './supervised-informer.ts'
import type { RollStatus, RollWorkers } from './roll-workers.ts'
import type { HealWorkers } from './heal-workers.ts'
import type { SelfHealingStatus } from './self-healing-status.ts'
import type { ScaleWorkers } from './scale-workers.ts'
import { holdShrinks, isActive, renderedCounts, shrinking, withCounts, type ScaleStatus } from '../model/scale.ts'
import type { Topology } from '../../core/topology/topology.ts'
import type { ReconcileOutcome } from './work-queue.ts'

/** How long each Kubernetes cluster's turn lasts when what the partitions can spare does not reach them all (core/roll/disruption-budget.ts). */
export const DISRUPTION_TURN_MS = 60_000
/** How soon a budget handed over is raised, after the one it comes from was lowered. */
const HANDOVER_MS = 2000

/** The kubeconfig contexts a KafkaCluster's objects were applied to (so that dropped ones are cleaned). */
export const CONTEXTS_ANNOTATION = 'kafkaplane.io/applied-contexts'

/** Kinds the operator prunes: every kind the renderers make for a KafkaCluster. */
export const PRUNED_KINDS = [
  { apiVersion: 'v1', kind: 'ConfigMap' },
  { apiVersion: 'v1', kind: 'Secret' },
  { apiVersion: 'v1', kind: 'Service' },
  { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget' },
  { apiVersion: 'apps/v1', kind: 'StatefulSet' },
] as const

export interface KafkaClusterReconcilerOptions {
  clusters: KubeClusters
  log: (line: string) => void
  /** How soon to look again while brokers are not ready (default 10 s). */
  notReadyRequeueMs?: number
  /**
   * TLS and SASL of the Kafka clusters (the bootstrap servers come from each KafkaCluster): with it,
   * a ready cluster gets its brokers' failure domains recorded in Kafka itself.
   */
  connection?: Omit<KafkaConnectionOptions, 'bootstrapServers'>
  /** The rolling restarts (step 7): without them, a pod that runs an old config or image keeps running it. */
  rolls?: RollWorkers
  /** The self-healer (step 7): without it, nothing moves data when a broker is gone for good. */
  heals?: HealWorkers
  /** The scaling (step 5): without it, a StatefulSet takes the spec's count at once, with no data moved. */
  scales?: ScaleWorkers
}

/**
 * Reconciles one KafkaCluster (docs/architecture.md, principle 2: a flat chain of named steps; the model renders, this orders):
 *   1. read it; gone: nothing to do (the finalizer made sure its objects went first);
 *   2. being deleted: remove what it created in every Kubernetes cluster it was applied to (remote ones
 *      explicitly; in the home cluster too, not left to the garbage collector), then the finalizer;
 *   3. the finalizer (and the applied-contexts annotation) on it;
 *   4. the validated model (its KRaft controllers the running cluster's, status.controllers, so that
 *      no scale changes the static quorum): an invalid spec sets Degraded with every problem, and
 *      nothing is applied; so does a spec.kafka.version Kafka cannot roll back to
 *      (src/kube/operator/kafka-version.ts), with a Warning Event;
 *   5. scale: when the spec's broker counts differ from the StatefulSets' replicas, or a scale is under
 *      way (status.scale), the scale workers (src/kube/operator/scale-workers.ts, outside the
 *      reconcile) give new brokers a fair share and drain leaving ones; the StatefulSets get the
 *      counts src/kube/model/scale.ts renderedCounts says (grown at once, shrunk only once the leaving
 *      brokers hold nothing, kept as they are when the scale is refused or waits for a roll), a shrink
 *      checked once more on the partitions read from Kafka just before it (`#holdShrinks`);
 *      then render and apply each Kubernetes cluster's objects through its kubeconfig context: objects in the
 *      home cluster get an owner reference to the KafkaCluster, remote ones carry its labels only; the
 *      PodDisruptionBudgets are set together from the live cluster, so that drains in every Kubernetes
 *      cluster at once never take a partition below min.insync.replicas (`#disruptionBudgets`);
 *   6. prune: objects with its labels that are no longer rendered, in every context it was applied to;
 *   7. rolling restarts (none while a scale is under way: one change at a time): when a broker pod runs another config, image or Kafka version than its
 *      StatefulSet wants, or is annotated for a restart, a roll starts outside the reconcile
 *      (src/kube/operator/roll-workers.ts: one broker or batch at a time, never below min.insync.replicas)
 *      and reports in status.roll; while it runs, look again after `notReadyRequeueMs`; the self-healer
 *      runs outside the reconcile too (src/kube/operator/heal-workers.ts, status.selfHealing), started
 *      here with the current spec, stopped when the KafkaCluster goes;
 *   8. status: observedGeneration, brokers per Kubernetes cluster, Ready/Reconciling/Degraded, the roll,
 *      the scale (refused: Degraded ScaleRefused naming why; under way: Reconciling Scaling);
 *      while brokers are not ready, look again after `notReadyRequeueMs`;
 *   9. once ready, record every broker's failure domains in the Kafka cluster itself
 *      (core/topology/recorded-topology.ts: its Kubernetes cluster, and its zone from its pod's
 *      topology.kubernetes.io/zone label, else the planned one), so that the KafkaTopic reconciler and
 *      every `kafkaplane` verb find them from the bootstrap address alone; brokers scaled away lose
 *      their records once the scale ended (until then they are registered: read without records, the
 *      self-healer would refuse to place anything). Kafka not answering is logged and tried again after `notReadyRequeueMs`;
 *  10. every broker on spec.kafka.version and no roll running: metadata.version finalized unless
 *      spec.kafka.keepMetadataVersion (an Event when it is raised); status.kafka says where it stands.
 * A Kubernetes cluster that cannot be reached sets Degraded naming it, and the reconcile is retried
 * with backoff (the error goes to the work queue).
 */
export class KafkaClusterReconciler {
  readonly #clusters: KubeClusters
  readonly #log: (line: string) => void
  readonly #notReadyRequeueMs: number
  readonly #connection: Omit<KafkaConnectionOptions, 'bootstrapServers'> | undefined
  readonly #rolls: RollWorkers | undefined
  readonly #heals: HealWorkers | undefined
  readonly #scales: ScaleWorkers | undefined
  readonly #versions: KafkaVersionSteps

  constructor(options: KafkaClusterReconcilerOptions) {
    this.#clusters = options.clusters
    this.#versions = new KafkaVersionSteps(options.clusters, options.connection)
    this.#connection = options.connection
    this.#rolls = options.rolls
    this.#heals = options.heals
    this.#scales = options.scales
    this.#log = options.log
    this.#notReadyRequeueMs = options.notReadyRequeueMs ?? 10_000
  }

  readonly reconcile = async (key: string): Promise<ReconcileOutcome> => {
    const { namespace, name } = splitKey(key)
    const home = this.#clusters.home
    const resource = await readResource(home, KAFKA_CLUSTERS, namespace, name)
    if (!resource) {
      await this.#heals?.forget(key)
      return {}
    }
    const previousContexts = appliedContexts(resource)
    if (resource.metadata.deletionTimestamp) return this.#delete(resource, previousContexts)

    // The KRaft controllers the running cluster has: kept through every scale (a static quorum).
    const running = resource.status?.controllers as number[] | undefined
    const checked = kafkaClusterModel({ metadata: resource.metadata, spec: resource.spec } as KafkaClusterResource, namespace, { controllers: running })
    if (!checked.ok) {
      await applyOwnedMetadata(home, resource, { finalizer: true, annotations: contextsAnnotation(previousContexts) })
      await this.#status(resource, {}, invalidSpec(checked.errors))
      return {}
    }
    const desired = checked.model
    const versionRefused = await this.#versions.checkVersion(desired, bootstrapServers(desired))
    if (versionRefused) {
      await applyOwnedMetadata(home, resource, { finalizer: true, annotations: contextsAnnotation(previousContexts) })
      const said = resource.status?.conditions?.some((c: { type: string; message?: string }) => c.type === 'Degraded' && c.message === versionRefused.message)
      await this.#status(resource, clusterStatusFields(desired, []), versionRefused)
      if (!said) await this.#event(resource, 'VersionChangeRefused', versionRefused.message, 'Warning')
      this.#log(`KafkaCluster ${key}: ${versionRefused.message}`)
      return versionRefused.reason === 'VersionChangeUnchecked' ? { requeueAfterMs: this.#notReadyRequeueMs } : {}
    }
    const unknown = desired.clusters.filter((c) => !this.#clusters.has(c.context))
    if (unknown.length > 0) {
      await applyOwnedMetadata(home, resource, { finalizer: true, annotations: contextsAnnotation([...new Set([...previousContexts, ...desired.clusters.map((c) => c.context)])].sort()) })
      const standing: Standing = {
        state: 'degraded',
        reason: 'UnknownContext',
        message: unknown.map((c) => `Kubernetes cluster ${c.name} names kubeconfig context ${c.context}, which the operator's kubeconfig lacks (it has ${this.#clusters.contexts().join(', ')})`).join('; ') + '; add the context to the operator\'s kubeconfig or fix spec.topology.clusters[].context',
      }
      await this.#status(resource, clusterStatusFields(desired, []), standing)
      // Looked at again: the remote clusters' kubeconfig (a Secret the kubelet projects into the pod,
      // often applied after the operator started) is read anew for a context not known yet.
      return { requeueAfterMs: this.#notReadyRequeueMs }
    }

    // The TLS listeners' certificates, checked before anything is applied: when a Secret fails its
    // checks nothing changes, and the brokers keep serving the certificates they have.
    const certificates = await this.#listenerCertificates(desired)
    if (!certificates.ok) {
      await applyOwnedMetadata(home, resource, { finalizer: true, annotations: contextsAnnotation(previousContexts) })
      const message = `${certificates.problems.join('; ')}; nothing is applied until then, and the brokers keep the certificates they have`
      const said = resource.status?.conditions?.some((c: { type: string; message?: string }) => c.type === 'Degraded' && c.message === message)
      // What the brokers were last given stays said: they keep serving it.
      const given = resource.status?.listenerCertificates
      await this.#status(resource, { ...clusterStatusFields(desired, []), ...(given === undefined ? {} : { listenerCertificates: given }) }, { state: 'degraded', reason: 'InvalidListenerCertificate', message })
      if (!said) await this.#event(resource, 'InvalidListenerCertificate', message, 'Warning')
      this.#log(`KafkaCluster ${key}: ${message}`)
      // Read again as soon as brokers that are not ready are looked at: the Secret is not watched.
      return { requeueAfterMs: this.#notReadyRequeueMs }
    }

    // Step 5: a scale (brokers joining or leaving) decides how many brokers each StatefulSet has now.
    const current = await this.#currentReplicas(resource, desired)
    const rollActive = this.#rolls?.running(key) === true || (resource.status?.roll as RollStatus | undefined)?.status === 'running'
    const effective = (counts: ReadonlyMap<string, number>) => this.#modelWith(resource, namespace, desired, counts, running)
    const scale = await this.#scales?.ensure(key, {
      resource,
      spec: desired.spec,
      current,
      controllers: running && running.length > 0 ? running : desired.controllers,
      rollActive,
      modelFor: (s) => effective(renderedCounts(desired.spec, current, { ...s, phase: 'moving' })),
      topologyOf: (m) => this.#liveTopology(m),
    })
    const model = effective(await this.#holdShrinks(key, desired, current, renderedCounts(desired.spec, current, scale)))
    const scaling = scale !== undefined && isActive(scale)
    const budgets = await this.#disruptionBudgets(key, model, resource.status?.roll as RollStatus | undefined)
    const manifests = renderKafkaCluster(model, { brokers: budgets.maxUnavailable, controllers: budgets.controllers }, certificates.value)
    const contexts = [...new Set([...previousContexts, ...manifests.map((m) => m.context)])].sort()
    await applyOwnedMetadata(home, resource, { finalizer: true, annotations: contextsAnnotation(contexts) })

    const results: ApplyResult[] = []
    for (const m of manifests) {
      const cluster = this.#clusters.get(m.context)
      try {
        const owned = this.#owned(resource, m, cluster)
        for (const object of owned) results.push(await cluster.applier.apply(object))
        results.push(...(await cluster.applier.prune(namespace, selectorOf(model), PRUNED_KINDS, owned)))
      } catch (err) {
        await this.#status(resource, clusterStatusFields(model, []), unreachable(m, err))
        throw err
      }
    }
    // Contexts no longer in the spec: everything of this KafkaCluster there goes.
    for (const context of previousContexts.filter((c) => !manifests.some((m) => m.context === c) && this.#clusters.has(c))) {
      results.push(...(await this.#clusters.get(context).applier.prune(namespace, selectorOf(model), PRUNED_KINDS, [])))
    }
    if (previousContexts.some((c) => !manifests.some((m) => m.context === c))) {
      await applyOwnedMetadata(home, resource, { finalizer: true, annotations: contextsAnnotation(manifests.map((m) => m.context)) })
    }
    for (const r of results.filter((r) => r.action !== 'noop' || r.tookOver.length > 0)) {
      this.#log(`KafkaCluster ${key}: ${r.object} ${r.action}${r.tookOver.length > 0 ? ` (took back ${r.tookOver.join(', ')})` : ''}`)
    }

    // One change at a time: no roll starts while a scale is under way (a scale waits for a roll).
    let rolling = false
    try {
      if (!scaling) rolling = (await this.#rolls?.ensure(key, model, resource.status?.roll as RollStatus | undefined)) ?? false
    } catch (err) {
      this.#log(`KafkaCluster ${key}: could not look at its pods for a roll (${describeError(err)}); trying again`)
    }
    const { apiVersion, kind, metadata } = resource
    this.#heals?.ensure(key, model, { apiVersion, kind, name, namespace, uid: metadata.uid }, resource.status?.selfHealing as SelfHealingStatus | undefined)
    const sets = await this.#readiness(model, manifests)
    const brokers = brokersStanding(sets)
    const standing = scaleStanding(scale, brokers)
    const certificatesGiven = certificates.value === undefined ? {} : { listenerCertificates: certificates.value.certificates }
    await this.#status(resource, { ...clusterStatusFields(model, sets, budgets), ...certificatesGiven }, standing, scale)
    // While a scale is under way its leaving brokers keep their records, though their pods go: they are
    // registered until its last phase, and the self-healer and the KafkaTopics read them to know them.
    const recorded = scaling ? effective(renderedCounts(desired.spec, current, { ...scale, phase: 'moving' })) : model
    if (brokers.state === 'ready' && !rolling && !(await this.#recordTopology(key, recorded))) return { requeueAfterMs: this.#notReadyRequeueMs }
    if (standing.state !== 'ready' || rolling) return { requeueAfterMs: budgets.deferred ? Math.min(HANDOVER_MS, this.#notReadyRequeueMs) : this.#notReadyRequeueMs }
    if (!(await this.#settleMetadataVersion(key, resource, model))) return { requeueAfterMs: this.#notReadyRequeueMs }
    // A budget handed over: raised once the lowered one is in force. They go round the Kubernetes clusters: look again when the turn passes.
    if (budgets.deferred) return { requeueAfterMs: HANDOVER_MS }
    return budgets.rotating ? { requeueAfterMs: DISRUPTION_TURN_MS } : {}
  }

  /**
   * Step 5's PodDisruptionBudgets, set together for every Kubernetes cluster (core/roll/disruption-budget.ts):
   * safe, for as long as they are in force, for the partitions of the live cluster when some broker runs
   * and Kafka answers, else for the placement policy's worst case (RF - min.insync.replicas of all
   * brokers); a roll's batch being evicted first (in its Kubernetes cluster), the rest given out in
   * turns of DISRUPTION_TURN_MS. A budget handed from one Kubernetes cluster to another is lowered
   * first and raised in a later reconcile (`deferred`, budgetsToWrite), after the pods and Kafka were
   * looked at anew: an eviction the old budget let through meanwhile is counted. Dedicated controllers
   * get budgets of their own by the same rules, for one group: the quorum, which keeps a majority of
   * its voters (`quorumGroup`).
   */
  async #disruptionBudgets(key: string, model: KafkaClusterModel, roll: RollStatus | undefined): Promise<{ maxUnavailable: Map<string, number>; controllers: Map<string, number>; held: Map<string, string>; rotating: boolean; deferred: boolean }> {
    // The roll's batch saved and not yet all evicted: its pods still up (made before the batch started)
    // are reserved in their Kubernetes cluster, so that its own budget does not split the batch.
    const batch = roll?.status === 'running' && roll.current && roll.current.upAt === undefined ? roll.current : undefined
    const brokers = await this.#podsStanding(model, batch, (c) => ({ budget: c.statefulSet, selector: brokerSelector(model), nodes: c.brokers }))
    const brokerIds = model.brokers.map((b) => b.id)
    let groups = [policyGroup(brokerIds, model.placement.replicationFactor, model.placement.minInsyncReplicas)]
    if (this.#connection && brokers.down.size < brokerIds.length) {
      const connection = { ...this.#connection, bootstrapServers: bootstrapServers(model), requestTimeoutMs: 5000, connectTimeoutMs: 2000 }
      const admin = createAdmin(connection, 'kafkaplane-operator')
      try {
        groups = partitionGroups(await describeClusterSnapshot(admin, { bootstrapServers: connection.bootstrapServers }), brokers.down)
      } catch (err) {
        this.#log(`KafkaCluster ${key}: could not read Kafka for the disruption budgets (${describeError(err)}); they follow the placement policy`)
      } finally {
        await admin.close().catch(() => {})
      }
    }
    const turn = Math.floor(Date.now() / DISRUPTION_TURN_MS)
    const clusters = model.clusters.map((c) => ({ name: c.name, brokers: c.brokers.map((b) => b.id) }))
    const wanted = disruptionBudgets({ clusters, down: brokers.down, groups, cap: model.spec.rolling.maxUnavailable, turn, ...(brokers.reserved ? { reserved: brokers.reserved } : {}) })
    const forBrokers = budgetsToWrite(brokers.inForce, wanted.maxUnavailable)
    if (model.dedicatedControllers.length === 0) return { maxUnavailable: forBrokers.write, controllers: new Map(), held: wanted.held, rotating: wanted.rotating, deferred: forBrokers.deferred }

    const withControllers = model.clusters.filter((c) => c.controllerSet)
    const controllers = await this.#podsStanding(model, batch, (c) => (c.controllerSet ? { budget: c.controllerSet.statefulSet, selector: controllerSelector(model), nodes: c.controllerSet.controllers } : undefined))
    const quorum = quorumGroup(model.controllers)
    const forQuorum = disruptionBudgets({
      clusters: withControllers.map((c) => ({ name: c.name, brokers: c.controllerSet!.controllers.map((x) => x.id) })),
      down: controllers.down,
      groups: [quorum],
      cap: quorum.spare,
      turn,
      ...(controllers.reserved ? { reserved: controllers.reserved } : {}),
    })
    const forControllers = budgetsToWrite(controllers.inForce, forQuorum.maxUnavailable)
    return {
      maxUnavailable: forBrokers.write,
      controllers: forControllers.write,
      held: wanted.held,
      rotating: wanted.rotating || forQuorum.rotating,
      deferred: forBrokers.deferred || forControllers.deferred,
    }
  }

  /**
   * The pods of one kind (brokers, or dedicated controllers) in every Kubernetes cluster: which are down
   * (evicted, being deleted, not ready, not made yet: from the pods themselves, not the StatefulSet's
   * status, which lags), the PodDisruptionBudgets in force, and the roll's batch still to evict.
   */
  async #podsStanding(
    model: KafkaClusterModel,
    batch: { ids: readonly number[]; startedAt: number } | undefined,
    kind: (c: KafkaClusterModel['clusters'][number]) => { budget: string; selector: Record<string, string>; nodes: readonly { id: number; pod: string }[] } | undefined,
  ): Promise<{ down: Set<number>; inForce: Map<string, number>; reserved: { cluster: string; count: number } | undefined }> {
    const down = new Set<number>()
    const inForce = new Map<string, number>()
    let reserved: { cluster: string; count: number } | undefined
    for (const c of model.clusters) {
      const set = kind(c)
      if (!set) continue
      const cluster = this.#clusters.has(c.context) ? this.#clusters.get(c.context) : undefined
      const pods = await cluster?.core.listNamespacedPod({ namespace: model.namespace, labelSelector: Object.entries(set.selector).map(([k, v]) => `${k}=${v}`).join(',') }).catch(() => undefined)
      const up = (pods?.items ?? []).filter((p) => set.nodes.some((n) => n.pod === p.metadata?.name) && !p.metadata?.deletionTimestamp && p.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True'))
      for (const n of set.nodes) if (!up.some((p) => p.metadata?.name === n.pod)) down.add(n.id)
      if (batch) {
        const batchPods = new Set(set.nodes.filter((n) => batch.ids.includes(n.id)).map((n) => n.pod))
        const toEvict = up.filter((p) => batchPods.has(p.metadata?.name ?? '') && new Date(p.metadata?.creationTimestamp ?? 0).getTime() < batch.startedAt).length
        if (toEvict > 0) reserved = { cluster: c.name, count: toEvict }
      }
      const pdb = await cluster?.applier.read<V1PodDisruptionBudget>({ apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: set.budget, namespace: model.namespace } }).catch(() => undefined)
      if (typeof pdb?.spec?.maxUnavailable === 'number') inForce.set(c.name, pdb.spec.maxUnavailable)
    }
    return { down, inForce, reserved }
  }

  /**
   * Every broker's failure domains: its Kubernetes cluster, and its zone from its pod's
   * topology.kubernetes.io/zone label, else the planned one.
   */
  async #liveTopology(model: KafkaClusterModel): Promise<Topology> {
    const brokers = []
    for (const c of model.clusters) {
      for (const b of c.brokers) {
        const pod = await this.#clusters.get(c.context).applier.read<V1Pod>({ apiVersion: 'v1', kind: 'Pod', metadata: { name: b.pod, namespace: model.namespace } })
        const planned = model.topology.brokers.find((t) => t.id === b.id)!.labels
        brokers.push({ id: b.id, labels: { ...planned, zone: pod?.metadata?.labels?.[ZONE_LABEL] ?? planned.zone! } })
      }
    }
    return { dimensions: model.topology.dimensions, brokers }
  }

  /** Each StatefulSet's replicas now (undefined: it does not exist); a Kubernetes cluster not answering fails the reconcile. */
  async #currentReplicas(resource: CustomResource, model: KafkaClusterModel): Promise<Map<string, number | undefined>> {
    const current = new Map<string, number | undefined>()
    for (const c of model.clusters) {
      try {
        const set = await this.#clusters.get(c.context).applier.read<V1StatefulSet>({ apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: c.statefulSet, namespace: model.namespace } })
        current.set(c.name, set?.spec?.replicas)
      } catch (err) {
        await this.#status(resource, clusterStatusFields(model, []), unreachable({ cluster: c.name, context: c.context }, err))
        throw err
      }
    }
    return current
  }

  /**
   * Step 5's last word before a StatefulSet shrinks: the brokers it takes away must hold no replica in
   * the partitions read from Kafka now, else it keeps its pods (src/kube/model/scale.ts holdShrinks;
   * the scale worker then drains them again). Kafka not answering holds every shrink.
   */
  async #holdShrinks(key: string, model: KafkaClusterModel, current: ReadonlyMap<string, number | undefined>, counts: Map<string, number>): Promise<Map<string, number>> {
    if (!this.#connection || shrinking(model.spec, counts, current).size === 0) return counts
    const connection = { ...this.#connection, bootstrapServers: bootstrapServers(model) }
    const admin = createAdmin(connection, 'kafkaplane-operator')
    let partitions: ClusterSnapshot['partitions'] | undefined
    try {
      partitions = (await describeClusterSnapshot(admin, { bootstrapServers: connection.bootstrapServers })).partitions
    } catch (err) {
      this.#log(`KafkaCluster ${key}: could not read Kafka before shrinking a StatefulSet (${describeError(err)})`)
    } finally {
      await admin.close().catch(() => {})
    }
    const held = holdShrinks(model.spec, counts, current, partitions)
    for (const h of held.held) this.#log(`KafkaCluster ${key}: the StatefulSet of ${h.cluster} keeps its pods: ${h.reason}`)
    return held.counts
  }

  /** The model with each StatefulSet's broker count as `counts` says (the same model when nothing differs). */
  #modelWith(resource: CustomResource, namespace: string, desired: KafkaClusterModel, counts: ReadonlyMap<string, number>, controllers: readonly number[] | undefined): KafkaClusterModel {
    if (desired.clusters.every((c) => counts.get(c.name) === c.brokers.length)) return desired
    const spec = withCounts(desired.spec, counts)
    const checked = kafkaClusterModel({ metadata: resource.metadata, spec } as KafkaClusterResource, namespace, { controllers })
    // The counts lie between the StatefulSets' and the spec's, both valid: a failure here is a bug.
    if (!checked.ok) throw new Error(`the model with the scale's broker counts is invalid: ${checked.errors.map((e) => e.message).join('; ')}`)
    return checked.model
  }

  /** Step 9: true when recorded (or nothing to record with), false to try again. */
  async #recordTopology(key: string, model: KafkaClusterModel): Promise<boolean> {
    if (!this.#connection) return true
    const topology = await this.#liveTopology(model)
    const connection = { ...this.#connection, bootstrapServers: bootstrapServers(model) }
    const admin = createAdmin(connection, 'kafkaplane-operator')
    try {
      const { added, removed } = await recordTopology(admin, connection.bootstrapServers, topology)
      if (added + removed > 0) this.#log(`KafkaCluster ${key}: failure domains recorded in Kafka (${added} records added, ${removed} removed)`)
      return true
    } catch (err) {
      this.#log(`KafkaCluster ${key}: could not record the failure domains in Kafka (${describeError(err)}); trying again`)
      return false
    } finally {
      await admin.close().catch(() => {})
    }
  }

  /** Step 10: true when settled (or nothing to do), false to try again. */
  async #settleMetadataVersion(key: string, resource: CustomResource, model: KafkaClusterModel): Promise<boolean> {
    try {
      const { status, finalized } = await this.#versions.settleMetadataVersion(model, bootstrapServers(model))
      if (finalized) {
        this.#log(`KafkaCluster ${key}: ${finalized}`)
        await this.#event(resource, 'MetadataVersionFinalized', finalized)
      }
      if (JSON.stringify(resource.status?.kafka) !== JSON.stringify(status)) {
        await this.#clusters.home.custom.patchNamespacedCustomObjectStatus(
          { group: API_GROUP, version: API_VERSION, namespace: model.namespace, plural: KAFKA_CLUSTERS.plural, name: model.name, body: [{ op: 'add', path: '/status/kafka', value: status }] },
          setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
        )
      }
      return true
    } catch (err) {
      this.#log(`KafkaCluster ${key}: could not settle the metadata.version (${describeError(err)}); trying again`)
      return false
    }
  }

  /**
   * The TLS listeners' Secrets, read by name in the KafkaCluster's namespace of the home cluster and
   * checked (model/listener-certificates.ts); none when it has no TLS listener.
   */
  async #listenerCertificates(model: KafkaClusterModel): Promise<CertificatesResult | { ok: true; value: undefined }> {
    if (model.tlsListeners.length === 0) return { ok: true, value: undefined }
    const secrets = new Map<string, SecretData | undefined>()
    for (const name of new Set(model.tlsListeners.map((l) => l.secretName))) {
      try {
        secrets.set(name, (await this.#clusters.home.core.readNamespacedSecret({ name, namespace: model.namespace })).data ?? {})
      } catch (err) {
        if (!(err instanceof ApiException && err.code === 404)) throw err
        secrets.set(name, undefined)
      }
    }
    return listenerCertificates(model.tlsListeners, secrets, model.namespace, new Date())
  }

  async #event(resource: CustomResource, reason: string, message: string, type: 'Normal' | 'Warning' = 'Normal'): Promise<void> {
    const { apiVersion, kind, metadata } = resource
    await recordEvent(this.#clusters.home, { apiVersion, kind, name: metadata.name, namespace: metadata.namespace, uid: metadata.uid }, reason, message.slice(0, 1000), type).catch((err: unknown) =>
      this.#log(`could not write the Event of KafkaCluster ${metadata.namespace}/${metadata.name} (${describeError(err)})`),
    )
  }

  /** The rendered objects, with an owner reference to the KafkaCluster in the home cluster. */
  #owned(resource: CustomResource, manifests: ClusterManifests, cluster: KubeCluster): KubernetesObject[] {
    if (cluster.context !== this.#clusters.home.context) return manifests.objects
    const owner: V1OwnerReference = { apiVersion: resource.apiVersion, kind: resource.kind, name: resource.metadata.name, uid: resource.metadata.uid, controller: true, blockOwnerDeletion: true }
    return manifests.objects.map((o) => ({ ...o, metadata: { ...o.metadata, ownerReferences: [owner] } }))
  }

  async #readiness(model: KafkaClusterModel, manifests: readonly ClusterManifests[]): Promise<StatefulSetReadiness[]> {
    const sets: StatefulSetReadiness[] = []
    for (const m of manifests) {
      const cluster = this.#clusters.get(m.context)
      const planned = model.clusters.find((c) => c.name === m.cluster)!
      const read = (name: string) => cluster.applier.read<V1StatefulSet>({ apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name, namespace: model.namespace } })
      if (planned.controllerSet) {
        const set = await read(planned.controllerSet.statefulSet)
        sets.push({ cluster: m.cluster, name: planned.controllerSet.statefulSet, role: 'controller', replicas: planned.controllerSet.controllers.length, readyReplicas: set?.status?.readyReplicas })
      }
      const set = await read(planned.statefulSet)
      sets.push({ cluster: m.cluster, name: planned.statefulSet, role: 'broker', replicas: planned.brokers.length, readyReplicas: set?.status?.readyReplicas })
    }
    return sets
  }

  async #delete(resource: CustomResource, contexts: readonly string[]): Promise<ReconcileOutcome> {
    if (!hasFinalizer(resource)) return {}
    const { namespace, name } = resource.metadata
    await this.#heals?.forget(`${namespace}/${name}`)
    const selector = clusterSelector({ name })
    const everywhere = [...new Set([this.#clusters.home.context, ...contexts])].filter((c) => this.#clusters.has(c))
    for (const context of everywhere) {
      const removed = await this.#clusters.get(context).applier.prune(namespace, { ...selector, 'app.kubernetes.io/managed-by': 'kafkaplane' }, PRUNED_KINDS, [])
      for (const r of removed) this.#log(`KafkaCluster ${namespace}/${name} deleted: ${r.object} ${r.action} (context ${context})`)
    }
    await applyOwnedMetadata(this.#clusters.home, resource, { finalizer: false })
    return {}
  }

  async #status(resource: CustomResource, fields: Record<string, unknown>, standing: Standing, scale?: ScaleStatus): Promise<void> {
    const key = `${resource.metadata.namespace}/${resource.metadata.name}`
    // status.roll is the roll workers' alone (they write it in order as the roll goes): kept as it was
    // read, so that this merge patch never carries it (an older state landing after a newer one).
    // status.scale likewise while a scale worker runs; else it is what this reconcile decided (a scale
    // refused or waiting, the last one finished; one the spec no longer asks for goes).
    const scaleNow = this.#scales ? (this.#scales.status(key) ? resource.status?.scale : scale) : resource.status?.scale
    // status.kafka is step 10's: kept as it last said, without its version once the spec asks for another.
    const kafka = resource.status?.kafka as KafkaVersionStatus | undefined
    const wanted = (resource.spec as { kafka?: { version?: string } } | undefined)?.kafka?.version
    const { version, ...rest } = kafka ?? {}
    const kafkaNow = kafka === undefined ? undefined : version === wanted ? kafka : rest
    // The controllers the cluster runs with are kept (an invalid spec writes no new ones).
    // status.selfHealing is the self-healer's alone, as status.roll is the roll workers'.
    const kept = { controllers: resource.status?.controllers, roll: resource.status?.roll, selfHealing: resource.status?.selfHealing, scale: scaleNow, kafka: kafkaNow }
    const carried = Object.fromEntries(Object.entries(kept).filter(([, v]) => v !== undefined).map(([k, v]) => [k, JSON.parse(JSON.stringify(v))]))
    await writeStatus(this.#clusters.home, KAFKA_CLUSTERS, resource, { ...carried, ...fields }, standing)
  }
}

function selectorOf(model: KafkaClusterModel): Record<string, string> {
  return { ...clusterSelector(model), 'app.kubernetes.io/managed-by': 'kafkaplane' }
}

function appliedContexts(resource: CustomResource): string[] {
  return (resource.metadata.annotations?.[CONTEXTS_ANNOTATION] ?? '').split(',').filter(Boolean)
}

function contextsAnnotation(contexts: readonly string[]): Record<string, string> {
  return contexts.length === 0 ? {} : { [CONTEXTS_ANNOTATION]: [...contexts].sort().join(',') }
}

/** Degraded with every problem of the spec, each with its field and fix. */
export function invalidSpec(problems: readonly FieldProblem[]): Standing {
  return { state: 'degraded', reason: 'InvalidSpec', message: problems.map((p) => `${p.message} (fix: ${p.fix})`).join('; ') }
}

function unreachable(m: Pick<ClusterManifests, 'cluster' | 'context'>, err: unknown): Standing {
  const status = err instanceof ApiException ? ` (HTTP ${err.code})` : ''
  const body = err instanceof ApiException ? apiMessage(err.body) : describeError(err)
  return {
    state: 'degraded',
    reason: 'ApplyFailed',
    message: `could not apply the objects of Kubernetes cluster ${m.cluster} through context ${m.context}${status}: ${body}; check that the cluster is reachable, the namespace exists there and the operator may write to it`,
  }
}
