import { Admin, type Connection } from '@platformatic/kafka'

/** SASL mechanisms kafkaplane speaks (through the client): PLAIN and SCRAM, always over TLS in production. */
export const SASL_MECHANISMS = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'] as const
export type SaslMechanism = (typeof SASL_MECHANISMS)[number]

/**
 * TLS towards the brokers: the PEM contents (not paths; the CLI reads the files). With `cert` and `key`
 * the client authenticates itself (mTLS, `ssl.client.auth=required` on the listener). Without `ca` the
 * system's trusted CAs are used.
 */
export interface KafkaTlsOptions {
  ca?: string
  cert?: string
  key?: string
  /** Server name to verify instead of the host connected to. */
  serverName?: string
}

export interface KafkaSaslOptions {
  mechanism: SaslMechanism
  username: string
  password: string
}

/** How kafkaplane reaches a Kafka cluster. */
export interface KafkaConnectionOptions {
  /** `host:port` of one or more brokers. */
  bootstrapServers: readonly string[]
  /** TLS on the connection (listener `SSL` or `SASL_SSL`); absent = plaintext. */
  tls?: KafkaTlsOptions
  /** SASL authentication (listener `SASL_SSL` or `SASL_PLAINTEXT`); absent = none. */
  sasl?: KafkaSaslOptions
  /** Per-request timeout; defaults to 10 s. */
  requestTimeoutMs?: number
  /** TCP connect timeout; defaults to 5 s. */
  connectTimeoutMs?: number
}

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
