import type { Admin } from '@platformatic/kafka'
import { cordoningSupported, CORDONING_MIN_METADATA } from '../core/upgrade/kafka-releases.ts'
import { alterEachBroker } from './alter-broker-configs.ts'
import { describeMetadataVersion } from './describe-features.ts'

/** KIP-1066: a broker's log directories Kafka's own placement leaves out; `*` is all of them. */
export const CORDONED_LOG_DIRS = 'cordoned.log.dirs'
const SET = 0 as const
const DELETE = 1 as const

export type CordonOutcome =
  /** Each broker's config changed but those in `failures` (a broker that did not answer), with why. */
  | { kind: 'done'; failures: { broker: number; message: string }[] }
  /** The cluster's metadata.version is below the one cordoning needs: nothing was sent. */
  | { kind: 'unsupported'; reason: string }

/**
 * Cordons (`cordoned: true`: `cordoned.log.dirs=*`) or uncordons (the config removed) these brokers,
 * KIP-1066: a cordoned broker keeps its replicas and serves them, but Kafka places no new partition on
 * it (a topic or partitions created without an assignment) and refuses an assignment or reassignment
 * that names it. Kafka applies it only from metadata.version 4.3-IV0 on: below that nothing is sent and
 * the outcome says why. Each broker's config is sent to that broker itself (Kafka refuses another
 * broker's), so a broker that is down can be neither cordoned nor uncordoned; the config outlives the
 * broker's registration (it is the cluster's metadata): a broker that comes back with that id starts
 * cordoned until it is uncordoned.
 */
export async function setCordoned(admin: Admin, brokers: readonly number[], cordoned: boolean): Promise<CordonOutcome> {
  if (brokers.length === 0) return { kind: 'done', failures: [] }
  let unsupported: string | undefined
  try {
    unsupported = await cordoningUnsupported(admin)
  } catch (err) {
    return { kind: 'done', failures: brokers.map((broker) => ({ broker, message: `the metadata.version could not be read: ${(err as Error).message}` })) }
  }
  if (unsupported !== undefined) return { kind: 'unsupported', reason: unsupported }
  const configs = [cordoned ? { name: CORDONED_LOG_DIRS, configOperation: SET, value: '*' } : { name: CORDONED_LOG_DIRS, configOperation: DELETE }]
  return { kind: 'done', failures: await alterEachBroker(admin, brokers, configs, CORDONED_LOG_DIRS, (broker) => `check that broker ${broker} is up; cordoning can be repeated safely`) }
}

/**
 * Why this cluster cannot cordon brokers (its finalized metadata.version is below 4.3-IV0), or
 * undefined when it can. Throws when no broker reports the finalized level.
 */
export async function cordoningUnsupported(admin: Admin): Promise<string | undefined> {
  const { finalized } = await describeMetadataVersion(admin)
  if (cordoningSupported(finalized)) return undefined
  return `the cluster's metadata.version is at level ${finalized}; Kafka cordons brokers (KIP-1066) from ${CORDONING_MIN_METADATA.name} (level ${CORDONING_MIN_METADATA.level}) on`
}

/**
 * Whether a broker's `cordoned.log.dirs` value cordons it for placement. `*` cordons all its log
 * directories; a list of some of them leaves Kafka free to use the others, but kafkaplane does not
 * know which directory Kafka would pick for a replica, so any value but an empty one counts as
 * cordoned: the broker takes no new replica from a plan.
 */
export function isCordoned(value: string | null | undefined): boolean {
  return value !== undefined && value !== null && value.trim() !== ''
}
