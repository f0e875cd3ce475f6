import { isKafkaplaneError } from '../core/errors.ts'
import type { HealPolicy } from '../core/plan/heal.ts'
import { KafkaExecutorCluster } from '../kafka/executor-cluster.ts'
import { healEvery, SelfHealer } from '../operations/self-healer.ts'
import { systemClock } from '../operations/system-clock.ts'
import { type Command, helpOrNoArguments, integerOption, parseOptions, refuse, regexOption } from './command.ts'
import { EXECUTION_HELP, EXECUTION_OPTIONS, runExecution } from './execution.ts'
import { untilStopped } from './interrupt.ts'

export const heal: Command = {
  name: 'heal',
  help: `Usage: kafkaplane heal [--watch] [options]

The self-healer. Looks at the cluster and fixes what breaks the placement goals, through the executor
(throttled, resumable), at most one plan at a time:
  - a broker gone (not registered, or fenced) for longer than --grace-seconds: its replicas move to
    the brokers left (within the grace period nothing moves: a restart is not a loss);
  - topics below the policy's replication factor (--replication-factor R, --topics REGEX): raised;
  - a topic created with a bad spread (or any other hard goal broken): repaired with the fewest moves;
  - replication throttles that nothing needs (left by a plan whose broker was dead when it ended, or
    by a process killed mid-plan, or by another tool): removed when nothing has been reassigned for 5 s.
No balancing: that is \`kafkaplane rebalance\`.
  --watch                 keep looking, every --interval-seconds (default 30); Ctrl-C stops
  --grace-seconds S       how long a broker may be gone before it is drained (default 300)
  --replication-factor R  the policy's replication factor (default: none)
  --topics REGEX          the topics the policy covers (default: all but internal ones)
  --max-plans-per-hour N  rate limit on plans started (default 6)
  --dry-run               only report what would be fixed
${EXECUTION_HELP}
Exit codes: 0 healthy or healed, 1 a fix failed, 2 bad input.
`,
  async run(argv, io) {
    const { values, positionals } = parseOptions('heal', argv, {
      ...EXECUTION_OPTIONS,
      watch: { type: 'boolean' },
      'interval-seconds': { type: 'string' },
      'grace-seconds': { type: 'string' },
      'replication-factor': { type: 'string' },
      topics: { type: 'string' },
      'max-plans-per-hour': { type: 'string' },
    })
    if (helpOrNoArguments(this, { values, positionals }, io)) return 0
    const intervalMs = (integerOption('--interval-seconds', values['interval-seconds'], 1, 86_400) ?? 30) * 1000
    const graceMs = (integerOption('--grace-seconds', values['grace-seconds'], 0, 7 * 86_400) ?? 300) * 1000
    const rf = integerOption('--replication-factor', values['replication-factor'], 1, 100)
    const maxPlans = integerOption('--max-plans-per-hour', values['max-plans-per-hour'], 1, 1000) ?? 6
    const topics = regexOption('--topics', values.topics)
    const policy: HealPolicy = { graceMs, ...(rf === undefined ? {} : { replicationFactor: { target: rf, topics: (t) => !t.startsWith('__') && topics.test(t) } }) }
    const healer = new SelfHealer({ policy, maxPlansPerHour: maxPlans, dryRun: Boolean(values['dry-run']), clock: systemClock })
    const pass = () =>
      runExecution(io, values, 'heal', async ({ live, admin, connection }) => {
        if (!values['dry-run']) {
          // No plan of ours is unfinished and nothing is being reassigned: a throttle now is stale.
          const stale = await healer.sweep(new KafkaExecutorCluster(admin, connection))
          if (stale.brokers.length > 0 || stale.topics.length > 0) {
            io.stderr.write(`heal: removed stale replication throttles from brokers ${stale.brokers.join(',') || '-'} and topics ${stale.topics.join(',') || '-'}\n`)
          }
          if (stale.failed.length > 0) io.stderr.write(`heal: broker ${stale.failed.join(', ')} did not take the removal of its stale throttle; retrying next pass\n`)
        }
        const decision = healer.decide(live.model(), live.registered)
        if (decision.kind === 'infeasible') refuse(decision.problems)
        for (const r of decision.reasons) io.stderr.write(`heal: ${r}\n`)
        switch (decision.kind) {
          case 'healthy': {
            const waiting = decision.gone.map((g) => `broker ${g.id} gone for ${Math.round(g.goneMs / 1000)} s`)
            io.stderr.write(`heal: nothing to fix${waiting.length > 0 ? ` (${waiting.join(', ')}; grace ${graceMs / 1000} s)` : ''}\n`)
            return []
          }
          case 'rate-limited':
            io.stderr.write(`heal: rate limit: ${decision.started} plans started in the last hour (--max-plans-per-hour ${maxPlans}); waiting\n`)
            return []
          case 'heal':
            return decision.proposals
        }
      }, { quietWhenNothing: true })
    const loop = (signal?: AbortSignal) =>
      healEvery(pass, {
        clock: systemClock,
        watch: Boolean(values.watch),
        intervalMs,
        ...(signal ? { signal } : {}),
        // Supervised: a failed pass is reported and the next one tried.
        onFailure: (err) => io.stderr.write(`heal: ${isKafkaplaneError(err) ? `${err.message} (${err.fix})` : (err as Error).message}\n`),
      })
    // Watching, Ctrl-C ends the watch after the pass in progress (a plan it runs stops after its step).
    return values.watch ? untilStopped(io, undefined, loop) : loop()
  },
}
