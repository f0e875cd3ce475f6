import { Admin, type Connection } from '@platformatic/kafka'

/** How kafkaplane reaches a Kafka cluster. TLS and SASL arrive with the cluster-health adapter. */
export interface KafkaConnectionOptions {
  /** `host:port` of one or more brokers. */
  bootstrapServers: readonly string[]
  /** Per-request timeout; defaults to 10 s. */
  requestTimeoutMs?: number
  /** TCP connect timeout; defaults to 5 s. */
  connectTimeoutMs?: number
}

export function createAdmin(options: KafkaConnectionOptions, clientId = 'kafkaplane'): Admin {
  return new Admin({
    clientId,
    bootstrapBrokers: [...options.bootstrapServers],
    requestTimeout: options.requestTimeoutMs ?? 10_000,
    connectTimeout: options.connectTimeoutMs ?? 5_000,
    retries: 0,
  })
}

/** `host:port` strings as the client's Broker objects. */
export function parseBootstrap(servers: readonly string[]): { host: string; port: number }[] {
  return servers.map((s) => {
    const at = s.lastIndexOf(':')
    return { host: s.slice(0, at).replace(/^\[|\]$/g, ''), port: Number(s.slice(at + 1)) }
  })
}

/**
 * A pooled connection to the first reachable bootstrap server, for the raw versioned APIs the client
 * has no method for (any broker forwards them to the active controller). Never close it: the pool owns it.
 */
export function anyConnection(admin: Admin, bootstrapServers: readonly string[]): Promise<Connection> {
  return admin.connections.getFirstAvailable(parseBootstrap(bootstrapServers))
}
