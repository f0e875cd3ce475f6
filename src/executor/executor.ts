import { isKafkaplaneError, KafkaplaneError } from '../core/errors.ts'
import type { ClusterSnapshot } from '../core/health/snapshot.ts'
import { partitionKey, sameOrder } from '../core/placement/model.ts'
import { addedReplicas, DEFAULT_MOVE_LIMITS, loadNow, nextMoves, sameThrottle, throttlePlan, touchedBrokers, type Move, type MoveLimits, type ThrottlePlan } from '../core/plan/moves.ts'
import { progressOf, type MoveStatus, type Progress, type ProgressSample } from '../core/plan/progress.ts'
import { gateMoves, heldLine, waitsOnlyForAbsentBrokers } from '../core/plan/start-gate.ts'
import { busiestReceived, ThrottleControl } from '../core/plan/throttle-control.ts'
import { retrying } from '../core/retry.ts'
import type { BrokerConfigFailure, ExecutorCluster, InFlightReassignment, ReassignmentRefusal } from '../ports/executor-cluster.ts'
import { writePlanState, type PlanState } from './plan-state.ts'

export interface ExecuteOptions {
  limits?: MoveLimits
  /** Poll interval: how often the executor looks at the cluster (default 1 s). */
  pollMs?: number
  /** Ctrl-C: stop starting moves, leave the ones in flight running (throttled), keep the state. */
  signal?: AbortSignal
  /**
   * Give up when nothing moved forward for this long (default 30 min): no move started or finished, and
   * no byte more arrived on the new replicas of the moves in flight. Then cancel, clear throttles, throw.
   * A move that copies for hours at its throttle is progress, never a stall.
   */
  stallTimeoutMs?: number
  /**
   * When every move left waits for brokers that are not registered (dead, fenced), wait this long
   * for them (default 5 min), then stop: the moves in flight that need them are reverted, the
   * throttles removed, and the plan kept to continue once they are back (status `waiting`).
   */
  brokerWaitMs?: number
  /**
   * When the moves are done but a broker could not take the removal of its throttle rate (restarting,
   * crashed, not registered), wait this long for it to come back and remove the rate then (default
   * the smaller of `brokerWaitMs` and 2 min). A broker that returns later keeps its rate: the
   * metadata log gives it back on start; `kafkaplane heal` removes it.
   */
  throttleWaitMs?: number
  /**
   * The plan's throttle now, bytes/s per broker, read at every poll (the operator's: a KafkaCluster's
   * spec.scaling.throttle changed under a running scale). A new rate is saved in the plan and set on
   * the brokers at once; undefined, 0, or a plan run without a throttle keep the plan's own.
   */
  throttle?: () => number | undefined
  onEvent?: (event: ExecutorEvent) => void
}

export type ExecutorEvent =
  | { type: 'adopted'; inFlight: number; done: number }
  | { type: 'started'; moves: Move[] }
  | { type: 'throttle'; plan: ThrottlePlan }
  /** The plan's throttle changed while it runs (`throttle` in the options). */
  | { type: 'throttle-changed'; fromBytesPerSecond: number; toBytesPerSecond: number }
  | { type: 'paused'; reason: string }
  | { type: 'refused'; refusals: ReassignmentRefusal[] }
  | { type: 'progress'; progress: Progress }
  | { type: 'elected'; partitions: number; failed: ReassignmentRefusal[] }
  /** `kept`: brokers whose rate stays (not registered, or the change failed; `heal` removes it later). */
  | { type: 'throttles-cleared'; brokers: number[]; topics: string[]; kept: BrokerConfigFailure[] }
  | { type: 'throttle-failed'; failures: BrokerConfigFailure[] }
  /** The moves are done; waiting up to `limitMs` for `kept` to take the removal of their rate. */
  | { type: 'throttles-waiting'; kept: BrokerConfigFailure[]; limitMs: number }
  | { type: 'retrying'; message: string }

export interface ExecuteResult {
  /**
   * finished: every move done; interrupted: aborted (Ctrl-C), moves in flight go on; waiting: every
   * move left needs a broker that is not registered (`waitsFor`), nothing of the plan moves now.
   */
  status: 'finished' | 'interrupted' | 'waiting'
  /** Moves that completed (in this run and earlier ones of the same plan). */
  moved: number
  inFlight: number
  bytes: number
  elapsedMs: number
  leaderElectionFailures: ReassignmentRefusal[]
  /** With status `waiting`: the brokers the moves left wait for. */
  waitsFor: number[]
  /**
   * Brokers that still have the plan's throttle rate because they could not take its removal (not
   * registered when the plan ended). A rate without throttled replicas limits nothing; `kafkaplane heal`
   * removes it once the broker is back.
   */
  throttlesLeft: number[]
}

/** A refused move is retried on later polls; after this many refusals the plan fails. */
const MAX_REFUSALS = 5
const ELECTION_ATTEMPTS = 10
const THROTTLE_RESEND_MS = 30_000
/**
 * How long the last step of a finished plan (removing its throttles) is tried again at least while the
 * cluster does not answer: long enough for a few attempts that each run to the client's request
 * timeout (10 s by default).
 */
const FINAL_STEP_RETRY_MS = 30_000

/**
 * Carries out a plan's moves on a live cluster, one poll at a time, keeping `state` on disk (`stateFile`)
 * before every change it makes to the cluster:
 *
 *   1. Read the cluster (snapshot, reassignments in flight). A move is done when its partition has its
 *      new replicas and nothing is moving it; in flight while the controller moves it; else pending.
 *      Moves in flight from an earlier run are adopted. Retriable errors are retried on the next poll;
 *      any other (not authorized, a request Kafka refuses) stops the plan at once with the reason.
 *   2. Start gate (`gateMoves`, src/core/plan/start-gate.ts): a pending move does not start while its
 *      partition is offline, or failing, or a broker it touches hosts a failing partition, unless it
 *      only raises the ISR; nor while its new replicas name a broker that is not registered (it waits
 *      for that broker; moves that do not need it go on). The executor says what it holds back and why.
 *   3. Choose the next moves (`nextMoves`: urgent, then small, within the per-broker and cluster
 *      limits), set the replication throttle for everything in flight (rates on the registered brokers
 *      involved, one by one; throttled replica lists on the topics; lists of topics no longer moving are
 *      removed), then send the reassignments. A move whose broker did not take its throttle rate waits
 *      for the next poll, so no data moves unthrottled.
 *   4. When every move left waits for brokers that are not registered (`waitsOnlyForAbsentBrokers`,
 *      src/core/plan/start-gate.ts) for `brokerWaitMs`, stop with status `waiting`: revert the plan's
 *      moves in flight that need them, remove the throttles, keep the plan (running again continues it
 *      once the brokers are back).
 *   5. When no move is left: elect the preferred leaders of the moved partitions (retrying while a new
 *      leader is not yet in the ISR), remove every throttle the plan set from its brokers and topics.
 *      A broker that cannot take the removal (not registered, not answering) is waited for up to
 *      `throttleWaitMs` and its rate removed when it is back; one that stays away keeps its rate,
 *      which limits nothing without throttled replicas, and is named in `throttlesLeft` (`kafkaplane
 *      heal`, or running the same command again, removes it once the broker is back). Mark the plan finished.
 *
 * An abort (Ctrl-C) stops after the current poll and leaves the moves in flight running under their
 * throttle; running the plan again adopts them. A failure (no progress for `stallTimeoutMs`: no move
 * started or finished and no byte copied; or an error that is not retriable) cancels the moves in
 * flight, removes the throttles, and throws; the state stays, so running again starts the remaining
 * moves afresh.
 */
export async function executePlan(cluster: ExecutorCluster, stateFile: string, state: PlanState, options: ExecuteOptions = {}): Promise<ExecuteResult> {
  const started = Date.now()
  const limits = options.limits ?? DEFAULT_MOVE_LIMITS
  const pollMs = options.pollMs ?? 1000
  const stallTimeoutMs = options.stallTimeoutMs ?? 30 * 60_000
  const brokerWaitMs = options.brokerWaitMs ?? 5 * 60_000
  const throttleWaitMs = options.throttleWaitMs ?? Math.min(brokerWaitMs, 2 * 60_000)
  const emit = options.onEvent ?? (() => {})
  const save = () => writePlanState(stateFile, state)
  const done = new Set(state.done)
  const sent = new Set(state.started)
  const refusals = new Map<string, number>()
  const samples: ProgressSample[] = []
  let throttleNow: ThrottlePlan | undefined
  let throttleSentAt = 0
  let lastProgressAt = Date.now()
  let lastPause = ''
  let first = true
  let snapshot: ClusterSnapshot | undefined
  let registered = new Set<number>()
  let status = new Map<string, MoveStatus>()
  let blockedSince: number | undefined
  // The rate configured on the brokers, steered so that what arrives matches the plan's throttle.
  let configuredRate = state.throttleBytesPerSecond
  let control = new ThrottleControl(state.throttleBytesPerSecond)
  let reading: { keys: string; at: number; received: Map<number, number>; configured: number } | undefined
  /** Bytes on the new replicas of each move in flight at the last poll: more since is progress. */
  let lastCopied = new Map<string, number>()

  const result = (kind: ExecuteResult['status'], extra: Partial<ExecuteResult> = {}): ExecuteResult => ({
    status: kind,
    moved: done.size,
    inFlight: [...status.values()].filter((s) => s === 'in-flight').length,
    bytes: state.moves.filter((m) => done.has(partitionKey(m))).reduce((s, m) => s + m.bytes, 0),
    elapsedMs: Date.now() - started,
    leaderElectionFailures: [],
    waitsFor: [],
    throttlesLeft: [],
    ...extra,
  })

  try {
    for (;;) {
      if (options.signal?.aborted) {
        await save()
        return result('interrupted')
      }
      let ongoing: InFlightReassignment[]
      try {
        ;[snapshot, ongoing] = await Promise.all([cluster.snapshot(), cluster.inFlight()])
      } catch (err) {
        if (!isKafkaplaneError(err) || !err.retriable) throw err
        if (Date.now() - lastProgressAt > stallTimeoutMs) throw err
        emit({ type: 'retrying', message: err.message })
        await sleep(pollMs, options.signal)
        continue
      }
      registered = new Set(snapshot.brokers.map((b) => b.id))
      const wanted = options.throttle?.()
      if (wanted !== undefined && wanted > 0 && state.throttleBytesPerSecond > 0 && wanted !== state.throttleBytesPerSecond) {
        // Saved first, then steered afresh from the new rate; step 3 sets it on the brokers (it differs from what they have).
        emit({ type: 'throttle-changed', fromBytesPerSecond: state.throttleBytesPerSecond, toBytesPerSecond: wanted })
        state.throttleBytesPerSecond = wanted
        await save()
        configuredRate = wanted
        control = new ThrottleControl(wanted)
        reading = undefined
      }
      const current = new Map(snapshot.partitions.map((p) => [partitionKey(p), p]))
      const moving = new Map(ongoing.map((r) => [partitionKey(r), r]))
      const before = done.size
      status = new Map()
      for (const m of state.moves) {
        const key = partitionKey(m)
        const p = current.get(key)
        if (done.has(key)) status.set(key, 'done')
        else if (moving.has(key)) status.set(key, sent.has(key) ? 'in-flight' : 'pending')
        else if (p === undefined || sameOrder(p.replicas, m.newReplicas)) {
          // Finished (or its topic was deleted: nothing left to move).
          done.add(key)
          status.set(key, 'done')
        } else status.set(key, 'pending')
      }
      if (first) {
        first = false
        const adopted = [...status.values()].filter((s) => s === 'in-flight').length
        if (adopted > 0 || done.size > 0) emit({ type: 'adopted', inFlight: adopted, done: done.size })
      }
      if (done.size !== before) {
        lastProgressAt = Date.now()
        state.done = [...done]
        await save()
      }
      const inFlight = state.moves.filter((m) => status.get(partitionKey(m)) === 'in-flight')
      const pending = state.moves.filter((m) => status.get(partitionKey(m)) === 'pending')
      if (inFlight.length === 0 && pending.length === 0) break

      try {
        const foreign = new Set([...moving.keys()].filter((k) => !sent.has(k)))
        const { eligible, held } = gateMoves(pending, current, registered, foreign)
        if (held.length > 0) {
          const reason = heldLine(held)
          if (reason !== lastPause) emit({ type: 'paused', reason })
          lastPause = reason
        } else lastPause = ''

        // Every move left needs a broker that is not registered: wait for it, within a limit.
        const waitsFor = waitsOnlyForAbsentBrokers({ eligible, held }, inFlight, registered)
        if (!waitsFor) blockedSince = undefined
        else {
          blockedSince ??= Date.now()
          if (Date.now() - blockedSince >= brokerWaitMs) {
            await cancelInFlight(cluster, state)
            const throttlesLeft = await clearAll(cluster, state, registered, emit)
            await save()
            return result('waiting', { waitsFor, throttlesLeft })
          }
        }

        // A broker that is gone does no work: what involves it counts against no limit (loadNow).
        const load = <T extends Move>(m: T): T => loadNow(m, registered)
        let next = nextMoves(eligible.map(load), inFlight.map(load), limits)
        if (state.throttleBytesPerSecond > 0) {
          // Only registered brokers can take a config change; one that comes back gets it on a later poll.
          const plan = onRegistered(throttlePlan([...inFlight, ...next], configuredRate), registered)
          // Sent again now and then: a throttle removed by someone else (a stale-throttle sweep that
          // took the gap between two batches for the end of the plan) comes back within that time.
          if (plan.topics.size > 0 && (!sameThrottle(throttleNow, plan) || Date.now() - throttleSentAt > THROTTLE_RESEND_MS)) {
            state.throttled = {
              brokers: [...new Set([...state.throttled.brokers, ...plan.brokers])].sort((a, b) => a - b),
              topics: [...new Set([...state.throttled.topics, ...plan.topics.keys()])].sort(),
            }
            await save()
            const failures = await cluster.setThrottles(plan)
            throttleSentAt = Date.now()
            if (failures.length > 0) {
              // Nothing starts on a broker without its rate: those moves wait for the next poll.
              const failed = new Set(failures.map((f) => f.broker))
              next = next.filter((m) => !touchedBrokers(m).some((b) => failed.has(b)) && !m.oldReplicas.some((b) => failed.has(b)))
              emit({ type: 'throttle-failed', failures })
            }
            if (throttleNow) {
              const goneTopics = [...throttleNow.topics.keys()].filter((t) => !plan.topics.has(t))
              const goneBrokers = throttleNow.brokers.filter((b) => !plan.brokers.includes(b) && registered.has(b))
              if (goneTopics.length > 0 || goneBrokers.length > 0) {
                const left = await cluster.clearThrottles(goneBrokers, goneTopics)
                if (left.length > 0) emit({ type: 'throttle-failed', failures: left })
              }
            }
            throttleNow = failures.length > 0 ? undefined : plan
            emit({ type: 'throttle', plan })
          }
        }
        if (next.length > 0) {
          for (const m of next) sent.add(partitionKey(m))
          state.started = [...sent]
          await save()
          const refused = await cluster.reassign(next.map((m) => ({ topic: m.topic, partition: m.partition, replicas: m.newReplicas })))
          if (refused.length > 0) {
            emit({ type: 'refused', refusals: refused })
            const denied = refused.find((r) => r.notAuthorized)
            if (denied) {
              throw new KafkaplaneError('KAFKA_NOT_AUTHORIZED', `Kafka refused to move ${partitionKey(denied)}: ${denied.message} (error ${denied.errorCode})`, {
                fix: "grant this client's principal Alter on the cluster (kafka-acls --add --operation Alter --cluster); the moves in flight were cancelled and the throttles removed",
                resource: { topic: denied.topic, partition: denied.partition },
              })
            }
            for (const r of refused) {
              const key = partitionKey(r)
              const n = (refusals.get(key) ?? 0) + 1
              refusals.set(key, n)
              if (n >= MAX_REFUSALS) {
                throw new KafkaplaneError('KAFKA_REQUEST_REFUSED', `Kafka refused to move ${key} ${n} times: ${r.message} (error ${r.errorCode})`, {
                  fix: 'check that the target brokers exist and are running; the moves in flight were cancelled and the throttles removed',
                  resource: { topic: r.topic, partition: r.partition },
                })
              }
            }
          }
          if (next.length > refused.length) lastProgressAt = Date.now()
          for (const m of next) status.set(partitionKey(m), 'in-flight')
          emit({ type: 'started', moves: next.filter((m) => !refused.some((r) => partitionKey(r) === partitionKey(m))) })
        }

        const copied = new Map<string, number>()
        const flying = state.moves.filter((m) => status.get(partitionKey(m)) === 'in-flight' && m.bytes > 0)
        const received = new Map<number, number>()
        if (flying.length > 0) {
          const bytes = await cluster.replicaBytes(flying).catch(() => new Map<string, Map<number, number>>())
          for (const m of flying) {
            const onBrokers = bytes.get(partitionKey(m))
            copied.set(partitionKey(m), addedReplicas(m).reduce((s, b) => s + (onBrokers?.get(b) ?? 0), 0))
            for (const b of addedReplicas(m)) received.set(b, (received.get(b) ?? 0) + (onBrokers?.get(b) ?? 0))
          }
        }
        if ([...copied].some(([key, bytes]) => bytes > (lastCopied.get(key) ?? Number.POSITIVE_INFINITY))) lastProgressAt = Date.now()
        lastCopied = copied
        // Throttle control: measure between polls with the same moves in flight, then steer the rate.
        if (state.throttleBytesPerSecond > 0 && flying.length > 0) {
          const keys = flying.map(partitionKey).join()
          const now = Date.now()
          const previous = reading
          reading = { keys, at: now, received, configured: configuredRate }
          if (previous?.keys === keys) {
            const steered = control.record({ bytes: busiestReceived(previous.received, received), configured: previous.configured, ms: now - previous.at }, configuredRate)
            if (Math.abs(steered - configuredRate) / configuredRate > 0.02) {
              configuredRate = steered
              const plan = onRegistered(throttlePlan(flying, configuredRate), registered)
              const failures = await cluster.setThrottles(plan)
              if (failures.length > 0) emit({ type: 'throttle-failed', failures })
              throttleNow = failures.length > 0 ? undefined : plan
              emit({ type: 'throttle', plan })
            }
          }
        }
        const { sample, ...progress } = progressOf(state.moves, status, copied, samples, Date.now())
        samples.push(sample)
        if (samples.length > 600) samples.splice(0, samples.length - 600)
        emit({ type: 'progress', progress })
      } catch (err) {
        // A broker or the controller not answering: the step is repeated on the next poll.
        if (!isKafkaplaneError(err) || !err.retriable || Date.now() - lastProgressAt > stallTimeoutMs) throw err
        emit({ type: 'retrying', message: err.message })
      }
      if (Date.now() - lastProgressAt > stallTimeoutMs) {
        throw new KafkaplaneError('CLUSTER_NOT_READY', `no move finished or started, and no byte copied, for ${stallMinutes(stallTimeoutMs)}${lastPause ? `: ${lastPause}` : ''}`, {
          fix: 'fix what holds the moves back (see above), then run the same command again: it continues the plan',
        })
      }
      await sleep(pollMs, options.signal)
    }

    const failures = await electLeaders(cluster, state, emit, pollMs)
    // The moves are done: a cluster not answering for a moment should not fail the plan here.
    const finalRetry = {
      limitMs: Math.max(5 * pollMs, FINAL_STEP_RETRY_MS),
      intervalMs: pollMs,
      onRetry: (err: KafkaplaneError) => emit({ type: 'retrying', message: err.message }),
      now: Date.now,
      sleep,
    }
    const hadThrottles = state.throttled.brokers.length > 0 || state.throttled.topics.length > 0
    let removed = await retrying(() => removeThrottles(cluster, state, registered), finalRetry)
    if (removed.kept.length > 0 && throttleWaitMs > 0) {
      // A broker restarting as the plan ends (a roll, a crash) gets its rate back from the metadata
      // log when it returns: wait for it, within a limit, and remove the rate then.
      emit({ type: 'throttles-waiting', kept: removed.kept, limitMs: throttleWaitMs })
      const deadline = Date.now() + throttleWaitMs
      while (state.throttled.brokers.length > 0 && Date.now() < deadline && !options.signal?.aborted) {
        await sleep(pollMs, options.signal)
        try {
          registered = new Set((await cluster.snapshot()).brokers.map((b) => b.id))
          const again = await removeThrottles(cluster, state, registered)
          removed = { cleared: [...removed.cleared, ...again.cleared], topics: removed.topics, kept: again.kept }
          await save()
        } catch (err) {
          if (!isKafkaplaneError(err) || !err.retriable) throw err
        }
      }
    }
    if (hadThrottles) emit({ type: 'throttles-cleared', brokers: removed.cleared, topics: removed.topics, kept: removed.kept })
    const throttlesLeft = state.throttled.brokers
    state.status = 'finished'
    await save()
    return result('finished', { leaderElectionFailures: failures, throttlesLeft })
  } catch (err) {
    // Leave nothing behind that nobody watches: cancel what is in flight, remove every throttle.
    await cancelInFlight(cluster, state).catch(() => {})
    await clearAll(cluster, state, registered, emit).catch(() => {})
    await save().catch(() => {})
    throw err
  }
}

/**
 * Reverts the plan's moves in flight (the controller drops the replicas it was adding and keeps the
 * old ones), waits until nothing of the plan moves, removes every throttle the plan set, and marks it
 * cancelled. Moves already finished stay where they are. Returns the brokers that kept a throttle rate
 * because they are not registered (`kafkaplane heal` removes it once they are back).
 */
export async function cancelPlan(cluster: ExecutorCluster, stateFile: string, state: PlanState, timeoutMs = 120_000): Promise<{ cancelled: number; throttlesLeft: number[] }> {
  const cancelled = await cancelInFlight(cluster, state, timeoutMs)
  const registered = new Set((await cluster.snapshot()).brokers.map((b) => b.id))
  const throttlesLeft = await clearAll(cluster, state, registered, () => {})
  state.status = 'cancelled'
  await writePlanState(stateFile, state)
  return { cancelled, throttlesLeft }
}

/**
 * Removes the throttle rates an ended plan (finished, cancelled, waiting) left on brokers that were not
 * there to take their removal, from those registered now. Returns the brokers cleared and those that
 * still keep the rate; the state is saved with what is left.
 */
export async function clearThrottlesLeft(cluster: ExecutorCluster, stateFile: string, state: PlanState): Promise<{ cleared: number[]; kept: BrokerConfigFailure[] }> {
  if (state.throttled.brokers.length === 0) return { cleared: [], kept: [] }
  const registered = new Set((await cluster.snapshot()).brokers.map((b) => b.id))
  const { cleared, kept } = await removeThrottles(cluster, state, registered)
  await writePlanState(stateFile, state)
  return { cleared, kept }
}

async function cancelInFlight(cluster: ExecutorCluster, state: PlanState, timeoutMs = 60_000): Promise<number> {
  const ours = new Set(state.started)
  const ongoing = (await cluster.inFlight()).filter((r) => ours.has(partitionKey(r)))
  if (ongoing.length === 0) return 0
  await cluster.reassign(ongoing.map((r) => ({ topic: r.topic, partition: r.partition, replicas: null })))
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const still = (await cluster.inFlight()).filter((r) => ours.has(partitionKey(r)))
    if (still.length === 0) break
    await sleep(500)
  }
  return ongoing.length
}

/**
 * Removes the plan's throttles: its topics' lists, and the rates of its brokers that are registered.
 * The brokers that are not, or that did not take the change, stay in `state.throttled.brokers` and
 * are returned.
 */
async function clearAll(cluster: ExecutorCluster, state: PlanState, registered: ReadonlySet<number>, emit: (e: ExecutorEvent) => void): Promise<number[]> {
  if (state.throttled.brokers.length === 0 && state.throttled.topics.length === 0) return []
  const { cleared, topics, kept } = await removeThrottles(cluster, state, registered)
  emit({ type: 'throttles-cleared', brokers: cleared, topics, kept })
  return state.throttled.brokers
}

/** One attempt of `clearAll`, saying nothing: what it removed, and the brokers that kept their rate and why. */
async function removeThrottles(cluster: ExecutorCluster, state: PlanState, registered: ReadonlySet<number>): Promise<{ cleared: number[]; topics: string[]; kept: BrokerConfigFailure[] }> {
  const { brokers, topics } = state.throttled
  if (brokers.length === 0 && topics.length === 0) return { cleared: [], topics: [], kept: [] }
  const reachable = brokers.filter((b) => registered.has(b))
  const failures = await cluster.clearThrottles(reachable, topics)
  const failed = new Set(failures.map((f) => f.broker))
  const cleared = reachable.filter((b) => !failed.has(b))
  const kept = [...failures, ...brokers.filter((b) => !registered.has(b)).map((broker) => ({ broker, message: 'not registered' }))].sort((a, b) => a.broker - b.broker)
  state.throttled = { brokers: brokers.filter((b) => !registered.has(b) || failed.has(b)), topics: [] }
  return { cleared, topics, kept }
}

/**
 * Preferred-leader election of the moved partitions whose first replica does not lead yet. The moves
 * are done: an election that cannot happen (the preferred leader is not in the ISR, or the cluster does
 * not answer) is reported, never a reason to fail the plan.
 */
async function electLeaders(cluster: ExecutorCluster, state: PlanState, emit: (e: ExecutorEvent) => void, pollMs: number): Promise<ReassignmentRefusal[]> {
  const planned = new Map(state.moves.map((m) => [partitionKey(m), m]))
  let failed: ReassignmentRefusal[] = []
  let elected = 0
  for (let attempt = 0; attempt < ELECTION_ATTEMPTS; attempt++) {
    try {
      const snapshot = await cluster.snapshot()
      const wrong = snapshot.partitions.filter((p) => {
        const m = planned.get(partitionKey(p))
        return m !== undefined && sameOrder(p.replicas, m.newReplicas) && p.leader !== m.newReplicas[0]
      })
      if (wrong.length === 0) {
        failed = []
        break
      }
      // The preferred leader must be in the ISR; wait for those that are not yet.
      const electable = wrong.filter((p) => p.isr.includes(p.replicas[0]!))
      failed = electable.length > 0 ? await cluster.electPreferredLeaders(electable) : []
      elected += electable.length - failed.length
      if (electable.length === wrong.length && failed.length === 0) break
      failed = [...failed, ...wrong.filter((p) => !electable.includes(p)).map((p) => ({ topic: p.topic, partition: p.partition, errorCode: 80, message: `preferred leader ${p.replicas[0]} is not in the ISR yet` }))]
    } catch (err) {
      if (!isKafkaplaneError(err) || !err.retriable) throw err
      // Not known whether their preferred leaders lead: say so for every moved partition.
      failed = [...planned.values()].map((m) => ({ topic: m.topic, partition: m.partition, errorCode: -1, message: `the cluster did not answer: ${err.message}` }))
    }
    await sleep(pollMs)
  }
  emit({ type: 'elected', partitions: elected, failed })
  return failed
}

function onRegistered(plan: ThrottlePlan, registered: ReadonlySet<number>): ThrottlePlan {
  return { ...plan, brokers: plan.brokers.filter((b) => registered.has(b)) }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve()
    const timer = setTimeout(done, ms)
    function done() {
      clearTimeout(timer)
      signal?.removeEventListener('abort', done)
      resolve()
    }
    signal?.addEventListener('abort', done, { once: true })
  })
}

function stallMinutes(ms: number): string {
  return ms >= 60_000 ? `${Math.round(ms / 60_000)} min` : ms >= 1000 ? `${Math.round(ms / 1000)} s` : `${ms} ms`
}
