import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node'
import { isKafkaplaneError } from '../../core/errors.ts'
import { knownTopology } from '../../core/topology/recorded-topology.ts'
import type { ExecutorEvent } from '../../executor/executor.ts'
import type { PlanState } from '../../executor/plan-state.ts'
import { createAdmin } from '../../kafka/connection.ts'
import type { KafkaConnectionOptions } from '../../kafka/connection-options.ts'
import { KafkaExecutorCluster } from '../../kafka/executor-cluster.ts'
import { readLiveCluster } from '../../operations/live-cluster.ts'
import { PlanRunner } from '../../operations/plan-runner.ts'
import { healEvery, SelfHealer, type HealDecision } from '../../operations/self-healer.ts'
import { systemClock } from '../../operations/system-clock.ts'
import { API_GROUP, API_VERSION } from '../crds/crd.ts'
import type { KafkaClusterModel } from '../model/kafka-cluster-model.ts'
import { bootstrapServers } from './bootstrap-servers.ts'
import { clusterPlanFile } from './cluster-plan-file.ts'
import { KAFKA_CLUSTERS } from './custom-resources.ts'
import { recordEvent, type InvolvedObject } from './events.ts'
import type { KubeClusters } from './kube-clients.ts'
import { gate, lookStatus, planEnded, planStarted, type HealEvent, type HealLook, type HealPlanStatus, type HealSettings, type SelfHealingStatus } from './self-healing-status.ts'
import { describeError } from './supervised-informer.ts'

export interface HealWorkersOptions {
  clusters: KubeClusters
  /** TLS and SASL of the Kafka clusters. */
  connection: Omit<KafkaConnectionOptions, 'bootstrapServers'>
  /** The operator's state dir: each KafkaCluster's plan file is in it (cluster-plan-file.ts). */
  stateDir: string
  /** Whether a roll of this KafkaCluster runs now (src/kube/operator/roll-workers.ts); a scale holds it through the shared plan file. */
  rolling: (key: string) => boolean
  /** The brokers a scale of this KafkaCluster under way takes away (src/kube/model/scale.ts leavingBrokers): they take no new replica. */
  leaving: (key: string) => readonly number[]
  log: (line: string) => void
  /** Replication throttle of its plans, bytes/s per broker (default 50 MiB/s). */
  throttleBytesPerSecond?: number
  /** How often it looks at each cluster (default 30 s). */
  intervalMs?: number
  /** Executor poll interval (default 1 s). */
  pollMs?: number
}

interface Worker {
  healer: SelfHealer
  model: KafkaClusterModel
  involved: InvolvedObject
  status: SelfHealingStatus
  /** The status last written to the KafkaCluster (JSON), to write only changes. */
  written: string | undefined
  abort: AbortController
  done: Promise<void>
}

/** The operation naming the self-healer's plans in the KafkaCluster's plan file: only it continues them. */
export function healOperation(key: string): string {
  return `KafkaCluster ${key} self-healing`
}

/**
 * The operator's self-healer, one loop per KafkaCluster, run outside the reconcile as the rolls are
 * (src/kube/operator/roll-workers.ts), through the self-healer of `kafkaplane heal`
 * (src/operations/self-healer.ts) and the plan lifecycle of every verb (src/operations/plan-runner.ts):
 *   1. The reconciler calls `ensure` with the KafkaCluster's model at every reconcile: a loop starts for a
 *      KafkaCluster with spec.selfHealing.enabled (the default), takes the new spec when one runs, and
 *      stops when it is turned off (`forget` when the KafkaCluster goes).
 *   2. Every `intervalMs` the loop looks, unless a roll of that KafkaCluster runs (then it waits, said in
 *      status.selfHealing): an unfinished plan in the KafkaCluster's plan file is continued when it is the
 *      healer's own (an operator restarted mid-plan), else waited for (`other-plan`); with none, stale
 *      replication throttles are removed (an Event says which), then the live cluster is read (failure
 *      domains as recorded in Kafka, else as the KafkaCluster plans them) and the healer decides: gone
 *      brokers past spec.selfHealing.goneBrokerGraceSeconds drained, hard goals repaired, at most
 *      spec.selfHealing.maxPlansPerHour plans an hour; brokers a scale takes away get no new replica.
 *      Reassignments in flight it did not start (a KafkaTopic's, another tool's) make it wait.
 *   3. A plan runs through the executor (throttled, saved after every step) with Events on the
 *      KafkaCluster when it starts and when it ends; a roll that starts meanwhile interrupts it between
 *      two steps (its moves in flight go on, throttled) and the next look after the roll continues it.
 *   4. status.selfHealing (a JSON patch of that field alone, written when it changes) gives the phase, the
 *      last decision, the gone brokers with when they are drained, the last plan and the last throttles
 *      removed; the reconciler's status patch never carries it (it keeps it as it read it).
 *   5. `stop` aborts every loop between two steps and waits for them (operator shutdown, lost Lease):
 *      a plan in flight stays in its file for the next operator.
 */
export class HealWorkers {
  readonly #options: HealWorkersOptions
  readonly #workers = new Map<string, Worker>()
  readonly #stopping = new AbortController()

  constructor(options: HealWorkersOptions) {
    this.#options = options
  }

  /** Step 1. `saved` is status.selfHealing as the KafkaCluster has it (a previous operator's). */
  ensure(key: string, model: KafkaClusterModel, involved: InvolvedObject, saved: SelfHealingStatus | undefined): void {
    if (this.#stopping.signal.aborted) return
    const settings = settingsOf(model)
    const worker = this.#workers.get(key)
    if (!model.spec.selfHealing.enabled) {
      // Said once in status.selfHealing, after the loop (if one ran) stopped.
      const last = worker?.status ?? saved
      if (worker || saved?.phase !== 'disabled') {
        void this.#stopWorker(key).then(() => this.#write(key, { status: { ...kept(last), ...lookStatus({ kind: 'disabled' }, Date.now(), settings) }, written: undefined }))
      }
      return
    }
    const healer = { policy: { graceMs: settings.graceMs }, maxPlansPerHour: settings.maxPlansPerHour }
    if (worker) {
      worker.model = model
      worker.involved = involved
      worker.healer.reconfigure(healer)
      return
    }
    const abort = new AbortController()
    const created: Worker = {
      healer: new SelfHealer({ ...healer, clock: systemClock }),
      model,
      involved,
      status: { ...kept(saved), phase: 'watching', message: 'starting' },
      written: undefined,
      abort,
      done: Promise.resolve(),
    }
    this.#workers.set(key, created)
    this.#options.log(`KafkaCluster ${key}: self-healer started (grace ${settings.graceMs / 1000} s, at most ${settings.maxPlansPerHour} plans an hour)`)
    const signal = AbortSignal.any([this.#stopping.signal, abort.signal])
    created.done = healEvery(() => this.#pass(key, created, signal), {
      clock: systemClock,
      watch: true,
      intervalMs: this.#options.intervalMs ?? 30_000,
      signal,
      // Already said: a failed look sets status.selfHealing (phase failed), logged when its message changes.
      onFailure: () => {},
    }).then(() => undefined)
  }

  /** The KafkaCluster went: its loop stops between two steps. */
  async forget(key: string): Promise<void> {
    await this.#stopWorker(key)
  }

  async #stopWorker(key: string): Promise<void> {
    const worker = this.#workers.get(key)
    if (!worker) return
    worker.abort.abort()
    await worker.done
    this.#workers.delete(key)
    this.#options.log(`KafkaCluster ${key}: self-healer stopped`)
  }

  /** Step 5. */
  async stop(): Promise<void> {
    this.#stopping.abort()
    await Promise.all([...this.#workers.values()].map((w) => w.done))
  }

  /** Steps 2 and 3: one look, and the plan it starts or continues, run to its end (or interrupted). */
  async #pass(key: string, worker: Worker, signal: AbortSignal): Promise<number> {
    const { model } = worker
    if (signal.aborted) return 0
    const operation = healOperation(key)
    if (this.#options.rolling(key)) return this.#publishLook(key, worker, gate({ rolling: true, unfinished: undefined, operation })!)
    const connection = { ...this.#options.connection, bootstrapServers: bootstrapServers(model) }
    const admin = createAdmin(connection, 'kafkaplane-operator-healer')
    try {
      const cluster = new KafkaExecutorCluster(admin, connection)
      const runner = await PlanRunner.open({ cluster, stateFile: clusterPlanFile(this.#options.stateDir, model.namespace, model.name), clock: systemClock, onEvent: (e) => this.#progress(key, worker, e) })
      const unfinished = runner.unfinished
      // Looked at again now that the plan file is read: a roll may have started meanwhile.
      const closed = gate({ rolling: this.#options.rolling(key), unfinished, operation })
      if (closed) return await this.#publishLook(key, worker, closed)
      if (!unfinished) {
        const stale = await worker.healer.sweep(cluster, signal)
        if (stale.brokers.length > 0 || stale.topics.length > 0) {
          worker.status.staleThrottles = { removedAt: new Date().toISOString(), brokers: stale.brokers, topics: stale.topics }
          await this.#event(key, worker, { reason: 'StaleThrottlesRemoved', type: 'Normal', message: `removed replication throttles nothing needed from brokers ${stale.brokers.join(',') || '-'} and topics ${stale.topics.join(',') || '-'}` })
        }
        if (signal.aborted) return 0
      }
      // The failure domains the KafkaCluster reconciler recorded in Kafka (the pods' real zones), and the
      // planned ones of brokers not recorded yet (joining in a scale: registered before they are recorded).
      const recorded = await cluster.recordedTopology().catch(() => undefined)
      const live = await readLiveCluster(cluster, knownTopology(model.topology, recorded?.problems.length === 0 ? recorded.topology : undefined))
      let decision: HealDecision | undefined
      const start = await runner.start(
        { operation, clusterId: live.clusterId, snapshot: live.snapshot, sizeOf: (k) => live.sizes.get(k), throttleBytesPerSecond: this.#options.throttleBytesPerSecond ?? 50 * 1024 * 1024 },
        async () => {
          decision = worker.healer.decide(live.model(new Map(this.#options.leaving(key).map((id) => [id, 'excluded' as const]))), live.registered)
          return decision.kind === 'heal' ? decision.proposals : undefined
        },
      )
      switch (start.kind) {
        case 'other-plan':
          return await this.#publishLook(key, worker, { kind: 'other-plan', operation: start.state.operation, createdAt: start.state.createdAt })
        case 'foreign': {
          const [first] = start.reassignments
          return await this.#publishLook(key, worker, { kind: 'foreign', reassignments: start.reassignments.length, example: `${first!.topic}-${first!.partition}` })
        }
        case 'nothing':
          return await this.#publishLook(key, worker, { kind: 'nothing' })
        case 'declined':
          return await this.#publishLook(key, worker, { kind: 'decided', decision: decision as Exclude<HealDecision, { kind: 'heal' }> })
        case 'continue':
          this.#options.log(`KafkaCluster ${key}: self-healer continues plan ${start.state.planId}`)
          return await this.#run(key, worker, runner, start.state, [], signal)
        case 'new':
          return await this.#run(key, worker, runner, start.state, decision?.kind === 'heal' ? decision.reasons : [], signal)
      }
    } catch (err) {
      await this.#publishLook(key, worker, { kind: 'failed', message: describe(err) })
      throw err
    } finally {
      await admin.close().catch(() => {})
    }
  }

  /** Step 3. */
  async #run(key: string, worker: Worker, runner: PlanRunner, state: PlanState, reasons: readonly string[], signal: AbortSignal): Promise<number> {
    const continued = worker.status.lastPlan?.planId === state.planId ? worker.status.lastPlan : undefined
    let plan: HealPlanStatus
    if (continued) {
      const { message: _, ...rest } = continued
      plan = { ...rest, result: 'running' }
    } else {
      const started = planStarted({ planId: state.planId, moves: state.moves.length, reasons }, Date.now())
      plan = started.lastPlan
      await this.#event(key, worker, started.event)
    }
    worker.status = { ...worker.status, phase: 'healing', message: `${plan.reasons.join('; ') || 'repairs'}: plan ${plan.planId} runs (${state.moves.length} moves)`, lastPlan: plan, goneBrokers: undefined }
    await this.#write(key, worker)
    this.#options.log(`KafkaCluster ${key}: self-healer runs plan ${plan.planId} (${state.moves.length} moves)`)
    // A roll that starts interrupts the plan between two steps; the look after the roll continues it.
    const roll = new AbortController()
    const watch = setInterval(() => this.#options.rolling(key) && roll.abort(), this.#options.pollMs ?? 1000)
    let ended: ReturnType<typeof planEnded>
    try {
      const result = await runner.run(state, { pollMs: this.#options.pollMs ?? 1000, signal: AbortSignal.any([signal, roll.signal]) })
      ended = planEnded(plan, { result }, Date.now())
    } catch (err) {
      ended = planEnded(plan, { error: describe(err) }, Date.now())
    } finally {
      clearInterval(watch)
    }
    worker.status = { ...worker.status, phase: ended.lastPlan.result === 'failed' ? 'failed' : ended.lastPlan.result === 'finished' ? 'watching' : 'waiting', message: ended.lastPlan.message ?? '', lastPlan: ended.lastPlan }
    if (ended.event) await this.#event(key, worker, ended.event)
    await this.#write(key, worker)
    this.#options.log(`KafkaCluster ${key}: ${ended.lastPlan.message}`)
    return ended.lastPlan.result === 'finished' ? 0 : 1
  }

  /** What a running plan does that people should see: in the log, and what it waits for in status.selfHealing. */
  #progress(key: string, worker: Worker, event: ExecutorEvent): void {
    const line = describeProgress(event)
    if (line === undefined) return
    this.#options.log(`KafkaCluster ${key}: self-healing plan ${worker.status.lastPlan?.planId ?? ''}: ${line}`)
    if (event.type !== 'paused' || worker.status.phase !== 'healing') return
    worker.status = { ...worker.status, message: `${worker.status.message.replace(/; paused: .*$/, '')}; paused: ${event.reason}` }
    void this.#write(key, worker)
  }

  async #publishLook(key: string, worker: Worker, look: HealLook): Promise<number> {
    const { phase, message, goneBrokers } = lookStatus(look, Date.now(), settingsOf(worker.model))
    if (message !== worker.status.message) this.#options.log(`KafkaCluster ${key}: self-healer: ${message}`)
    worker.status = { ...worker.status, phase, message, goneBrokers }
    await this.#write(key, worker)
    return look.kind === 'failed' ? 1 : 0
  }

  async #event(key: string, worker: Worker, event: HealEvent): Promise<void> {
    this.#options.log(`KafkaCluster ${key}: ${event.reason}: ${event.message}`)
    await recordEvent(this.#options.clusters.home, worker.involved, event.reason, event.message, event.type).catch((err: unknown) =>
      this.#options.log(`KafkaCluster ${key}: could not write the ${event.reason} Event (${describeError(err)})`),
    )
  }

  /** Step 4: status.selfHealing replaced whole (a JSON patch `add`), when it changed. */
  async #write(key: string, worker: Pick<Worker, 'status' | 'written'>): Promise<void> {
    const value = JSON.parse(JSON.stringify(worker.status)) as object
    const text = JSON.stringify(value)
    if (text === worker.written) return
    const [namespace, name] = key.split('/') as [string, string]
    try {
      await this.#options.clusters.home.custom.patchNamespacedCustomObjectStatus(
        { group: API_GROUP, version: API_VERSION, namespace, plural: KAFKA_CLUSTERS.plural, name, body: [{ op: 'add', path: '/status/selfHealing', value }] },
        setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
      )
      worker.written = text
    } catch (err) {
      this.#options.log(`KafkaCluster ${key}: could not write status.selfHealing (${describeError(err)})`)
    }
  }
}

/** spec.selfHealing in milliseconds. The healer gets no replication-factor policy: the KafkaTopics own theirs. */
function settingsOf(model: KafkaClusterModel): HealSettings {
  return { graceMs: model.spec.selfHealing.goneBrokerGraceSeconds * 1000, maxPlansPerHour: model.spec.selfHealing.maxPlansPerHour }
}

/** What a status keeps across a restart or a pause: the last plan, the last throttles removed. */
function kept(status: SelfHealingStatus | undefined): Partial<SelfHealingStatus> {
  return { ...(status?.lastPlan ? { lastPlan: status.lastPlan } : {}), ...(status?.staleThrottles ? { staleThrottles: status.staleThrottles } : {}) }
}

/** An executor event as a log line, for the events that say what the plan does or waits for. */
function describeProgress(event: ExecutorEvent): string | undefined {
  switch (event.type) {
    case 'adopted':
      return `adopted ${event.inFlight} moves in flight, ${event.done} done`
    case 'started':
      return event.moves.length > 0 ? `started ${event.moves.length} moves (${event.moves.slice(0, 3).map((m) => `${m.topic}-${m.partition} [${m.oldReplicas}]->[${m.newReplicas}]`).join(', ')})` : undefined
    case 'paused':
      return `paused: ${event.reason}`
    case 'refused':
      return `Kafka refused ${event.refusals.length} moves (e.g. ${event.refusals[0]!.topic}-${event.refusals[0]!.partition}: ${event.refusals[0]!.message}); retrying`
    case 'throttle-failed':
      return `throttle not changed on ${event.failures.map((f) => `broker ${f.broker} (${f.message})`).join(', ')}; its moves wait`
    case 'retrying':
      return `cluster not answering (${event.message}); retrying`
    case 'throttles-waiting':
      return `moves done; waiting up to ${Math.round(event.limitMs / 1000)} s for broker ${event.kept.map((f) => f.broker).join(', ')} to take the removal of its throttle rate`
    default:
      return undefined
  }
}

function describe(err: unknown): string {
  return isKafkaplaneError(err) ? `${err.message} (${err.fix})` : describeError(err)
}
