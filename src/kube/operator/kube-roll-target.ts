import { setTimeout as sleep } from 'node:timers/promises'
import { ApiException, type V1Pod, type V1StatefulSet } from '@kubernetes/client-node'
import { KafkaplaneError } from '../../core/errors.ts'
import type { RestartReason, RollNode } from '../../core/roll/roll-rules.ts'
import type { RestartOutcome, RollTarget } from '../../ports/roll-target.ts'
import { podRestartReasons } from '../manifests/pod-restart-reasons.ts'
import type { KafkaClusterModel } from '../model/kafka-cluster-model.ts'
import type { KubeClusters } from './kube-clients.ts'
import { apiMessage } from './supervised-informer.ts'

/** A node the roll restarts, as told to `onRestart` (for a Kubernetes Event). */
export interface PodRestart {
  context: string
  /** The pod's name, and the pod as read before its eviction (none when it was gone already). */
  name: string
  pod: V1Pod | undefined
  role: 'broker' | 'KRaft controller'
  reasons: readonly RestartReason[]
  /** Set when another hand (a node drain, a kubectl delete) had deleted or replaced the pod first: how it was found. */
  already?: string
}

export interface KubeRollTargetOptions {
  /** Told of each node restarted: its pod evicted, or found deleted or replaced by another hand. */
  onRestart?: (restart: PodRestart) => Promise<void>
  /** How often to look for the replacement pod (default 1 s). */
  pollMs?: number
  /** How long the StatefulSet may take to make the replacement (default 5 min). */
  replaceTimeoutMs?: number
  /**
   * How long the rest of a batch, part of it evicted, is asked again while its budget is raised (default
   * 90 s). The raise takes a reconcile that sees the batch saved, then the disruption controller's count:
   * seconds on an idle cluster, likely over 30 s at a load average of 30 (a bed run there, with a 30 s
   * wait, made no batch of two in its whole roll). The wait overlaps the first part's restart; a split
   * costs a whole extra batch (a restart and a catch-up).
   */
  batchBudgetWaitMs?: number
}

/**
 * The roller's target on Kubernetes: the nodes are the broker pods of a KafkaCluster's StatefulSets in
 * every Kubernetes cluster it spans (pod `<statefulset>-<id>` is broker `<id>`), and its dedicated
 * controllers' pods (`<statefulset>-controller-<id>`, roles ['controller']) where it has them. A pod's reasons to
 * restart come from its StatefulSet (`podRestartReasons`: version, image, config hash, a restart
 * annotation, an older template revision; the StatefulSets use `OnDelete`, so nothing else replaces a
 * pod). A restart evicts the pod (the Eviction API, with a precondition on its uid so that a newer pod
 * is never deleted; its grace period gives the broker a controlled shutdown), so that the
 * PodDisruptionBudgets the operator sets from the live cluster (core/roll/disruption-budget.ts) weigh
 * the roll and node drains in every Kubernetes cluster together: an eviction the budget refuses (429)
 * touches nothing and comes back as refused, and the roller tries it again later. A pod that another hand
 * (a drain) deleted or replaced between the roller's look and its eviction is not evicted again; the
 * restart counts, and its Event says how the pod was found. It resolves once the
 * StatefulSet has made the replacement; the roller then waits for the broker to be back in sync. The StatefulSet recreates a
 * deleted pod by itself, so a roller that died mid-restart has nothing to start again.
 * Kubernetes not answering is a retriable error: the roller looks again on its next poll.
 */
export class KubeRollTarget implements RollTarget {
  readonly #clusters: KubeClusters
  readonly #model: KafkaClusterModel
  readonly #options: KubeRollTargetOptions

  constructor(clusters: KubeClusters, model: KafkaClusterModel, options: KubeRollTargetOptions = {}) {
    this.#clusters = clusters
    this.#model = model
    this.#options = options
  }

  async nodes(): Promise<RollNode[]> {
    const nodes: RollNode[] = []
    for (const c of this.#model.clusters) {
      // Dedicated controllers are nodes of their own (roles ['controller']), labelled with their
      // Kubernetes cluster and zone: the roll rules restart a standby one with a batch of its cell's
      // brokers when spec.rolling leaves room, else after the brokers; one at a time, the active one last.
      const sets = [
        { statefulSet: c.statefulSet, pods: c.brokers.map((b) => ({ id: b.id, pod: b.pod, roles: b.controller ? ['broker', 'controller'] as const : ['broker'] as const, labels: this.#model.topology.brokers.find((t) => t.id === b.id)?.labels ?? {} })) },
        ...(c.controllerSet ? [{ statefulSet: c.controllerSet.statefulSet, pods: c.controllerSet.controllers.map((x) => ({ id: x.id, pod: x.pod, roles: ['controller'] as const, labels: { cluster: c.name, zone: x.zone } })) }] : []),
      ]
      for (const set of sets) {
        const sts = await this.#read<V1StatefulSet>(c.context, 'apps/v1', 'StatefulSet', set.statefulSet)
        for (const n of set.pods) {
          const pod = await this.#read<V1Pod>(c.context, 'v1', 'Pod', n.pod)
          // A pod being deleted or not made yet is on its way back, not a reason to restart it again.
          const reasons = pod && sts && !pod.metadata?.deletionTimestamp ? podRestartReasons(pod, sts) : []
          nodes.push({ id: n.id, roles: [...n.roles], labels: n.labels, reasons })
        }
      }
    }
    return nodes
  }

  async restart(ids: readonly number[], reasons: ReadonlyMap<number, readonly RestartReason[]>): Promise<RestartOutcome> {
    const deleted: { context: string; name: string; uid: string | undefined }[] = []
    let refused: RestartOutcome['refused'] = []
    let pending = [...ids]
    const budgetDeadline = Date.now() + (this.#options.batchBudgetWaitMs ?? 90_000)
    for (;;) {
      refused = []
      for (const id of pending) {
        const outcome = await this.#evict(id, reasons.get(id) ?? [])
        if (outcome.kind === 'evicted') deleted.push(outcome.pod)
        else refused.push({ id, reason: outcome.reason })
      }
      // Part of a batch evicted, the rest refused: the operator raises this cluster's budget for the
      // batch it restarts (core/roll/disruption-budget.ts, `reserved`) once it sees the batch saved, so
      // the rest is asked again for a while rather than split off into batches of its own.
      if (refused.length === 0 || deleted.length === 0 || Date.now() > budgetDeadline) break
      pending = refused.map((r) => r.id)
      await sleep(this.#options.pollMs ?? 1000)
    }
    const deadline = Date.now() + (this.#options.replaceTimeoutMs ?? 5 * 60_000)
    for (const d of deleted) {
      for (;;) {
        const pod = await this.#read<V1Pod>(d.context, 'v1', 'Pod', d.name)
        if (pod && pod.metadata?.uid !== d.uid) break
        if (Date.now() > deadline) {
          throw new KafkaplaneError('KUBE_REQUEST_FAILED', `pod ${d.name} (context ${d.context}) was deleted but not replaced within ${Math.round((this.#options.replaceTimeoutMs ?? 300_000) / 1000)} s`, {
            fix: 'look at the StatefulSet and its events (kubectl describe statefulset); the roll continues once the pod is back',
            retriable: true,
          })
        }
        await sleep(this.#options.pollMs ?? 1000)
      }
    }
    return { refused }
  }

  async ensureRunning(): Promise<void> {}

  /**
   * Evicts node `id`'s pod: evicted, or refused by a PodDisruptionBudget (429: nothing touched). Another
   * hand may have been first (a node drain evicts through the same budgets): a pod gone, being deleted,
   * or replaced from the current template is not evicted again (a pod being deleted is, which deletes it
   * as it goes); the restart waits for its replacement all the same, and says how it found it.
   */
  async #evict(id: number, reasons: readonly RestartReason[]): Promise<{ kind: 'evicted'; pod: { context: string; name: string; uid: string | undefined } } | { kind: 'refused'; reason: string }> {
    const { context, name, statefulSet, role } = this.#where(id)
    const told = (pod: V1Pod | undefined, already?: string) => this.#options.onRestart?.({ context, name, pod, role, reasons, ...(already ? { already } : {}) })
    const pod = await this.#read<V1Pod>(context, 'v1', 'Pod', name)
    if (!pod) {
      await told(undefined, 'its pod was gone already, deleted by another hand: the StatefulSet makes it anew from its current template')
      return { kind: 'evicted', pod: { context, name, uid: undefined } }
    }
    const uid = pod.metadata?.uid
    const sts = await this.#read<V1StatefulSet>(context, 'apps/v1', 'StatefulSet', statefulSet)
    if (sts && !pod.metadata?.deletionTimestamp && podRestartReasons(pod, sts).length === 0) {
      await told(pod, 'its pod was replaced already by another hand, from the current template')
      return { kind: 'evicted', pod: { context, name, uid: undefined } }
    }
    const namespace = this.#model.namespace
    const eviction = { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace }, deleteOptions: { preconditions: { uid } } }
    try {
      await this.#clusters.get(context).core.createNamespacedPodEviction({ name, namespace, body: eviction })
    } catch (err) {
      // 429: a PodDisruptionBudget allows no eviction now (a drain or a restart elsewhere holds it).
      if (err instanceof ApiException && err.code === 429) {
        return { kind: 'refused', reason: `the PodDisruptionBudget of Kubernetes cluster context ${context} allows no eviction of pod ${name} now (${apiMessage(err.body)})` }
      }
      // Gone or replaced since it was read: its replacement is on its way (or here).
      if (err instanceof ApiException && (err.code === 404 || err.code === 409)) {
        await told(pod, 'its pod was deleted by another hand as kafkaplane evicted it: the StatefulSet makes it anew from its current template')
        return { kind: 'evicted', pod: { context, name, uid } }
      }
      throw this.#failed(context, `evict pod ${name}`, err)
    }
    await told(pod, pod.metadata?.deletionTimestamp ? 'its pod was being deleted already by another hand' : undefined)
    return { kind: 'evicted', pod: { context, name, uid } }
  }

  #where(id: number): { context: string; name: string; statefulSet: string; role: PodRestart['role'] } {
    for (const c of this.#model.clusters) {
      const broker = c.brokers.find((x) => x.id === id)
      if (broker) return { context: c.context, name: broker.pod, statefulSet: c.statefulSet, role: 'broker' }
      const controller = c.controllerSet?.controllers.find((x) => x.id === id)
      if (controller) return { context: c.context, name: controller.pod, statefulSet: c.controllerSet!.statefulSet, role: 'KRaft controller' }
    }
    throw new KafkaplaneError('UNKNOWN_BROKER', `node ${id} is no broker or controller of KafkaCluster ${this.#model.namespace}/${this.#model.name}`, { fix: 'this is a bug: the roller named a node the spec does not have' })
  }

  #read<T extends V1Pod | V1StatefulSet>(context: string, apiVersion: string, kind: string, name: string): Promise<T | undefined> {
    return this.#kube(context, `read ${kind} ${name}`, () => this.#clusters.get(context).applier.read<T>({ apiVersion, kind, metadata: { name, namespace: this.#model.namespace } }))
  }

  async #kube<T>(context: string, what: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call()
    } catch (err) {
      throw this.#failed(context, what, err)
    }
  }

  #failed(context: string, what: string, err: unknown): KafkaplaneError {
    return new KafkaplaneError('KUBE_REQUEST_FAILED', `cannot ${what} in context ${context}: ${(err as Error).message}`, {
      fix: 'check that the Kubernetes cluster is reachable and the operator may read and evict pods there',
      retriable: true,
      cause: err,
    })
  }
}

