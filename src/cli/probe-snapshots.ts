import { nextPrefetchAt, PREFETCH_HISTORY } from '../core/health/probe-prefetch.ts'

/** A value read at `startedAt` (when its read began: its age counts from there). */
export interface Kept<T> {
  value: T
  startedAt: number
}

/**
 * The cluster snapshots of a long-lived `probe serve`: each readiness probe is answered from a snapshot
 * whose read started at most `maxAgeMs` before the probe arrived, else from a fresh read (shared by the
 * probes that arrive while it runs). Between probes it reads ahead, timed by `nextPrefetchAt` so that the
 * next probe of a kubelet finds a young snapshot waiting: one read a probe period, as on demand.
 * A failed read is not kept; the probe that waited for it gets the error.
 */
export class SnapshotKeeper<T> {
  readonly #read: () => Promise<T>
  readonly #maxAgeMs: number
  readonly #now: () => number
  #latest: Kept<T> | undefined
  #inFlight: { startedAt: number; promise: Promise<Kept<T>> } | undefined
  #arrivals: number[] = []
  /** How long the latest reads took (ms): read ahead by the slowest of them. */
  #readMs: number[] = []
  #timer: NodeJS.Timeout | undefined
  #closed = false

  constructor(read: () => Promise<T>, options: { maxAgeMs: number; now?: () => number }) {
    this.#read = read
    this.#maxAgeMs = options.maxAgeMs
    this.#now = options.now ?? Date.now
  }

  /** A snapshot young enough for a probe arriving now; `ageMs` is how long before now its read began. */
  async get(): Promise<{ value: T; ageMs: number }> {
    const now = this.#now()
    this.#arrivals = [...this.#arrivals, now].slice(-PREFETCH_HISTORY)
    const young = (startedAt: number) => now - startedAt <= this.#maxAgeMs
    let kept: Kept<T>
    if (this.#latest && young(this.#latest.startedAt)) kept = this.#latest
    else if (this.#inFlight && young(this.#inFlight.startedAt)) kept = await this.#inFlight.promise
    else kept = await this.#startRead()
    this.#scheduleReadAhead()
    return { value: kept.value, ageMs: Math.max(0, now - kept.startedAt) }
  }

  /** Stops reading ahead. */
  close(): void {
    this.#closed = true
    clearTimeout(this.#timer)
  }

  #startRead(): Promise<Kept<T>> {
    const startedAt = this.#now()
    const promise = this.#read().then((value) => {
      this.#readMs = [...this.#readMs, this.#now() - startedAt].slice(-3)
      const kept = { value, startedAt }
      if (!this.#latest || this.#latest.startedAt < startedAt) this.#latest = kept
      return kept
    })
    const inFlight = { startedAt, promise }
    this.#inFlight = inFlight
    const done = () => {
      if (this.#inFlight === inFlight) this.#inFlight = undefined
    }
    promise.then(done, done)
    return promise
  }

  #scheduleReadAhead(): void {
    clearTimeout(this.#timer)
    const at = nextPrefetchAt({ arrivals: this.#arrivals, readMs: Math.max(0, ...this.#readMs), maxAgeMs: this.#maxAgeMs })
    if (at === undefined || this.#closed) return
    this.#timer = setTimeout(() => {
      if (!this.#inFlight) this.#startRead().catch(() => {}) // the next probe reads again and gets the error
    }, Math.max(0, at - this.#now()))
    this.#timer.unref()
  }
}
