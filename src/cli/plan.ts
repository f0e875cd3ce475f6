import { modelFromTopology, type BrokerState, type PartitionAssignment, type PlacementModel } from '../core/placement/model.ts'
import { DEFAULT_TOLERANCE } from '../core/placement/goals.ts'
import {
  checkReplicationFactor,
  modelProblems,
  planAssign,
  planMigration,
  planRebalance,
  planReplicationFactor,
  type Plan,
  type PlanOutcome,
} from '../core/placement/operations.ts'
import { PlacementState } from '../core/placement/placement-state.ts'
import { compareScores } from '../core/placement/spread.ts'
import { advise, recommend } from '../core/placement/survivability.ts'
import { readPartitionSizesFile, readReassignmentFile, readTopicConfigFile, renderReassignment, renderStages } from '../formats/reassignment-json.ts'
import { readTopologyFile } from '../formats/topology-file.ts'
import { goals } from '../core/placement/goals.ts'
import { adviceTable, goalsTable, movesLine, survivalTable } from './plan-report.ts'
import { clusterTopology } from '../operations/live-cluster.ts'
import { badArgument, idsOption, integerOption, parseOptions, refuse, refuseUnwritable, regexOption, type Command, type CommandIO } from './command.ts'
import { CONNECTION_HELP, CONNECTION_OPTIONS, connectionOptions } from './connection-options.ts'
import { unwritableTopics } from '../core/health/writability.ts'
import type { Topology } from '../core/topology/topology.ts'
import { createAdmin, type KafkaConnectionOptions } from '../kafka/connection.ts'
import { describeAssignment } from '../kafka/describe-assignment.ts'
import { describeLiveBrokers } from '../kafka/describe-live-brokers.ts'
import { describeMinInsync } from '../kafka/describe-min-insync.ts'
import { describeReplicaSizes, partitionSizes } from '../kafka/describe-replica-sizes.ts'

const options = {
  topology: { type: 'string' },
  current: { type: 'string' },
  'min-insync': { type: 'string' },
  'topic-config': { type: 'string' },
  tolerance: { type: 'string' },
  topic: { type: 'string' },
  partitions: { type: 'string' },
  'replication-factor': { type: 'string' },
  'remove-brokers': { type: 'string' },
  'exclude-brokers': { type: 'string' },
  target: { type: 'string' },
  topics: { type: 'string' },
  check: { type: 'boolean' },
  from: { type: 'string' },
  to: { type: 'string' },
  'max-moves-per-stage': { type: 'string' },
  'max-rf': { type: 'string' },
  'partition-sizes': { type: 'string' },
  'allow-unwritable': { type: 'boolean' },
  ...CONNECTION_OPTIONS,
} as const

const DEFAULT_MIN_INSYNC = 2

export const plan: Command = {
  name: 'plan',
  help: `Usage: kafkaplane plan <operation> --topology FILE [--current FILE] [options]

Plans replica placement with every failure dimension of the topology at once (spread as evenly as the
brokers allow on each, writable after the loss of any one domain whenever possible), replica and leader
balance, and the fewest moves. Reads and writes Kafka's reassignment JSON, so kafka-reassign-partitions
can execute the plan. The plan goes to stdout; a summary (moves, goals before and after, survivability)
to stderr. Nothing touches a cluster.

Operations:
  assign              replicas for a new topic's partitions (or the partitions added to one)
                      --topic T --partitions N --replication-factor R
  rebalance           fix every goal violation, then balance within --tolerance, with the fewest moves;
                      also after brokers were added (they start empty), or with
                      --remove-brokers IDS (drain them) / --exclude-brokers IDS (no new replicas)
  replication-factor  --target R [--topics REGEX]: raise or lower the RF of the matching topics;
                      with --check, list the topics whose RF differs (exit 1 when any does)
  migrate             --from IDS --to IDS [--max-moves-per-stage N (default 10)]: move everything off
                      the old brokers in stages; each stage keeps min.insync replicas of every partition
                      on brokers that already held it. Output: {"version":1,"stages":[...]}
  check               report goals and survivability of --current; exit 1 when a hard goal is broken or a
                      partition could survive a domain loss with a better placement but does not
  advise              for the topology, which (RF, min.insync) pairs survive which failures [--max-rf 6]

Common options:
  --topology FILE       brokers and their failure domains (README: the topology file); a broker may
                        carry capacity (weight) and state (active, excluded, draining)
  --current FILE        the current assignment, Kafka reassignment JSON ('-' reads stdin)
  --bootstrap-server H:P  read the current assignment, each topic's min.insync.replicas, the replica
                        sizes (DescribeLogDirs, for disk balance) and the brokers (with the labels of
                        --topology, else the failure domains kafkaplane recorded in the cluster, else
                        broker.rack) from a live cluster instead
  --min-insync N        min.insync.replicas of every topic (default ${DEFAULT_MIN_INSYNC})
  --topic-config FILE   per-topic min.insync.replicas, YAML: {payments: {min.insync.replicas: 3}}
  --allow-unwritable    plan a topic (assign) or a replication factor (replication-factor) below the
                        topic's min.insync.replicas, which no acks=all producer can write: refused
                        (exit 2) without it
  --tolerance F         replica/leader/disk balance tolerance, a fraction (default ${DEFAULT_TOLERANCE})
  --partition-sizes F   bytes of one replica per partition, JSON {"payments-0": 1073741824}: turns on
                        disk balance (same-cell follower swaps that keep every other goal)

${CONNECTION_HELP}
Exit codes: 0 planned, 1 check found violations, 2 bad input (a message names the value).
`,
  async run(argv, io) {
    const { values, positionals } = parseOptions('plan', argv, options)
    if (values.help || positionals.length === 0) {
      io.stdout.write(this.help)
      return values.help ? 0 : 2
    }
    const [operation, ...extra] = positionals
    if (extra.length > 0) throw badArgument(`kafkaplane plan ${operation} takes no more arguments, got "${extra.join(' ')}"`, 'run `kafkaplane plan --help`')
    const liveServers = values['bootstrap-server'] === undefined ? undefined : connectionOptions(values, io.env)
    if (values.topology === undefined && liveServers === undefined) {
      throw badArgument('--topology FILE (or --bootstrap-server) is required', 'pass the topology file of the cluster (see `kafkaplane plan --help`)')
    }
    if (liveServers !== undefined && values.current !== undefined) throw badArgument('--current and --bootstrap-server are exclusive', 'read the assignment from a file or from the cluster')
    const fileTopology = values.topology === undefined ? undefined : await readTopologyFile(values.topology)
    const live = liveServers === undefined ? undefined : await readLive(liveServers, fileTopology)
    const topology = live?.topology ?? fileTopology!
    const tolerance = fractionOption('--tolerance', values.tolerance) ?? DEFAULT_TOLERANCE
    const minInsyncFlag = integerOption('--min-insync', values['min-insync'], 1, 100)
    if (minInsyncFlag !== undefined && values['topic-config'] !== undefined) {
      throw badArgument('--min-insync and --topic-config are exclusive', 'give one min.insync.replicas for all topics, or a topic config file')
    }
    const topicConfig = values['topic-config'] === undefined ? undefined : await readTopicConfigFile(values['topic-config'])
    const minInsync = (topic: string) => topicConfig?.get(topic) ?? minInsyncFlag ?? live?.minInsync.get(topic) ?? DEFAULT_MIN_INSYNC
    const minInsyncSource = (topic: string) =>
      topicConfig?.get(topic) !== undefined ? 'from --topic-config' : minInsyncFlag !== undefined ? 'from --min-insync' : live?.minInsync.has(topic) ? "the topic's, read from the cluster" : `the default of --min-insync`
    const needsCurrent = operation !== 'assign' && operation !== 'advise'
    if (needsCurrent && values.current === undefined && live === undefined) {
      throw badArgument(`kafkaplane plan ${operation} needs --current FILE`, 'pass the current assignment as Kafka reassignment JSON (kafka-reassign-partitions --generate writes one)')
    }
    const current: PartitionAssignment[] = live?.assignment ?? (values.current === undefined ? [] : await readReassignmentFile(values.current))
    const states = new Map<number, BrokerState>()
    const known = new Set(topology.brokers.map((b) => b.id))
    for (const [flag, state] of [['--remove-brokers', 'draining'], ['--exclude-brokers', 'excluded']] as const) {
      for (const id of idsOption(flag, values[flag === '--remove-brokers' ? 'remove-brokers' : 'exclude-brokers'], known)) states.set(id, state)
    }
    const sizes = values['partition-sizes'] === undefined ? live?.sizes : await readPartitionSizesFile(values['partition-sizes'])
    const model = modelFromTopology(
      { dimensions: topology.dimensions, brokers: topology.brokers.map((b) => ({ ...b, state: states.get(b.id) ?? b.state })) },
      current,
      minInsync,
      sizes && ((p) => sizes.get(`${p.topic}-${p.partition}`)),
    )
    const problems = modelProblems(model)
    if (problems.length > 0) refuse(problems)
    const planOptions = { tolerance }

    switch (operation) {
      case 'assign': {
        if (values.topic === undefined) throw badArgument('plan assign needs --topic NAME', 'name the topic to place')
        const partitions = required('--partitions', integerOption('--partitions', values.partitions, 1, 1_000_000))
        const rf = required('--replication-factor', integerOption('--replication-factor', values['replication-factor'], 1, 100))
        refuseUnwritable(unwritableTopics([{ topic: values.topic, replicationFactor: rf, minInsync: minInsync(values.topic) }]), minInsyncSource(values.topic), values['allow-unwritable'], 'plan it anyway', (l) => io.stderr.write(l))
        return emit(io, model, planAssign(model, { topic: values.topic, partitions, replicationFactor: rf, minInsync: minInsync(values.topic) }, planOptions))
      }
      case 'rebalance':
        return emit(io, model, planRebalance(model, planOptions))
      case 'replication-factor': {
        const target = required('--target', integerOption('--target', values.target, 1, 100))
        const topics = regexOption('--topics', values.topics)
        if (values.check) {
          const mismatches = checkReplicationFactor(model, (t) => topics.test(t), target)
          for (const m of mismatches) io.stdout.write(`${m.topic}: ${m.partitions} partitions at RF ${m.replicationFactors.join(', ')} (target ${target})\n`)
          io.stderr.write(`${mismatches.length} topics differ from replication factor ${target}\n`)
          return mismatches.length > 0 ? 1 : 0
        }
        const lowered = unwritableTopics(model.partitions.filter((p) => topics.test(p.topic)).map((p) => ({ topic: p.topic, replicationFactor: target, minInsync: p.minInsync })))
        refuseUnwritable(lowered, 'the topic\'s', values['allow-unwritable'], 'plan it anyway', (l) => io.stderr.write(l))
        return emit(io, model, planReplicationFactor(model, { topics: (t) => topics.test(t), target }, planOptions))
      }
      case 'migrate': {
        const from = idsOption('--from', values.from, known)
        const to = idsOption('--to', values.to, known)
        if (from.length === 0) throw badArgument('plan migrate needs --from IDS', 'name the brokers to move data off, e.g. --from 1001,1002')
        const maxMoves = integerOption('--max-moves-per-stage', values['max-moves-per-stage'], 1, 1_000_000) ?? 10
        const outcome = planMigration(model, { from, to, maxMovesPerStage: maxMoves }, planOptions)
        if (!outcome.ok) refuse(outcome.problems)
        io.stdout.write(renderStages(outcome.stages) + '\n')
        io.stderr.write(`stages: ${outcome.stages.length} (at most ${maxMoves} replica moves per broker each)\n`)
        summarize(io, model, outcome)
        return 0
      }
      case 'check':
        return check(io, model, planOptions)
      case 'advise': {
        const maxRf = integerOption('--max-rf', values['max-rf'], 1, 20) ?? 6
        const advice = advise(model.dimensions, model.brokers, maxRf)
        io.stdout.write(adviceTable(advice) + '\n')
        const best = recommend(advice)
        io.stdout.write(
          best
            ? `\nrecommended: replication factor ${best.replicationFactor}, min.insync.replicas ${best.minInsync} (writable after losing any one ${model.dimensions.join(' or ')}; acknowledged writes survive the loss of one ${best.survival.filter((s) => s.durableAfterDomainLoss).map((s) => s.dimension).join(', ') || 'domain of no dimension'})\n`
            : `\nno replication factor up to ${maxRf} stays writable after losing any one domain with min.insync >= 2: add domains or brokers\n`,
        )
        return 0
      }
      default:
        throw badArgument(`unknown plan operation "${operation}"`, 'use one of: assign, rebalance, replication-factor, migrate, check, advise')
    }
  },
}

/** The assignment, min.insync.replicas and topology of a live cluster. */
async function readLive(connection: KafkaConnectionOptions, file: Topology | undefined) {
  const admin = createAdmin(connection)
  try {
    const brokers = await describeLiveBrokers(admin)
    const topology = await clusterTopology(admin, connection.bootstrapServers, brokers, file)
    const topics = await admin.listTopics({ includeInternals: false })
    const assignment = await describeAssignment(admin, topics)
    const sizes = partitionSizes(await describeReplicaSizes(admin, assignment))
    return { topology, assignment, minInsync: await describeMinInsync(admin, topics), sizes }
  } finally {
    await admin.close().catch(() => {})
  }
}

function emit(io: CommandIO, model: PlacementModel, outcome: PlanOutcome<Plan>): number {
  if (!outcome.ok) refuse(outcome.problems)
  io.stdout.write(renderReassignment(outcome.proposals.map((p) => ({ topic: p.topic, partition: p.partition, replicas: p.newReplicas }))) + '\n')
  summarize(io, model, outcome)
  return 0
}

function summarize(io: CommandIO, model: PlacementModel, plan: Plan): void {
  io.stderr.write(`${movesLine(plan.proposals)}\n\ngoals:\n${goalsTable(plan.goalsBefore, plan.goalsAfter)}\n\n`)
  io.stderr.write(`survivability after the plan (partitions):\n${survivalTable(model, plan.after)}\n`)
  for (const note of plan.notes) io.stderr.write(`note: ${note}\n`)
}

function check(io: CommandIO, model: PlacementModel, options: { tolerance: number }): number {
  const state = new PlacementState(model)
  const statuses = goals(options).map((g) => ({ name: g.name, hard: g.hard, ...g.evaluate(state) }))
  io.stdout.write(`goals:\n${goalsTable(statuses, statuses)}\n\nsurvivability (partitions):\n${survivalTable(model, model.partitions)}\n`)
  // Partitions that could stay writable after any one domain loss, but are not placed so.
  const couldSurvive: string[] = []
  state.partitions.forEach((p, i) => {
    const best = state.bestSpread(i)
    const flags = state.dimensions.length
    const now = state.index.score(p.replicas, p.minInsync)
    if (compareScores(now.slice(0, flags), best.score.slice(0, flags)) > 0) couldSurvive.push(`${p.topic}-${p.partition}`)
  })
  if (couldSurvive.length > 0) {
    io.stdout.write(`\n${couldSurvive.length} partitions would stop taking acks=all writes after a domain loss that a better placement survives: ${couldSurvive.slice(0, 10).join(', ')}${couldSurvive.length > 10 ? ', ...' : ''}\nfix: kafkaplane plan rebalance\n`)
  }
  const advice = recommend(advise(model.dimensions, model.brokers))
  if (advice) io.stdout.write(`\nfor this topology: replication factor ${advice.replicationFactor} with min.insync.replicas ${advice.minInsync} survives the loss of any one domain (kafkaplane plan advise)\n`)
  const broken = statuses.filter((s) => s.hard && !s.satisfied)
  return broken.length > 0 || couldSurvive.length > 0 ? 1 : 0
}


function required<T>(flag: string, value: T | undefined): T {
  if (value === undefined) throw badArgument(`${flag} is required for this operation`, `pass ${flag}`)
  return value
}



function fractionOption(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  const n = Number(value)
  if (!Number.isFinite(n) || n < 0 || n > 1) throw badArgument(`${flag} ${value} is not a fraction between 0 and 1`, `pass ${flag} like 0.05 (5%)`)
  return n
}
