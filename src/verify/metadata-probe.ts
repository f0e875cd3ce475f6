import { createAdmin, type KafkaConnectionOptions } from '../kafka/connection.ts'
import { describeLiveBrokers } from '../kafka/describe-live-brokers.ts'
import type { BrokerProbe } from './live-bootstrap.ts'
import { brokerAddress } from './seen-brokers.ts'

/**
 * The BrokerProbe against Kafka: one Metadata request without topics (just the brokers) to one address,
 * on an admin client of its own that knows only that address, with `timeoutMs` to connect and as long
 * for the answer, no retries; `connection` gives TLS and SASL. Aborting closes the client.
 */
export function metadataProbe(connection: KafkaConnectionOptions, timeoutMs: number): BrokerProbe {
  return async (address, signal) => {
    const admin = createAdmin({ ...connection, bootstrapServers: [address], connectTimeoutMs: timeoutMs, requestTimeoutMs: timeoutMs }, 'kafkaplane-verify-probe')
    const close = () => void admin.close().catch(() => {})
    signal.addEventListener('abort', close, { once: true })
    try {
      return (await describeLiveBrokers(admin)).map(brokerAddress)
    } finally {
      signal.removeEventListener('abort', close)
      close()
    }
  }
}
