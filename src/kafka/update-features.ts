import { FeatureUpgradeTypes, updateFeaturesV1, type Connection } from '@platformatic/kafka'
import { kafkaError, kafkaErrorCode } from './kafka-error.ts'
import { METADATA_VERSION } from './describe-features.ts'

/**
 * UpdateFeatures: raises the cluster's `metadata.version` to `level` (an upgrade only; any broker
 * forwards it to the active controller, which refuses a level some registered node does not support).
 */
export async function raiseMetadataVersion(connection: Connection, level: number): Promise<void> {
  let response
  try {
    response = await updateFeaturesV1.api.async(connection, 30_000, [{ feature: METADATA_VERSION, maxVersionLevel: level, upgradeType: FeatureUpgradeTypes.UPGRADE }], false)
  } catch (err) {
    throw kafkaError(`UpdateFeatures (${METADATA_VERSION} ${level})`, err, { fix: 'retry once every node runs the new version (`kafkaplane status`)' })
  }
  const failed = response.errorCode !== 0 ? response : response.results.find((r) => r.errorCode !== 0)
  if (failed) {
    throw kafkaErrorCode(`UpdateFeatures (${METADATA_VERSION} ${level})`, failed.errorCode, failed.errorMessage, { fix: 'retry once every node, controllers included, runs the new version' })
  }
}
