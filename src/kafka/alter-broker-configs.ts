import type { Admin } from '@platformatic/kafka'
import { isKafkaplaneError } from '../core/errors.ts'
import { kafkaError } from './kafka-error.ts'

export const BROKER_RESOURCE = 4 as const

export type BrokerConfigs = Parameters<Admin['incrementalAlterConfigs']>[0]['resources'][number]['configs']

/** A broker that did not take a config change (a dead or fenced broker cannot), with the reason. */
export interface BrokerConfigFailure {
  broker: number
  message: string
}

/**
 * One dynamic config change (IncrementalAlterConfigs) on each of these brokers, each sent to that broker
 * itself (Kafka takes a broker's config only there): a broker that does not answer is returned with the
 * reason and keeps no one else from the change. A missing ACL throws. `what` names the configs in the
 * error ("IncrementalAlterConfigs of <what> on broker N failed: ..."), `fix` says what to do.
 */
export async function alterEachBroker(admin: Admin, brokers: readonly number[], configs: BrokerConfigs, what: string, fix: (broker: number) => string): Promise<BrokerConfigFailure[]> {
  const outcomes = await Promise.allSettled(
    brokers.map(async (broker) => {
      try {
        await admin.incrementalAlterConfigs({ resources: [{ resourceType: BROKER_RESOURCE, resourceName: String(broker), configs }] })
      } catch (err) {
        throw kafkaError(`IncrementalAlterConfigs of ${what} on broker ${broker}`, err, { fix: fix(broker), resource: { broker } })
      }
    }),
  )
  // A missing ACL is no broker's state: it stops the caller at once.
  const denied = outcomes.find((o) => o.status === 'rejected' && isKafkaplaneError(o.reason, 'KAFKA_NOT_AUTHORIZED'))
  if (denied) throw (denied as PromiseRejectedResult).reason
  return outcomes.flatMap((o, i) => (o.status === 'rejected' ? [{ broker: brokers[i]!, message: (o.reason as Error).message }] : []))
}
