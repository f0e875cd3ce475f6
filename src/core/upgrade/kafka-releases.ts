import { compareKafkaVersions, type MetadataLevel, type ReleaseMetadata } from './version-change.ts'

/**
 * The newest production `metadata.version` of each Kafka release line kafkaplane knows, as each
 * release's own `kafka-storage version-mapping` prints it (src/local/release-metadata.ts asks the jars;
 * test/integration/upgrade.test.ts checks this table against the jars it runs). The operator has no
 * jars of a version it has not rolled to yet, so it checks a version change against this table, as
 * Strimzi checks its own list of supported versions.
 *
 * Add a line when a Kafka release line comes out: `kafka-storage version-mapping` of its x.y.0.
 */
export const KAFKA_RELEASE_LINES: readonly { line: string; metadata: Required<MetadataLevel> }[] = [
  { line: '4.0', metadata: { level: 25, name: '4.0-IV3' } },
  { line: '4.1', metadata: { level: 27, name: '4.1-IV1' } },
  { line: '4.2', metadata: { level: 29, name: '4.2-IV1' } },
  { line: '4.3', metadata: { level: 30, name: '4.3-IV0' } },
  { line: '4.4', metadata: { level: 33, name: '4.4-IV2' } },
]

const lineOf = (version: string) => version.split('.').slice(0, 2).join('.')

/**
 * What a Kafka version supports, from the table. A version of a line newer than the table supports at
 * least the newest level the table knows (a Kafka release never drops the levels of older ones, back
 * to 3.3-IV3): that lower bound is returned, marked `bound`. A line older than the table, or one in its
 * range it lacks: undefined.
 */
export function knownReleaseMetadata(version: string): (ReleaseMetadata & { bound?: true }) | undefined {
  const known = KAFKA_RELEASE_LINES.find((r) => r.line === lineOf(version))
  if (known) return { version, metadata: known.metadata }
  const newest = KAFKA_RELEASE_LINES[KAFKA_RELEASE_LINES.length - 1]!
  if (compareKafkaVersions(lineOf(version), newest.line) > 0) return { version, metadata: newest.metadata, bound: true }
  return undefined
}

/** A level with its name when a release line of the table has it as its newest. */
export function namedLevel(level: number): MetadataLevel {
  return KAFKA_RELEASE_LINES.find((r) => r.metadata.level === level)?.metadata ?? { level }
}

/**
 * The metadata.version from which Kafka cordons brokers (KIP-1066, `cordoned.log.dirs`): below it the
 * config is refused (Kafka 4.4's MetadataVersion.isCordonedLogDirsSupported: at least 4.3-IV0).
 */
export const CORDONING_MIN_METADATA: Required<MetadataLevel> = { level: 30, name: '4.3-IV0' }

/** Whether a cluster at this finalized metadata.version level applies `cordoned.log.dirs`. */
export function cordoningSupported(level: number): boolean {
  return level >= CORDONING_MIN_METADATA.level
}
