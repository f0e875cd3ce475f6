import { isKafkaplaneError, type KafkaplaneError } from './errors.ts'

export interface RetryOptions {
  /** How long to keep trying, from the first attempt: a retriable error after this long is thrown. */
  limitMs: number
  /** The wait between attempts. */
  intervalMs: number
  /** Called with each retriable error that is tried again, before the wait (to say so). */
  onRetry: (err: KafkaplaneError) => void
  /** The clock (Date.now in production). */
  now: () => number
  /** The wait (a timer in production); passed in, with `now`, so that tests take no time. */
  sleep: (ms: number) => Promise<void>
}

/**
 * Runs `attempt` until it succeeds, trying it again `intervalMs` apart while it fails with a retriable
 * KafkaplaneError (the cluster not answering for a moment, a leader moving) and less than `limitMs`
 * has passed since the first attempt began (the attempts' own time counts). Any other error is thrown
 * at once, untried again; a retriable error that ends an attempt at or after the limit is thrown as it is.
 */
export async function retrying<T>(attempt: () => Promise<T>, options: RetryOptions): Promise<T> {
  const deadline = options.now() + options.limitMs
  for (;;) {
    try {
      return await attempt()
    } catch (err) {
      if (!isKafkaplaneError(err) || !err.retriable || options.now() >= deadline) throw err
      options.onRetry(err)
      await options.sleep(options.intervalMs)
    }
  }
}
