import { backoffDelay, type BackoffOptions } from './backoff.ts'

/** What a reconcile asks of the queue once it returns: nothing, or to be run again later. */
export interface ReconcileOutcome {
  /** Run this key again after this many milliseconds (a status that waits on pods, a resync). */
  requeueAfterMs?: number
}

export type Reconcile = (key: string, signal: AbortSignal) => Promise<ReconcileOutcome | void>

export interface WorkQueueOptions {
  reconcile: Reconcile
  /** Keys reconciled at the same time (default 2); never two reconciles of one key. */
  workers?: number
  /** Retry delays after a failed reconcile (default 0.5 s doubling up to 60 s). */
  backoff?: BackoffOptions
  /** Told about every failed reconcile and when it runs again. */
  onError?: (key: string, err: unknown, attempt: number, retryInMs: number) => void
}

/**
 * A keyed work queue (`namespace/name`), the reconcile loop's only way in:
 *   1. `add(key)` queues a key once: adding a queued key again does nothing (events collapse); adding
 *      a key being reconciled marks it dirty, and it runs once more after the current reconcile ends,
 *      so the last event is never lost and one key never runs twice at once.
 *   2. Up to `workers` keys run at once, in the order they were first queued.
 *   3. A reconcile that throws is retried after an exponential backoff (`backoff`), counted per key;
 *      one that succeeds resets its count and may ask to run again after `requeueAfterMs`.
 *   4. `addAfter(key, ms)` queues a key later; the earliest pending time wins, `add` runs it now.
 *   5. `stop()` takes no more work, aborts the signal every reconcile got, and resolves once the
 *      reconciles in flight have returned; timers are cleared.
 */
export class WorkQueue {
  readonly #reconcile: Reconcile
  readonly #workers: number
  readonly #backoff: BackoffOptions
  readonly #onError: WorkQueueOptions['onError']
  readonly #queued = new Set<string>()
  readonly #running = new Map<string, Promise<void>>()
  readonly #dirty = new Set<string>()
  readonly #failures = new Map<string, number>()
  readonly #timers = new Map<string, { at: number; timer: NodeJS.Timeout }>()
  readonly #abort = new AbortController()
  #idleWaiters: (() => void)[] = []

  constructor(options: WorkQueueOptions) {
    this.#reconcile = options.reconcile
    this.#workers = options.workers ?? 2
    this.#backoff = options.backoff ?? {}
    this.#onError = options.onError
  }

  get stopped(): boolean {
    return this.#abort.signal.aborted
  }

  /** Keys waiting to run now (not the ones running or waiting for a timer). */
  get length(): number {
    return this.#queued.size
  }

  /** Consecutive failures of a key (0 after a success). */
  failures(key: string): number {
    return this.#failures.get(key) ?? 0
  }

  add(key: string): void {
    if (this.stopped) return
    this.#clearTimer(key)
    if (this.#running.has(key)) {
      this.#dirty.add(key)
      return
    }
    this.#queued.add(key)
    this.#pump()
  }

  addAfter(key: string, ms: number): void {
    if (this.stopped) return
    if (ms <= 0) return this.add(key)
    const at = Date.now() + ms
    const pending = this.#timers.get(key)
    if (pending && pending.at <= at) return
    this.#clearTimer(key)
    const timer = setTimeout(() => {
      this.#timers.delete(key)
      this.add(key)
    }, ms)
    timer.unref()
    this.#timers.set(key, { at, timer })
  }

  /** Resolves when nothing is queued or running (timers may still be pending); for tests. */
  idle(): Promise<void> {
    if (this.#queued.size === 0 && this.#running.size === 0) return Promise.resolve()
    return new Promise((resolve) => this.#idleWaiters.push(resolve))
  }

  async stop(): Promise<void> {
    this.#abort.abort()
    for (const key of [...this.#timers.keys()]) this.#clearTimer(key)
    this.#queued.clear()
    this.#dirty.clear()
    await Promise.allSettled([...this.#running.values()])
  }

  #clearTimer(key: string): void {
    const pending = this.#timers.get(key)
    if (pending) clearTimeout(pending.timer)
    this.#timers.delete(key)
  }

  #pump(): void {
    while (!this.stopped && this.#running.size < this.#workers) {
      // add() never queues a running key (it marks it dirty), so the first queued key is free to run.
      const key = this.#queued.values().next().value
      if (key === undefined) break
      this.#queued.delete(key)
      this.#running.set(key, this.#run(key))
    }
    if (this.#queued.size === 0 && this.#running.size === 0) {
      const waiters = this.#idleWaiters
      this.#idleWaiters = []
      for (const w of waiters) w()
    }
  }

  async #run(key: string): Promise<void> {
    let requeueAfterMs: number | undefined
    try {
      const outcome = await this.#reconcile(key, this.#abort.signal)
      this.#failures.delete(key)
      requeueAfterMs = outcome?.requeueAfterMs
    } catch (err) {
      const attempt = (this.#failures.get(key) ?? 0) + 1
      this.#failures.set(key, attempt)
      requeueAfterMs = backoffDelay(attempt, this.#backoff)
      if (!this.stopped) this.#onError?.(key, err, attempt, requeueAfterMs)
    } finally {
      this.#running.delete(key)
    }
    if (this.#dirty.delete(key)) this.add(key)
    else if (requeueAfterMs !== undefined) this.addAfter(key, requeueAfterMs)
    this.#pump()
  }
}
