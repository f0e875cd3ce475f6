/**
 * Benchmark: rolling restarts of a local cluster (issue 12), one at a time and in batches, against the
 * ideal: the sum of each batch's restart (down until registered again) and catch-up (until back in the
 * ISR of everything it hosts), which is what no roller can go below with that batching.
 *
 *   bench/run roll [--brokers 9] [--zones a,b,c] [--partitions 60] [--rf 3] [--mib 64] [--batch 3] [--dedicated-controllers]
 *
 * A cluster of `--brokers` over `--zones` (controllers 0-2 combined, the rest broker-only; or, with
 * `--dedicated-controllers`, three controller-only nodes beside broker-only brokers), a topic of RF
 * `--rf` on kafkaplane's defaults (min.insync.replicas 2) filled with `--mib` MiB, a verify load of 100
 * records/s throughout; the cluster's default and internal topics (consumer offsets, transactions, share
 * state) get RF `--rf` too (min.insync.replicas stays 2), so that no topic Kafka places holds a batch
 * back. Every node restarts in each mode. Prints, for each mode, the roll's time, the
 * ideal and their ratio (target <= 1.15), the batches, the brokers' and the controllers' shares, the
 * batched roll's time over the one at a time (target <= 0.5 where the layout lets whole zones
 * restart), and the records lost (must be 0). Issue 12's layout, 2 zones x 3 brokers:
 * `bench/run roll --brokers 6 --zones a,b --rf 4 --dedicated-controllers --batch 4` (RF 4 is what
 * `kafkaplane plan advise` recommends for two zones: a zone's brokers may then restart together; a
 * batch of 4 is a whole zone, its three brokers and a standby controller of the zone).
 */
import { cpus, totalmem } from 'node:os'
import { parseArgs } from 'node:util'
import { safeBrokerDefaults } from '../src/core/broker-properties.ts'
import { rollTimes } from '../src/core/roll/roll-times.ts'
import { layoutBrokers } from '../src/core/topology/layout.ts'
import { createAdmin } from '../src/kafka/connection.ts'
import { KafkaExecutorCluster } from '../src/kafka/executor-cluster.ts'
import { LocalCluster } from '../src/local/local-cluster.ts'
import { LocalRollTarget } from '../src/local/local-roll-target.ts'
import { cacheDir } from '../src/local/paths.ts'
import { newRollState, runRoll } from '../src/operations/roller.ts'
import { systemClock } from '../src/operations/system-clock.ts'
import { startWorkload } from '../src/verify/workload.ts'
import { freeBasePort, removeDir, tempDir } from '../test/integration/support/clusters.ts'
import { fill } from '../test/integration/support/kafka-io.ts'
import { runCli } from '../test/integration/support/cli.ts'

const { values } = parseArgs({
  options: {
    brokers: { type: 'string', default: '9' },
    zones: { type: 'string', default: 'a,b,c' },
    partitions: { type: 'string', default: '60' },
    rf: { type: 'string', default: '3' },
    mib: { type: 'string', default: '64' },
    batch: { type: 'string', default: '3' },
    'dedicated-controllers': { type: 'boolean', default: false },
  },
})
const brokers = Number(values.brokers)
/** kafkaplane's safe defaults with RF `rf` for every topic Kafka creates, min.insync.replicas as they are. */
function topicDefaults(rf: number): Record<string, string> {
  const defaults = safeBrokerDefaults(rf, 2)
  return Object.fromEntries(Object.entries(defaults).filter(([key]) => key.endsWith('replication.factor')))
}
const zones = values.zones.split(',')
const dataDir = await tempDir('bench-roll')
const cluster = await LocalCluster.start({ topology: layoutBrokers(brokers, [{ name: 'zone', values: zones }]), dataDir, ephemeral: true, basePort: await freeBasePort(brokers), cacheDir: cacheDir(), heap: '384m', config: topicDefaults(Number(values.rf)), controllers: values['dedicated-controllers'] ? 'dedicated' : 'combined' })
process.once('exit', () => cluster.killAllNow())
const admin = createAdmin({ bootstrapServers: cluster.bootstrapServers })
try {
  const bootstrap = cluster.bootstrapServers.join(',')
  console.log(`machine: ${cpus().length} cores (${cpus()[0]?.model}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}; ${brokers} brokers over zones ${zones.join(',')}, controllers ${cluster.spec.controllerMode}; ${values.partitions} partitions RF ${values.rf}, ${values.mib} MiB`)
  const made = await runCli(['topics', 'create', '--topic', 'bench-roll', '--partitions', values.partitions, '--replication-factor', values.rf, '--bootstrap-server', bootstrap])
  if (made.code !== 0) throw new Error(made.stderr)
  await fill(cluster.bootstrapServers, 'bench-roll', Number(values.mib) * 2 ** 20)
  const kafka = new KafkaExecutorCluster(admin, { bootstrapServers: cluster.bootstrapServers })
  const times: Record<string, number> = {}
  for (const [mode, maxBatch] of [['one at a time', 1], [`batches of up to ${values.batch}`, Number(values.batch)]] as const) {
    const load = await startWorkload({ connection: { bootstrapServers: cluster.bootstrapServers }, topics: ['bench-roll'], recordsPerSecond: 100 })
    const state = newRollState(cluster.clusterId, cluster.nodeIds(), Date.now())
    const result = await runRoll(kafka, new LocalRollTarget(cluster), state, { clock: systemClock, save: async () => {}, maxBatch, pollMs: 500 })
    const report = await load.stop()
    if (result.status !== 'finished') throw new Error(`the roll ${result.status}: ${result.waitingFor}`)
    const spent = rollTimes(state.done)
    const ideal = spent.idealMs
    times[mode] = result.elapsedMs
    const controllerIds = new Set(cluster.nodeIds().filter((id) => !cluster.brokerIds().includes(id)))
    const share = (controllers: boolean) => state.done.filter((b) => b.ids.every((id) => controllerIds.has(id)) === controllers).reduce((s, b) => s + b.restartMs + b.catchUpMs, 0) / 1000
    console.log(
      `${mode}: ${(result.elapsedMs / 1000).toFixed(1)} s for ${result.restarted} nodes in ${result.batches} batches (${state.done.map((b) => b.ids.join('+')).join(', ')}); ` +
        `ideal ${(ideal / 1000).toFixed(1)} s, ratio ${(result.elapsedMs / ideal).toFixed(2)}; per batch restart ${(state.done.reduce((s, b) => s + b.restartMs, 0) / state.done.length / 1000).toFixed(1)} s, ` +
        `catch-up ${(state.done.reduce((s, b) => s + b.catchUpMs, 0) / state.done.length / 1000).toFixed(1)} s; verify: ${report.acknowledged} acknowledged, ${report.lost} lost, ${report.produceErrors.count} produce errors` +
        (controllerIds.size > 0 ? `; the batches with brokers ${share(false).toFixed(1)} s, the dedicated controllers' alone ${share(true).toFixed(1)} s` : ''),
    )
    console.log(`  each batch (restart + catch-up, s): ${state.done.map((b) => `${b.ids.join('+')} ${(b.restartMs / 1000).toFixed(1)}+${(b.catchUpMs / 1000).toFixed(1)}`).join(', ')}`)
    console.log(`  between batches (leaders given back, the gate): ${(spent.betweenMs / 1000).toFixed(1)} s in all; ${spent.between.map((b) => `before ${b.ids.join('+')} ${(b.ms / 1000).toFixed(1)}`).join(', ')}`)
  }
  const [one, batched] = Object.values(times)
  console.log(`batched / one at a time: ${(batched! / one!).toFixed(2)}`)
} finally {
  await admin.close().catch(() => {})
  await cluster.stop()
  await removeDir(dataDir)
}
