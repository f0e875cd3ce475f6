import type { Admin } from '@platformatic/kafka'
import type { MetadataVersionAdmin } from '../ports/metadata-version.ts'
import { anyConnection } from './connection.ts'
import { describeMetadataVersion } from './describe-features.ts'
import { raiseMetadataVersion } from './update-features.ts'

/** The metadata-version port over one admin client. */
export function kafkaMetadataVersionAdmin(admin: Admin, bootstrapServers: readonly string[]): MetadataVersionAdmin {
  return {
    describe: () => describeMetadataVersion(admin),
    raise: async (level) => raiseMetadataVersion(await anyConnection(admin, bootstrapServers), level),
  }
}
