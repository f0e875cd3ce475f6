import { randomUUID } from 'node:crypto'
import { isKafkaplaneError } from '../core/errors.ts'
import type { ClusterSnapshot } from '../core/health/snapshot.ts'
import { leadersToRestore, nextBatch, returnState, type BatchOptions, type RestartReason, type ReturnState, type RollNode } from '../core/roll/roll-rules.ts'
import type { Clock } from '../ports/clock.ts'
import type { ReassignmentRefusal } from '../ports/executor-cluster.ts'
import type { RollCluster, RollTarget } from '../ports/roll-target.ts'

/**
 * A roll in progress, saved before every restart so that a roller that dies (a crash, a Ctrl-C, the
 * operator's pod moved) resumes where it stopped: by waiting for the batch it was restarting.
 */
export interface RollState {
  format: 1
  /** The cluster the roll belongs to (Kafka's cluster id). */
  clusterId: string
  rollId: string
  createdAt: string
  status: 'running' | 'finished'
  /** Nodes the user asked to restart (reason `manual`) that this roll has not restarted yet. */
  requested: number[]
  /** The batch being restarted: saved before it is touched. */
  current?: { ids: number[]; reasons: string[]; startedAt: number; upAt?: number }
  /**
   * The batches done, in order: when each began its restart (epoch ms; absent in states saved before it
   * was recorded) and how long it took to come up and to catch up (core/roll/roll-times.ts reads them).
   */
  done: { ids: number[]; reasons: string[]; startedAt?: number; restartMs: number; catchUpMs: number }[]
}

export function newRollState(clusterId: string, requested: readonly number[], now: number): RollState {
  return { format: 1, clusterId, rollId: randomUUID().slice(0, 8), createdAt: new Date(now).toISOString(), status: 'running', requested: [...requested].sort((a, b) => a - b), done: [] }
}

export interface RollOptions extends BatchOptions {
  clock: Clock
  /** Writes the state (a file for the CLI, the custom resource's status for the operator). */
  save: (state: RollState) => Promise<void>
  /** How often the roller looks at the cluster (default 2 s). */
  pollMs?: number
  /**
   * Without progress for this long the roll stops with status `stalled` and is kept (running it again
   * continues it). Progress: a restarted node came up, or has fewer partitions to catch up on, or a
   * batch started. A node catching up is never restarted again and never fails the roll. Default 10 min.
   */
  stallMs?: number
  /** Ctrl-C: stop after the current step; the state says where to resume. */
  signal?: AbortSignal
  onEvent?: (event: RollEvent) => void
  /**
   * The batch settings as they are now, asked before each batch (they take the place of `maxBatch` and
   * `batchWithin`): the operator's, from the KafkaCluster as last reconciled, so that spec.rolling changed
   * mid-roll holds from the next batch on, a smaller batch as much as a larger one.
   */
  batching?: () => Pick<BatchOptions, 'maxBatch' | 'batchWithin'>
}

export type RollEvent =
  /** `passedOver`: nodes before these in roll order that may not stop now (tried again at the next step); `down`: those of these that were down (restarted first). */
  /** `controllers`: the controller-only nodes among `ids` (a standby controller may go with a batch of its failure domain's brokers). */
  | { type: 'restarting'; ids: number[]; controllers: number[]; reasons: string[]; warnings: string[]; passedOver: { id: number; blockers: string[] }[]; down: number[] }
  /** A restarted batch on its way back: what it waits for, and when it should be back (from progress). */
  | { type: 'waiting'; ids: number[]; reason: string; etaSeconds: number | undefined }
  | { type: 'back'; ids: number[]; controllers: number[]; restartMs: number; catchUpMs: number }
  | { type: 'leaders'; ids: number[]; elected: number; failed: ReassignmentRefusal[] }
  /** Nothing may restart now: each waiting node and what keeps it. */
  | { type: 'blocked'; waiting: { id: number; blockers: string[] }[] }
  | { type: 'retrying'; message: string }

export interface RollResult {
  /** finished: every node runs what is wanted; interrupted: aborted; stalled: no progress for `stallMs`. */
  status: 'finished' | 'interrupted' | 'stalled'
  /** Nodes restarted by this roll (this run and earlier ones). */
  restarted: number
  batches: number
  elapsedMs: number
  /** With `stalled`: what the roll waits for. */
  waitingFor: string
}

const LEADER_ELECTION_ATTEMPTS = 5

/**
 * Rolls the cluster: restarts every node that has a reason to (the target's, or the user's request), a
 * batch at a time, never taking a partition below min.insync.replicas. A state machine over `state`:
 *
 *   1. A batch in `current` (just restarted, or left by a roller that died): make sure its nodes run,
 *      then wait until each is back (`returnState`: up, in the ISR of everything it hosts, caught up
 *      with the quorum). The wait is driven by progress: it goes on while nodes come up or catch up on
 *      partitions, says what it waits for with an ETA, and stops the roll as `stalled` (kept) only
 *      after `stallMs` without progress. Then give back the leaders the restart took
 *      (`leadersToRestore`; an election that fails is reported, not fatal), record the batch as done.
 *   2. On a fresh snapshot, choose the next batch (`nextBatch`: order, restart check on the live
 *      assignment, batch size within one failure-domain cell, by the batch settings as they are now:
 *      `batching`). None left: finished. None may restart:
 *      say who waits for what, poll again (stalled after `stallMs`).
 *   3. Save the batch as `current`, then restart it through the target, and go to 1. Nodes the target
 *      refuses (a PodDisruptionBudget allows no eviction now) were not touched: they leave the batch,
 *      are said as blocked, and are tried again at the next poll (stalled after `stallMs`).
 *
 * An abort stops between steps; the saved state resumes at 1 or 2. A resumed batch whose nodes all
 * still have their reasons to restart was never restarted (the roller died between saving it and
 * restarting it): it is dropped and chosen again at 2, not recorded as done; one of whose nodes only
 * some were restarted (it died between them) is those nodes alone, the others chosen again at 2.
 */
export async function runRoll(cluster: RollCluster, target: RollTarget, state: RollState, options: RollOptions): Promise<RollResult> {
  const { clock } = options
  const pollMs = options.pollMs ?? 2000
  const stallMs = options.stallMs ?? 10 * 60_000
  const emit = options.onEvent ?? (() => {})
  const started = clock.now()
  const result = (status: RollResult['status'], waitingFor = ''): RollResult => ({
    status,
    restarted: state.done.reduce((n, b) => n + b.ids.length, 0),
    batches: state.done.length,
    elapsedMs: clock.now() - started,
    waitingFor,
  })
  let lastProgressAt = clock.now()
  let lastBlocked = ''
  // A batch saved as current by a roller that died: it may have died before restarting it.
  let resumed = state.current !== undefined

  for (;;) {
    if (options.signal?.aborted) return result('interrupted')
    if (state.current) {
      const outcome = await awaitReturn(cluster, target, state, options, pollMs, stallMs, emit, resumed)
      resumed = false
      if (outcome === 'not-restarted') continue
      if (outcome !== 'back') return result(outcome.status, outcome.waitingFor)
      lastProgressAt = clock.now()
      continue
    }

    const read = await look(cluster, target, emit)
    if (read) {
      const nodes = read.nodes.map((n) => (state.requested.includes(n.id) ? { ...n, reasons: [...n.reasons, { kind: 'manual' as const, detail: 'restart requested' }] } : n))
      const step = nextBatch(read.snapshot, nodes, options.batching ? { ...options, ...options.batching() } : options)
      if (step.kind === 'done') {
        state.status = 'finished'
        state.requested = []
        await options.save(state)
        return result('finished')
      }
      if (step.kind === 'restart') {
        const reasons = new Map(step.nodes.map((n) => [n.id, n.reasons]))
        const ids = step.nodes.map((n) => n.id)
        const said = [...new Set(step.nodes.flatMap((n) => n.reasons.map(describeReason)))]
        state.current = { ids, reasons: said, startedAt: clock.now() }
        await options.save(state)
        emit({ type: 'restarting', ids, controllers: controllerOnly(step.nodes), reasons: said, warnings: step.check.warnings, passedOver: step.passedOver, down: step.down })
        const { refused } = await target.restart(ids, reasons)
        if (refused.length === 0) {
          lastBlocked = ''
          continue
        }
        // The platform refused some (a disruption budget): they were not touched, and are tried again later.
        const restarted = ids.filter((id) => !refused.some((r) => r.id === id))
        if (restarted.length > 0) state.current = { ...state.current, ids: restarted, reasons: [...new Set(restarted.flatMap((id) => reasons.get(id)!.map(describeReason)))] }
        else delete state.current
        await options.save(state)
        const line = refused.map((r) => `${r.id}: ${r.reason}`).join(' | ')
        if (line !== lastBlocked) emit({ type: 'blocked', waiting: refused.map((r) => ({ id: r.id, blockers: [r.reason] })) })
        lastBlocked = line
        if (restarted.length > 0) continue
        if (clock.now() - lastProgressAt >= stallMs) return result('stalled', `no node may restart: ${line}`)
        await clock.sleep(pollMs, options.signal)
        continue
      }
      const line = step.waiting.map((w) => `${w.id}: ${w.blockers.join('; ')}`).join(' | ')
      if (line !== lastBlocked) emit({ type: 'blocked', waiting: step.waiting })
      lastBlocked = line
      if (clock.now() - lastProgressAt >= stallMs) return result('stalled', `no node may restart: ${line}`)
    } else if (clock.now() - lastProgressAt >= stallMs) {
      return result('stalled', 'the cluster did not answer')
    }
    await clock.sleep(pollMs, options.signal)
  }
}

/** Step 1: the batch in `state.current` back, its leaders given back, recorded as done. */
async function awaitReturn(
  cluster: RollCluster,
  target: RollTarget,
  state: RollState,
  options: RollOptions,
  pollMs: number,
  stallMs: number,
  emit: (e: RollEvent) => void,
  resumed: boolean,
): Promise<'back' | 'not-restarted' | { status: 'interrupted' | 'stalled'; waitingFor: string }> {
  const { clock } = options
  const current = state.current!
  await retriable(() => target.ensureRunning(current.ids), emit)
  // The batch's old processes are gone by now (restart resolves once each runs again): a controller is
  // back only once it caught up after this moment, not on what its old process did before it stopped.
  const runningSince = clock.now()
  if (resumed && current.upAt === undefined) {
    // The roller that saved this batch died before restarting it (or a platform refused it): its nodes
    // still run what they ran, with their reasons. Not recorded as done: chosen again by the rules.
    const read = await look(cluster, target, emit)
    const untouched = read?.nodes.filter((n) => current.ids.includes(n.id) && n.reasons.length > 0) ?? []
    if (untouched.length === current.ids.length) {
      delete state.current
      await options.save(state)
      return 'not-restarted'
    }
    // Part of it restarted (the roller died between two restarts of the batch, or a platform refused
    // the rest): only those are the batch; the others are chosen again by the rules.
    if (untouched.length > 0) {
      current.ids = current.ids.filter((id) => !untouched.some((n) => n.id === id))
      await options.save(state)
    }
  }
  let progressAt = clock.now()
  let before: { down: number; behind: number } | undefined
  let lastSaid = ''
  let behindSamples: { at: number; behind: number }[] = []
  for (;;) {
    if (options.signal?.aborted) return { status: 'interrupted', waitingFor: lastSaid }
    const read = await look(cluster, target, emit)
    if (read) {
      const byId = new Map(read.nodes.map((n) => [n.id, n]))
      const nodesOf = (ids: readonly number[]) => ids.map((id) => byId.get(id) ?? { id, roles: ['broker'] as const })
      const roleOf = (ids: readonly number[]) => batchRole(nodesOf(ids))
      const states = nodesOf(current.ids).map((n) => ({ id: n.id, state: returnState(read.snapshot, n, options, runningSince) }))
      if (current.upAt === undefined && states.every((s) => s.state.kind !== 'down')) {
        current.upAt = clock.now()
        await options.save(state)
      }
      const waiting = states.filter((s) => s.state.kind !== 'back')
      if (waiting.length === 0) {
        const restartMs = (current.upAt ?? clock.now()) - current.startedAt
        const catchUpMs = clock.now() - (current.upAt ?? clock.now())
        emit({ type: 'back', ids: current.ids, controllers: controllerOnly(nodesOf(current.ids)), restartMs, catchUpMs })
        await giveBackLeaders(cluster, current.ids, clock, pollMs, emit)
        state.done.push({ ids: current.ids, reasons: current.reasons, startedAt: current.startedAt, restartMs, catchUpMs })
        state.requested = state.requested.filter((id) => !current.ids.includes(id))
        delete state.current
        await options.save(state)
        return 'back'
      }
      // Progress: fewer nodes down, or as many and fewer partitions left to catch up on.
      const now = { down: waiting.filter((s) => s.state.kind === 'down').length, behind: waiting.reduce((n, s) => n + (s.state.kind === 'catching-up' ? s.state.behind : 0), 0) }
      if (before && (now.down < before.down || (now.down === before.down && now.behind < before.behind))) progressAt = clock.now()
      before = now
      const behind = now.behind
      behindSamples = [...behindSamples, { at: clock.now(), behind }].slice(-60)
      const reason = waiting.map((s) => (s.state as Exclude<ReturnState, { kind: 'back' }>).reason).join('; ')
      if (reason !== lastSaid) emit({ type: 'waiting', ids: waiting.map((s) => s.id), reason, etaSeconds: eta(state, current, behindSamples, clock.now(), roleOf) })
      lastSaid = reason
      if (clock.now() - progressAt >= stallMs) return { status: 'stalled', waitingFor: reason }
    } else if (clock.now() - progressAt >= stallMs) {
      return { status: 'stalled', waitingFor: 'the cluster did not answer' }
    }
    await clock.sleep(pollMs, options.signal)
  }
}

/**
 * When a batch on its way back should be back, in seconds: while down, the mean time earlier batches of
 * this roll took to come up, minus the time gone; while catching up, the partitions left over the rate
 * at which they were caught up lately. Earlier batches of the same role (`roleOf`: a dedicated
 * controller comes back in a fraction of a broker's time) when there are any, else all of them.
 * Undefined until there is something to measure.
 */
export function eta(
  state: Pick<RollState, 'done'>,
  current: NonNullable<RollState['current']>,
  samples: readonly { at: number; behind: number }[],
  now: number,
  roleOf: (ids: readonly number[]) => 'broker' | 'controller',
): number | undefined {
  const role = roleOf(current.ids)
  const alike = state.done.filter((b) => roleOf(b.ids) === role)
  const basis = alike.length > 0 ? alike : state.done
  const catchUp = basis.length > 0 ? basis.reduce((s, b) => s + b.catchUpMs, 0) / basis.length : undefined
  if (current.upAt === undefined) {
    if (basis.length === 0) return undefined
    const up = basis.reduce((s, b) => s + b.restartMs, 0) / basis.length
    return Math.max(0, Math.round((current.startedAt + up - now + (catchUp ?? 0)) / 1000))
  }
  const last = samples.at(-1)
  const first = samples.find((s) => s.behind > (last?.behind ?? 0))
  if (!last || !first || last.at === first.at) return catchUp === undefined ? undefined : Math.max(0, Math.round((current.upAt + catchUp - now) / 1000))
  const rate = (first.behind - last.behind) / (last.at - first.at)
  return rate > 0 ? Math.round(last.behind / rate / 1000) : undefined
}

/** Preferred-leader election of what the batch led before its restart, tried again while its replicas join the ISR. */
async function giveBackLeaders(cluster: RollCluster, ids: number[], clock: Clock, pollMs: number, emit: (e: RollEvent) => void): Promise<void> {
  let elected = 0
  let failed: ReassignmentRefusal[] = []
  for (let attempt = 1; attempt <= LEADER_ELECTION_ATTEMPTS; attempt++) {
    try {
      const partitions = leadersToRestore(await cluster.snapshot(), ids).map((p) => ({ topic: p.topic, partition: p.partition }))
      if (partitions.length === 0) break
      failed = await cluster.electPreferredLeaders(partitions)
      elected += partitions.length - failed.length
      if (failed.length === 0) break
    } catch (err) {
      if (!isKafkaplaneError(err) || !err.retriable) throw err
      emit({ type: 'retrying', message: err.message })
    }
    await clock.sleep(pollMs)
  }
  emit({ type: 'leaders', ids, elected, failed })
}

/** The cluster and the target's nodes, or undefined when either does not answer (said, tried on the next poll). */
async function look(cluster: RollCluster, target: RollTarget, emit: (e: RollEvent) => void): Promise<{ snapshot: ClusterSnapshot; nodes: RollNode[] } | undefined> {
  try {
    const [snapshot, nodes] = await Promise.all([cluster.snapshot(), target.nodes()])
    return { snapshot, nodes }
  } catch (err) {
    if (!isKafkaplaneError(err) || !err.retriable) throw err
    emit({ type: 'retrying', message: err.message })
    return undefined
  }
}

async function retriable(call: () => Promise<void>, emit: (e: RollEvent) => void): Promise<void> {
  try {
    await call()
  } catch (err) {
    if (!isKafkaplaneError(err) || !err.retriable) throw err
    emit({ type: 'retrying', message: err.message })
  }
}

/** A batch is a controller's when its nodes are controller-only, else brokers' (for its ETA: a broker's time dominates). */
function batchRole(nodes: readonly Pick<RollNode, 'roles'>[]): 'broker' | 'controller' {
  return nodes.every((n) => !n.roles.includes('broker')) ? 'controller' : 'broker'
}

/** The controller-only nodes of a batch. */
function controllerOnly(nodes: readonly Pick<RollNode, 'id' | 'roles'>[]): number[] {
  return nodes.filter((n) => !n.roles.includes('broker')).map((n) => n.id)
}

/** "broker 3", "brokers 3, 6", "controller 7", "brokers 0, 2 and controller 7": the nodes of an event, in words. */
export function describeNodes(event: { ids: readonly number[]; controllers: readonly number[] }): string {
  const named = (role: string, ids: readonly number[]) => `${role}${ids.length > 1 ? 's' : ''} ${ids.join(', ')}`
  const brokers = event.ids.filter((id) => !event.controllers.includes(id))
  const controllers = event.ids.filter((id) => event.controllers.includes(id))
  return [...(brokers.length > 0 ? [named('broker', brokers)] : []), ...(controllers.length > 0 ? [named('controller', controllers)] : [])].join(' and ')
}

export function describeRestarting(event: Extract<RollEvent, { type: 'restarting' }>): string {
  const first = event.down.length > 0 ? `; ${event.down.join(', ')} ${event.down.length > 1 ? 'are' : 'is'} down, so before the nodes that are up` : ''
  return `restarting ${describeNodes(event)} (${event.reasons.join('; ')})${first}`
}

export function describeReason(r: RestartReason): string {
  return `${r.kind}: ${r.detail}`
}

