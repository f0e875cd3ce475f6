import { KafkaplaneError } from '../core/errors.ts'
import { metadataLevelToFinalize } from '../core/upgrade/version-change.ts'
import type { Clock } from '../ports/clock.ts'
import type { MetadataVersionAdmin } from '../ports/metadata-version.ts'

export type FinalizeOutcome =
  | { kind: 'finalized'; from: number; to: number }
  | { kind: 'current'; level: number }
  | { kind: 'held-back'; level: number; behind: number[] }

/**
 * The last step of a version upgrade (src/core/upgrade/version-change.ts): once every one of `nodes`
 * is live and supports a newer level, raise the cluster's metadata.version to the newest they all
 * support, and wait until every broker reports it. A node not live, or whose binary supports no newer
 * level, holds it back (said, nothing changed).
 */
export async function finalizeMetadataVersion(admin: MetadataVersionAdmin, nodes: readonly number[], clock: Clock, timeoutMs = 60_000): Promise<FinalizeOutcome> {
  const before = await admin.describe()
  const supported = new Map(nodes.map((id) => [id, before.supported.get(id) ?? -1]))
  const newest = Math.max(-1, ...supported.values())
  if (newest <= before.finalized) return { kind: 'current', level: before.finalized }
  const level = metadataLevelToFinalize(before.finalized, supported)
  if (level === undefined || level < newest) {
    return { kind: 'held-back', level: before.finalized, behind: nodes.filter((id) => supported.get(id)! < newest) }
  }
  await admin.raise(level)
  const deadline = clock.now() + timeoutMs
  for (;;) {
    const now = await admin.describe().catch(() => undefined)
    if (now && now.finalized >= level) return { kind: 'finalized', from: before.finalized, to: level }
    if (clock.now() > deadline) {
      throw new KafkaplaneError('KAFKA_REQUEST_FAILED', `metadata.version was raised to level ${level}, but the brokers still report level ${now?.finalized ?? 'unknown'} after ${Math.round(timeoutMs / 1000)} s`, {
        fix: 'check the controllers (`kafkaplane status`) and run the same command again',
        retriable: true,
      })
    }
    await clock.sleep(500)
  }
}
