import { metadataV12, type Connection } from '@platformatic/kafka'

export type MetadataResponse = metadataV12.MetadataResponse

/**
 * Metadata v12 of these topics (null: every topic), raw. The client's parser throws on any topic or
 * partition error, and a partition without a leader (LEADER_NOT_AVAILABLE) is exactly what the health
 * model must see: such errors arrive with the parsed response, which is returned as it is (the
 * partition then has leader -1). Anything else is thrown.
 */
export async function describeMetadata(connection: Connection, topics: readonly string[] | null): Promise<MetadataResponse> {
  try {
    return await metadataV12.api.async(connection, topics === null ? null : [...topics], false, false)
  } catch (err) {
    const response = (err as { response?: MetadataResponse }).response
    if (response !== undefined) return response
    throw err
  }
}
