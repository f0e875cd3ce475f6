import type { BrokerState, Proposal } from '../core/placement/model.ts'
import { cordonNotes, planRebalance } from '../core/placement/operations.ts'
import { survivabilityLost } from '../core/placement/survivability.ts'
import type { LiveCluster } from './live-cluster.ts'

/** Brokers joining (registered, empty) and leaving (to drain), as `kafkaplane brokers add|remove` and a KafkaCluster's scale name them. */
export interface BrokerChanges {
  adding: readonly number[]
  leaving: readonly number[]
  /** Removing may leave partitions less survivable than now (the CLI's --allow-less-survivable, a KafkaCluster's spec.scaling.allowLessSurvivable). */
  allowLessSurvivable: boolean
  /** How the caller says "allow less survivability", for the fix of that refusal. */
  optIn: string
}

/** Why brokers may not be added or removed; nothing was changed. */
export interface BrokerChangeRefusal {
  reason: 'UnknownBroker' | 'BrokerNotRegistered' | 'BelowReplicationFactor' | 'Placement' | 'LessSurvivable'
  message: string
  fix: string
  /** Placement: each problem the placement engine found. */
  problems?: string[]
}

/** `notes`: which brokers the plan left out because they are cordoned, and what it held back for them. */
export type BrokerChangePlan = { ok: true; proposals: Proposal[]; lessSurvivable: string[]; notes: string[] } | { ok: false; refusal: BrokerChangeRefusal }

/**
 * The proposals that give brokers joining a fair share and drain brokers leaving, written once for the
 * CLI (src/cli/brokers.ts) and the operator's scaling (src/kube/operator/scale-workers.ts). Refused, in
 * this order, when:
 *   1. a broker named is not in the cluster (neither in the topology nor registered);
 *   2. a broker joining is not registered and unfenced (start it first);
 *   3. the brokers left would be fewer than the largest replication factor of any topic;
 *   4. the placement engine finds no placement (core/placement/operations.ts: planRebalance);
 *   5. partitions that stay writable when any one domain (a zone, a Kubernetes cluster) is lost would
 *      not on the brokers left (core/placement/survivability.ts: survivabilityLost), unless allowed:
 *      then `lessSurvivable` says what is lost.
 * Joining brokers are active and leaving ones draining in one model: one plan does both, spread kept
 * on every failure dimension. A joining broker is active even while cordoned (a broker removed earlier
 * keeps its cordon): the caller lifts the cordon before any move.
 */
export function planBrokerChanges(live: LiveCluster, changes: BrokerChanges): BrokerChangePlan {
  const { adding, leaving } = changes
  const known = new Set(live.topology.brokers.map((b) => b.id))
  const named = [...adding, ...leaving]
  const unknown = named.filter((id) => !known.has(id) && !live.registered.has(id))
  const sorted = (ids: Iterable<number>) => [...ids].sort((a, b) => a - b).join(', ')
  if (unknown.length > 0) {
    return refused('UnknownBroker', `broker ${unknown.join(', ')} is not in the cluster (registered: ${sorted(live.registered)})`, 'name registered brokers (kafkaplane status lists them)')
  }
  const absent = adding.filter((id) => !live.registered.has(id))
  if (absent.length > 0) return refused('BrokerNotRegistered', `broker ${absent.join(', ')} is not registered and unfenced`, 'start the new brokers first, then add them')
  if (leaving.length > 0) {
    const left = [...live.registered].filter((id) => !leaving.includes(id)).length
    const maxRf = Math.max(0, ...live.snapshot.partitions.map((p) => p.replicas.length))
    if (left < maxRf) {
      return refused(
        'BelowReplicationFactor',
        `removing broker ${leaving.join(', ')} leaves ${left} brokers, fewer than the replication factor ${maxRf} of some topics`,
        'add brokers first, or lower those topics\' replication factor (kafkaplane replication-factor fix)',
      )
    }
  }
  const states = new Map<number, BrokerState>([...adding.map((id) => [id, 'active'] as const), ...leaving.map((id) => [id, 'draining'] as const)])
  const model = live.model(states)
  const outcome = planRebalance(model)
  if (!outcome.ok) return { ok: false, refusal: { reason: 'Placement', message: outcome.problems.join('; '), fix: 'as the message says', problems: outcome.problems } }
  const lost = leaving.length > 0 ? survivabilityLost(model, outcome.after, leaving) : []
  if (lost.length > 0 && !changes.allowLessSurvivable) {
    return refused('LessSurvivable', `removing broker ${leaving.join(', ')}: ${lost.join('; ')}`, `add brokers to those domains first, or ${changes.optIn} to remove them anyway`)
  }
  return { ok: true, proposals: outcome.proposals, lessSurvivable: lost, notes: cordonNotes(model, outcome.held) }
}

function refused(reason: BrokerChangeRefusal['reason'], message: string, fix: string): BrokerChangePlan {
  return { ok: false, refusal: { reason, message, fix } }
}
