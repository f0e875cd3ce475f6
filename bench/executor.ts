/**
 * Benchmark: moving a fixed volume of data at a given replication throttle (issue 5). A two-broker
 * local cluster; a topic whose partitions live on broker 0 (RF 1) is filled, then
 * `kafkaplane replication-factor fix --target 2` copies it all to broker 1 at the throttle.
 *
 *   bench/run executor [--mib 64] [--throttle-mib 4] [--partitions 2] [--runs 2]
 *
 * Prints the time the copy took against the ideal (bytes / throttle), their ratio (target >= 0.85 of
 * the ideal rate), the highest rate over any 10 s window against the throttle (target <= 1.10), and
 * the whole command's time (planning, election and cleanup included).
 */
import { cpus, totalmem } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { layoutBrokers } from '../src/core/topology/layout.ts'
import { LocalCluster } from '../src/local/local-cluster.ts'
import { cacheDir } from '../src/local/paths.ts'
import { freeBasePort, removeDir, tempDir } from '../test/integration/support/clusters.ts'
import { throttledMove } from '../test/integration/support/throttled-move.ts'

const { values } = parseArgs({ options: { mib: { type: 'string', default: '64' }, 'throttle-mib': { type: 'string', default: '4' }, partitions: { type: 'string', default: '2' }, runs: { type: 'string', default: '2' } } })
const bytes = Number(values.mib) * 2 ** 20
const rate = Number(values['throttle-mib']) * 2 ** 20
const runs = Number(values.runs)

const dataDir = await tempDir('bench-executor')
const cluster = await LocalCluster.start({ topology: layoutBrokers(2, [{ name: 'zone', values: ['a', 'b'] }]), dataDir, ephemeral: true, basePort: await freeBasePort(2), cacheDir: cacheDir(), heap: '512m' })
process.once('exit', () => cluster.killAllNow())
try {
  console.log(`machine: ${cpus().length} cores (${cpus()[0]?.model}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}; 2 brokers; ${values.mib} MiB in ${values.partitions} partitions at ${values['throttle-mib']} MiB/s`)
  for (let run = 1; run <= runs; run++) {
    const move = await throttledMove(cluster, { topic: `bench-${run}`, from: 0, to: 1, partitions: Number(values.partitions), bytes, rate, stateFile: join(dataDir, `plan-${run}.json`) })
    if (move.exitCode !== 0) throw new Error(`the move failed:\n${move.output}`)
    const ideal = (move.bytes / rate) * 1000
    console.log(
      `run ${run}: ${(move.bytes / 2 ** 20).toFixed(1)} MiB copied in ${(move.copyMs / 1000).toFixed(1)} s (ideal ${(ideal / 1000).toFixed(1)} s): ` +
        `${(move.measuredRate / 2 ** 20).toFixed(2)} MiB/s = ${(move.measuredRate / rate).toFixed(3)} of the throttle; ` +
        `peak over 10 s ${(move.peakRate / 2 ** 20).toFixed(2)} MiB/s = ${(move.peakRate / rate).toFixed(3)} of it; whole command ${(move.elapsedMs / 1000).toFixed(1)} s`,
    )
  }
} finally {
  await cluster.stop()
  await removeDir(dataDir)
}
