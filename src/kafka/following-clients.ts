import { Consumer, kGetBootstrapConnection, parseBroker, Producer, type Base, type Broker, type Connection, type ConsumerOptions, type ProducerOptions } from '@platformatic/kafka'

/**
 * Producers and consumers that follow the brokers the way Kafka's Java client does: once the cluster
 * told them where its brokers are, they reach it there, and only then at the addresses they were given.
 *
 * @platformatic/kafka bootstraps each metadata refresh (and group coordinator lookup, ...) from the given
 * addresses first and forgets the brokers it discovered whenever it clears its metadata (on a stale
 * leader, a lost connection). On Kubernetes every broker pod gets a new IP when it restarts, so after a
 * rolling restart none of the given pod IPs answers (no RST: a connect or a request there waits out its
 * timeout), and such a client that clears its metadata has nothing left but dead addresses: it never
 * reaches the cluster again. These clients keep the brokers of their last metadata (across clears) and
 * try them first; the given addresses stay the last resort, as a load balancer's address would be.
 */
export class KnownBrokers {
  readonly #given: Broker[]
  #known: Broker[] = []

  constructor(given: readonly (string | Broker)[]) {
    this.#given = given.map((b) => parseBroker(b))
  }

  /** Keeps the brokers of the client's metadata: called before the client clears it, and at each bootstrap. */
  remember(metadata: { brokers: ReadonlyMap<number, Broker> } | undefined): void {
    if (metadata && metadata.brokers.size > 0) this.#known = [...metadata.brokers.values()]
  }

  /** Where the client bootstraps from on its `attempt`-th try: brokers last known, then the given ones, turned by the attempt. */
  order(metadata: { brokers: ReadonlyMap<number, Broker> } | undefined, attempt: number): Broker[] {
    this.remember(metadata)
    const seen = new Set<string>()
    const brokers = [...this.#known, ...this.#given].filter((b) => {
      const key = `${b.host}:${b.port}`
      return !seen.has(key) && !!seen.add(key)
    })
    const offset = attempt % Math.max(1, brokers.length)
    return [...brokers.slice(offset), ...brokers.slice(0, offset)]
  }
}

type ConnectionCallback = (error: Error | null, connection?: Connection) => void
// A mixin's base must take `...args: any[]` (TypeScript's rule); both clients take their options first.
type ClientClass = new (...args: any[]) => Base

/** `Client` made to follow the brokers (see the top of this file). */
function following<C extends ClientClass>(Client: C) {
  return class extends Client {
    readonly #brokers: KnownBrokers

    constructor(...args: any[]) {
      super(...args)
      this.#brokers = new KnownBrokers((args[0] as { bootstrapBrokers: (string | Broker)[] }).bootstrapBrokers)
    }

    override [kGetBootstrapConnection](callback: ConnectionCallback, attempt = 0): void {
      this.connections.getFirstAvailable(this.#brokers.order(this.currentMetadata, attempt), callback)
    }

    // A client reads its metadata from the leaders' answers and clears it on a stale leader: what it knew goes here first.
    override clearMetadata(): void {
      this.#brokers.remember(this.currentMetadata)
      super.clearMetadata()
    }
  }
}

export const FollowingProducer: new (options: ProducerOptions<Buffer, Buffer, Buffer, Buffer>) => Producer = following(Producer)
export const FollowingConsumer: new (options: ConsumerOptions<Buffer, Buffer, Buffer, Buffer>) => Consumer = following(Consumer)
