import type { RestartReason, RollNode } from '../core/roll/roll-rules.ts'
import type { RollTarget } from '../ports/roll-target.ts'
import type { LocalCluster } from './local-cluster.ts'

/**
 * The roller's target on the local runtime: the nodes are the cluster's JVMs. A node must restart when
 * its JVM runs another config than its server.properties holds (`LocalCluster.reconfigure`, `kafkaplane
 * roll --config`); any other restart is requested. A restart stops the batch gracefully (SIGTERM:
 * controlled shutdown), starts it again and resolves once each is registered and unfenced.
 */
export class LocalRollTarget implements RollTarget {
  readonly #cluster: LocalCluster

  constructor(cluster: LocalCluster) {
    this.#cluster = cluster
  }

  async nodes(): Promise<RollNode[]> {
    return this.#cluster.spec.nodes.map((n) => {
      const drift = this.#cluster.configDrift(n.id)
      return { id: n.id, roles: n.roles, labels: n.labels, reasons: drift ? [{ kind: 'config' as const, detail: `config hash ${drift.running} -> ${drift.wanted}` }] : [] }
    })
  }

  async restart(ids: readonly number[], _reasons: ReadonlyMap<number, readonly RestartReason[]>): Promise<void> {
    await Promise.all(ids.map((id) => this.#cluster.stopBroker(id)))
    await this.ensureRunning(ids)
  }

  async ensureRunning(ids: readonly number[]): Promise<void> {
    await Promise.all(ids.map((id) => this.#cluster.startBroker(id)))
  }
}
