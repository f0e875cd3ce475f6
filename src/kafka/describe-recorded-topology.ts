import { describeClientQuotasV1, type Admin } from '@platformatic/kafka'
import { KafkaplaneError } from '../core/errors.ts'
import { RECORD_PREFIX, parseRecord, type RecordedTopology } from '../core/topology/recorded-topology.ts'
import { anyConnection } from './connection.ts'

const MATCH_SPECIFIED = 2

/**
 * The record names kafkaplane keeps in the cluster (DescribeClientQuotas of every `client-id` entity,
 * core/topology/recorded-topology.ts), asked of the first live bootstrap broker: any live broker
 * answers from its metadata, so a dead broker 0 does not matter.
 */
export async function describeRecordNames(admin: Admin, bootstrapServers: readonly string[]): Promise<string[]> {
  try {
    const response = await describeClientQuotasV1.api.async(await anyConnection(admin, bootstrapServers), [{ entityType: 'client-id', matchType: MATCH_SPECIFIED }], false)
    return (response.entries ?? []).flatMap((e) => e.entity.map((x) => x.entityName ?? '')).filter((n) => n.startsWith(RECORD_PREFIX))
  } catch (err) {
    throw new KafkaplaneError('KAFKA_REQUEST_FAILED', `DescribeClientQuotas (the failure domains kafkaplane records) failed: ${(err as Error).message}`, {
      fix: 'check that the brokers are reachable and the client may describe the cluster (DESCRIBE_CONFIGS on CLUSTER), or pass --topology FILE',
      retriable: true,
      cause: err,
    })
  }
}

/** The failure domains recorded in the cluster (undefined topology when none are). */
export async function describeRecordedTopology(admin: Admin, bootstrapServers: readonly string[]): Promise<RecordedTopology> {
  return parseRecord(await describeRecordNames(admin, bootstrapServers))
}
