import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node'
import { isKafkaplaneError, KafkaplaneError } from '../../core/errors.ts'
import { describeRollTimes, rollTimes } from '../../core/roll/roll-times.ts'
import { createAdmin } from '../../kafka/connection.ts'
import type { KafkaConnectionOptions } from '../../kafka/connection-options.ts'
import { KafkaExecutorCluster } from '../../kafka/executor-cluster.ts'
import { describeNodes, describeReason, describeRestarting, newRollState, runRoll, type RollEvent, type RollState } from '../../operations/roller.ts'
import { systemClock } from '../../operations/system-clock.ts'
import { API_GROUP, API_VERSION } from '../crds/crd.ts'
import { batchDimensions, type KafkaClusterModel } from '../model/kafka-cluster-model.ts'
import { bootstrapServers } from './bootstrap-servers.ts'
import { recordEvent } from './events.ts'
import { KAFKA_CLUSTERS } from './custom-resources.ts'
import type { KubeClusters } from './kube-clients.ts'
import { KubeRollTarget, type PodRestart } from './kube-roll-target.ts'
import { describeError } from './supervised-informer.ts'

/** What status.roll of a KafkaCluster shows: the roll's state, and where it is now. */
export interface RollStatus extends RollState {
  /** restarting, waiting (for a restarted batch), blocked (nothing may restart now), stalled, finished, failed. */
  phase: 'restarting' | 'waiting' | 'blocked' | 'stalled' | 'finished' | 'failed'
  message: string
  etaSeconds?: number
}

export interface RollWorkersOptions {
  clusters: KubeClusters
  /** TLS and SASL of the Kafka clusters. */
  connection: Omit<KafkaConnectionOptions, 'bootstrapServers'>
  log: (line: string) => void
  /** Roller poll interval (default 2 s). */
  pollMs?: number
  /** A roll without progress this long stops as stalled, and is tried again on a later reconcile (default 10 min). */
  stallMs?: number
}

/**
 * The operator's rolling restarts, run outside the reconcile (a roll takes minutes to hours; a reconcile
 * must not hold a worker of the queue that long), at most one per KafkaCluster:
 *   1. After applying a KafkaCluster's objects the reconciler calls `ensure`. When no roll of it runs
 *      here, its broker pods are read (`KubeRollTarget`); a roll starts when one has a reason to restart
 *      (a new config, image or Kafka version, a restart annotation), or resumes the unfinished roll its
 *      status.roll holds (the operator itself was restarted mid-roll).
 *   2. The roll runs through the roller (src/operations/roller.ts) against the Kafka cluster and the
 *      pods of every Kubernetes cluster the KafkaCluster spans. Its state and what it does now (phase,
 *      message, ETA) go to the KafkaCluster's status.roll (a merge patch of that field alone) before
 *      every restart and at every change; each pod deleted gets a Kubernetes Event naming its reasons.
 *   3. The running roll reads the pods at every step, so a spec changed mid-roll is picked up by it:
 *      its restart reasons from the pods and their StatefulSets, its batch settings (spec.rolling) from
 *      the model of the latest `ensure` (every reconcile calls it), from the next batch on.
 *   4. Ended (finished, stalled, failed), the roll is forgotten here; a stalled or failed one is
 *      started again by a later `ensure`, from its saved state.
 *   5. `stop` aborts every roll between two steps and waits for them (operator shutdown): status.roll
 *      keeps each for the next operator.
 */
export class RollWorkers {
  readonly #options: RollWorkersOptions
  readonly #running = new Map<string, { status: RollStatus; done: Promise<void>; model: KafkaClusterModel }>()
  /** The last roll that ended here, per KafkaCluster: a reconcile that read status.roll before it ended must not resume it. */
  readonly #ended = new Map<string, string>()
  readonly #abort = new AbortController()

  constructor(options: RollWorkersOptions) {
    this.#options = options
  }

  /** Whether a roll of the KafkaCluster runs here now (a scale and the self-healer wait for it: one change at a time). */
  running(key: string): boolean {
    return this.#running.has(key)
  }

  /** Step 1: starts or resumes the KafkaCluster's roll when one is due and none runs; returns whether one runs. */
  async ensure(key: string, model: KafkaClusterModel, saved: RollStatus | undefined): Promise<boolean> {
    const running = this.#running.get(key)
    if (running) {
      // The roll goes on with the spec as it is now (step 3).
      running.model = model
      return true
    }
    if (this.#abort.signal.aborted) return false
    const target = new KubeRollTarget(this.#options.clusters, model, { onRestart: (restart) => this.#event(key, restart) })
    const resumed = saved && saved.status === 'running' && saved.clusterId === model.clusterId && this.#ended.get(key) !== saved.rollId ? stateOf(saved) : undefined
    if (!resumed) {
      const nodes = await target.nodes()
      if (!nodes.some((n) => n.reasons.length > 0)) return false
    }
    const state = resumed ?? newRollState(model.clusterId, [], Date.now())
    const status: RollStatus = { ...state, phase: 'restarting', message: resumed ? 'resuming the roll' : 'starting a roll' }
    const entry = { status, done: Promise.resolve(), model }
    this.#running.set(key, entry)
    this.#options.log(`KafkaCluster ${key}: ${resumed ? `resuming roll ${state.rollId}` : `roll ${state.rollId} started`}`)
    entry.done = this.#run(key, entry, target, state, status).finally(() => {
      this.#running.delete(key)
      if (state.status === 'finished') this.#ended.set(key, state.rollId)
    })
    return true
  }

  async stop(): Promise<void> {
    this.#abort.abort()
    await Promise.all([...this.#running.values()].map((r) => r.done))
  }

  async #run(key: string, entry: { readonly model: KafkaClusterModel }, target: KubeRollTarget, state: RollState, status: RollStatus): Promise<void> {
    const model = entry.model
    const connection = { ...this.#options.connection, bootstrapServers: bootstrapServers(model) }
    const admin = createAdmin(connection, 'kafkaplane-operator-roller')
    // Every write of status.roll goes in order, each with the status as it is when its turn comes: an
    // older one landing after a newer one would give a resumed roll a stale state (a batch back again).
    // What it does now is best effort (said again at the next change); the roll's state (`save`, before
    // every restart) must be written, or the roll stops: a restart the status does not know of would be
    // lost to an operator that resumes the roll.
    let writes = Promise.resolve()
    const write = (): Promise<void> => {
      const next = writes.then(() => this.#writeStatus(key, status))
      writes = next.catch(() => {})
      return next
    }
    const publish = async (change: Partial<RollStatus>) => {
      withState(status, state, change)
      await write().catch((err) => this.#options.log(`KafkaCluster ${key}: could not write status.roll (${describeError(err)})`))
    }
    const save = async (s: RollState) => {
      withState(status, s)
      try {
        await write()
      } catch (err) {
        throw new KafkaplaneError('KUBE_REQUEST_FAILED', `could not save roll ${s.rollId} in status.roll of KafkaCluster ${key}: ${describeError(err)}`, {
          fix: 'check that the API server answers and the operator may write kafkaclusters/status; the roll goes on from its saved state',
          retriable: true,
        })
      }
    }
    let said: { maxUnavailable?: number; batchWithin?: 'zone' | 'cluster' } = {}
    try {
      const result = await runRoll(new KafkaExecutorCluster(admin, connection), target, state, {
        clock: systemClock,
        // spec.rolling.maxUnavailable brokers at once, within one zone of one Kubernetes cluster, or
        // within one Kubernetes cluster (spec.rolling.batchWithin: cluster); as the spec says now, not as
        // it said when the roll began (a roll that a certificate's renewal began a moment before the
        // spec raised maxUnavailable went one at a time to the end).
        batching: () => {
          const rolling = entry.model.spec.rolling
          if (rolling.maxUnavailable !== said.maxUnavailable || rolling.batchWithin !== said.batchWithin) {
            if (said.maxUnavailable !== undefined) this.#options.log(`KafkaCluster ${key}: roll ${state.rollId} goes on as spec.rolling now says: batches of up to ${rolling.maxUnavailable} within one ${rolling.batchWithin === 'cluster' ? 'Kubernetes cluster' : 'zone'}`)
            said = { maxUnavailable: rolling.maxUnavailable, batchWithin: rolling.batchWithin }
          }
          return { maxBatch: rolling.maxUnavailable, batchWithin: batchDimensions(rolling.batchWithin) }
        },
        save,
        pollMs: this.#options.pollMs ?? 2000,
        stallMs: this.#options.stallMs ?? 10 * 60_000,
        signal: this.#abort.signal,
        onEvent: (event) => {
          const change = describeEvent(event)
          if (!change) return
          this.#options.log(`KafkaCluster ${key}: ${change.message}`)
          void publish(change)
        },
      })
      // The roll's whole time, from its start (maybe by an operator before this one), not this run's.
      const seconds = Math.round((Date.now() - Date.parse(state.createdAt)) / 1000)
      if (result.status === 'finished') {
        const times = describeRollTimes(rollTimes(state.done))
        await publish({ phase: 'finished', message: `rolled: ${result.restarted} nodes restarted in ${result.batches} batches in ${seconds} s${times ? ` (${times})` : ''}`, etaSeconds: undefined })
      } else if (result.status === 'stalled') await publish({ phase: 'stalled', message: `stalled: ${result.waitingFor}; tried again on a later reconcile` })
      this.#options.log(`KafkaCluster ${key}: roll ${state.rollId} ${result.status}${result.waitingFor ? `: ${result.waitingFor}` : ''}`)
    } catch (err) {
      this.#options.log(`KafkaCluster ${key}: roll ${state.rollId} failed: ${describeError(err)}`)
      await publish({ phase: 'failed', message: `failed: ${isKafkaplaneError(err) ? `${err.message} (${err.fix})` : describeError(err)}; tried again on a later reconcile` })
    } finally {
      await admin.close().catch(() => {})
    }
  }

  async #writeStatus(key: string, status: RollStatus): Promise<void> {
    const [namespace, name] = key.split('/') as [string, string]
    // Replaced whole (a JSON patch `add`), so that fields the roll no longer has (its current batch, an ETA) go.
    await this.#options.clusters.home.custom.patchNamespacedCustomObjectStatus(
      { group: API_GROUP, version: API_VERSION, namespace, plural: KAFKA_CLUSTERS.plural, name, body: [{ op: 'add', path: '/status/roll', value: JSON.parse(JSON.stringify(status)) }] },
      setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
    )
  }

  /**
   * A Kubernetes Event on the pod restarted, naming why; and how it was found when another hand (a node
   * drain) had deleted or replaced it first, which the log says too.
   */
  async #event(key: string, restart: PodRestart): Promise<void> {
    const namespace = restart.pod?.metadata?.namespace ?? key.split('/')[0]!
    const uid = restart.pod?.metadata?.uid
    const involved = { apiVersion: 'v1', kind: 'Pod', name: restart.name, namespace, ...(uid ? { uid } : {}) }
    const why = restart.reasons.map(describeReason).join('; ') || 'requested'
    if (restart.already) this.#options.log(`KafkaCluster ${key}: pod ${restart.name} (context ${restart.context}): ${restart.already}`)
    await recordEvent(this.#options.clusters.get(restart.context), involved, 'RollingRestart', `kafkaplane restarts this ${restart.role}: ${why}${restart.already ? ` (${restart.already})` : ''}`).catch((err: unknown) =>
      this.#options.log(`could not write the Event of pod ${restart.name} (${describeError(err)})`),
    )
  }
}

/**
 * Brings status.roll to the roll's state (and `change`, what it does now), in place: a batch the state no
 * longer has as current (back and recorded, or refused by a budget and dropped) goes from the status too.
 * Left there, an operator resuming the roll would take it for a batch restarted by the one before (a
 * drain that evicted its pod meanwhile made it look so: recorded as restarted, no Event), and the
 * reconciler would keep its cluster's PodDisruptionBudget raised for a batch nobody restarts.
 */
export function withState(status: RollStatus, state: RollState, change: Partial<RollStatus> = {}): RollStatus {
  if (!state.current) delete status.current
  return Object.assign(status, stateOf(state), change)
}

/** The roll state alone (status.roll without where it is now). */
function stateOf(s: RollState): RollState {
  const { format, clusterId, rollId, createdAt, status, requested, current, done } = s
  return structuredClone({ format, clusterId, rollId, createdAt, status, requested, ...(current ? { current } : {}), done })
}

/** What a roller event changes in status.roll: phase, message, ETA. */
function describeEvent(event: RollEvent): Partial<RollStatus> & { message: string } | undefined {
  switch (event.type) {
    case 'restarting':
      return {
        phase: 'restarting',
        message:
          describeRestarting(event) +
          event.passedOver.map((w) => `; broker ${w.id} passed over for now: ${w.blockers.join('; ')}`).join(''),
        etaSeconds: undefined,
      }
    case 'waiting':
      return { phase: 'waiting', message: `waiting: ${event.reason}`, ...(event.etaSeconds === undefined ? { etaSeconds: undefined } : { etaSeconds: event.etaSeconds }) }
    case 'back':
      return { phase: 'waiting', message: `${describeNodes(event)} back in sync after ${Math.round((event.restartMs + event.catchUpMs) / 1000)} s`, etaSeconds: undefined }
    case 'blocked':
      return { phase: 'blocked', message: `no broker may restart now: ${event.waiting.map((w) => `${w.id}: ${w.blockers.join('; ')}`).join(' | ')}` }
    default:
      return undefined
  }
}
