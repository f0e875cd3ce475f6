import { Admin, type Connection } from '@platformatic/kafka'
import type { KafkaConnectionOptions } from './connection-options.ts'

export type { KafkaConnectionOptions, KafkaSaslOptions, KafkaTlsOptions, SaslMechanism } from './connection-options.ts'

export function createAdmin(options: KafkaConnectionOptions, clientId = 'kafkaplane'): Admin {
  return new Admin({ clientId, ...clientConnectionOptions(options), retries: 0 })
}

/** The options every @platformatic/kafka client (admin, producer, consumer) takes to reach the cluster. */
export function clientConnectionOptions(options: KafkaConnectionOptions) {
  const { tls, sasl } = options
  return {
    bootstrapBrokers: [...options.bootstrapServers],
    requestTimeout: options.requestTimeoutMs ?? 10_000,
    connectTimeout: options.connectTimeoutMs ?? 5_000,
    ...(tls === undefined
      ? {}
      : {
          tls: { ca: tls.ca, cert: tls.cert, key: tls.key, rejectUnauthorized: true },
          ...(tls.serverName === undefined ? {} : { tlsServerName: tls.serverName }),
        }),
    ...(sasl === undefined ? {} : { sasl: { mechanism: sasl.mechanism, username: sasl.username, password: sasl.password } }),
  }
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
