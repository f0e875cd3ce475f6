import { setTimeout as sleep } from 'node:timers/promises'
import { diffAssignments, partitionKey, type PartitionAssignment } from '../core/placement/model.ts'
import { cordonNotes, planMigration } from '../core/placement/operations.ts'
import { renderStages } from '../formats/reassignment-json.ts'
import { createAdmin } from '../kafka/connection.ts'
import { KafkaplaneError } from '../core/errors.ts'
import { badArgument, brokerIds, type Command, helpOrNoArguments, integerOption, parseOptions, refuse } from './command.ts'
import { connectionOptions } from './connection-options.ts'
import { EXECUTION_HELP, EXECUTION_OPTIONS, runExecution } from './execution.ts'
import { describeClusterSnapshot } from '../kafka/describe-cluster-snapshot.ts'

export const migrate: Command = {
  name: 'migrate',
  help: `Usage: kafkaplane migrate --from IDS --to IDS [--max-moves-per-stage N] [options]

Moves every replica off the --from brokers onto the --to brokers in stages (Blockport's migration
of old brokers onto new ones, Wise's EC2-to-Kubernetes move): each stage keeps min.insync.replicas of
every partition on brokers that already held it, and moves at most N replicas into and out of each
broker. A stage starts only when the one before finished and every partition it moved has all its
replicas in sync. Interrupted, the same command continues where it stopped.
  --from IDS                 the old brokers (comma-separated ids)
  --to IDS                   the new brokers
  --max-moves-per-stage N    replica moves into and out of each broker per stage (default 10)
${EXECUTION_HELP}
Exit codes: 0 done, 1 failed or interrupted, 2 bad input (nothing changed).
`,
  async run(argv, io) {
    const { values, positionals } = parseOptions('migrate', argv, { ...EXECUTION_OPTIONS, from: { type: 'string' }, to: { type: 'string' }, 'max-moves-per-stage': { type: 'string' } })
    if (helpOrNoArguments(this, { values, positionals }, io)) return 0
    const ids = (flag: string, value: string | undefined) => {
      if (value === undefined) throw badArgument(`${flag} IDS is required`, `name the brokers, e.g. ${flag} 0,1,2`)
      return brokerIds(flag, value)
    }
    const from = ids('--from', values.from)
    const to = ids('--to', values.to)
    const maxMovesPerStage = integerOption('--max-moves-per-stage', values['max-moves-per-stage'], 1, 1_000_000) ?? 10
    const operation = `migrate --from ${from.join(',')} --to ${to.join(',')}`
    for (let stageNumber = 1; ; stageNumber++) {
      let stage: PartitionAssignment[] | undefined
      let finished = false
      const code = await runExecution(io, values, operation, async ({ live }) => {
        const registered = [...from, ...to].filter((id) => !live.registered.has(id))
        if (registered.length > 0) throw badArgument(`broker ${registered.join(', ')} is not registered`, 'name brokers of the running cluster in --from and --to')
        const model = live.model()
        const outcome = planMigration(model, { from, to, maxMovesPerStage })
        if (!outcome.ok) refuse(outcome.problems)
        if (values['dry-run']) {
          io.stdout.write(renderStages(outcome.stages) + '\n')
          io.stderr.write(`dry run: ${outcome.stages.length} stages; nothing changed\n`)
          return 0
        }
        stage = outcome.stages[0]
        if (stage === undefined) {
          finished = true
          return []
        }
        io.stderr.write(`kafkaplane: stage ${stageNumber} (${outcome.stages.length} left): ${stage.length} partitions\n`)
        const current = live.snapshot.partitions.map((p) => ({ topic: p.topic, partition: p.partition, replicas: p.replicas }))
        return { proposals: diffAssignments(current, stage), notes: cordonNotes(model, outcome.held) }
      })
      if (code !== 0 || values['dry-run'] || values.cancel || finished) {
        if (finished) io.stdout.write(`migration done: brokers ${from.join(', ')} hold no replicas\n`)
        return code
      }
      if (stage !== undefined) await waitInSync(io, values, stage)
    }
  },
}

/**
 * A stage is verified before the next: every partition it moved has its replicas, all in the ISR. The
 * wait is driven by progress: it gives up when the number of partitions behind has not dropped for
 * --broker-wait-seconds (default 300), naming them and the brokers out of sync.
 */
async function waitInSync(io: Parameters<Command['run']>[1], values: Parameters<typeof connectionOptions>[0] & { topology?: string; 'broker-wait-seconds'?: string }, stage: readonly PartitionAssignment[]): Promise<void> {
  const connection = connectionOptions(values, io.env)
  const limitMs = (integerOption('--broker-wait-seconds', values['broker-wait-seconds'], 0, 86_400) ?? 300) * 1000
  const admin = createAdmin(connection)
  try {
    const wanted = new Map(stage.map((p) => [partitionKey(p), p.replicas]))
    let fewest = Infinity
    let progressAt = Date.now()
    for (;;) {
      const snapshot = await describeClusterSnapshot(admin, { bootstrapServers: connection.bootstrapServers })
      const behind = snapshot.partitions.filter((p) => wanted.has(partitionKey(p)) && (p.isr.length < p.replicas.length || p.replicas.join() !== wanted.get(partitionKey(p))!.join()))
      if (behind.length === 0) return
      if (behind.length < fewest) {
        fewest = behind.length
        progressAt = Date.now()
      }
      const outOfSync = [...new Set(behind.flatMap((p) => p.replicas.filter((b) => !p.isr.includes(b))))].sort((a, b) => a - b)
      const what = `${behind.length} partitions of the stage to be fully in sync (e.g. ${partitionKey(behind[0]!)}${outOfSync.length > 0 ? `; out of sync: broker ${outOfSync.join(', ')}` : ''})`
      if (Date.now() - progressAt > limitMs) {
        throw new KafkaplaneError('CLUSTER_NOT_READY', `waited ${Math.round(limitMs / 1000)} s without progress for ${what}`, {
          fix: 'bring the out-of-sync brokers back (kafkaplane status), then run the same command again: it continues with the next stage',
        })
      }
      io.stderr.write(`  waiting for ${what}\n`)
      await sleep(2000)
    }
  } finally {
    await admin.close().catch(() => {})
  }
}
