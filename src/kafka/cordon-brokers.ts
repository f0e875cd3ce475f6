import type { Admin } from '@platformatic/kafka'
import { isKafkaplaneError } from '../core/errors.ts'
import { cordoningSupported, CORDONING_MIN_METADATA } from '../core/upgrade/kafka-releases.ts'
import { describeMetadataVersion } from './describe-features.ts'
import { kafkaError } from './kafka-error.ts'

/** KIP-1066: a broker's log directories Kafka's own placement leaves out; `*` is all of them. */
export const CORDONED_LOG_DIRS = 'cordoned.log.dirs'
const BROKER_RESOURCE = 4 as const
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
  let finalized: number
  try {
    finalized = (await describeMetadataVersion(admin)).finalized
  } catch (err) {
    return { kind: 'done', failures: brokers.map((broker) => ({ broker, message: `the metadata.version could not be read: ${(err as Error).message}` })) }
  }
  if (!cordoningSupported(finalized)) {
    return { kind: 'unsupported', reason: `the cluster's metadata.version is at level ${finalized}; Kafka cordons brokers (KIP-1066) from ${CORDONING_MIN_METADATA.name} (level ${CORDONING_MIN_METADATA.level}) on` }
  }
  const configs = [cordoned ? { name: CORDONED_LOG_DIRS, configOperation: SET, value: '*' } : { name: CORDONED_LOG_DIRS, configOperation: DELETE }]
  const outcomes = await Promise.allSettled(
    brokers.map(async (broker) => {
      try {
        await admin.incrementalAlterConfigs({ resources: [{ resourceType: BROKER_RESOURCE, resourceName: String(broker), configs }] })
      } catch (err) {
        throw kafkaError(`IncrementalAlterConfigs of ${CORDONED_LOG_DIRS} on broker ${broker}`, err, { fix: `check that broker ${broker} is up; cordoning can be repeated safely`, resource: { broker } })
      }
    }),
  )
  // A missing ACL is no broker's state: it stops the caller at once.
  const denied = outcomes.find((o) => o.status === 'rejected' && isKafkaplaneError(o.reason, 'KAFKA_NOT_AUTHORIZED'))
  if (denied) throw (denied as PromiseRejectedResult).reason
  return { kind: 'done', failures: outcomes.flatMap((o, i) => (o.status === 'rejected' ? [{ broker: brokers[i]!, message: (o.reason as Error).message }] : [])) }
}
