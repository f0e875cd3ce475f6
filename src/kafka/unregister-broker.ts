import { unregisterBrokerV0, type Connection } from '@platformatic/kafka'
import { kafkaError } from './kafka-error.ts'

/** Kafka's BROKER_ID_NOT_REGISTERED: the broker is already unregistered, which is what was wanted. */
const BROKER_ID_NOT_REGISTERED = 102

/**
 * UnregisterBroker (KIP-500's `kafka-cluster unregister`): removes a broker's registration from the
 * KRaft metadata, so that a broker scaled away does not linger as registered and fenced. Any broker
 * forwards it to the active controller. Call it only for a broker that is stopped for good: a broker
 * that runs registers again. Unregistering a broker that is not registered is not an error.
 */
export async function unregisterBroker(connection: Connection, brokerId: number): Promise<void> {
  try {
    await unregisterBrokerV0.api.async(connection, brokerId)
  } catch (err) {
    // The client throws a ResponseError carrying the response for an error code in it.
    if ((err as { response?: { errorCode?: number } }).response?.errorCode === BROKER_ID_NOT_REGISTERED) return
    throw kafkaError(`UnregisterBroker (broker ${brokerId})`, err, { fix: 'check that the cluster is reachable and the broker stopped; the operator tries again' })
  }
}
