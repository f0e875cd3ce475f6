import type { ClusterSnapshot } from '../core/health/snapshot.ts'
import { partitionKey, type Proposal } from '../core/placement/model.ts'
import { toMoves, type Move } from '../core/plan/moves.ts'
import { retrying } from '../core/retry.ts'
import { cancelPlan, clearThrottlesLeft, executePlan, type ExecuteOptions, type ExecuteResult, type ExecutorEvent } from '../executor/executor.ts'
import { newPlanState, readPlanState, writePlanState, type PlanState } from '../executor/plan-state.ts'
import type { Clock } from '../ports/clock.ts'
import type { BrokerConfigFailure, ExecutorCluster, InFlightReassignment } from '../ports/executor-cluster.ts'

export interface PlanRunnerOptions {
  cluster: ExecutorCluster
  /** Where the plan is kept (src/executor/plan-state.ts): one file a cluster for the CLI, a topic for the operator. */
  stateFile: string
  clock: Clock
  /**
   * How long a read that starts a plan (the reassignments in flight) is tried again while the cluster
   * does not answer (a retriable error), 2 s apart, saying so with a `retrying` event. Default 0: once.
   */
  answerWithinMs?: number
  /** The executor's events while a plan runs, and `retrying` while a read is tried again. */
  onEvent?: (event: ExecutorEvent) => void
}

/** What a new plan is made of and from. */
export interface PlanRequest {
  /** Names the plan (`rebalance`, `brokers remove 3`, `KafkaTopic ns/name ...`): only the same operation continues it. */
  operation: string
  /** Kafka's cluster id: the plan belongs to this cluster. */
  clusterId: string
  /** The cluster the proposals were made on: which moves are urgent (an ISR at min.insync.replicas). */
  snapshot: ClusterSnapshot
  /** Bytes of a partition (`topic-partition`), to weigh moves and show progress; undefined when not known. */
  sizeOf?: (key: string) => number | undefined
  throttleBytesPerSecond: number
  /** Only reassignments in flight of topics it concerns stop a new plan (default: every topic). */
  concerns?: (topic: string) => boolean
  /** Make the plan but do not save it (nothing is started either way). */
  dryRun?: boolean
}

/** What `start` found. Only `continue` and `new` give a plan to run. */
export type PlanStart =
  /** The unfinished plan of this operation, to continue (its moves in flight are adopted). */
  | { kind: 'continue'; state: PlanState }
  /** A new plan, saved before any move starts (unless a dry run). */
  | { kind: 'new'; state: PlanState; bytes: number }
  /** The proposals move nothing: the cluster already matches them. */
  | { kind: 'nothing' }
  /** `propose` declined (it said why itself). */
  | { kind: 'declined' }
  /** An unfinished plan of another operation holds the cluster: finish or cancel it first. */
  | { kind: 'other-plan'; state: PlanState }
  /** Reassignments that no plan of ours started are in flight: nothing is planned until they end. */
  | { kind: 'foreign'; reassignments: InFlightReassignment[] }

/**
 * The lifecycle of a plan that moves data, written once for every caller (the CLI's verbs in
 * src/cli/execution.ts, the KafkaTopic reconciler in src/kube/operator/kafka-topic-reconciler.ts) over
 * the executor's port and one state file:
 *
 *   1. Open: read the plan kept in the state file: `unfinished` (running: a crash, a Ctrl-C, an
 *      operator restarted, or a plan waiting for brokers) or `ended` (finished or cancelled).
 *   2. Tidy: an ended plan of this cluster whose broker was away when it ended left its throttle rate
 *      there (a broker takes config changes only while it runs): remove it now that it may be back.
 *   3. Cancel, when asked: revert the unfinished plan's moves in flight, remove its throttles.
 *   4. Start: the unfinished plan is continued by the operation that made it, and holds the cluster
 *      against any other (`other-plan`). Else reassignments in flight that no plan of ours started
 *      stop a new plan (`foreign`); else the proposals become moves (urgent first, weighed by size) and
 *      the new plan is saved before any move starts; no moves: `nothing`.
 *   5. Run: the executor carries the plan out (src/executor/executor.ts: start gate, throttles,
 *      reassignments, leader election), saving it after every step; an abort stops it after the
 *      current step with its moves in flight going on, and step 4 continues it later.
 */
export class PlanRunner {
  readonly #options: PlanRunnerOptions
  readonly #kept: PlanState | undefined

  private constructor(options: PlanRunnerOptions, kept: PlanState | undefined) {
    this.#options = options
    this.#kept = kept
  }

  /** Step 1. */
  static async open(options: PlanRunnerOptions): Promise<PlanRunner> {
    return new PlanRunner(options, await readPlanState(options.stateFile))
  }

  get stateFile(): string {
    return this.#options.stateFile
  }

  /** The plan kept that is still running (the executor marks it finished in place when it ends). */
  get unfinished(): PlanState | undefined {
    return this.#kept?.status === 'running' ? this.#kept : undefined
  }

  /** The plan kept that ended (finished or cancelled). */
  get ended(): PlanState | undefined {
    return this.#kept?.status === 'running' ? undefined : this.#kept
  }

  /**
   * Step 2: the throttle rates the ended plan of cluster `clusterId` left on brokers that were away, removed
   * from those registered now. Undefined when it left none.
   */
  async clearThrottlesLeft(clusterId: string): Promise<{ plan: PlanState; cleared: number[]; kept: BrokerConfigFailure[] } | undefined> {
    const ended = this.ended
    if (!ended || ended.clusterId !== clusterId || ended.throttled.brokers.length === 0) return undefined
    return { plan: ended, ...(await clearThrottlesLeft(this.#options.cluster, this.#options.stateFile, ended)) }
  }

  /** Step 3; undefined when no plan is unfinished. */
  async cancel(): Promise<{ plan: PlanState; cancelled: number; throttlesLeft: number[] } | undefined> {
    const plan = this.unfinished
    if (!plan) return undefined
    return { plan, ...(await cancelPlan(this.#options.cluster, this.#options.stateFile, plan)) }
  }

  /**
   * Step 4. `propose` is called only when a new plan may start, on the cluster as the caller read it
   * (`request.snapshot`); it returns the proposals, or undefined to decline (having said why).
   */
  async start(request: PlanRequest, propose: () => Promise<readonly Proposal[] | undefined>): Promise<PlanStart> {
    const unfinished = this.unfinished
    if (unfinished) return unfinished.operation === request.operation ? { kind: 'continue', state: unfinished } : { kind: 'other-plan', state: unfinished }
    const concerns = request.concerns ?? (() => true)
    const foreign = (await this.#answered(() => this.#options.cluster.inFlight())).filter((r) => concerns(r.topic))
    if (foreign.length > 0) return { kind: 'foreign', reassignments: foreign }
    const proposals = await propose()
    if (proposals === undefined) return { kind: 'declined' }
    const partitions = new Map(request.snapshot.partitions.map((p) => [partitionKey(p), p]))
    const moves: Move[] = toMoves(proposals, partitions, request.sizeOf ?? (() => undefined))
    if (moves.length === 0) return { kind: 'nothing' }
    const state = newPlanState(request.clusterId, request.operation, moves, request.throttleBytesPerSecond)
    if (!request.dryRun) await writePlanState(this.#options.stateFile, state)
    return { kind: 'new', state, bytes: moves.reduce((s, m) => s + m.bytes, 0) }
  }

  /** Step 5. */
  run(state: PlanState, options: Omit<ExecuteOptions, 'onEvent'> = {}): Promise<ExecuteResult> {
    return executePlan(this.#options.cluster, this.#options.stateFile, state, { ...options, ...(this.#options.onEvent ? { onEvent: this.#options.onEvent } : {}) })
  }

  #answered<T>(read: () => Promise<T>): Promise<T> {
    const { clock, onEvent } = this.#options
    return retrying(read, {
      limitMs: this.#options.answerWithinMs ?? 0,
      intervalMs: 2000,
      onRetry: (err) => onEvent?.({ type: 'retrying', message: err.message }),
      now: () => clock.now(),
      sleep: (ms) => clock.sleep(ms),
    })
  }
}
