import { Admin } from '@platformatic/kafka'

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
