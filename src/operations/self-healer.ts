import type { PlacementModel, Proposal } from '../core/placement/model.ts'
import { planHeal, type HealPolicy } from '../core/plan/heal.ts'
import { clearStaleThrottles, type StaleThrottles } from '../executor/stale-throttles.ts'
import type { Clock } from '../ports/clock.ts'
import type { ExecutorCluster } from '../ports/executor-cluster.ts'

export interface SelfHealerOptions {
  policy: HealPolicy
  /** Rate limit: at most this many plans started in any hour. */
  maxPlansPerHour: number
  /** Only report: no plan counts against the rate limit, no stale throttle is removed. */
  dryRun?: boolean
  clock: Clock
}

/** What one look at the cluster decides. */
export type HealDecision =
  /** The heal cannot be planned (a hard goal no placement meets): the problems, for people. */
  | { kind: 'infeasible'; problems: string[] }
  /** Nothing to move now. `reasons` name what waits (a partition stranded on a gone broker); `gone`, the brokers within their grace period. */
  | { kind: 'healthy'; reasons: string[]; gone: { id: number; goneMs: number }[] }
  /** Something to fix, but `started` plans began in the last hour already: wait. */
  | { kind: 'rate-limited'; reasons: string[]; started: number }
  /** Run these proposals (counted against the rate limit unless a dry run). */
  | { kind: 'heal'; reasons: string[]; proposals: Proposal[] }

const HOUR_MS = 3600_000

/**
 * The self-healer's memory and decisions across looks at one cluster, for whoever runs it (the CLI's
 * `kafkaplane heal`, src/cli/heal.ts; the operator, src/kube/operator/heal-workers.ts), over the
 * executor's port and a clock:
 *
 *   1. Stale throttles (`sweep`, not in a dry run): replication throttles that nothing needs are
 *      removed (src/executor/stale-throttles.ts: nothing reassigned at two looks 5 s apart).
 *   2. Gone brokers (`decide`): a broker of the model that is not registered is gone since the first
 *      look that missed it; one that is registered again is forgotten (its grace period starts afresh).
 *   3. The plan (`decide`, core/plan/heal.ts): past its grace period a gone broker is drained; topics
 *      below the policy's replication factor are raised; a broken hard goal is repaired.
 *   4. Rate limit (`decide`): a plan starts only while fewer than `maxPlansPerHour` started in the
 *      hour before. One plan at a time: the caller runs each plan to its end (or keeps it unfinished,
 *      and the plan lifecycle, src/operations/plan-runner.ts, continues it before anything new).
 */
export class SelfHealer {
  #options: SelfHealerOptions
  readonly #goneSince = new Map<number, number>()
  readonly #started: number[] = []

  constructor(options: SelfHealerOptions) {
    this.#options = options
  }

  /** A new policy or rate limit (the KafkaCluster's spec changed): the brokers gone and the plans started are kept. */
  reconfigure(change: Pick<SelfHealerOptions, 'policy' | 'maxPlansPerHour'>): void {
    this.#options = { ...this.#options, ...change }
  }

  /**
   * Step 1: removes the stale replication throttles; what it removed, and the brokers that kept theirs.
   * `signal` ends the wait between the two looks, and then nothing is removed.
   */
  sweep(cluster: ExecutorCluster, signal?: AbortSignal): Promise<StaleThrottles> {
    return clearStaleThrottles(cluster, (ms) => this.#options.clock.sleep(ms, signal), 5000, signal)
  }

  /** Steps 2 to 4 on the live cluster's placement model and its registered brokers. */
  decide(model: PlacementModel, registered: ReadonlySet<number>): HealDecision {
    const now = this.#options.clock.now()
    while (this.#started.length > 0 && this.#started[0]! < now - HOUR_MS) this.#started.shift()
    for (const b of model.brokers) {
      if (registered.has(b.id)) this.#goneSince.delete(b.id)
      else if (!this.#goneSince.has(b.id)) this.#goneSince.set(b.id, now)
    }
    const plan = planHeal(model, registered, this.#goneSince, now, this.#options.policy)
    if (!plan.ok) return { kind: 'infeasible', problems: plan.problems }
    if (plan.proposals.length === 0) {
      return { kind: 'healthy', reasons: plan.reasons, gone: [...this.#goneSince].map(([id, since]) => ({ id, goneMs: now - since })) }
    }
    if (!this.#options.dryRun && this.#started.length >= this.#options.maxPlansPerHour) {
      return { kind: 'rate-limited', reasons: plan.reasons, started: this.#started.length }
    }
    if (!this.#options.dryRun) this.#started.push(now)
    return { kind: 'heal', reasons: plan.reasons, proposals: plan.proposals }
  }
}

export interface HealLoopOptions {
  clock: Clock
  /** Keep looking, `intervalMs` apart, until `signal` aborts; else one pass. */
  watch: boolean
  intervalMs: number
  signal?: AbortSignal
  /** A pass that failed while watching: reported, and the next one tried (supervised). */
  onFailure: (err: unknown) => void
}

/**
 * Runs `pass` (a look, and the plan it decides, run to its end) once, or while watching every
 * `intervalMs` until `signal` aborts. Returns the exit code of the last pass (1 when it failed); without
 * `watch` a failure is thrown.
 */
export async function healEvery(pass: () => Promise<number>, options: HealLoopOptions): Promise<number> {
  const { clock, watch, signal } = options
  let code = 0
  do {
    try {
      code = await pass()
    } catch (err) {
      if (!watch) throw err
      options.onFailure(err)
      code = 1
    }
    if (watch && !signal?.aborted) await clock.sleep(options.intervalMs, signal)
  } while (watch && !signal?.aborted)
  return code
}
