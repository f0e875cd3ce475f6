import type { Admin } from '@platformatic/kafka'
import { KafkaplaneError } from '../core/errors.ts'

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
    throw new KafkaplaneError('KAFKA_REQUEST_FAILED', `Metadata request failed: ${(err as Error).message}`, {
      fix: 'check that the bootstrap servers are reachable and running',
      retriable: true,
      cause: err,
    })
  }
}
