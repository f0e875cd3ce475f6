import { join } from 'node:path'
import type { Admin } from '@platformatic/kafka'
import { partitionKey, type Proposal } from '../core/placement/model.ts'
import { DEFAULT_MOVE_LIMITS, type Move, type MoveLimits } from '../core/plan/moves.ts'
import type { Progress } from '../core/plan/progress.ts'
import type { ExecutorEvent } from '../executor/executor.ts'
import { DEFAULT_THROTTLE_BYTES_PER_SECOND, type PlanState } from '../executor/plan-state.ts'
import { readTopologyFile } from '../formats/topology-file.ts'
import { renderReassignment } from '../formats/reassignment-json.ts'
import { createAdmin } from '../kafka/connection.ts'
import type { KafkaConnectionOptions } from '../kafka/connection-options.ts'
import { KafkaExecutorCluster } from '../kafka/executor-cluster.ts'
import { stateDir } from '../local/paths.ts'
import { readLiveCluster, type LiveCluster } from '../operations/live-cluster.ts'
import { PlanRunner } from '../operations/plan-runner.ts'
import { systemClock } from '../operations/system-clock.ts'
import { badArgument, integerOption, type CommandIO } from './command.ts'
import { CONNECTION_HELP, CONNECTION_OPTIONS, connectionOptions } from './connection-options.ts'
import { untilStopped } from './interrupt.ts'
import { formatBytes, movesLine } from './plan-report.ts'
import { ANSWER_WITHIN_MS, untilAnswered } from './until-answered.ts'

/** Options of every verb that moves data (rebalance, brokers, replication-factor, migrate, heal). */
export const EXECUTION_OPTIONS = {
  ...CONNECTION_OPTIONS,
  topology: { type: 'string' },
  'dry-run': { type: 'boolean' },
  cancel: { type: 'boolean' },
  throttle: { type: 'string' },
  'max-moves-per-broker': { type: 'string' },
  'max-moves': { type: 'string' },
  'state-file': { type: 'string' },
  'poll-ms': { type: 'string' },
  'broker-wait-seconds': { type: 'string' },
} as const

export const EXECUTION_HELP = `Execution (every verb that moves data):
  --dry-run                print the plan (Kafka reassignment JSON on stdout, a summary on stderr) and
                           change nothing
  --throttle RATE          replication throttle per broker while moving, bytes/s with an optional unit
                           (50MiB, 10MB, 1048576; default 50MiB; 0 = none). Removed when the plan ends.
  --max-moves-per-broker N moves in flight touching one broker (default ${DEFAULT_MOVE_LIMITS.perBroker})
  --max-moves N            moves in flight in the cluster (default ${DEFAULT_MOVE_LIMITS.perCluster})
  --cancel                 revert the moves of the unfinished plan that are in flight, remove its throttles
  --broker-wait-seconds S  when every move left needs a broker that is not registered (dead, fenced),
                           wait this long for it (default 300), then stop: moves in flight that need it
                           are reverted, throttles removed, the plan kept to continue (exit 1)
  --state-file FILE        where the plan's progress is kept (default: $XDG_STATE_HOME/kafkaplane/plans/
                           <cluster id>.json). After a crash or Ctrl-C, the same command continues the plan.
  --topology FILE          the brokers' failure domains (else the ones kafkaplane recorded in the
                           cluster, else broker.rack as the only dimension)
${CONNECTION_HELP}`

/** A verb's plan with notes for people (core/placement/operations.ts: cordonNotes). */
export interface Planned {
  proposals: Proposal[]
  notes: readonly string[]
}

type ExecutionValues = Partial<Record<keyof typeof EXECUTION_OPTIONS, string | boolean | undefined>>

export interface Execution {
  io: CommandIO
  admin: Admin
  connection: KafkaConnectionOptions
  live: LiveCluster
  /** `kafkaplane rebalance`, `kafkaplane brokers remove 3`: names the plan; resuming needs the same. */
  operation: string
}

/**
 * Runs one data-moving verb through the plan lifecycle (src/operations/plan-runner.ts): connect, read
 * the cluster, remove a throttle rate an ended plan left on a broker that is back, then
 *   - with --cancel: revert the unfinished plan's moves in flight and remove its throttles;
 *   - with an unfinished plan of the same operation: continue it (adopting the moves in flight);
 *   - with an unfinished plan of another operation, or reassignments in flight not started by
 *     kafkaplane: refuse (exit 2) and change nothing;
 *   - else: `plan(live)` gives the proposals (and notes for people, printed on stderr first: which
 *     brokers the plan left out because they are cordoned); --dry-run prints them; otherwise they
 *     are executed.
 * Once a plan goes ahead (new, continued, or nothing to move; never a dry run), `beforeMoves` runs
 * before any move starts: what the verb changes beside the moves (`brokers remove` cordons its
 * brokers, `brokers add` uncordons them). An exit code it returns ends the run there, the plan kept.
 * Exit codes: 0 done (or nothing to do), 1 failed, 2 bad input.
 */
export async function runExecution(
  io: CommandIO,
  values: ExecutionValues,
  operation: string,
  plan: (execution: Execution) => Promise<Proposal[] | Planned | number>,
  options: { quietWhenNothing?: boolean; beforeMoves?: (execution: Execution) => Promise<number | undefined> } = {},
): Promise<number> {
  const connection = connectionOptions(values as Parameters<typeof connectionOptions>[0], io.env)
  const throttle = rateOption('--throttle', values.throttle as string | undefined) ?? DEFAULT_THROTTLE_BYTES_PER_SECOND
  const limits: MoveLimits = {
    perBroker: integerOption('--max-moves-per-broker', values['max-moves-per-broker'] as string | undefined, 1, 10_000) ?? DEFAULT_MOVE_LIMITS.perBroker,
    perCluster: integerOption('--max-moves', values['max-moves'] as string | undefined, 1, 1_000_000) ?? DEFAULT_MOVE_LIMITS.perCluster,
  }
  const pollMs = integerOption('--poll-ms', values['poll-ms'] as string | undefined, 100, 60_000) ?? 1000
  const brokerWaitMs = (integerOption('--broker-wait-seconds', values['broker-wait-seconds'] as string | undefined, 0, 86_400) ?? 300) * 1000
  const file = values.topology === undefined ? undefined : await readTopologyFile(values.topology as string)
  const admin = createAdmin(connection)
  try {
    const cluster = new KafkaExecutorCluster(admin, connection)
    const live = await untilAnswered(io, () => readLiveCluster(cluster, file))
    const execution: Execution = { io, admin, connection, live, operation }
    const runner = await PlanRunner.open({
      cluster,
      stateFile: (values['state-file'] as string | undefined) ?? defaultStateFile(live.clusterId, io.env),
      clock: systemClock,
      answerWithinMs: ANSWER_WITHIN_MS,
      onEvent: progressReporter(io),
    })
    const stateFile = runner.stateFile

    if (!values['dry-run']) {
      // An ended plan whose broker was away at its end left its rate there: removed now that it may be back.
      const left = await runner.clearThrottlesLeft(live.clusterId)
      const named = left && `plan ${left.plan.planId} (${left.plan.operation})`
      if (left && left.cleared.length > 0) io.stderr.write(`kafkaplane: removed the throttle rate ${named} left on broker ${left.cleared.join(', ')}\n`)
      if (left && left.kept.length > 0) io.stderr.write(`kafkaplane: ${named} still leaves a throttle rate on ${left.kept.map((f) => `broker ${f.broker} (${f.message})`).join(', ')}\n`)
    }
    if (values.cancel) {
      const cancelled = await runner.cancel()
      if (!cancelled) {
        io.stdout.write('no unfinished plan: nothing to cancel\n')
        return 0
      }
      const { plan: unfinished, throttlesLeft } = cancelled
      io.stdout.write(`cancelled plan ${unfinished.planId} (${unfinished.operation}): ${cancelled.cancelled} moves in flight reverted, ${unfinished.done.length} finished moves kept, ${throttlesRemoved(throttlesLeft)}\n`)
      return 0
    }
    let declined = 0
    const start = await runner.start(
      {
        operation,
        clusterId: live.clusterId,
        snapshot: live.snapshot,
        sizeOf: (key) => live.sizes.get(key),
        throttleBytesPerSecond: throttle,
        dryRun: Boolean(values['dry-run']),
      },
      async () => {
        const planned = await plan(execution)
        if (typeof planned === 'number') {
          declined = planned
          return undefined
        }
        if (Array.isArray(planned)) return planned
        for (const note of planned.notes) io.stderr.write(`note: ${note}\n`)
        return planned.proposals
      },
    )
    let state: PlanState
    switch (start.kind) {
      case 'other-plan':
        throw badArgument(
          `an unfinished plan (${start.state.operation}, started ${start.state.createdAt}) belongs to this cluster`,
          `run \`kafkaplane ${start.state.operation}\` again to finish it, or add --cancel to revert its moves in flight`,
        )
      case 'foreign': {
        const [first] = start.reassignments
        throw badArgument(
          `${start.reassignments.length} partition reassignment(s) not started by kafkaplane are in progress (e.g. ${partitionKey(first!)} -> [${first!.replicas.join(',')}])`,
          'wait for them to finish (kafka-reassign-partitions --list) or cancel them, then run this again',
        )
      }
      case 'declined':
        return declined
      case 'nothing': {
        const stopped = values['dry-run'] ? undefined : await options.beforeMoves?.(execution)
        if (stopped !== undefined) return stopped
        if (options.quietWhenNothing) return 0
        if (values['dry-run']) io.stdout.write(renderReassignment([]) + '\n')
        io.stderr.write('nothing to move: the cluster already matches the plan\n')
        return 0
      }
      case 'continue': {
        const unfinished = start.state
        if (values['dry-run']) {
          io.stdout.write(renderPlan(unfinished.moves) + '\n')
          io.stderr.write(`unfinished plan ${unfinished.planId}: ${unfinished.done.length}/${unfinished.moves.length} moves done; running it again continues it\n`)
          return 0
        }
        io.stderr.write(`kafkaplane: continuing plan ${unfinished.planId} (${operation}, started ${unfinished.createdAt}): ${unfinished.done.length}/${unfinished.moves.length} moves done\n`)
        state = unfinished
        break
      }
      case 'new': {
        const { moves } = start.state
        if (values['dry-run']) {
          io.stdout.write(renderPlan(moves) + '\n')
          io.stderr.write(`dry run: ${movesLine(moves)}; ${formatBytes(start.bytes)} to copy${throttle > 0 ? `, throttled at ${formatBytes(throttle)}/s per broker` : ''}; nothing changed\n`)
          return 0
        }
        state = start.state
        io.stderr.write(`kafkaplane: plan ${state.planId} (${operation}): ${movesLine(moves)}; ${formatBytes(start.bytes)} to copy; state in ${stateFile}\n`)
      }
    }
    const stopped = await options.beforeMoves?.(execution)
    if (stopped !== undefined) return stopped

    return await untilStopped(io, 'moves in flight go on (throttled). Run the same command to continue, or add --cancel.', async (signal) => {
      const result = await runner.run(state, { limits, pollMs, brokerWaitMs, signal })
      if (result.status === 'interrupted') {
        io.stdout.write(`interrupted: ${result.moved}/${state.moves.length} moves done, ${result.inFlight} in flight; run the same command to continue\n`)
        return 1
      }
      if (result.status === 'waiting') {
        const brokers = `broker${result.waitsFor.length > 1 ? 's' : ''} ${result.waitsFor.join(', ')}`
        io.stdout.write(
          `waiting: ${result.moved}/${state.moves.length} moves done; the ${state.moves.length - result.moved} left need ${brokers}, not registered for ${Math.round(brokerWaitMs / 1000)} s; ` +
            `moves in flight reverted, ${throttlesRemoved(result.throttlesLeft)}. Start ${brokers} and run the same command again (it continues the plan), ` +
            `replace ${result.waitsFor.length > 1 ? 'them' : 'it'} (kafkaplane heal drains a broker gone past its grace period), or --cancel\n`,
        )
        return 1
      }
      const failed = result.leaderElectionFailures
      io.stdout.write(
        `done: ${result.moved} partitions moved, ${formatBytes(result.bytes)} copied in ${(result.elapsedMs / 1000).toFixed(1)} s; ${throttlesRemoved(result.throttlesLeft)}` +
          (failed.length > 0 ? `; preferred leader not elected for ${failed.length} partitions (e.g. ${partitionKey(failed[0]!)}: ${failed[0]!.message})` : '') +
          '\n',
      )
      return 0
    })
  } finally {
    await admin.close().catch(() => {})
  }
}

/** A plan's moves as Kafka reassignment JSON. */
function renderPlan(moves: readonly Move[]): string {
  return renderReassignment(moves.map((m) => ({ topic: m.topic, partition: m.partition, replicas: m.newReplicas })))
}


export function defaultStateFile(clusterId: string, env: NodeJS.ProcessEnv): string {
  return join(stateDir(env), 'plans', `${clusterId}.json`)
}

/** `--throttle 50MiB`: bytes per second, with B, KB, MB, GB (1000s) or KiB, MiB, GiB (1024s). */
export function rateOption(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  const m = /^(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|KiB|MiB|GiB)?(?:\/s)?$/i.exec(value.trim())
  const units: Record<string, number> = { b: 1, kb: 1e3, mb: 1e6, gb: 1e9, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3 }
  if (!m) throw badArgument(`${flag} "${value}" is not a rate`, `pass bytes per second, e.g. ${flag} 50MiB or ${flag} 10485760 (0 = no throttle)`)
  return Math.round(Number(m[1]) * units[(m[2] ?? 'b').toLowerCase()]!)
}


/** Executor events as lines on stderr: every event that matters, progress at most every 5 s. */
function progressReporter(io: CommandIO): (event: ExecutorEvent) => void {
  let lastProgress = 0
  return (event) => {
    switch (event.type) {
      case 'adopted':
        io.stderr.write(`  adopted ${event.inFlight} moves in flight, ${event.done} already done\n`)
        return
      case 'started':
        if (event.moves.length > 0) io.stderr.write(`  started ${event.moves.length} moves (${event.moves.slice(0, 4).map((m) => `${partitionKey(m)} [${m.oldReplicas.join(',')}]->[${m.newReplicas.join(',')}]`).join(', ')}${event.moves.length > 4 ? ', ...' : ''})\n`)
        return
      case 'throttle':
        io.stderr.write(`  throttle: ${formatBytes(event.plan.rateBytesPerSecond)}/s on brokers ${event.plan.brokers.join(',')}, topics ${[...event.plan.topics.keys()].join(',')}\n`)
        return
      case 'throttle-changed':
        io.stderr.write(`  throttle changed: ${formatBytes(event.fromBytesPerSecond)}/s -> ${formatBytes(event.toBytesPerSecond)}/s\n`)
        return
      case 'paused':
        io.stderr.write(`  paused: ${event.reason}\n`)
        return
      case 'refused':
        io.stderr.write(`  Kafka refused ${event.refusals.length} moves (e.g. ${partitionKey(event.refusals[0]!)}: ${event.refusals[0]!.message}); retrying\n`)
        return
      case 'retrying':
        io.stderr.write(`  cluster not answering (${event.message}); retrying\n`)
        return
      case 'progress':
        if (Date.now() - lastProgress >= 5000) {
          lastProgress = Date.now()
          io.stderr.write(`  ${progressLine(event.progress)}\n`)
        }
        return
      case 'elected':
        io.stderr.write(`  preferred leaders elected for ${event.partitions} partitions${event.failed.length > 0 ? `, ${event.failed.length} not yet` : ''}\n`)
        return
      case 'throttles-cleared':
        io.stderr.write(`  throttles removed from brokers ${event.brokers.join(',') || '-'} and topics ${event.topics.join(',') || '-'}\n`)
        if (event.kept.length > 0) io.stderr.write(`  throttle rate kept on ${event.kept.map((f) => `broker ${f.broker} (${f.message})`).join(', ')}: it limits nothing without throttled replicas; \`kafkaplane heal\` removes it\n`)
        return
      case 'throttles-waiting':
        io.stderr.write(`  moves done; waiting up to ${Math.round(event.limitMs / 1000)} s for ${event.kept.map((f) => `broker ${f.broker} (${f.message})`).join(', ')} to take the removal of its throttle rate\n`)
        return
      case 'throttle-failed':
        io.stderr.write(`  throttle not changed on ${event.failures.map((f) => `broker ${f.broker} (${f.message})`).join(', ')}; its moves wait, retrying\n`)
    }
  }
}

/** "throttles removed", or which brokers keep a rate because they were not there to take its removal. */
function throttlesRemoved(left: readonly number[]): string {
  if (left.length === 0) return 'throttles removed'
  return `throttles removed but from broker ${left.join(', ')} (not there to take its removal: its rate limits nothing without throttled replicas; \`kafkaplane heal\` or this command run again removes it once it is back)`
}

export function progressLine(p: Progress): string {
  const rate = p.rateBytesPerSecond === undefined ? '' : `, ${formatBytes(p.rateBytesPerSecond)}/s`
  const eta = p.etaSeconds === undefined ? '' : `, ETA ${Math.ceil(p.etaSeconds)} s`
  return `progress: ${p.partitions.done} done, ${p.partitions['in-flight']} moving, ${p.partitions.pending} pending; ${formatBytes(p.bytesDone)} copied, ${formatBytes(p.bytesLeft)} left${rate}${eta}`
}
