import { apiVersionsV3, type Admin } from '@platformatic/kafka'
import { KafkaplaneError } from '../core/errors.ts'
import { kafkaError, kafkaErrorCode } from './kafka-error.ts'
import { describeLiveBrokers } from './describe-live-brokers.ts'

export const METADATA_VERSION = 'metadata.version'

/** The cluster's `metadata.version` and, per live broker, the newest level its binary supports. */
export interface MetadataVersionState {
  /** The finalized level (the one the cluster runs), as the brokers report it. */
  finalized: number
  /** Broker id -> the newest level it supports (ApiVersions' supported features). */
  supported: Map<number, number>
}

/**
 * ApiVersions (v3: with features) of every live broker: what each supports and the finalized level.
 * Brokers that are not live are not listed; the caller decides whether that matters.
 */
export async function describeMetadataVersion(admin: Admin): Promise<MetadataVersionState> {
  const brokers = await describeLiveBrokers(admin)
  const supported = new Map<number, number>()
  let finalized: { level: number; epoch: bigint } | undefined
  for (const broker of brokers) {
    let response
    try {
      response = await apiVersionsV3.api.async(await admin.connections.get({ host: broker.host, port: broker.port }), 'kafkaplane', '1')
    } catch (err) {
      throw kafkaError(`ApiVersions of broker ${broker.id}`, err, { fix: `check that broker ${broker.id} (${broker.host}:${broker.port}) is reachable` })
    }
    if (response.errorCode !== 0) throw kafkaErrorCode(`ApiVersions of broker ${broker.id}`, response.errorCode, null, { fix: 'retry' })
    const max = response.supportedFeatures?.find((f) => f.name === METADATA_VERSION)?.maxVersion
    if (max !== undefined) supported.set(broker.id, max)
    const level = response.finalizedFeatures?.find((f) => f.name === METADATA_VERSION)?.maxVersionLevel
    const epoch = response.finalizedFeaturesEpoch ?? -1n
    if (level !== undefined && (!finalized || epoch > finalized.epoch)) finalized = { level, epoch }
  }
  if (!finalized) {
    throw new KafkaplaneError('KAFKA_REQUEST_FAILED', `no live broker reported a finalized ${METADATA_VERSION}`, {
      fix: 'check that the cluster runs in KRaft mode and that its brokers are up (`kafkaplane status`)',
      retriable: true,
    })
  }
  return { finalized: finalized.level, supported }
}
