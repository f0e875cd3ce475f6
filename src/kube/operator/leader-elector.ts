import type { Clock } from '../../ports/clock.ts'
import { decide, DEFAULT_TIMINGS, observe, released, stillLeading, type LeaderElectionTimings, type LeaseObservation, type LeaseRecord, type LeaseView } from './lease-decision.ts'
import { describeError } from './supervised-informer.ts'

/** The Lease, read and written with optimistic concurrency (src/kube/operator/kube-lease-store.ts over the API server). */
export interface LeaseStore {
  /** `namespace/name`, for logs. */
  readonly name: string
  /** The Lease, or undefined when there is none. */
  get(): Promise<LeaseView | undefined>
  /** Creates it; false when one exists already (409). */
  create(record: LeaseRecord): Promise<boolean>
  /** Replaces its spec if it is still at `version`; false on a 409 Conflict. */
  update(record: LeaseRecord, version: string): Promise<boolean>
}

export interface LeaderElectorOptions {
  store: LeaseStore
  /** This candidate (the operator's pod name). */
  identity: string
  clock: Clock
  /** Default: DEFAULT_TIMINGS (15 s lease, 10 s renew deadline, 2 s retry). */
  timings?: LeaderElectionTimings
  log: (line: string) => void
  /** [0, 1), for the jitter of acquire attempts (default Math.random). */
  random?: () => number
}

/** How leading ended: the Lease lost (not renewed in time, or somebody else holds it), or released by stop(). */
export type LeadershipEnd = { reason: 'lost'; message: string } | { reason: 'released' }

type Attempt = { ok: true } | { ok: false; holder?: string; problem?: string }

/**
 * One candidate of the election whose rules src/kube/operator/lease-decision.ts states, as a loop:
 *   1. `acquire` reads the Lease every retry period (jittered up to 20 %, so candidates do not collide)
 *      and writes it when the rules say so, until this candidate holds it; it says once which holder
 *      it waits for.
 *   2. `hold` renews it every retry period; the time a renew STARTED counts (the write lands after it).
 *      A renew that finds another holder ends leading at once; one that fails is tried again, and with
 *      none succeeding for the renew deadline (a write still in flight then included), leading ends.
 *      The caller stops all work when `hold` resolves with `lost`.
 *   3. `stop` ends both loops, waits (a retry period at most) for the attempt in flight, and when the
 *      Lease names this candidate releases it (cleared holder, 1 s lease), so that a successor takes
 *      over at its next try.
 * Every request is bounded: one without an answer in time counts as failed (a hung connection never
 * keeps a holder leading, nor a candidate waiting).
 */
export class LeaderElector {
  readonly identity: string
  readonly #options: LeaderElectorOptions
  readonly #timings: LeaderElectionTimings
  readonly #stop = new AbortController()
  #observed: LeaseObservation | undefined
  #lastRenewAt: number | undefined
  #inFlight: Promise<Attempt> = Promise.resolve({ ok: false })
  #lastProblem = ''

  constructor(options: LeaderElectorOptions) {
    this.#options = options
    this.identity = options.identity
    this.#timings = options.timings ?? DEFAULT_TIMINGS
  }

  /** Step 1: resolves true once this candidate holds the Lease, false when stopped first. */
  async acquire(): Promise<boolean> {
    const { clock, log, store } = this.#options
    const random = this.#options.random ?? Math.random
    let waitingFor: string | undefined
    while (!this.#stop.signal.aborted) {
      const startedAt = clock.now()
      const attempt = (await this.#attempt(this.#timings.renewDeadlineMs)) ?? { ok: false, problem: 'no answer' }
      if (attempt.ok) {
        this.#lastRenewAt = startedAt
        return !this.#stop.signal.aborted
      }
      if (attempt.holder !== undefined && attempt.holder !== waitingFor) {
        waitingFor = attempt.holder
        log(`Lease ${store.name} is held by ${attempt.holder}: standing by (taking over when it is released or not renewed for ${this.#timings.leaseDurationMs / 1000} s)`)
      }
      await clock.sleep(this.#timings.retryPeriodMs * (1 + 0.2 * random()), this.#stop.signal)
    }
    return false
  }

  /** Step 2: renews until leading ends. Call after `acquire` resolved true. */
  async hold(): Promise<LeadershipEnd> {
    const { clock, log } = this.#options
    const { renewDeadlineMs, retryPeriodMs } = this.#timings
    for (;;) {
      const deadline = this.#lastRenewAt! + renewDeadlineMs
      await clock.sleep(Math.min(retryPeriodMs, Math.max(0, deadline - clock.now())), this.#stop.signal)
      if (this.#stop.signal.aborted) return { reason: 'released' }
      if (!stillLeading(this.#lastRenewAt!, clock.now(), this.#timings)) return this.#lost()
      const startedAt = clock.now()
      const attempt = await this.#attempt(deadline - startedAt)
      if (attempt?.ok) this.#lastRenewAt = startedAt
      if (this.#stop.signal.aborted) return { reason: 'released' }
      if (attempt === undefined) return this.#lost()
      if (!attempt.ok && attempt.holder !== undefined) return { reason: 'lost', message: `the Lease is held by ${attempt.holder} now` }
      if (!attempt.ok) log(`could not renew Lease ${this.#options.store.name} (${attempt.problem ?? 'somebody else wrote it first'}); trying again`)
    }
  }

  /** Step 3: ends `acquire` and `hold`; releases the Lease when it names this candidate. Never throws. */
  async stop(): Promise<void> {
    this.#stop.abort()
    // An attempt in flight may yet win the Lease: wait for it (a while), then read what the Lease says.
    await this.#within(this.#inFlight, this.#timings.retryPeriodMs)
    const { store, clock, log } = this.#options
    const release = async () => {
      const current = await store.get()
      const record = current && released(current, this.identity, clock.now())
      return current !== undefined && record !== undefined && (await store.update(record, current.version))
    }
    const outcome = await this.#within(release().catch((err: unknown) => describeError(err)), this.#timings.renewDeadlineMs)
    if (outcome === true) log(`released Lease ${store.name}`)
    else if (typeof outcome === 'string' || outcome === undefined) log(`could not release Lease ${store.name} (${outcome ?? 'no answer'}); it expires by itself`)
  }

  #lost(): LeadershipEnd {
    return { reason: 'lost', message: `not renewed for ${this.#timings.renewDeadlineMs / 1000} s (the renew deadline)` }
  }

  /** One read, then the write the rules call for: ok when this candidate holds the Lease after it; undefined when it took longer than `timeoutMs`. */
  #attempt(timeoutMs: number): Promise<Attempt | undefined> {
    const run = async (): Promise<Attempt> => {
      const { store, clock } = this.#options
      try {
        this.#observed = observe(this.#observed, await store.get(), clock.now())
        const decision = decide(this.#observed, this.identity, clock.now(), this.#timings)
        switch (decision.action) {
          case 'wait':
            return { ok: false, holder: decision.holder }
          case 'create':
            return { ok: await store.create(decision.record) }
          default:
            return { ok: await store.update(decision.record, decision.version) }
        }
      } catch (err) {
        const problem = describeError(err)
        if (problem !== this.#lastProblem) this.#options.log(`Lease ${store.name}: ${problem}`)
        this.#lastProblem = problem
        return { ok: false, problem }
      }
    }
    this.#inFlight = run()
    return this.#within(this.#inFlight, timeoutMs)
  }

  /** `work`'s result, or undefined after `ms` (a request that hangs). */
  async #within<T>(work: Promise<T>, ms: number): Promise<T | undefined> {
    const timeout = new AbortController()
    try {
      return await Promise.race([work, this.#options.clock.sleep(ms, timeout.signal).then(() => undefined)])
    } finally {
      timeout.abort()
    }
  }
}
