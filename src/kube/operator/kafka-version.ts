import type { V1StatefulSet } from '@kubernetes/client-node'
import { isKafkaplaneError } from '../../core/errors.ts'
import { knownReleaseMetadata, namedLevel } from '../../core/upgrade/kafka-releases.ts'
import { checkWantedVersion, describeLevel } from '../../core/upgrade/version-change.ts'
import { createAdmin } from '../../kafka/connection.ts'
import type { KafkaConnectionOptions } from '../../kafka/connection-options.ts'
import { kafkaMetadataVersionAdmin } from '../../kafka/metadata-version-admin.ts'
import { finalizeMetadataVersion } from '../../operations/metadata-version.ts'
import { systemClock } from '../../operations/system-clock.ts'
import { templateKafkaVersion } from '../manifests/pod-restart-reasons.ts'
import type { KafkaClusterModel } from '../model/kafka-cluster-model.ts'
import type { Standing } from './conditions.ts'
import type { KubeClusters } from './kube-clients.ts'
import { describeError } from './supervised-informer.ts'

/** status.kafka of a KafkaCluster. */
export interface KafkaVersionStatus {
  /** The version every broker pod runs; absent while they differ (a roll) or before the first check. */
  version?: string
  metadataVersion?: { level: number; name?: string }
  message?: string
}

type Connection = Omit<KafkaConnectionOptions, 'bootstrapServers'> & { bootstrapServers: string[] }

/**
 * The operator's side of a Kafka version change (src/core/upgrade/version-change.ts), in two steps of the
 * KafkaCluster reconciler:
 *   - before anything is applied, `checkVersion`: spec.kafka.version against the versions the
 *     StatefulSets' pods are made to run now. An upgrade goes through (the new templates make the roll,
 *     reason `version`); a roll back is checked against the cluster's finalized metadata.version and the
 *     newest level of the wanted release (src/core/upgrade/kafka-releases.ts): one Kafka could not run
 *     is refused, with nothing applied, so the brokers keep running what they run;
 *   - once every broker pod runs spec.kafka.version and no roll runs, `settleMetadataVersion`: unless
 *     spec.kafka.keepMetadataVersion, metadata.version is raised to the newest level every broker
 *     supports (src/operations/metadata-version.ts), and read back.
 */
export class KafkaVersionSteps {
  readonly #clusters: KubeClusters
  readonly #connection: Omit<KafkaConnectionOptions, 'bootstrapServers'> | undefined

  constructor(clusters: KubeClusters, connection: Omit<KafkaConnectionOptions, 'bootstrapServers'> | undefined) {
    this.#clusters = clusters
    this.#connection = connection
  }

  /** A standing that refuses the spec's version (nothing may be applied), or undefined when it may go on. */
  async checkVersion(model: KafkaClusterModel, bootstrapServers: string[]): Promise<Standing | undefined> {
    const running: string[] = []
    for (const c of model.clusters) {
      if (!this.#clusters.has(c.context)) continue
      // The dedicated controllers run the same Kafka as the brokers: a roll back must suit them too.
      for (const name of [c.statefulSet, ...(c.controllerSet ? [c.controllerSet.statefulSet] : [])]) {
        const set = await this.#clusters.get(c.context).applier.read<V1StatefulSet>({ apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name, namespace: model.namespace } })
        const version = set && templateKafkaVersion(set)
        if (version) running.push(version)
      }
    }
    const wanted = model.spec.kafka.version
    try {
      await checkWantedVersion(running, wanted, knownReleaseMetadata(wanted), async () => {
        if (!this.#connection) throw new Error('the operator has no Kafka connection')
        return namedLevel((await this.#withAdmin(bootstrapServers, (m) => m.describe())).finalized)
      })
      return undefined
    } catch (err) {
      if (isKafkaplaneError(err) && err.code === 'VERSION_CHANGE_REFUSED') return { state: 'degraded', reason: 'VersionChangeRefused', message: `${err.message} (fix: ${err.fix})` }
      return {
        state: 'degraded',
        reason: 'VersionChangeUnchecked',
        message: `spec.kafka.version ${wanted} rolls the brokers back from Kafka ${running.join(', ')}, which is allowed only while the cluster's metadata.version is within what Kafka ${wanted} supports, and the operator cannot read it now (${describeError(err)}); nothing is applied until it can`,
      }
    }
  }

  /** Called once every broker pod runs spec.kafka.version and no roll runs: status.kafka, and the level raised if it was. */
  async settleMetadataVersion(model: KafkaClusterModel, bootstrapServers: string[]): Promise<{ status: KafkaVersionStatus; finalized?: string }> {
    const version = model.spec.kafka.version
    if (!this.#connection) return { status: { version } }
    const release = knownReleaseMetadata(version)
    return this.#withAdmin(bootstrapServers, async (admin) => {
      if (model.spec.kafka.keepMetadataVersion) {
        const level = namedLevel((await admin.describe()).finalized)
        const message = `metadata.version kept at ${describeLevel(level)} (spec.kafka.keepMetadataVersion)${release && release.metadata.level > level.level ? `; Kafka ${version} supports up to ${describeLevel(release.metadata)}, a roll back stays possible until it is raised` : ''}`
        return { status: { version, metadataVersion: level, message } }
      }
      const outcome = await finalizeMetadataVersion(admin, model.brokers.map((b) => b.id), systemClock)
      switch (outcome.kind) {
        case 'finalized': {
          const [from, to] = [namedLevel(outcome.from), namedLevel(outcome.to)]
          const finalized = `metadata.version finalized: ${describeLevel(from)} -> ${describeLevel(to)}; a Kafka older than ${version} can no longer run this cluster`
          return { status: { version, metadataVersion: to, message: finalized }, finalized }
        }
        case 'current':
          return { status: { version, metadataVersion: namedLevel(outcome.level), message: `metadata.version is the newest every broker supports` } }
        case 'held-back':
          return { status: { version, metadataVersion: namedLevel(outcome.level), message: `metadata.version stays ${describeLevel(namedLevel(outcome.level))}: broker${outcome.behind.length > 1 ? 's' : ''} ${outcome.behind.join(', ')} not live or on an older Kafka` } }
      }
    })
  }

  async #withAdmin<T>(bootstrapServers: string[], work: (admin: ReturnType<typeof kafkaMetadataVersionAdmin>) => Promise<T>): Promise<T> {
    const connection: Connection = { ...this.#connection!, bootstrapServers, requestTimeoutMs: 10_000, connectTimeoutMs: 3000 }
    const admin = createAdmin(connection, 'kafkaplane-operator')
    try {
      return await work(kafkaMetadataVersionAdmin(admin, bootstrapServers))
    } finally {
      await admin.close().catch(() => {})
    }
  }
}
