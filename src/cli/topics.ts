import { partitionHealth } from '../core/health/partition-health.ts'
import { modelFromTopology, withCordon } from '../core/placement/model.ts'
import { planAssign } from '../core/placement/operations.ts'
import { SpreadIndex } from '../core/placement/spread.ts'
import { partitionSurvival } from '../core/placement/survivability.ts'
import { unwritableTopics } from '../core/health/writability.ts'
import type { Topology } from '../core/topology/topology.ts'
import { readTopologyFile } from '../formats/topology-file.ts'
import { renderReassignment } from '../formats/reassignment-json.ts'
import { alterTopicConfigs } from '../kafka/alter-topic-configs.ts'
import { createAdmin } from '../kafka/connection.ts'
import { createPartitions } from '../kafka/create-partitions.ts'
import { createTopicWithAssignment } from '../kafka/create-topic.ts'
import { describeAssignment } from '../kafka/describe-assignment.ts'
import { describeClusterSnapshot } from '../kafka/describe-cluster-snapshot.ts'
import { describeCordonedBrokers } from '../kafka/describe-cordoned-brokers.ts'
import { describeLiveBrokers } from '../kafka/describe-live-brokers.ts'
import { describeDefaultMinInsync, describeMinInsync } from '../kafka/describe-min-insync.ts'
import { listTopicNames } from '../kafka/list-topics.ts'
import { badArgument, integerOption, keyValueOptions, parseOptions, refuseUnwritable, type Command } from './command.ts'
import { clusterTopology } from './cluster-topology.ts'
import { CONNECTION_HELP, CONNECTION_OPTIONS, connectionOptions } from './connection-options.ts'
import { table } from './plan-report.ts'
import { untilAnswered } from './until-answered.ts'

const options = {
  ...CONNECTION_OPTIONS,
  topology: { type: 'string' },
  topic: { type: 'string' },
  partitions: { type: 'string' },
  'replication-factor': { type: 'string' },
  config: { type: 'string', multiple: true },
  'delete-config': { type: 'string', multiple: true },
  'dry-run': { type: 'boolean' },
  'allow-unwritable': { type: 'boolean' },
} as const

export const topics: Command = {
  name: 'topics',
  help: `Usage: kafkaplane topics create|list|describe|alter [options]

create    --topic T --partitions N --replication-factor R [--config K=V ...] [--dry-run]
          places the replicas with kafkaplane's placement engine (every failure dimension at once,
          balanced with the existing topics) and creates the topic with that explicit assignment, so
          it is well spread from its first write. --dry-run prints the assignment and creates nothing.
list      topics with their partition count and replication factor
describe  --topic T: each partition's replicas with their failure domains, ISR, health and what it
          survives (writable after losing any one domain of each dimension)
alter     --topic T [--config K=V ...] [--delete-config K ...] [--partitions N (more partitions,
          placed by the engine)] [--dry-run]

create and alter refuse (exit 2, nothing changed) a topic whose replication factor would be below its
min.insync.replicas (from --config, else the brokers' default read from the cluster): no acks=all
write could ever be acknowledged. --allow-unwritable accepts it for those who mean it.

--topology FILE gives the brokers' failure domains (else the failure domains kafkaplane recorded in
the cluster, else broker.rack as the only dimension).
${CONNECTION_HELP}
Exit codes: 0 done, 1 a request failed, 2 bad input (nothing changed).
`,
  async run(argv, io) {
    const { values, positionals } = parseOptions('topics', argv, options)
    if (values.help) {
      io.stdout.write(this.help)
      return 0
    }
    const [verb, ...extra] = positionals
    if (!verb || !['create', 'list', 'describe', 'alter'].includes(verb) || extra.length > 0) {
      throw badArgument(`kafkaplane topics needs one of create, list, describe, alter; got "${positionals.join(' ')}"`, 'run `kafkaplane topics --help`')
    }
    const connection = connectionOptions(values, io.env)
    const bootstrapServers = connection.bootstrapServers
    const file = values.topology === undefined ? undefined : await readTopologyFile(values.topology)
    const configs = keyValueOptions('--config', values.config)
    const needsTopic = verb !== 'list'
    if (needsTopic && values.topic === undefined) throw badArgument(`topics ${verb} needs --topic NAME`, 'name the topic')
    const topic = values.topic!
    const admin = createAdmin(connection)
    try {
      // A broker restarting or a controller moving as the verb starts is waited out, as the executing verbs do.
      const { live, topology, existing } = await untilAnswered(io, async () => {
        const live = await describeLiveBrokers(admin)
        return { live, topology: await clusterTopology(admin, bootstrapServers, live, file), existing: await listTopicNames(admin) }
      })

      if (verb === 'list') {
        const assignment = await describeAssignment(admin, existing)
        const rows = existing.sort().map((t) => {
          const ps = assignment.filter((p) => p.topic === t)
          return [t, String(ps.length), [...new Set(ps.map((p) => p.replicas.length))].join(',')]
        })
        io.stdout.write(table([['topic', 'partitions', 'replication factor'], ...rows]) + '\n')
        return 0
      }
      if (verb === 'describe') {
        if (!existing.includes(topic)) throw badArgument(`topic ${topic} does not exist`, 'check the name with `kafkaplane topics list`')
        return await describe(io, admin, bootstrapServers, topology, topic)
      }

      const { assignment, brokerDefault, topicMinInsync, cordoned } = await untilAnswered(io, async () => ({
        assignment: await describeAssignment(admin, existing),
        cordoned: new Set(await describeCordonedBrokers(admin, live.map((l) => l.id))),
        brokerDefault: await describeDefaultMinInsync(admin, live[0]!.id),
        topicMinInsync: await describeMinInsync(admin, existing),
      }))
      const minInsync = configs['min.insync.replicas'] !== undefined ? Number(configs['min.insync.replicas']) : brokerDefault
      // A broker that is down keeps its replicas in the model but takes no new ones, nor does a cordoned
      // one (KIP-1066: Kafka refuses an assignment naming it); one the topology does not know at all
      // (named only by replicas) is "(gone)" on every dimension.
      const registered = new Set(live.map((l) => l.id))
      const known = new Set(topology.brokers.map((b) => b.id))
      const gone = [...new Set(assignment.flatMap((p) => p.replicas))].filter((id) => !known.has(id)).sort((a, b) => a - b)
      const model = modelFromTopology(
        {
          dimensions: topology.dimensions,
          brokers: [
            ...topology.brokers.map((b) => (!registered.has(b.id) ? { ...b, state: 'excluded' as const } : withCordon(b, cordoned.has(b.id)))),
            ...gone.map((id) => ({ id, labels: Object.fromEntries(topology.dimensions.map((d) => [d, '(gone)'])), state: 'excluded' as const })),
          ],
        },
        assignment,
        (t) => topicMinInsync.get(t) ?? minInsync,
      )
      if (verb === 'create') {
        if (existing.includes(topic)) throw badArgument(`topic ${topic} already exists`, 'choose another name, or use `topics alter` to add partitions')
        const partitions = integerOption('--partitions', values.partitions, 1, 100_000)
        const rf = integerOption('--replication-factor', values['replication-factor'], 1, 100)
        if (partitions === undefined || rf === undefined) throw badArgument('topics create needs --partitions N and --replication-factor R', 'pass both')
        const source = configs['min.insync.replicas'] !== undefined ? 'from --config' : "the brokers' default"
        refuseUnwritable(unwritableTopics([{ topic, replicationFactor: rf, minInsync }]), source, values['allow-unwritable'], 'create it anyway', (l) => io.stderr.write(l))
        const plan = planAssign(model, { topic, partitions, replicationFactor: rf, minInsync }, { tolerance: 0.05 })
        if (!plan.ok) throw badArgument(plan.problems.join('; '), 'lower --replication-factor or add brokers')
        const placed = plan.after.filter((p) => p.topic === topic)
        if (values['dry-run']) {
          io.stdout.write(renderReassignment(placed) + '\n')
          return 0
        }
        await createTopicWithAssignment(admin, { topic, assignment: placed, configs })
        io.stdout.write(`created ${topic}: ${partitions} partitions, RF ${rf}, placed on ${topology.dimensions.join(' and ')}\n`)
        for (const note of plan.notes) io.stderr.write(`note: ${note}\n`)
        return 0
      }
      // alter
      if (!existing.includes(topic)) throw badArgument(`topic ${topic} does not exist`, 'check the name with `kafkaplane topics list`')
      const current = assignment.filter((p) => p.topic === topic)
      const partitions = integerOption('--partitions', values.partitions, 1, 100_000)
      if (partitions !== undefined && partitions <= current.length) {
        throw badArgument(`--partitions ${partitions}: ${topic} has ${current.length} partitions and Kafka can only add more`, `pass more than ${current.length}`)
      }
      const remove = values['delete-config'] ?? []
      if (partitions === undefined && Object.keys(configs).length === 0 && remove.length === 0) {
        throw badArgument('topics alter needs --config, --delete-config or --partitions', 'say what to change')
      }
      if (configs['min.insync.replicas'] !== undefined || remove.includes('min.insync.replicas')) {
        // Setting min.insync.replicas, or deleting the override (back to the brokers' default).
        const set = configs['min.insync.replicas'] !== undefined
        const next = set ? Number(configs['min.insync.replicas']) : brokerDefault
        const problems = unwritableTopics(current.map((p) => ({ topic, replicationFactor: p.replicas.length, minInsync: next })))
        refuseUnwritable(problems, set ? 'from --config' : "the brokers' default, once the override is deleted", values['allow-unwritable'], 'alter it anyway', (l) => io.stderr.write(l))
      }
      let added: { topic: string; partition: number; replicas: readonly number[] }[] = []
      if (partitions !== undefined) {
        const plan = planAssign(model, { topic, partitions, replicationFactor: current[0]!.replicas.length, minInsync: topicMinInsync.get(topic) ?? minInsync }, { tolerance: 0.05 })
        if (!plan.ok) throw badArgument(plan.problems.join('; '), 'add brokers')
        added = plan.after.filter((p) => p.topic === topic && p.partition >= current.length)
      }
      if (values['dry-run']) {
        io.stdout.write(`would set ${JSON.stringify(configs)}, delete ${JSON.stringify(remove)}${added.length ? `, add partitions ${renderReassignment(added)}` : ''}\n`)
        return 0
      }
      if (Object.keys(configs).length > 0 || remove.length > 0) await alterTopicConfigs(admin, topic, configs, remove)
      if (added.length > 0) await createPartitions(admin, topic, partitions!, added)
      io.stdout.write(`altered ${topic}\n`)
      return 0
    } finally {
      await admin.close().catch(() => {})
    }
  },
}

async function describe(
  io: { stdout: NodeJS.WritableStream },
  admin: ReturnType<typeof createAdmin>,
  bootstrapServers: readonly string[],
  topology: Topology,
  topic: string,
): Promise<number> {
  const snapshot = await describeClusterSnapshot(admin, { bootstrapServers })
  const index = new SpreadIndex(topology.dimensions, topology.brokers)
  const labels = new Map(topology.brokers.map((b) => [b.id, b.labels]))
  const rows = snapshot.partitions
    .filter((p) => p.topic === topic)
    .map((p) => {
      const survival = p.replicas.every((b) => labels.has(b)) ? partitionSurvival(index, p.replicas, p.minInsync) : []
      return [
        String(p.partition),
        String(p.leader),
        p.replicas.map((b) => `${b}(${topology.dimensions.map((d) => labels.get(b)?.[d] ?? '?').join('/')})`).join(' '),
        p.isr.join(','),
        partitionHealth(p),
        survival.map((s) => `${s.dimension}:${s.writableAfterDomainLoss ? 'yes' : 'NO'}`).join(' '),
      ]
    })
  const minInsync = snapshot.partitions.find((p) => p.topic === topic)?.minInsync
  io.stdout.write(`topic ${topic}: ${rows.length} partitions, min.insync.replicas ${minInsync}\n`)
  io.stdout.write(table([['partition', 'leader', `replicas (${topology.dimensions.join('/')})`, 'isr', 'health', 'writable after losing one'], ...rows]) + '\n')
  return 0
}
