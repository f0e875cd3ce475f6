/**
 * Benchmark: the share of partitions that stay writable (acks=all, min.insync.replicas) after the loss
 * of each single failure domain, under Kafka's own placement and under kafkaplane's, side by side, on
 * real 6-broker clusters laid out 2 Kubernetes clusters x 3 zones: once with broker.rack = zone, once
 * with broker.rack = cluster-zone. Both placements are read back from the cluster.
 *
 *   bench/run placement-vs-kafka [--partitions 60]
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { LocalCluster } from '../src/local/local-cluster.ts'
import { cacheDir } from '../src/local/paths.ts'
import { comparePlacements, WISE_TOPOLOGY } from '../test/integration/support/placement-comparison.ts'
import { freeBasePort } from '../test/integration/support/clusters.ts'

const { values } = parseArgs({ options: { partitions: { type: 'string', default: '60' } } })
const partitions = Number(values.partitions)
const pct = (n: number, of: number) => `${((100 * n) / of).toFixed(0)}%`.padStart(5)

console.log(`${partitions} partitions per topic; writable = replicas left >= min.insync.replicas after losing the domain`)
console.log('broker.rack    RF  min.insync  lost domain of   Kafka  kafkaplane')
for (const rackDimensions of [['zone'], ['cluster', 'zone']]) {
  const dataDir = await mkdtemp(join(tmpdir(), 'kafkaplane-bench-'))
  const cluster = await LocalCluster.start({ topology: WISE_TOPOLOGY, dataDir, ephemeral: true, rackDimensions, basePort: await freeBasePort(6), cacheDir: cacheDir(), heap: '384m' })
  process.once('exit', () => cluster.killAllNow())
  try {
    for (const [rf, minInsync] of [[3, 2], [4, 2], [6, 3]] as const) {
      const c = await comparePlacements(cluster, `bench-rf${rf}`, partitions, rf, minInsync)
      c.kafka.survival.forEach((theirs, d) => {
        const ours = c.kafkaplane.survival[d]!
        console.log(
          `${rackDimensions.join('-').padEnd(13)}  ${String(rf).padStart(2)}  ${String(minInsync).padStart(10)}  ${`one ${theirs.dimension}`.padEnd(15)}  ${pct(theirs.writableAfterDomainLoss, theirs.partitions)}  ${pct(ours.writableAfterDomainLoss, ours.partitions).padStart(10)}`,
        )
      })
    }
  } finally {
    await cluster.stop()
    await rm(dataDir, { recursive: true, force: true })
  }
}
