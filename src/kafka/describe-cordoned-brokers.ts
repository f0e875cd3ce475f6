import type { Admin } from '@platformatic/kafka'
import { BROKER_RESOURCE } from './alter-broker-configs.ts'
import { CORDONED_LOG_DIRS, cordoningUnsupported, isCordoned } from './cordon-brokers.ts'

/**
 * Which of these brokers are cordoned (KIP-1066: `cordoned.log.dirs` set, see `isCordoned`), for the
 * planners: DescribeConfigs of that one config on each broker, sent to the broker itself (the admin
 * client routes a BROKER resource there), all at once. Below metadata.version 4.3-IV0 Kafka ignores
 * the config, so nothing is asked and none is cordoned.
 *
 * Never throws: a broker that does not answer (or a cluster whose metadata.version cannot be read)
 * counts as not cordoned, so that one broker down does not stop every plan; if it is cordoned after
 * all, Kafka refuses the moves onto it and the executor reports that refusal with Kafka's reason.
 */
export async function describeCordonedBrokers(admin: Admin, brokers: readonly number[]): Promise<number[]> {
  if (brokers.length === 0) return []
  return (await describeCordonsIfApplied(admin, brokers)) ?? []
}

/**
 * `describeCordonedBrokers`, but undefined where it asks nothing because Kafka applies no cordon
 * (metadata.version below 4.3-IV0, or not readable): for `kafkaplane status`, which shows cordons
 * only where they mean something. Never throws either.
 */
export async function describeCordonsIfApplied(admin: Admin, brokers: readonly number[]): Promise<number[] | undefined> {
  const unsupported = await cordoningUnsupported(admin).catch(() => 'unknown')
  if (unsupported !== undefined) return undefined
  const cordoned = await Promise.all(
    brokers.map(async (broker) => {
      try {
        const [described] = await admin.describeConfigs({ resources: [{ resourceType: BROKER_RESOURCE, resourceName: String(broker), configurationKeys: [CORDONED_LOG_DIRS] }] })
        return isCordoned(described?.configs.find((c) => c.name === CORDONED_LOG_DIRS)?.value)
      } catch {
        return false
      }
    }),
  )
  return brokers.filter((_, i) => cordoned[i]).sort((a, b) => a - b)
}
