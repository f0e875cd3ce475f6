import { diffAssignments, type BrokerState, type PlacementModel, type Proposal } from '../placement/model.ts'
import { heldNotes, planRepair, planReplicationFactor, type PlanOutcome } from '../placement/operations.ts'

/** What the self-healer keeps true. */
export interface HealPolicy {
  /** Topics matching `topics` must have at least `target` replicas (they are raised, never lowered). */
  replicationFactor?: { target: number; topics: (topic: string) => boolean }
  /** A broker missing for this long is drained: its replicas move to the brokers left. */
  graceMs: number
}

export interface HealPlan {
  /** Why, one line per finding, for people. */
  reasons: string[]
  proposals: Proposal[]
}

/**
 * The self-healer's decision for one look at the cluster (pure):
 *   1. A broker that holds replicas and is not registered is "gone" since `goneSince`; past the grace
 *      period it is draining (its replicas move away), before it only excluded (no new replicas).
 *   2. Partitions of policy topics below the policy's replication factor are raised to it.
 *   3. Hard goals are repaired with the fewest moves (a topic created with a bad spread, replicas on
 *      a draining broker); no balancing: healing fixes what is wrong, `rebalance` balances.
 *   4. Partitions with no replica on a live broker are left out (nothing to copy from) and named; so
 *      are repairs whose new replicas keep a broker that is not registered (within its grace period):
 *      Kafka would finish them only once that broker is back in the ISR, so they wait for it or for
 *      its grace period to pass, whichever comes first; and so are changes held back because their new
 *      replicas would name a cordoned broker (KIP-1066: Kafka refuses them).
 * Returns no proposals when nothing is wrong.
 */
export function planHeal(model: PlacementModel, registered: ReadonlySet<number>, goneSince: ReadonlyMap<number, number>, now: number, policy: HealPolicy): PlanOutcome<HealPlan> {
  const reasons: string[] = []
  const states = new Map<number, BrokerState>()
  let drainingGone = false
  for (const b of model.brokers) {
    if (registered.has(b.id)) continue
    const since = goneSince.get(b.id) ?? now
    const hosted = model.partitions.filter((p) => p.replicas.includes(b.id)).length
    if (now - since >= policy.graceMs && hosted > 0) {
      states.set(b.id, 'draining')
      drainingGone = true
      reasons.push(`broker ${b.id} gone for ${Math.round((now - since) / 1000)} s (grace ${Math.round(policy.graceMs / 1000)} s): moving its ${hosted} replicas to the brokers left`)
    } else states.set(b.id, b.state === 'draining' ? 'draining' : 'excluded')
  }
  let current: PlacementModel = { ...model, brokers: model.brokers.map((b) => ({ ...b, state: states.get(b.id) ?? b.state })) }

  const rf = policy.replicationFactor
  const held: Proposal[] = []
  if (rf) {
    const low = new Map<string, number>()
    for (const p of current.partitions) if (rf.topics(p.topic) && p.replicas.length < rf.target) low.set(p.topic, (low.get(p.topic) ?? 0) + 1)
    if (low.size > 0) {
      const raised = planReplicationFactor(current, { topics: (t) => low.has(t), target: rf.target })
      if (!raised.ok) return raised
      for (const [topic, n] of low) reasons.push(`topic ${topic}: ${n} partitions below the policy's replication factor ${rf.target}`)
      current = { ...current, partitions: raised.after }
      held.push(...raised.held)
    }
  }

  const repaired = planRepair(current)
  if (!repaired.ok) return repaired
  held.push(...repaired.held)
  // Draining a gone broker breaks a hard goal until it is done; its own reason already says so.
  if (!drainingGone) for (const g of repaired.goalsBefore) if (g.hard && !g.satisfied) reasons.push(`goal ${g.name}: ${g.detail}`)
  // A partition with no replica on a live broker has nothing to copy from: it comes back only with
  // its broker. Moving it would wait forever; say so instead.
  const all = diffAssignments(model.partitions, repaired.after)
  const stranded = all.filter((p) => !p.oldReplicas.some((b) => registered.has(b)))
  const waiting = all.filter((p) => !stranded.includes(p) && p.newReplicas.some((b) => !registered.has(b)))
  const proposals = all.filter((p) => !stranded.includes(p) && !waiting.includes(p))
  const left = [
    ...(stranded.length > 0
      ? [`${stranded.length} partition(s) have no replica on a live broker and cannot be moved until one returns (e.g. ${stranded[0]!.topic}-${stranded[0]!.partition} on broker ${stranded[0]!.oldReplicas.join(', ')})`]
      : []),
    ...(waiting.length > 0
      ? [`${waiting.length} repair(s) wait for broker ${[...new Set(waiting.flatMap((p) => p.newReplicas.filter((b) => !registered.has(b))))].sort((a, b) => a - b).join(', ')} to return or its grace period to pass (e.g. ${waiting[0]!.topic}-${waiting[0]!.partition})`]
      : []),
    ...heldNotes(current, held.filter((p, i) => held.findIndex((q) => q.topic === p.topic && q.partition === p.partition) === i)),
  ]
  // With nothing to move, the other reasons explain no move; the partitions left out still need saying.
  return { ok: true, reasons: proposals.length > 0 ? [...reasons, ...left] : left, proposals }
}
