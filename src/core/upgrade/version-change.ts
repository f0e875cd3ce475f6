import { KafkaplaneError } from '../errors.ts'

/**
 * Changing the Kafka version of a live cluster (a rolling upgrade, or a roll back), the way Kafka's
 * upgrade notes describe it for KRaft:
 *   1. roll every node onto the new binaries while the cluster's `metadata.version` stays where it is
 *      (every binary from 4.0 on runs every metadata.version from 3.3-IV3 to its own newest);
 *   2. once every node runs the new version, finalize: raise `metadata.version` to the newest level
 *      every node supports (UpdateFeatures). New features that need it are on from then on.
 * Until step 2 the binaries can go back. After it they cannot: KRaft has no way to lower a finalized
 * `metadata.version` that changed the metadata format, so a release whose newest level is below the
 * cluster's cannot even start on its data. That roll back is refused here, before anything changes.
 */

/** A `metadata.version` level, with its name when known (`27` / `4.1-IV1`). */
export interface MetadataLevel {
  level: number
  name?: string
}

/** What a Kafka release supports: its newest production metadata.version (`kafka-storage version-mapping`). */
export interface ReleaseMetadata {
  version: string
  metadata: MetadataLevel
}

export type VersionDirection = 'upgrade' | 'downgrade' | 'same'

/** Compares two Kafka versions (`4.1.1`, `4.4.0`; a suffix such as `-rc1` is ignored). */
export function compareKafkaVersions(a: string, b: string): number {
  const parts = (v: string) => v.split('-')[0]!.split('.').map((x) => Number.parseInt(x, 10) || 0)
  const [x, y] = [parts(a), parts(b)]
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0)
    if (d !== 0) return Math.sign(d)
  }
  return 0
}

/** A Kafka version as kafkaplane accepts it on the command line or in a resource: `4.4.0`. */
export function isKafkaVersion(text: string): boolean {
  return /^\d+\.\d+\.\d+$/.test(text)
}

/**
 * Whether the cluster, now at `from` with `finalized` as its metadata.version, may move to `to`:
 * the direction, or a refusal that names both levels and what to do.
 */
export function checkVersionChange(from: string, to: ReleaseMetadata, finalized: MetadataLevel): VersionDirection {
  const direction = compareKafkaVersions(to.version, from) > 0 ? 'upgrade' : compareKafkaVersions(to.version, from) < 0 ? 'downgrade' : 'same'
  if (to.metadata.level < finalized.level) {
    throw new KafkaplaneError(
      'VERSION_CHANGE_REFUSED',
      `Kafka ${to.version} cannot run this cluster: its newest metadata.version is ${describeLevel(to.metadata)}, and the cluster's is ${describeLevel(finalized)}, finalized after an upgrade; Kafka cannot lower a finalized metadata.version, so its brokers would not start`,
      {
        fix: `stay on Kafka ${from} (or move to a release whose metadata.version reaches ${describeLevel(finalized)}); to keep a way back in a future upgrade, roll with --keep-metadata-version and finalize only once the new version has proven itself`,
      },
    )
  }
  return direction
}

/**
 * The level to finalize once every node runs the new version: the newest that every node supports, when
 * it is above the cluster's; undefined when there is nothing to raise. `supported` maps a node to the
 * newest level its binary supports (ApiVersions' supported features).
 */
export function metadataLevelToFinalize(finalized: number, supported: ReadonlyMap<number, number>): number | undefined {
  if (supported.size === 0) return undefined
  const newest = Math.min(...supported.values())
  return newest > finalized ? newest : undefined
}

/** `metadata.version=33 (4.4-IV2)`, a line of `kafka-storage version-mapping`, as a level. */
export function parseMetadataVersionLine(output: string): MetadataLevel | undefined {
  const match = /^metadata\.version=(\d+)(?: \(([^)]+)\))?/m.exec(output)
  if (!match) return undefined
  return { level: Number(match[1]), ...(match[2] ? { name: match[2] } : {}) }
}

export function describeLevel(m: MetadataLevel): string {
  return m.name ? `${m.name} (level ${m.level})` : `level ${m.level}`
}

/**
 * Whether a cluster whose brokers are meant to run `running` (one version each, mixed mid-roll) may be
 * asked for Kafka `wanted`: 'same' when nothing changes; 'upgrade' when `wanted` is at least every one
 * of them (a release never drops the levels of older ones, so nothing is read); else a roll back,
 * checked with `checkVersionChange` against the cluster's finalized level, read only then
 * (`finalized`), and the newest level of `wanted` (`release`; undefined: a line kafkaplane does not
 * know, refused, since nothing tells whether it can run the cluster's data).
 */
export async function checkWantedVersion(
  running: readonly string[],
  wanted: string,
  release: ReleaseMetadata | undefined,
  finalized: () => Promise<MetadataLevel>,
): Promise<VersionDirection> {
  if (running.every((v) => v === wanted)) return 'same'
  const newest = [...running].sort(compareKafkaVersions).at(-1)!
  if (compareKafkaVersions(wanted, newest) >= 0) return 'upgrade'
  if (!release) {
    throw new KafkaplaneError('VERSION_CHANGE_REFUSED', `Kafka ${wanted} is older than Kafka ${newest} the brokers run, and kafkaplane does not know which metadata.version it supports, so it cannot tell whether it could run this cluster's data`, {
      fix: `stay on Kafka ${newest}, or move to a Kafka release line kafkaplane knows (src/core/upgrade/kafka-releases.ts)`,
    })
  }
  return checkVersionChange(newest, release, await finalized())
}
