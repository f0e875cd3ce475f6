import type { RestartReason, RollNode } from '../core/roll/roll-rules.ts'
import type { RestartOutcome, RollTarget } from '../ports/roll-target.ts'
import type { LocalCluster } from './local-cluster.ts'

/**
 * The roller's target on the local runtime: the nodes are the cluster's JVMs. A node must restart when
 * its JVM runs another Kafka version than the cluster's (`LocalCluster.setKafkaVersion`, `kafkaplane
 * roll --kafka-version`), another config than its server.properties holds (`LocalCluster.reconfigure`,
 * `kafkaplane roll --config`) or another certificate than the broker key store holds
 * (`LocalCluster.renewCertificates`, `kafkaplane roll --renew-certificates`); any other restart is requested. A restart stops the batch gracefully (SIGTERM:
 * controlled shutdown), starts it again and resolves once each is registered and unfenced.
 */
export class LocalRollTarget implements RollTarget {
  readonly #cluster: LocalCluster

  constructor(cluster: LocalCluster) {
    this.#cluster = cluster
  }

  async nodes(): Promise<RollNode[]> {
    return this.#cluster.spec.nodes.map((n) => {
      const reasons: RestartReason[] = []
      const version = this.#cluster.versionDrift(n.id)
      if (version) reasons.push({ kind: 'version', detail: `Kafka ${version.running} -> ${version.wanted}` })
      const config = this.#cluster.configDrift(n.id)
      if (config) reasons.push({ kind: 'config', detail: `config hash ${config.running} -> ${config.wanted}` })
      const certificates = this.#cluster.certificateDrift(n.id)
      if (certificates) reasons.push({ kind: 'certificates', detail: `broker key store ${certificates.running} -> ${certificates.wanted}` })
      return { id: n.id, roles: n.roles, labels: n.labels, reasons }
    })
  }

  async restart(ids: readonly number[], _reasons: ReadonlyMap<number, readonly RestartReason[]>): Promise<RestartOutcome> {
    await Promise.all(ids.map((id) => this.#cluster.stopBroker(id)))
    await this.ensureRunning(ids)
    return { refused: [] }
  }

  async ensureRunning(ids: readonly number[]): Promise<void> {
    await Promise.all(ids.map((id) => this.#cluster.startBroker(id)))
  }
}
