import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { LocalCluster } from '../local/local-cluster.ts'
import { defaultDataDir } from '../local/paths.ts'
import { STATE_FILE } from '../local/cluster-state.ts'
import { type Command, helpOrNoArguments, parseOptions } from './command.ts'
import { describeEvent } from './up.ts'

export const down: Command = {
  name: 'down',
  help: `Usage: kafkaplane down [--data-dir DIR] [--kill]

Stops every broker of the local cluster in DIR (default: the cluster 'kafkaplane up' starts without
--data-dir): broker-only nodes first, then the controllers, each with a controlled shutdown (SIGTERM).
A cluster started without --data-dir is deleted; one with --data-dir keeps its data for the next 'up'.
  --data-dir DIR   the data dir the cluster was started with
  --kill           SIGKILL every broker at once instead (no controlled shutdown)
Exit codes: 0 stopped (or nothing was running), 2 bad input.
`,
  async run(argv, io) {
    const { values, positionals } = parseOptions('down', argv, { 'data-dir': { type: 'string' }, kill: { type: 'boolean' } })
    if (helpOrNoArguments(this, { values, positionals }, io)) return 0
    const dataDir = resolve(values['data-dir'] ?? defaultDataDir(io.env))
    if (!existsSync(join(dataDir, STATE_FILE))) {
      io.stdout.write(`no local cluster in ${dataDir}; nothing to stop\n`)
      return 0
    }
    const cluster = await LocalCluster.attach(dataDir, (event) => io.stderr.write(`  ${describeEvent(event)}\n`))
    const running = cluster.pids().size
    if (values.kill) {
      for (const id of cluster.nodeIds()) await cluster.killBroker(id)
      if (cluster.ephemeral) await cluster.stop()
    } else {
      await cluster.stop()
    }
    io.stdout.write(`${running > 0 ? `stopped ${running} nodes` : 'no broker was running'} in ${dataDir}${cluster.ephemeral ? ' (deleted)' : ''}\n`)
    return 0
  },
}
