/** The cluster's `metadata.version`, as a version change reads and finalizes it (implemented over Kafka in src/kafka/metadata-version-admin.ts). */
export interface MetadataVersionAdmin {
  /** The finalized level, and per live broker the newest level its binary supports. */
  describe(): Promise<{ finalized: number; supported: Map<number, number> }>
  /** Raises the finalized level (UpdateFeatures, an upgrade). */
  raise(level: number): Promise<void>
}
