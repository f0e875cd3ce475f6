/**
 * Where a verify run's clients last saw the brokers, so that a client it starts late (the final reader,
 * a reader restarted after an error) can find a cluster whose every address changed since the run
 * began: on Kubernetes each broker pod gets a new IP when it restarts, and after a rolling restart none
 * of the `--bootstrap-server` addresses may answer any more. The clients that ran all along followed the
 * brokers through metadata; this book keeps what the freshest of them saw.
 */
export interface SeenMetadata {
  brokers: ReadonlyMap<number, { host: string; port: number }>
  lastUpdate: number
}

/** A broker as `host:port` (`[host]:port` for an IPv6 host). */
export function brokerAddress(broker: { host: string; port: number }): string {
  return `${broker.host.includes(':') ? `[${broker.host}]` : broker.host}:${broker.port}`
}

export class SeenBrokers {
  readonly #given: readonly string[]
  #seen: readonly string[] = []
  #seenAt = -Infinity
  /** Every address any client reported, with the last time one did. */
  readonly #everSeen = new Map<string, number>()

  constructor(given: readonly string[]) {
    this.#given = given
  }

  /** Takes a client's metadata (`undefined` when it has none yet); keeps the freshest broker list. */
  observe(metadata: SeenMetadata | undefined): void {
    if (!metadata || metadata.brokers.size === 0) return
    const addresses = [...metadata.brokers.values()].map(brokerAddress)
    for (const a of addresses) this.#everSeen.set(a, Math.max(this.#everSeen.get(a) ?? -Infinity, metadata.lastUpdate))
    if (metadata.lastUpdate <= this.#seenAt) return
    this.#seenAt = metadata.lastUpdate
    this.#seen = addresses
  }

  /** The addresses to bootstrap a new client from: the brokers last seen first, then the ones given. */
  bootstrapServers(): string[] {
    return [...new Set([...this.#seen, ...this.#given])]
  }

  /**
   * Every address worth asking whether it answers now (see live-bootstrap.ts): the brokers last seen,
   * then any other address a client reported, the most recently reported first, then the ones given.
   */
  candidates(): string[] {
    const reported = [...this.#everSeen].sort((a, b) => b[1] - a[1]).map(([address]) => address)
    return [...new Set([...this.#seen, ...reported, ...this.#given])]
  }
}
