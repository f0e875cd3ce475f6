import type { RestartReason, RollNode } from '../core/roll/roll-rules.ts'
import type { ExecutorCluster } from './executor-cluster.ts'

/**
 * What the roller needs from whatever runs the nodes: the local runtime (processes on this machine) or
 * Kubernetes (pods of StatefulSets). Every call may throw a retriable KafkaplaneError; the roller looks
 * again on its next poll.
 */
export interface RollTarget {
  /**
   * Every node with its roles, failure-domain labels and the reasons to restart it that the target
   * sees itself (its config hash or image differs from the wanted one, an annotation asks for it).
   */
  nodes(): Promise<RollNode[]>
  /**
   * Restarts these nodes gracefully (SIGTERM, or evicting the pod: a controlled shutdown moves their
   * leaders away first) and resolves once each runs again: started, not necessarily back in sync. A node
   * the platform may not disrupt now (a PodDisruptionBudget that allows no eviction) is not touched and
   * comes back in `refused`, with why; the roller tries it again later.
   */
  restart(ids: readonly number[], reasons: ReadonlyMap<number, readonly RestartReason[]>): Promise<RestartOutcome>
  /** Makes sure these nodes run (idempotent): a roller that died in the middle of a restart resumes with it. */
  ensureRunning(ids: readonly number[]): Promise<void>
}

/** What the roller reads and asks of the Kafka cluster. */
export type RollCluster = Pick<ExecutorCluster, 'snapshot' | 'electPreferredLeaders'>

/** What a restart did not do: the nodes left running, each with why. */
export interface RestartOutcome {
  refused: { id: number; reason: string }[]
}
