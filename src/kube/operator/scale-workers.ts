import { randomUUID } from 'node:crypto'
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node'
import type { Admin } from '@platformatic/kafka'
import { isKafkaplaneError } from '../../core/errors.ts'
import type { Topology } from '../../core/topology/topology.ts'
import type { ExecutorEvent } from '../../executor/executor.ts'
import { DEFAULT_THROTTLE_BYTES_PER_SECOND, type PlanState } from '../../executor/plan-state.ts'
import { anyConnection, createAdmin } from '../../kafka/connection.ts'
import type { KafkaConnectionOptions } from '../../kafka/connection-options.ts'
import { describeRegisteredBrokers } from '../../kafka/describe-cluster.ts'
import { describeClusterSnapshot } from '../../kafka/describe-cluster-snapshot.ts'
import { setCordoned } from '../../kafka/cordon-brokers.ts'
import { KafkaExecutorCluster } from '../../kafka/executor-cluster.ts'
import { unregisterBroker } from '../../kafka/unregister-broker.ts'
import { planBrokerChanges, type BrokerChangeRefusal } from '../../operations/broker-changes.ts'
import { readLiveCluster } from '../../operations/live-cluster.ts'
import { PlanRunner } from '../../operations/plan-runner.ts'
import { systemClock } from '../../operations/system-clock.ts'
import { API_GROUP, API_VERSION } from '../crds/crd.ts'
import type { KafkaClusterSpec } from '../crds/kafka-cluster.ts'
import type { KafkaClusterModel } from '../model/kafka-cluster-model.ts'
import { parseQuantity } from '../model/quantity.ts'
import { brokersLine, controllerRefusal, isActive, mayRemovePods, scaleChange, type ScaleStatus } from '../model/scale.ts'
import { bootstrapServers } from './bootstrap-servers.ts'
import { clusterPlanFile } from './cluster-plan-file.ts'
import { KAFKA_CLUSTERS, type CustomResource } from './custom-resources.ts'
import { recordEvent } from './events.ts'
import type { KubeClusters } from './kube-clients.ts'
import { describeError } from './supervised-informer.ts'

export interface ScaleWorkersOptions {
  clusters: KubeClusters
  /** TLS and SASL of the Kafka clusters. */
  connection: Omit<KafkaConnectionOptions, 'bootstrapServers'>
  /** Where each KafkaCluster's scale plan is kept (`<stateDir>/clusters/<namespace>.<name>.json`). */
  stateDir: string
  log: (line: string) => void
  /** The throttle when spec.scaling.throttle is absent, bytes/s per broker (default 50 MiB/s). */
  throttleBytesPerSecond?: number
  /** How often brokers and the plan are looked at (default 1 s). */
  pollMs?: number
  /** A refused scale with an unchanged spec is looked at again this often (default 5 min): topics may have changed. */
  recheckMs?: number
}

/** What the reconciler knows of a KafkaCluster when it asks for its scale. */
export interface ScaleRequest {
  resource: CustomResource
  /** The spec as the user wants it (validated). */
  spec: KafkaClusterSpec
  /** Each StatefulSet's replicas now (undefined: it does not exist). */
  current: ReadonlyMap<string, number | undefined>
  /** The KRaft controllers the cluster runs with. */
  controllers: readonly number[]
  /** A rolling restart runs: a new scale waits for it (one change at a time). */
  rollActive: boolean
  /** The model with a scale's counts: its brokers joining and leaving are all in it. */
  modelFor(scale: ScaleStatus): KafkaClusterModel
  /** The failure domains of a model's brokers (the pods' real zones). */
  topologyOf(model: KafkaClusterModel): Promise<Topology>
}

/**
 * The operator's scaling, run outside the reconcile (moving data takes minutes to hours), at most one
 * per KafkaCluster, its state in status.scale (src/kube/model/scale.ts) and its plan in a state file:
 *   1. The reconciler calls `ensure` before it renders. A scale under way (status.scale in an active
 *      phase: the operator restarted) is resumed from its phase. Else, when the spec's broker counts
 *      differ from the StatefulSets' replicas (`scaleChange`), a scale starts, unless a rolling
 *      restart runs (phase waiting: one change at a time) or a KRaft controller would leave (refused).
 *   2. starting-brokers: the reconciler grew the StatefulSets; wait until every joining broker is
 *      registered and unfenced, then uncordon it (an id that left in an earlier scale down keeps its
 *      cordon in the cluster's metadata, and Kafka refuses to move data to a cordoned broker).
 *   3. moving: one plan (src/operations/broker-changes.ts, as `kafkaplane brokers add|remove`) gives the
 *      joining brokers a fair share and drains the leaving ones, spread kept on every dimension; run
 *      by the PlanRunner (throttled at spec.scaling.throttle, saved after every step, resumed by the
 *      next operator). Refused (nothing changed) when fewer brokers than a topic's replication factor
 *      would be left, or survivability would be lost without spec.scaling.allowLessSurvivable. When it
 *      ends, a leaving broker that still holds a replica (a partition created meanwhile) gets another plan.
 *      spec.scaling.throttle changed meanwhile throttles the running plan (and a resumed one) at once,
 *      with a ScaleThrottleChanged Event.
 *   4. removing-pods: the leaving brokers hold nothing; the reconciler shrinks the StatefulSets (their
 *      pods go; it checks the partitions once more just before) and prunes their Services; wait until
 *      none of them is registered and unfenced.
 *   5. unregistering: their registrations are removed from KRaft (UnregisterBroker); finished.
 *   From metadata.version 4.3-IV0 on, the leaving brokers are cordoned (KIP-1066, cordoned.log.dirs=*)
 *   once their drain is decided: Kafka's own placement (a topic another tool creates) leaves them out,
 *   and Kafka refuses an assignment naming them; status.scale.cordon says so, or why not. The config
 *   outlives the broker, so brokers joining are uncordoned before data moves to them (2).
 *   In 4 and 5, a leaving broker that holds a replica again (below 4.3-IV0, a topic created on it since
 *   its drain) sends the scale back to 3: its StatefulSet grows back, its pod returns with its volume,
 *   it is drained again. kafkaplane's placements (the self-healer's, a KafkaTopic's) never put a
 *   replica on a leaving broker.
 * Every phase change is written to status.scale (which makes the reconciler look again); the start,
 * the end and a refusal are Kubernetes Events on the KafkaCluster. A request that fails leaves the
 * phase as it is, with the problem said, and a later reconcile resumes it. `stop` aborts every scale
 * between two steps (moves in flight go on, throttled) and waits for them.
 */
export class ScaleWorkers {
  readonly #options: ScaleWorkersOptions
  readonly #running = new Map<string, { status: ScaleStatus; done: Promise<void> }>()
  /**
   * The last status of each scale that ran here: newer than a status.scale a reconcile read before the
   * scale's last write landed (which would resume a scale that just ended).
   */
  readonly #ended = new Map<string, ScaleStatus>()
  readonly #abort = new AbortController()
  /** Each running scale's throttle as the KafkaCluster's spec says now (spec.scaling.throttle): its plan follows it. */
  readonly #throttles = new Map<string, number>()

  constructor(options: ScaleWorkersOptions) {
    this.#options = options
  }

  /** status.scale as this operator knows it now: the running scale's, else undefined. */
  status(key: string): ScaleStatus | undefined {
    return this.#running.get(key)?.status
  }

  /**
   * Step 1. Returns the scale of this reconcile (under way, waiting or refused), or undefined when the
   * spec asks for no scale and none is under way.
   */
  async ensure(key: string, request: ScaleRequest): Promise<ScaleStatus | undefined> {
    const running = this.#running.get(key)
    if (running) {
      this.#throttles.set(key, throttleOf(request.spec, this.#options.throttleBytesPerSecond))
      return running.status
    }
    const saved = this.#ended.get(key) ?? (request.resource.status?.scale as ScaleStatus | undefined)
    const stopping = this.#abort.signal.aborted
    if (saved && isActive(saved)) return stopping ? saved : this.#start(key, request, { ...saved, problem: undefined }, `resuming scale ${saved.scaleId} (${saved.phase})`)
    const change = scaleChange(request.spec, request.current)
    // Nothing to change: the last scale is shown while it is the finished one.
    if (!change) return saved?.phase === 'finished' ? saved : undefined
    const generation = request.resource.metadata.generation ?? 0
    const same = saved !== undefined && JSON.stringify(saved.to) === JSON.stringify(change.to) && JSON.stringify(saved.from) === JSON.stringify(change.from)
    const base = same ? saved : { scaleId: randomUUID().slice(0, 8), generation, startedAt: new Date().toISOString(), ...change }
    const scale: ScaleStatus = { ...base, generation, ...change, phase: 'starting-brokers', message: '' }
    delete scale.reason
    delete scale.problem
    delete scale.cordon
    delete scale.finishedAt
    if (request.rollActive) {
      return { ...scale, phase: 'waiting', message: `waiting for the rolling restart to finish (one change at a time): then ${describeChange(scale)}` }
    }
    // Not started, and the StatefulSets keep their size (a scale must never shrink one undrained).
    if (stopping) return { ...scale, phase: 'waiting', message: `the operator is stopping: the next one starts the scale (${describeChange(scale)})` }
    const byController = controllerRefusal(change, request.controllers)
    if (byController) return this.#refused(key, request.resource, scale, saved, 'ControllerRemoved', byController)
    // A refusal decided on Kafka's state is looked at again when the spec changes, or after recheckMs.
    const recheck = this.#options.recheckMs ?? 5 * 60_000
    if (same && saved.phase === 'refused' && saved.generation === generation && Date.now() - Date.parse(saved.startedAt) < recheck) return saved
    scale.startedAt = new Date().toISOString()
    scale.phase = change.adding.length > 0 ? 'starting-brokers' : 'moving'
    return this.#start(key, request, scale, `scale ${scale.scaleId} started: ${describeChange(scale)}`)
  }

  /** Aborts every scale between two steps and waits for them (operator shutdown): status.scale keeps each. */
  async stop(): Promise<void> {
    this.#abort.abort()
    await Promise.all([...this.#running.values()].map((r) => r.done))
  }

  #start(key: string, request: ScaleRequest, scale: ScaleStatus, line: string): ScaleStatus {
    const status: ScaleStatus = { ...scale, message: scale.message || line }
    const entry = { status, done: Promise.resolve() }
    this.#running.set(key, entry)
    this.#throttles.set(key, throttleOf(request.spec, this.#options.throttleBytesPerSecond))
    this.#options.log(`KafkaCluster ${key}: ${line}`)
    // Brokers joining change something at once (the StatefulSets grow); a drain only once its plan is made.
    if (!line.startsWith('resuming') && scale.adding.length > 0) void this.#started(request, scale)
    entry.done = this.#run(key, request, status).finally(() => {
      this.#ended.set(key, structuredClone(status))
      this.#running.delete(key)
      this.#throttles.delete(key)
    })
    return status
  }

  async #started(request: ScaleRequest, scale: ScaleStatus): Promise<void> {
    await this.#event(request.resource, 'ScaleStarted', `scale ${scale.scaleId} started: ${describeChange(scale)}; data moves throttled at ${throttleOf(request.spec, this.#options.throttleBytesPerSecond)} B/s per broker`)
  }

  async #refused(key: string, resource: CustomResource, scale: ScaleStatus, saved: ScaleStatus | undefined, reason: string, refusal: { message: string; fix: string }): Promise<ScaleStatus> {
    const message = `scale refused, nothing changed: ${refusal.message} (fix: ${refusal.fix})`
    const status: ScaleStatus = { ...scale, phase: 'refused', reason, message }
    if (saved?.phase !== 'refused' || saved.message !== message) {
      this.#options.log(`KafkaCluster ${key}: ${message}`)
      await this.#event(resource, 'ScaleRefused', message, 'Warning')
    }
    return status
  }

  async #run(key: string, request: ScaleRequest, status: ScaleStatus): Promise<void> {
    const signal = this.#abort.signal
    const model = request.modelFor(status)
    const connection: KafkaConnectionOptions = { ...this.#options.connection, bootstrapServers: bootstrapServers(model) }
    const admin = createAdmin(connection, 'kafkaplane-operator-scaler')
    const pollMs = this.#options.pollMs ?? 1000
    const publish = async (change: Partial<ScaleStatus>) => {
      if ((change.phase !== undefined && change.phase !== status.phase) || (change.message !== undefined && change.message !== status.message && !change.message.startsWith('moving:'))) {
        this.#options.log(`KafkaCluster ${key}: scale ${status.scaleId} ${change.phase ?? status.phase}: ${change.message ?? status.message}`)
      }
      Object.assign(status, change)
      await this.#writeStatus(key, status).catch((err) => this.#options.log(`KafkaCluster ${key}: could not write status.scale (${describeError(err)})`))
    }
    try {
      await publish({})
      while (!signal.aborted) {
        if (status.phase === 'starting-brokers') {
          const unfenced = await this.#unfenced(admin, connection)
          const waiting = status.adding.filter((id) => !unfenced.has(id))
          if (waiting.length === 0) {
            // An id that left in an earlier scale down may come back cordoned (its config outlives it).
            const lifted = await setCordoned(admin, status.adding, false)
            if (lifted.kind === 'done' && lifted.failures.length > 0) {
              const message = `waiting to uncordon ${lifted.failures.map((f) => `broker ${f.broker} (${f.message})`).join(', ')}: Kafka refuses a reassignment onto a cordoned broker`
              if (status.message !== message) await publish({ message })
              await sleep(pollMs, signal)
              continue
            }
            await publish({ phase: 'moving', message: `${brokersLine(status.adding)} registered: planning the moves` })
            continue
          }
          const message = `waiting for ${brokersLine(waiting)} to register, unfenced (their pods are starting)`
          if (status.message !== message) await publish({ message })
          await sleep(pollMs, signal)
        } else if (status.phase === 'moving') {
          const outcome = await this.#move(key, request, model, admin, connection, status, publish)
          if (outcome === 'stop') return
          if (outcome === 'again') await sleep(pollMs * 5, signal)
        } else if ((status.phase === 'removing-pods' || status.phase === 'unregistering') && !(await this.#stillDrained(admin, connection, status, publish))) {
          continue
        } else if (status.phase === 'removing-pods') {
          const unfenced = await this.#unfenced(admin, connection)
          const left = status.removing.filter((id) => unfenced.has(id))
          if (left.length === 0) {
            await publish({ phase: 'unregistering', message: `the pods of ${brokersLine(status.removing)} are gone: unregistering them` })
            continue
          }
          const message = `${brokersLine(status.removing)} hold no replica: waiting for the pods of ${brokersLine(left)} to go (StatefulSets shrunk)`
          if (status.message !== message) await publish({ message })
          await sleep(pollMs, signal)
        } else if (status.phase === 'unregistering') {
          const connectionToAny = await anyConnection(admin, connection.bootstrapServers)
          for (const id of status.removing) await unregisterBroker(connectionToAny, id)
          await this.#finish(key, request, status, publish)
          return
        } else {
          return
        }
      }
    } catch (err) {
      const problem = isKafkaplaneError(err) ? `${err.message} (${err.fix})` : describeError(err)
      this.#options.log(`KafkaCluster ${key}: scale ${status.scaleId} (${status.phase}) met a problem: ${problem}; resumed on a later reconcile`)
      await publish({ problem: `${problem}; resumed on a later reconcile` })
    } finally {
      await admin.close().catch(() => {})
    }
  }

  /** Step 3; `next` when the phase moved on, `again` to look again, `stop` when this run ends. */
  async #move(
    key: string,
    request: ScaleRequest,
    model: KafkaClusterModel,
    admin: Admin,
    connection: KafkaConnectionOptions,
    status: ScaleStatus,
    publish: (change: Partial<ScaleStatus>) => Promise<void>,
  ): Promise<'next' | 'again' | 'stop'> {
    const kafka = new KafkaExecutorCluster(admin, connection)
    const live = await readLiveCluster(kafka, await request.topologyOf(model))
    let onProgress: ((event: ExecutorEvent) => void) | undefined
    const runner = await PlanRunner.open({ cluster: kafka, stateFile: this.#stateFile(key), clock: systemClock, onEvent: (event) => onProgress?.(event) })
    const left = await runner.clearThrottlesLeft(live.clusterId)
    if (left && left.cleared.length > 0) this.#options.log(`KafkaCluster ${key}: removed the throttle rate plan ${left.plan.planId} left on broker ${left.cleared.join(', ')}`)
    let refusal: BrokerChangeRefusal | undefined
    const spec = request.spec
    const start = await runner.start(
      {
        operation: `KafkaCluster ${key} scale ${status.scaleId}`,
        clusterId: live.clusterId,
        snapshot: live.snapshot,
        sizeOf: (k) => live.sizes.get(k),
        throttleBytesPerSecond: throttleOf(spec, this.#options.throttleBytesPerSecond),
      },
      async () => {
        const planned = planBrokerChanges(live, {
          adding: status.adding,
          leaving: status.removing,
          allowLessSurvivable: spec.scaling.allowLessSurvivable,
          optIn: 'set spec.scaling.allowLessSurvivable: true',
        })
        if (planned.ok) {
          for (const line of planned.lessSurvivable) this.#options.log(`KafkaCluster ${key}: ${line} (accepted: spec.scaling.allowLessSurvivable)`)
          return planned.proposals
        }
        refusal = planned.refusal
        return undefined
      },
    )
    let state: PlanState | undefined
    switch (start.kind) {
      case 'declined': {
        // Refused when planned again after a drain had cordoned them: the brokers stay, Kafka may place on them again.
        if (status.cordon !== undefined && !status.cordon.startsWith('not ')) {
          await setCordoned(admin, status.removing, false).catch(() => undefined)
          delete status.cordon
        }
        const refused = await this.#refused(key, request.resource, status, this.#ended.get(key) ?? (request.resource.status?.scale as ScaleStatus | undefined), refusal!.reason, refusal!)
        await publish(refused)
        return 'stop'
      }
      case 'other-plan':
        await publish({ problem: `an unfinished plan of another operation (${start.state.operation}, plan ${start.state.planId}) is kept in ${runner.stateFile}; waiting for it` })
        return 'again'
      case 'foreign': {
        const [first] = start.reassignments
        await publish({ message: `waiting: ${start.reassignments.length} reassignment(s) not started by this operator are in progress (e.g. ${first!.topic}-${first!.partition}); kafka-reassign-partitions --list shows them` })
        return 'again'
      }
      case 'nothing':
        break
      case 'new':
        if (status.adding.length === 0) await this.#started(request, status)
        state = start.state
        break
      case 'continue':
        state = start.state
    }
    if (status.removing.length > 0 && status.cordon === undefined) await this.#cordon(key, admin, status, publish)
    if (state) {
      await publish({ planId: state.planId, moves: state.moves.length, moved: state.done.length, message: `moving: plan ${state.planId}, ${state.done.length} of ${state.moves.length} partitions moved`, problem: undefined })
      let lastWrite = 0
      onProgress = (event) => {
        if (event.type === 'throttle-changed') {
          this.#options.log(`KafkaCluster ${key}: scale ${status.scaleId}: plan ${state!.planId} throttled at ${event.toBytesPerSecond} B/s per broker (was ${event.fromBytesPerSecond}): spec.scaling.throttle changed`)
          void this.#event(request.resource, 'ScaleThrottleChanged', `scale ${status.scaleId}: its moves throttled at ${event.toBytesPerSecond} B/s per broker (was ${event.fromBytesPerSecond}), as spec.scaling.throttle says now`)
        }
        if (event.type !== 'progress' || Date.now() - lastWrite < 5000) return
        lastWrite = Date.now()
        const p = event.progress.partitions
        void publish({ moved: p.done, message: `moving: plan ${state!.planId}, ${p.done} of ${state!.moves.length} partitions moved, ${p['in-flight']} in flight${event.progress.etaSeconds === undefined ? '' : `, ETA ${Math.ceil(event.progress.etaSeconds)} s`}` })
      }
      const result = await runner.run(state, { pollMs: this.#options.pollMs ?? 1000, signal: this.#abort.signal, throttle: () => this.#throttles.get(key) })
      if (result.status === 'interrupted') return 'stop'
      if (result.status === 'waiting') {
        await publish({ moved: result.moved, message: `waiting: ${result.moved} of ${state.moves.length} partitions moved; the rest need ${brokersLine(result.waitsFor)}, not registered` })
        return 'again'
      }
      await publish({ moved: result.moved, message: `plan ${state.planId} finished: ${result.moved} partitions moved in ${(result.elapsedMs / 1000).toFixed(1)} s` })
      this.#options.log(`KafkaCluster ${key}: scale ${status.scaleId}: plan ${state.planId} finished, ${result.moved} partitions moved`)
    }
    if (status.removing.length === 0) {
      await this.#finish(key, request, status, publish)
      return 'stop'
    }
    const snapshot = await describeClusterSnapshot(admin, { bootstrapServers: connection.bootstrapServers })
    const drained = mayRemovePods(snapshot.partitions, status.removing)
    if (!drained.ok) {
      // A partition created or moved meanwhile: another plan drains it.
      await publish({ message: `${brokersLine(status.removing)} still hold replicas of ${drained.holding} partitions (e.g. ${drained.example}): planning again` })
      return 'again'
    }
    await publish({ phase: 'removing-pods', message: `${brokersLine(status.removing)} hold no replica: shrinking the StatefulSets` })
    return 'next'
  }

  /**
   * Step 3, once the drain is decided: the leaving brokers cordoned (KIP-1066), so that Kafka's own
   * placement (a topic another tool creates) leaves them out until they go, and Kafka refuses an
   * assignment naming them; said in status.scale.cordon. Below metadata.version 4.3-IV0 Kafka cannot:
   * said, and a replica put on them after the drain is drained again (#stillDrained). A broker that did
   * not take it is tried again at the next plan.
   */
  async #cordon(key: string, admin: Admin, status: ScaleStatus, publish: (change: Partial<ScaleStatus>) => Promise<void>): Promise<void> {
    const outcome = await setCordoned(admin, status.removing, true)
    if (outcome.kind === 'unsupported') {
      await publish({ cordon: `not cordoned: ${outcome.reason}; a topic another tool creates on them after their drain is drained again` })
    } else if (outcome.failures.length === 0) {
      await publish({ cordon: `${brokersLine(status.removing)} cordoned (cordoned.log.dirs=*): Kafka places no new partition on them and refuses an assignment naming them` })
    } else {
      this.#options.log(`KafkaCluster ${key}: scale ${status.scaleId}: could not cordon ${outcome.failures.map((f) => `broker ${f.broker} (${f.message})`).join(', ')}; tried again at the next plan`)
      return
    }
    this.#options.log(`KafkaCluster ${key}: scale ${status.scaleId}: ${status.cordon}`)
  }

  /**
   * Steps 4 and 5 go on only while the leaving brokers hold nothing: a replica put on one since it was
   * drained (a topic another tool created, placed by Kafka) sends the scale back to moving, where its pod
   * stays, or comes back with its volume, and it is drained again. False when it went back.
   */
  async #stillDrained(admin: Admin, connection: KafkaConnectionOptions, status: ScaleStatus, publish: (change: Partial<ScaleStatus>) => Promise<void>): Promise<boolean> {
    const snapshot = await describeClusterSnapshot(admin, { bootstrapServers: connection.bootstrapServers })
    const drained = mayRemovePods(snapshot.partitions, status.removing)
    if (drained.ok) return true
    await publish({ phase: 'moving', message: `${brokersLine(status.removing)} got replicas of ${drained.holding} partitions after the drain (e.g. ${drained.example}): they stay, or come back with their volumes, and are drained again` })
    return false
  }

  async #finish(key: string, request: ScaleRequest, status: ScaleStatus, publish: (change: Partial<ScaleStatus>) => Promise<void>): Promise<void> {
    const seconds = Math.round((Date.now() - Date.parse(status.startedAt)) / 1000)
    const message = `scaled: ${describeChange(status)} in ${seconds} s${status.moved !== undefined ? `, ${status.moved} partitions moved` : ''}`
    await publish({ phase: 'finished', message, finishedAt: new Date().toISOString(), problem: undefined })
    this.#options.log(`KafkaCluster ${key}: scale ${status.scaleId} finished: ${message}`)
    await this.#event(request.resource, 'ScaleFinished', message)
  }

  async #unfenced(admin: Admin, connection: KafkaConnectionOptions): Promise<Set<number>> {
    const registered = await describeRegisteredBrokers(await anyConnection(admin, connection.bootstrapServers))
    return new Set(registered.unfenced.map((b) => b.id))
  }

  #stateFile(key: string): string {
    const [namespace, name] = key.split('/') as [string, string]
    // The self-healer's file too: an unfinished plan of either holds the cluster against the other.
    return clusterPlanFile(this.#options.stateDir, namespace, name)
  }

  async #writeStatus(key: string, status: ScaleStatus): Promise<void> {
    const [namespace, name] = key.split('/') as [string, string]
    // Replaced whole (a JSON patch `add`), so that fields the scale no longer has (a problem) go.
    await this.#options.clusters.home.custom.patchNamespacedCustomObjectStatus(
      { group: API_GROUP, version: API_VERSION, namespace, plural: KAFKA_CLUSTERS.plural, name, body: [{ op: 'add', path: '/status/scale', value: JSON.parse(JSON.stringify(status)) }] },
      setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
    )
  }

  /** A Kubernetes Event on the KafkaCluster. */
  async #event(resource: CustomResource, reason: string, message: string, type: 'Normal' | 'Warning' = 'Normal'): Promise<void> {
    const { name, namespace, uid } = resource.metadata
    await recordEvent(this.#options.clusters.home, { apiVersion: resource.apiVersion, kind: resource.kind, name, namespace, uid }, reason, message.slice(0, 1000), type).catch((err: unknown) =>
      this.#options.log(`could not write the Event of KafkaCluster ${namespace}/${name} (${describeError(err)})`),
    )
  }
}

/** spec.scaling.throttle in bytes/s per broker, else the operator's default. */
export function throttleOf(spec: KafkaClusterSpec, fallback: number | undefined): number {
  return spec.scaling.throttle === undefined ? (fallback ?? DEFAULT_THROTTLE_BYTES_PER_SECOND) : Math.round(parseQuantity(spec.scaling.throttle))
}

/** `brokers 3, 7 join, broker 5 leaves (k8s-1 3 -> 4, k8s-2 3 -> 2)`. */
export function describeChange(scale: Pick<ScaleStatus, 'adding' | 'removing' | 'from' | 'to'>): string {
  const parts = [
    ...(scale.adding.length > 0 ? [`${brokersLine(scale.adding)} join${scale.adding.length > 1 ? '' : 's'}`] : []),
    ...(scale.removing.length > 0 ? [`${brokersLine(scale.removing)} leave${scale.removing.length > 1 ? '' : 's'}`] : []),
  ]
  const counts = scale.to.filter((t) => scale.from.find((f) => f.cluster === t.cluster)?.brokers !== t.brokers).map((t) => `${t.cluster} ${scale.from.find((f) => f.cluster === t.cluster)?.brokers ?? 0} -> ${t.brokers}`)
  return `${parts.join(', ')} (${counts.join(', ')})`
}

/** Sleeps `ms`, or less when `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve()
    const timer = setTimeout(done, ms)
    function done() {
      clearTimeout(timer)
      signal.removeEventListener('abort', done)
      resolve()
    }
    signal.addEventListener('abort', done, { once: true })
  })
}
