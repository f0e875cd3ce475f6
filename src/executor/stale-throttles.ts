import type { ExecutorCluster } from '../ports/executor-cluster.ts'

export interface StaleThrottles {
  brokers: number[]
  topics: string[]
  /** Brokers that kept their rate because they did not take its removal. */
  failed: number[]
}

/**
 * Finds and removes replication throttles that no reassignment needs: left by a plan whose broker was
 * dead when it ended (the broker has its rate again when it returns), by a process killed at the wrong
 * moment, or by another tool. A throttle counts as stale only when nothing is being reassigned at two
 * looks `settleMs` apart and it was set at both, so that the short gap between two batches of a plan
 * run by another process is never taken for the end of it. Reads every registered broker and every
 * topic; removes what it found stale. Returns what it removed (nothing while anything moves). `sleep` is
 * the wait between the looks (a clock's, src/ports/clock.ts); `signal` aborted by then removes nothing.
 */
export async function clearStaleThrottles(
  cluster: ExecutorCluster,
  sleep: (ms: number) => Promise<void>,
  settleMs = 5000,
  signal?: AbortSignal,
): Promise<StaleThrottles> {
  const none: StaleThrottles = { brokers: [], topics: [], failed: [] }
  const look = async () => {
    if ((await cluster.inFlight()).length > 0) return undefined
    const registered = (await cluster.snapshot()).brokers.map((b) => b.id)
    return cluster.throttlesSet(registered, 'all')
  }
  const first = await look()
  if (!first || (first.brokers.length === 0 && first.topics.length === 0)) return none
  await sleep(settleMs)
  if (signal?.aborted) return none
  const second = await look()
  if (!second) return none
  const brokers = second.brokers.filter((b) => first.brokers.includes(b))
  const topics = second.topics.filter((t) => first.topics.includes(t))
  if ((await cluster.inFlight()).length > 0) return none
  const failed = (await cluster.clearThrottles(brokers, topics)).map((f) => f.broker)
  return { brokers: brokers.filter((b) => !failed.includes(b)), topics, failed }
}
