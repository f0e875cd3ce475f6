import { alterClientQuotasV1, type Admin } from '@platformatic/kafka'
import { KafkaplaneError } from '../core/errors.ts'
import { RECORD_QUOTA_KEY, RECORD_QUOTA_VALUE, recordChanges } from '../core/topology/recorded-topology.ts'
import type { Topology } from '../core/topology/topology.ts'
import { anyConnection } from './connection.ts'
import { describeRecordNames } from './describe-recorded-topology.ts'

/**
 * Records `topology` in the cluster (AlterClientQuotas, core/topology/recorded-topology.ts): adds the
 * missing record names and removes the stale ones (old labels, brokers no longer in it). Sent to the
 * first live bootstrap broker, which forwards it to the active controller; returns once that broker
 * reports the new record (brokers apply the metadata log a moment after the controller commits it),
 * at most `visibleWithinMs` (default 15 s) later. Returns what changed.
 */
export async function recordTopology(admin: Admin, bootstrapServers: readonly string[], topology: Topology, visibleWithinMs = 15_000): Promise<{ added: number; removed: number }> {
  const { add, remove } = recordChanges(await describeRecordNames(admin, bootstrapServers), topology)
  if (add.length + remove.length === 0) return { added: 0, removed: 0 }
  const entry = (name: string, op: { key: typeof RECORD_QUOTA_KEY; value: number; remove: false } | { key: typeof RECORD_QUOTA_KEY; remove: true }) => ({
    entities: [{ entityType: 'client-id' as const, entityName: name }],
    ops: [op],
  })
  try {
    const response = await alterClientQuotasV1.api.async(
      await anyConnection(admin, bootstrapServers),
      [...add.map((n) => entry(n, { key: RECORD_QUOTA_KEY, value: RECORD_QUOTA_VALUE, remove: false })), ...remove.map((n) => entry(n, { key: RECORD_QUOTA_KEY, remove: true }))],
      false,
    )
    const failed = response.entries.find((e) => e.errorCode !== 0)
    if (failed) throw new Error(`${failed.entity[0]?.entityName}: error ${failed.errorCode} ${failed.errorMessage ?? ''}`)
  } catch (err) {
    throw new KafkaplaneError('KAFKA_REQUEST_FAILED', `AlterClientQuotas (recording the brokers' failure domains) failed: ${(err as Error).message}`, {
      fix: 'check that the brokers are reachable and the client may alter the cluster (ALTER_CONFIGS on CLUSTER)',
      retriable: true,
      cause: err,
    })
  }
  const deadline = Date.now() + visibleWithinMs
  for (;;) {
    const left = recordChanges(await describeRecordNames(admin, bootstrapServers), topology)
    if (left.add.length + left.remove.length === 0) return { added: add.length, removed: remove.length }
    if (Date.now() > deadline) {
      throw new KafkaplaneError('KAFKA_REQUEST_FAILED', `the brokers' failure domains were recorded but the broker asked does not report them after ${Math.round(visibleWithinMs / 1000)} s (${left.add.length} records missing, ${left.remove.length} stale)`, {
        fix: 'check the brokers\' metadata replication (kafkaplane status), then run the same command again',
        retriable: true,
      })
    }
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}
