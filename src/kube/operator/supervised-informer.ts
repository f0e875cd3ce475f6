import { ADD, DELETE, ERROR, UPDATE, type Informer, type KubernetesObject, type ObjectCache } from '@kubernetes/client-node'
import { backoffDelay, type BackoffOptions } from './backoff.ts'

export interface SupervisedInformerOptions<T extends KubernetesObject> {
  /** Names the watch in logs (`KafkaCluster`). */
  name: string
  /** Makes the informer (client-node's makeInformer); made once, restarted on errors. */
  informer: Informer<T> & ObjectCache<T>
  /** Every add, update and delete. */
  onChange: (object: T) => void
  /** Delays between restarts after errors (default 1 s doubling up to 30 s). */
  backoff?: BackoffOptions
  log?: (line: string) => void
}

/** An error that arrives this long after the last restart counts as a new first failure. */
const HEALTHY_AFTER_MS = 60_000

/**
 * A client-node informer under supervision (docs/architecture.md, principle 12). client-node relists on 410 Gone by itself,
 * but any other watch or list error STOPS the informer; here every error restarts it after an
 * exponential backoff (consecutive failures count up; a restart that lived a minute resets the count).
 * The cache survives restarts: the reconcilers work from current state by key, never from one event.
 *
 * start() resolves once the first list succeeded (retrying with the same backoff until it does or
 * stop() is called); stop() stops the informer and any pending restart.
 */
export class SupervisedInformer<T extends KubernetesObject> {
  readonly name: string
  readonly #informer: Informer<T> & ObjectCache<T>
  readonly #backoff: BackoffOptions
  readonly #log: (line: string) => void
  #stopped = false
  #failures = 0
  #lastStart = 0
  #restartTimer: NodeJS.Timeout | undefined
  #lastError: unknown
  /** Restarts after errors so far. */
  restarts = 0

  constructor(options: SupervisedInformerOptions<T>) {
    this.name = options.name
    this.#informer = options.informer
    this.#backoff = { baseMs: 1000, maxMs: 30_000, ...options.backoff }
    this.#log = options.log ?? (() => {})
    for (const verb of [ADD, UPDATE, DELETE] as const) this.#informer.on(verb, options.onChange)
    this.#informer.on(ERROR, (err) => this.#failed(err))
  }

  /** The objects in the cache. */
  list(): readonly T[] {
    return this.#informer.list()
  }

  async start(): Promise<void> {
    for (;;) {
      if (this.#stopped) return
      this.#lastError = undefined
      this.#lastStart = Date.now()
      await this.#informer.start()
      if (this.#lastError === undefined) return
      // The first list failed: #failed scheduled nothing while starting; wait and try again.
      clearTimeout(this.#restartTimer)
      await new Promise((resolve) => setTimeout(resolve, backoffDelay(this.#failures, this.#backoff)))
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true
    clearTimeout(this.#restartTimer)
    await this.#informer.stop()
  }

  #failed(err: unknown): void {
    this.#lastError = err ?? new Error('watch ended with an error')
    if (this.#stopped) return
    this.#failures = Date.now() - this.#lastStart > HEALTHY_AFTER_MS ? 1 : this.#failures + 1
    const delay = backoffDelay(this.#failures, this.#backoff)
    this.#log(`watch of ${this.name} failed (${describeError(err)}); restarting in ${delay} ms`)
    clearTimeout(this.#restartTimer)
    this.#restartTimer = setTimeout(() => {
      if (this.#stopped) return
      this.restarts++
      this.#lastStart = Date.now()
      this.#informer.start().catch((e: unknown) => this.#failed(e))
    }, delay)
    this.#restartTimer.unref()
  }
}

/** The message of a Kubernetes API error's body (a Status), else the body itself, shortened. */
export function apiMessage(body: unknown): string {
  try {
    const status = (typeof body === 'string' ? JSON.parse(body) : body) as { message?: string }
    return status.message ?? String(body).slice(0, 300)
  } catch {
    return String(body).slice(0, 300)
  }
}

export function describeError(err: unknown): string {
  if (err instanceof Error) return `${err.name === 'Error' ? '' : `${err.name}: `}${err.message}`.slice(0, 300)
  return String(err).slice(0, 300)
}
