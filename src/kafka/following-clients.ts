import { Consumer, kGetBootstrapConnection, MultipleErrors, parseBroker, Producer, type Base, type Broker, type Connection, type ConsumerOptions, type ProducerOptions } from '@platformatic/kafka'

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
 *
 * The library also tries its bootstrap addresses one after another, each waiting out its connect timeout
 * (5 s by default) where the address is gone: with three gone pods ahead of a live one, every metadata
 * refresh stalled 15 s. These clients try them as happy eyeballs do (RFC 8305): the next address starts
 * when the last has not connected within BOOTSTRAP_STAGGER_MS, or at once when it failed; the first to
 * connect wins. A live first address costs one connection, as before.
 */
/**
 * How long a bootstrap address may take to connect before the next one is tried beside it. Longer than
 * RFC 8305's 250 ms: a connection here includes its TLS handshake, slower on a loaded broker, and each
 * address tried too early is one more handshake for the brokers.
 */
export const BOOTSTRAP_STAGGER_MS = 1000

type Connect<C> = (broker: Broker, callback: (error: Error | null, connection?: C) => void) => void

/**
 * Connects to the first of `brokers` to answer: the first at once, each next one `staggerMs` after the
 * one before it started (sooner when that one failed); when all failed, the library's MultipleErrors of
 * theirs. Connections that complete after the winner are left to `connect`'s owner (the client's pool).
 */
export function firstToConnect<C>(brokers: readonly Broker[], connect: Connect<C>, staggerMs: number, callback: (error: Error | null, connection?: C) => void): void {
  const errors: Error[] = []
  let started = 0
  let settled = false
  let timer: NodeJS.Timeout | undefined
  const settle = (error: Error | null, connection?: C) => {
    settled = true
    clearTimeout(timer)
    callback(error, connection)
  }
  const next = () => {
    clearTimeout(timer)
    if (settled || started >= brokers.length) return
    const broker = brokers[started++]!
    if (started < brokers.length) timer = setTimeout(next, staggerMs)
    connect(broker, (error, connection) => {
      if (settled) return
      if (!error) return settle(null, connection)
      errors.push(error)
      if (errors.length === brokers.length) settle(new MultipleErrors('Cannot connect to any broker.', errors))
      else next()
    })
  }
  if (brokers.length === 0) settle(new MultipleErrors('Cannot connect to any broker: no address to try.', []))
  else next()
}

/** Where a following client bootstraps from: the brokers of its last metadata first, then the given addresses. */
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
      firstToConnect(this.#brokers.order(this.currentMetadata, attempt), (broker, done) => this.connections.get(broker, done), BOOTSTRAP_STAGGER_MS, callback)
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
