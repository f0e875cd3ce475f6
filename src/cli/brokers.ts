import type { Admin } from '@platformatic/kafka'
import { mergeRecorded } from '../core/topology/recorded-topology.ts'
import type { Topology } from '../core/topology/topology.ts'
import { describeRecordedTopology } from '../kafka/describe-recorded-topology.ts'
import { recordTopology } from '../kafka/record-topology.ts'
import { badArgument, brokerIds, parseOptions, refuse, type Command, type CommandIO } from './command.ts'
import { EXECUTION_HELP, EXECUTION_OPTIONS, runExecution } from './execution.ts'
import { describeClusterSnapshot } from '../kafka/describe-cluster-snapshot.ts'
import { createAdmin } from '../kafka/connection.ts'
import { connectionOptions } from './connection-options.ts'
import { planBrokerChanges } from '../operations/broker-changes.ts'
import { setCordoned, type CordonOutcome } from '../kafka/cordon-brokers.ts'

export const brokers: Command = {
  name: 'brokers',
  help: `Usage: kafkaplane brokers add|remove IDS [options]

brokers add IDS      the brokers IDS joined the cluster (registered, empty): move a fair share of
                     replicas and leaders onto them, keeping every failure dimension spread. With
                     --topology FILE, their failure domains (from FILE) are also recorded in the
                     cluster, so later verbs find them without the file. Before any move they are
                     uncordoned (KIP-1066; from metadata.version 4.3-IV0 on): a broker removed
                     earlier keeps its cordon, and Kafka refuses to move data onto it.
brokers remove IDS   drain the brokers IDS: move every replica off them (spread kept on the brokers
                     left), then check that none is left. Exit 0 only when they hold no replica: then
                     they can be stopped. Refused when the brokers left are fewer than a topic's
                     replication factor, or when the cluster would survive less than it does now:
                     partitions that stay writable when any one domain (a zone, a Kubernetes
                     cluster) is lost would not on the brokers left (e.g. a zone's last broker
                     removed); --allow-less-survivable accepts that, saying what is lost. Once the
                     drain goes ahead (never when refused, nor on --dry-run) they are cordoned
                     (KIP-1066, cordoned.log.dirs=*; from metadata.version 4.3-IV0 on): Kafka
                     places no new partition on them; a line says so, or why not (never fatal).
IDS: comma-separated broker ids, e.g. 6,7.
${EXECUTION_HELP}
Exit codes: 0 done, 1 failed, interrupted or replicas left, 2 bad input (nothing changed).
`,
  async run(argv, io) {
    const { values, positionals } = parseOptions('brokers', argv, { ...EXECUTION_OPTIONS, 'allow-less-survivable': { type: 'boolean' } })
    if (values.help) {
      io.stdout.write(this.help)
      return 0
    }
    const [verb, list, ...extra] = positionals
    if ((verb !== 'add' && verb !== 'remove') || list === undefined || extra.length > 0) {
      throw badArgument(`kafkaplane brokers needs "add IDS" or "remove IDS", got "${positionals.join(' ')}"`, 'run e.g. `kafkaplane brokers remove 3`')
    }
    const ids = brokerIds(`brokers ${verb}`, list)
    const operation = `brokers ${verb} ${[...ids].sort((a, b) => a - b).join(',')}`
    const code = await runExecution(io, values, operation, async ({ live, admin, connection }) => {
      const planned = planBrokerChanges(live, {
        adding: verb === 'add' ? ids : [],
        leaving: verb === 'remove' ? ids : [],
        allowLessSurvivable: Boolean(values['allow-less-survivable']),
        optIn: 'pass --allow-less-survivable',
      })
      if (!planned.ok) {
        if (planned.refusal.problems) refuse(planned.refusal.problems)
        throw badArgument(planned.refusal.message, planned.refusal.fix)
      }
      for (const line of planned.lessSurvivable) io.stderr.write(`warning: ${line} (accepted: --allow-less-survivable)\n`)
      if (verb === 'add' && values.topology !== undefined && !values['dry-run']) await recordJoining(io, admin, connection.bootstrapServers, live.topology, ids)
      return { proposals: planned.proposals, notes: planned.notes }
    }, { beforeMoves: ({ admin }) => (verb === 'remove' ? cordonLeaving(io, admin, ids) : uncordonJoining(io, admin, ids)) })
    if (code !== 0 || verb !== 'remove' || values['dry-run'] || values.cancel) return code
    // Refuse to call it done while any replica is left on the removed brokers.
    const connection = connectionOptions(values, io.env)
    const admin = createAdmin(connection)
    try {
      const snapshot = await describeClusterSnapshot(admin, { bootstrapServers: connection.bootstrapServers })
      const left = snapshot.partitions.filter((p) => p.replicas.some((b) => ids.includes(b)))
      if (left.length > 0) {
        io.stdout.write(`broker ${ids.join(', ')} still holds replicas of ${left.length} partitions (e.g. ${left[0]!.topic}-${left[0]!.partition}): run the same command again\n`)
        return 1
      }
      io.stdout.write(`broker ${ids.join(', ')} holds no replicas: safe to stop\n`)
      return 0
    } finally {
      await admin.close().catch(() => {})
    }
  },
}

/** Records the failure domains of brokers joining (from the topology file) beside the ones recorded. */
async function recordJoining(io: CommandIO, admin: Admin, bootstrapServers: readonly string[], file: Topology, ids: readonly number[]): Promise<void> {
  const recorded = await describeRecordedTopology(admin, bootstrapServers)
  const merged = mergeRecorded(recorded.topology, { dimensions: file.dimensions, brokers: file.brokers.filter((b) => ids.includes(b.id)) })
  if ('problem' in merged) throw badArgument(merged.problem, 'give the topology file the dimensions the cluster records (kafkaplane status shows them)')
  await recordTopology(admin, bootstrapServers, merged.topology)
  io.stderr.write(`kafkaplane: recorded the failure domains of broker ${ids.join(', ')} in the cluster\n`)
}

/**
 * `brokers remove`, once its drain goes ahead (a new plan, one continued, or nothing left to move): the
 * brokers cordoned (KIP-1066), so that Kafka places no new partition on them and refuses an assignment
 * naming them. Never fatal: one line says so, or why not, and the drain runs either way. Cordoning
 * again (the command run again, a plan continued) changes nothing.
 */
async function cordonLeaving(io: CommandIO, admin: Admin, ids: readonly number[]): Promise<undefined> {
  const outcome = await setCordoned(admin, ids, true).catch((err: unknown) => ({ kind: 'done' as const, failures: ids.map((broker) => ({ broker, message: (err as Error).message })) }))
  io.stderr.write(`kafkaplane: ${cordonLine(ids, outcome)}\n`)
  return undefined
}

/** What `brokers remove` says of its cordon: done, not supported (Kafka's reason), or which broker did not take it. */
export function cordonLine(ids: readonly number[], outcome: CordonOutcome): string {
  const them = (brokers: readonly unknown[]) => (brokers.length > 1 ? 'them' : 'it')
  if (outcome.kind === 'unsupported') return `broker ${ids.join(', ')} not cordoned: ${outcome.reason}; Kafka may still place new partitions on ${them(ids)}`
  const cordoned = ids.filter((id) => !outcome.failures.some((f) => f.broker === id))
  const done = cordoned.length === 0 ? [] : [`broker ${cordoned.join(', ')} cordoned (cordoned.log.dirs=*): Kafka places no new partition on ${them(cordoned)} and refuses an assignment naming ${them(cordoned)}`]
  if (outcome.failures.length === 0) return done[0]!
  const failures = outcome.failures.map((f) => `broker ${f.broker} (${f.message})`).join(', ')
  return [...done, `not cordoned: ${failures}; the drain goes on, and the same command run again tries again`].join('; ')
}

/**
 * `brokers add`, before any move onto the brokers: their cordon lifted (an id removed earlier keeps
 * it in the cluster's metadata, and Kafka refuses a reassignment naming a cordoned broker). Below
 * metadata.version 4.3-IV0 nothing is sent. A broker that does not take it ends the run (exit 1)
 * before anything moves.
 */
async function uncordonJoining(io: CommandIO, admin: Admin, ids: readonly number[]): Promise<number | undefined> {
  const outcome = await setCordoned(admin, ids, false)
  if (outcome.kind === 'unsupported') return undefined
  if (outcome.failures.length === 0) {
    io.stderr.write(`kafkaplane: broker ${ids.join(', ')} uncordoned (cordoned.log.dirs removed)\n`)
    return undefined
  }
  io.stdout.write(`not uncordoned: ${outcome.failures.map((f) => `broker ${f.broker} (${f.message})`).join(', ')}; stopped before moving data (Kafka refuses a reassignment onto a cordoned broker): run the same command again once ${outcome.failures.length > 1 ? 'they answer' : 'it answers'}\n`)
  return 1
}
