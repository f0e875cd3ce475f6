/* How kafkaplane reaches a cluster: plain data, no client loaded (a probe parses them before it decides
   whether it needs the Kafka client at all). */

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
