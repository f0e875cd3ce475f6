/**
 * Benchmark: how long a local cluster takes to be ready (every broker registered and unfenced), and
 * how much memory each broker holds, for 3 and 6 brokers (the default layout: 2 Kubernetes clusters
 * x 3 zones). Resident memory is read from /proc after a small acks=all workload, so it is what a
 * working broker holds rather than a freshly started one.
 *
 *   bench/run local-cluster [--runs N] [--sizes 3,6]
 *
 * Target (issue 2), on a 2-core machine: 6 brokers ready in under 40 s, under 700 MB resident each.
 */
import { readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { cpus, tmpdir, totalmem } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { Producer, ProduceAcks, stringSerializers } from '@platformatic/kafka'
import { layoutBrokers } from '../src/core/topology/layout.ts'
import { createAdmin } from '../src/kafka/connection.ts'
import { DEFAULT_HEAP, LocalCluster } from '../src/local/local-cluster.ts'
import { cacheDir } from '../src/local/paths.ts'
import { resolveKafkaDistribution } from '../src/local/kafka-distribution.ts'

const { values } = parseArgs({ options: { runs: { type: 'string', default: '2' }, sizes: { type: 'string', default: '3,6' } } })
const runs = Number(values.runs)
const sizes = values.sizes.split(',').map(Number)

function rssMiB(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return Number(match![1]) / 1024
}

async function workload(bootstrap: string[]): Promise<void> {
  const admin = createAdmin({ bootstrapServers: bootstrap })
  await admin.createTopics({ topics: ['bench'], partitions: 6, replicas: 3 })
  await admin.close()
  const producer = new Producer({ clientId: 'bench', bootstrapBrokers: bootstrap, serializers: stringSerializers, acks: ProduceAcks.ALL, idempotent: true, retries: 10 })
  const value = 'x'.repeat(1024)
  for (let batch = 0; batch < 100; batch++) {
    await producer.send({ messages: Array.from({ length: 100 }, (_, i) => ({ topic: 'bench', key: `k${i}`, value })) })
  }
  await producer.close()
}

await resolveKafkaDistribution({ cacheDir: cacheDir(), onFetch: (m) => console.error(m) }) // downloads are not timed
console.log(`machine: ${cpus().length} cores (${cpus()[0]?.model}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}, heap per broker ${DEFAULT_HEAP}`)
console.log('brokers  run  ready_s  rss_min_MiB  rss_max_MiB  rss_mean_MiB')
const summary: string[] = []
for (const size of sizes) {
  const readyTimes: number[] = []
  let maxRss = 0
  for (let run = 1; run <= runs; run++) {
    const dataDir = await mkdtemp(join(tmpdir(), 'kafkaplane-bench-'))
    const topology = layoutBrokers(size, [
      { name: 'cluster', values: ['k8s-1', 'k8s-2'] },
      { name: 'zone', values: ['a', 'b', 'c'] },
    ])
    const started = performance.now()
    const cluster = await LocalCluster.start({ topology, dataDir, ephemeral: true, basePort: 24092, cacheDir: cacheDir() })
    const ready = (performance.now() - started) / 1000
    process.once('exit', () => cluster.killAllNow())
    try {
      await workload(cluster.bootstrapServers)
      const rss = [...cluster.pids().values()].map(rssMiB)
      readyTimes.push(ready)
      maxRss = Math.max(maxRss, ...rss)
      const mean = rss.reduce((a, b) => a + b, 0) / rss.length
      console.log(
        `${String(size).padStart(7)}  ${String(run).padStart(3)}  ${ready.toFixed(1).padStart(7)}  ${Math.min(...rss).toFixed(0).padStart(11)}  ${Math.max(...rss).toFixed(0).padStart(11)}  ${mean.toFixed(0).padStart(12)}`,
      )
    } finally {
      await cluster.stop()
      await rm(dataDir, { recursive: true, force: true })
    }
  }
  summary.push(`${size} brokers: ready in ${Math.min(...readyTimes).toFixed(1)}-${Math.max(...readyTimes).toFixed(1)} s, at most ${maxRss.toFixed(0)} MiB resident per broker`)
}
console.log(summary.join('\n'))
