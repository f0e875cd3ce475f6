import { describeLogDirsV4, type Connection } from '@platformatic/kafka'
import { kafkaError, kafkaErrorCode } from './kafka-error.ts'

export interface LogDirUsage {
  logDir: string
  /** Size of the volume holding the log dir, bytes. */
  totalBytes: number
  /** Bytes still free there for Kafka. */
  usableBytes: number
}

/**
 * DescribeLogDirs v4 (KIP-827, Kafka 3.3+) asking for no topic: the log dirs of the broker behind
 * `connection` with the size of their volume and the bytes still usable, and no partition sizes (cheap
 * on any number of partitions). Log dirs that failed, or whose sizes the broker does not know (-1), are
 * left out.
 */
export async function describeLogDirUsage(connection: Connection): Promise<LogDirUsage[]> {
  let response
  try {
    response = await describeLogDirsV4.api.async(connection, [])
  } catch (err) {
    throw kafkaError('DescribeLogDirs', err, { fix: 'check that the broker is reachable' })
  }
  if (response.errorCode !== 0) throw kafkaErrorCode('DescribeLogDirs', response.errorCode, null, { fix: 'check that the principal may describe the cluster' })
  return response.results
    .filter((r) => r.errorCode === 0 && r.totalBytes >= 0n && r.usableBytes >= 0n)
    .map((r) => ({ logDir: r.logDir, totalBytes: Number(r.totalBytes), usableBytes: Number(r.usableBytes) }))
}
