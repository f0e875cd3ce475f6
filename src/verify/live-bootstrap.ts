/**
 * Which addresses of a cluster answer now, for a client that verify starts at the end of a run.
 *
 * The client library bootstraps by trying its addresses one after another, and an address that drops
 * connection attempts (a gone pod IP on Kubernetes: no RST) costs its whole connect timeout each time.
 * After a rolling restart most addresses a run knows may be such, and a few of them ahead of the live
 * ones use up the end phase's deadline. So, before starting such a client:
 *
 * 1. Every candidate address (once each) is probed at the same time: asked which brokers the cluster has.
 *    The probe brings its own short timeouts.
 * 2. The first answer ends the wait. The bootstrap list is that answer's brokers (fresh from Kafka), then
 *    the other candidates that answered by then, then the rest of the candidates in their order (a last
 *    resort: an address may come back).
 * 3. When no candidate answers within `timeoutMs` (or every probe failed), the list is the candidates as
 *    they were, and `answered` is empty.
 * Probes still under way when the wait ends are aborted.
 */

/** Asks one address for the cluster's brokers (`host:port`); rejects when it does not answer. Stops on `signal`. */
export type BrokerProbe = (address: string, signal: AbortSignal) => Promise<string[]>

export interface LiveBootstrap {
  /** The addresses to bootstrap from, best first. */
  bootstrap: string[]
  /** The candidates that answered before the wait ended, first answer first. */
  answered: string[]
  /** Every distinct candidate probed. */
  tried: string[]
}

export async function findLiveBootstrap(candidates: readonly string[], probe: BrokerProbe, timeoutMs: number): Promise<LiveBootstrap> {
  const tried = [...new Set(candidates)]
  const answered: string[] = []
  let fresh: string[] = []
  let done = false
  const abort = new AbortController()
  let timer: NodeJS.Timeout | undefined
  await new Promise<void>((resolve) => {
    let pending = tried.length
    if (pending === 0) return resolve()
    timer = setTimeout(resolve, timeoutMs)
    for (const address of tried) {
      Promise.resolve()
        .then(() => probe(address, abort.signal))
        .then(
          (brokers) => {
            if (done) return
            if (fresh.length === 0) fresh = brokers
            answered.push(address)
            resolve()
          },
          () => {},
        )
        .finally(() => --pending === 0 && resolve())
    }
  })
  done = true
  clearTimeout(timer)
  abort.abort()
  return { bootstrap: answered.length > 0 ? [...new Set([...fresh, ...answered, ...tried])] : tried, answered, tried }
}

/** What to report when no address answered: "no address answered of N tried: a, b, c, ...". */
export function noAddressAnswered(found: LiveBootstrap): string {
  const shown = found.tried.slice(0, 5).join(', ')
  return `no address answered of ${found.tried.length} tried: ${shown}${found.tried.length > 5 ? ', ...' : ''}`
}
