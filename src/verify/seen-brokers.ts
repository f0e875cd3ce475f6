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

export class SeenBrokers {
  readonly #given: readonly string[]
  #seen: readonly string[] = []
  #seenAt = -Infinity

  constructor(given: readonly string[]) {
    this.#given = given
  }

  /** Takes a client's metadata (`undefined` when it has none yet); keeps the freshest broker list. */
  observe(metadata: SeenMetadata | undefined): void {
    if (!metadata || metadata.brokers.size === 0 || metadata.lastUpdate <= this.#seenAt) return
    this.#seenAt = metadata.lastUpdate
    this.#seen = [...metadata.brokers.values()].map((b) => `${b.host.includes(':') ? `[${b.host}]` : b.host}:${b.port}`)
  }

  /** The addresses to bootstrap a new client from: the brokers last seen first, then the ones given. */
  bootstrapServers(): string[] {
    return [...new Set([...this.#seen, ...this.#given])]
  }
}
