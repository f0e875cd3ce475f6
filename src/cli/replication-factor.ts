import { checkReplicationFactor, cordonNotes, planReplicationFactor } from '../core/placement/operations.ts'
import { unwritableTopics } from '../core/health/writability.ts'
import { badArgument, integerOption, parseOptions, refuse, refuseUnwritable, regexOption, type Command } from './command.ts'
import { EXECUTION_HELP, EXECUTION_OPTIONS, runExecution } from './execution.ts'

export const replicationFactor: Command = {
  name: 'replication-factor',
  help: `Usage: kafkaplane replication-factor check|fix --target R [--topics REGEX] [options]

check   list the topics whose partitions' replication factor differs from R; exit 1 when any does
fix     raise (or lower) them to R: new replicas placed on every failure dimension at once, moved
        in throttled batches, urgent ones first (partitions whose RF or ISR is at min.insync.replicas)
  --target R        the replication factor wanted
  --topics REGEX    only topics whose whole name matches (default: every topic but internal ones)
  --allow-unwritable  fix: lower topics below their min.insync.replicas anyway (no acks=all producer
                    could write them); refused (exit 2, nothing moved) without it
${EXECUTION_HELP}
Exit codes: 0 done (check: all match), 1 failed (check: some differ), 2 bad input (nothing changed).
`,
  async run(argv, io) {
    const { values, positionals } = parseOptions('replication-factor', argv, { ...EXECUTION_OPTIONS, target: { type: 'string' }, topics: { type: 'string' }, 'allow-unwritable': { type: 'boolean' } })
    if (values.help) {
      io.stdout.write(this.help)
      return 0
    }
    const [verb, ...extra] = positionals
    if ((verb !== 'check' && verb !== 'fix') || extra.length > 0) {
      throw badArgument(`kafkaplane replication-factor needs "check" or "fix", got "${positionals.join(' ')}"`, 'run `kafkaplane replication-factor fix --target 3`')
    }
    const target = integerOption('--target', values.target, 1, 100)
    if (target === undefined) throw badArgument('--target R is required', 'pass the replication factor wanted, e.g. --target 3')
    const topics = regexOption('--topics', values.topics)
    const selected = (t: string) => !t.startsWith('__') && topics.test(t)
    let mismatches = 0
    const code = await runExecution(io, { ...values, 'dry-run': values['dry-run'] || verb === 'check' }, `replication-factor fix --target ${target}${values.topics ? ` --topics ${values.topics}` : ''}`, async ({ live }) => {
      const model = live.model()
      if (target > live.registered.size) {
        throw badArgument(`--target ${target} is more than the ${live.registered.size} registered brokers`, `lower --target to at most ${live.registered.size}, or add brokers`)
      }
      if (verb === 'check') {
        const found = checkReplicationFactor(model, selected, target)
        for (const m of found) io.stdout.write(`${m.topic}: ${m.partitions} partitions at RF ${m.replicationFactors.join(', ')} (target ${target})\n`)
        io.stderr.write(`${found.length} topics differ from replication factor ${target}\n`)
        mismatches = found.length
        return found.length > 0 ? 1 : 0
      }
      const lowered = unwritableTopics(model.partitions.filter((p) => selected(p.topic)).map((p) => ({ topic: p.topic, replicationFactor: target, minInsync: p.minInsync })))
      refuseUnwritable(lowered, "the topic's", values['allow-unwritable'], 'lower them anyway', (l) => io.stderr.write(l))
      const outcome = planReplicationFactor(model, { topics: selected, target })
      if (!outcome.ok) refuse(outcome.problems)
      return { proposals: outcome.proposals, notes: cordonNotes(model, outcome.held) }
    })
    return verb === 'check' ? (mismatches > 0 ? 1 : code) : code
  },
}
