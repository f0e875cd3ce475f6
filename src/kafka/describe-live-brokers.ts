import type { Admin } from '@platformatic/kafka'
import { kafkaError } from './kafka-error.ts'

export interface LiveBroker {
  id: number
  host: string
  port: number
  rack: string | undefined
}

/**
 * The brokers that are registered and unfenced right now: in KRaft, Metadata lists exactly those (a
 * fenced or shut-down broker drops out). A fresh Metadata request every call, never a cached one.
 */
export async function describeLiveBrokers(admin: Admin): Promise<LiveBroker[]> {
  try {
    const metadata = await admin.metadata({ topics: [], forceUpdate: true })
    return [...metadata.brokers.entries()]
      .map(([id, b]) => ({ id, host: b.host, port: b.port, rack: b.rack ?? undefined }))
      .sort((a, b) => a.id - b.id)
  } catch (err) {
    throw kafkaError('Metadata request', err, { fix: 'check that the bootstrap servers are reachable and running' })
  }
}
