import type { ExecuteResult } from '../../executor/executor.ts'
import type { HealDecision } from '../../operations/self-healer.ts'

/** status.selfHealing of a KafkaCluster: the self-healer's last decision and what it waits for. */
export interface SelfHealingStatus {
  /**
   * watching (nothing to fix, or a gone broker within its grace period), waiting (a roll, another plan
   * or reassignments it did not start), healing (its plan runs), rate-limited, blocked (no placement
   * meets the hard goals), failed (the last look failed; tried again), disabled (spec.selfHealing.enabled false).
   */
  phase: 'watching' | 'waiting' | 'healing' | 'rate-limited' | 'blocked' | 'failed' | 'disabled'
  message: string
  /** Gone brokers not drained yet: since when, and when their replicas move unless they return. */
  goneBrokers?: { id: number; since: string; drainAt: string }[]
  lastPlan?: HealPlanStatus
  /** The replication throttles nothing needed that it last removed. */
  staleThrottles?: { removedAt: string; brokers: number[]; topics: string[] }
}

export interface HealPlanStatus {
  planId: string
  startedAt: string
  endedAt?: string
  moves: number
  reasons: string[]
  result: 'running' | 'finished' | 'waiting' | 'interrupted' | 'failed'
  message?: string
}

/** What one look found that starts no plan. */
export type HealLook =
  | { kind: 'disabled' }
  /** A roll of this KafkaCluster runs. */
  | { kind: 'roll' }
  /** An unfinished plan of another operation holds the KafkaCluster's plan file. */
  | { kind: 'other-plan'; operation: string; createdAt: string }
  /** Reassignments in flight that no plan of this healer started (a KafkaTopic's, another tool's). */
  | { kind: 'foreign'; reassignments: number; example: string }
  /** The healer's decision when it is not a plan. */
  | { kind: 'decided'; decision: Exclude<HealDecision, { kind: 'heal' }> }
  /** A plan was decided, but its proposals move nothing. */
  | { kind: 'nothing' }
  /** The look failed (Kafka not answering, a topology that does not cover the brokers): tried again. */
  | { kind: 'failed'; message: string }

/**
 * Whether a look may go on to the cluster (pure): not while a roll of the KafkaCluster runs (brokers
 * restart: they would count as gone, and a plan's moves would wait on them), nor while an unfinished
 * plan of another operation holds the KafkaCluster's plan file. Undefined: go on (the healer's own
 * unfinished plan is continued).
 */
export function gate(now: { rolling: boolean; unfinished: { operation: string; createdAt: string } | undefined; operation: string }): HealLook | undefined {
  if (now.rolling) return { kind: 'roll' }
  if (now.unfinished && now.unfinished.operation !== now.operation) return { kind: 'other-plan', operation: now.unfinished.operation, createdAt: now.unfinished.createdAt }
  return undefined
}

export interface HealSettings {
  graceMs: number
  maxPlansPerHour: number
}

/**
 * The phase, message and gone brokers of a look that starts no plan (pure). Times are absolute (when a
 * broker went, when it is drained), so that the status changes only when something does.
 */
export function lookStatus(look: HealLook, now: number, settings: HealSettings): Pick<SelfHealingStatus, 'phase' | 'message' | 'goneBrokers'> {
  switch (look.kind) {
    case 'disabled':
      return { phase: 'disabled', message: 'spec.selfHealing.enabled is false: nothing is moved unless asked' }
    case 'roll':
      return { phase: 'waiting', message: 'a roll of this KafkaCluster runs: the self-healer looks again once it ended' }
    case 'other-plan':
      return { phase: 'waiting', message: `an unfinished plan (${look.operation}, started ${look.createdAt}) holds this KafkaCluster: the self-healer waits for it to end` }
    case 'foreign':
      return { phase: 'waiting', message: `${look.reassignments} partition reassignment(s) not started by the self-healer are in flight (e.g. ${look.example}): it waits for them to end` }
    case 'nothing':
      return { phase: 'watching', message: 'nothing to move: the cluster already matches the plan' }
    case 'failed':
      return { phase: 'failed', message: `${look.message}; looking again` }
    case 'decided':
      return decisionStatus(look.decision, now, settings)
  }
}

function decisionStatus(decision: Exclude<HealDecision, { kind: 'heal' }>, now: number, settings: HealSettings): Pick<SelfHealingStatus, 'phase' | 'message' | 'goneBrokers'> {
  const also = decision.kind === 'infeasible' ? '' : decision.reasons.map((r) => `; ${r}`).join('')
  switch (decision.kind) {
    case 'infeasible':
      return { phase: 'blocked', message: `no placement meets the hard goals: ${decision.problems.join('; ')}` }
    case 'rate-limited':
      return { phase: 'rate-limited', message: `${decision.started} plans started in the last hour (spec.selfHealing.maxPlansPerHour ${settings.maxPlansPerHour}): the next waits${also}` }
    case 'healthy': {
      if (decision.gone.length === 0) return { phase: 'watching', message: `nothing to fix${also}` }
      const gone = decision.gone.map((g) => ({ id: g.id, since: new Date(now - g.goneMs).toISOString(), drainAt: new Date(now - g.goneMs + settings.graceMs).toISOString() }))
      const waits = gone.map((g) => `broker ${g.id} gone since ${g.since}: its replicas move to the brokers left at ${g.drainAt} unless it returns`).join('; ')
      return { phase: 'watching', message: `${waits} (spec.selfHealing.goneBrokerGraceSeconds ${Math.round(settings.graceMs / 1000)})${also}`, goneBrokers: gone }
    }
  }
}

/** A Kubernetes Event on the KafkaCluster. */
export interface HealEvent {
  reason: 'SelfHealingStarted' | 'SelfHealingFinished' | 'SelfHealingWaiting' | 'SelfHealingFailed' | 'StaleThrottlesRemoved'
  type: 'Normal' | 'Warning'
  message: string
}

/** A plan started: its status and Event. */
export function planStarted(plan: { planId: string; moves: number; reasons: readonly string[] }, now: number): { lastPlan: HealPlanStatus; event: HealEvent } {
  const message = `plan ${plan.planId}: ${plan.moves} partition moves (${plan.reasons.join('; ') || 'repairs'})`
  return {
    lastPlan: { planId: plan.planId, startedAt: new Date(now).toISOString(), moves: plan.moves, reasons: [...plan.reasons], result: 'running' },
    event: { reason: 'SelfHealingStarted', type: 'Normal', message },
  }
}

/**
 * A plan's run ended: its status, and an Event when the plan ended (finished, or waiting for brokers, or
 * failed); an interrupted plan (a roll started, the operator stopping) continues later, without an Event.
 */
export function planEnded(plan: HealPlanStatus, outcome: { result: ExecuteResult } | { error: string }, now: number): { lastPlan: HealPlanStatus; event?: HealEvent } {
  const endedAt = new Date(now).toISOString()
  if ('error' in outcome) {
    const message = `plan ${plan.planId} failed: ${outcome.error}`
    return { lastPlan: { ...plan, result: 'failed', endedAt, message }, event: { reason: 'SelfHealingFailed', type: 'Warning', message } }
  }
  const r = outcome.result
  switch (r.status) {
    case 'finished': {
      const message = `plan ${plan.planId} finished: ${r.moved} partitions moved, ${(r.bytes / 1048576).toFixed(1)} MiB copied in ${Math.round(r.elapsedMs / 1000)} s`
      return { lastPlan: { ...plan, result: 'finished', endedAt, message }, event: { reason: 'SelfHealingFinished', type: 'Normal', message } }
    }
    case 'waiting': {
      const message = `plan ${plan.planId} waits: ${r.moved}/${plan.moves} moves done, the rest need broker ${r.waitsFor.join(', ')}, not registered; its moves in flight were reverted and it continues once they return`
      return { lastPlan: { ...plan, result: 'waiting', endedAt, message }, event: { reason: 'SelfHealingWaiting', type: 'Warning', message } }
    }
    case 'interrupted':
      return { lastPlan: { ...plan, result: 'interrupted', message: `plan ${plan.planId} interrupted after ${r.moved}/${plan.moves} moves (${r.inFlight} in flight go on): continued on the next look` } }
  }
}
