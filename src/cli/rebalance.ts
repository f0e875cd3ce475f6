import { DEFAULT_TOLERANCE } from '../core/placement/goals.ts'
import { cordonNotes, planRebalance } from '../core/placement/operations.ts'
import { badArgument, type Command, helpOrNoArguments, parseOptions, refuse } from './command.ts'
import { EXECUTION_HELP, EXECUTION_OPTIONS, runExecution } from './execution.ts'

export const rebalance: Command = {
  name: 'rebalance',
  help: `Usage: kafkaplane rebalance [--tolerance F] [options]

Fixes every goal violation of the live cluster (replicas spread on every failure dimension, none on
brokers not taking replicas), then balances replicas, leaders and disk within --tolerance, with the
fewest moves, and carries the moves out: throttled, a few at a time, resumable, leaders re-elected.
  --tolerance F            balance tolerance, a fraction (default ${DEFAULT_TOLERANCE})
${EXECUTION_HELP}
Exit codes: 0 done or nothing to do, 1 failed or interrupted, 2 bad input (nothing changed).
`,
  async run(argv, io) {
    const { values, positionals } = parseOptions('rebalance', argv, { ...EXECUTION_OPTIONS, tolerance: { type: 'string' } })
    if (helpOrNoArguments(this, { values, positionals }, io)) return 0
    const tolerance = values.tolerance === undefined ? DEFAULT_TOLERANCE : Number(values.tolerance)
    if (!Number.isFinite(tolerance) || tolerance < 0 || tolerance > 1) throw badArgument(`--tolerance ${values.tolerance} is not a fraction between 0 and 1`, 'pass --tolerance like 0.05 (5%)')
    return runExecution(io, values, 'rebalance', async ({ live }) => {
      const model = live.model()
      const outcome = planRebalance(model, { tolerance })
      if (!outcome.ok) refuse(outcome.problems)
      return { proposals: outcome.proposals, notes: cordonNotes(model, outcome.held) }
    })
  },
}
