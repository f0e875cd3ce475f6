import type { RestartReason, RollNode } from '../core/roll/roll-rules.ts'
import type { RollTarget } from '../ports/roll-target.ts'
import type { LocalCluster } from './local-cluster.ts'

/**
 * The roller's target on the local runtime: the nodes are the cluster's JVMs. A restart stops the batch
 * gracefully (SIGTERM: controlled shutdown), starts it again and resolves once each is registered and
 * unfenced. The local runtime sees no reason of its own to restart a node: a local roll is requested
 * (`kafkaplane roll`).
 */
export class LocalRollTarget implements RollTarget {
  readonly #cluster: LocalCluster

  constructor(cluster: LocalCluster) {
    this.#cluster = cluster
  }

  async nodes(): Promise<RollNode[]> {
    return this.#cluster.spec.nodes.map((n) => ({ id: n.id, roles: n.roles, labels: n.labels, reasons: [] }))
  }

  async restart(ids: readonly number[], _reasons: ReadonlyMap<number, readonly RestartReason[]>): Promise<void> {
    await Promise.all(ids.map((id) => this.#cluster.stopBroker(id)))
    await this.ensureRunning(ids)
  }

  async ensureRunning(ids: readonly number[]): Promise<void> {
    await Promise.all(ids.map((id) => this.#cluster.startBroker(id)))
  }
}
