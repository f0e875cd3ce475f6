/**
 * Benchmark: the readiness probe on a cluster with 10,000 partitions (3 brokers, 100 topics x 100
 * partitions at RF 3): the probe as a whole process (`kafkaplane probe ready`), the health evaluation
 * alone (the pure model over a snapshot), the snapshot (the Kafka requests), and beside them the stock
 * `kafka-topics --describe --under-replicated-partitions` (kafka-tools, on the same cluster), as a ratio.
 *
 *   bench/run probe [--runs 5] [--topics 100] [--partitions 100]
 *
 * Targets (issue 4): evaluation under 20 ms, the whole probe process under 300 ms, at least 5x faster
 * than the stock tool. The probe process is measured both ways it runs: on its own (it loads the Kafka
 * client, which costs most of its time) and with `--via` a running `probe serve` (the pod's sidecar).
 */
import { execFileSync } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { cpus, tmpdir, totalmem } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { layoutBrokers } from '../src/core/topology/layout.ts'
import { brokerReadiness } from '../src/core/health/readiness.ts'
import { canStop } from '../src/core/health/restart-check.ts'
import { clusterVerdict } from '../src/core/health/verdict.ts'
import { createAdmin } from '../src/kafka/connection.ts'
import { describeClusterSnapshot } from '../src/kafka/describe-cluster-snapshot.ts'
import { waitForTopic } from '../src/kafka/wait-for-topic.ts'
import { LocalCluster } from '../src/local/local-cluster.ts'
import { cacheDir } from '../src/local/paths.ts'
import { resolveKafkaDistribution } from '../src/local/kafka-distribution.ts'
import { freeBasePort } from '../test/integration/support/clusters.ts'

const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' }, topics: { type: 'string', default: '100' }, partitions: { type: 'string', default: '100' } } })
const runs = Number(values.runs)
const topics = Number(values.topics)
const perTopic = Number(values.partitions)
const main = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url))

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]!
}
function timeMs(work: () => void): number {
  const t = performance.now()
  work()
  return performance.now() - t
}

const distribution = await resolveKafkaDistribution({ cacheDir: cacheDir() })
const dataDir = await mkdtemp(join(tmpdir(), 'kafkaplane-bench-'))
// The brokers share the machine's cores with the probe: idle replica fetchers of 30,000 replicas would
// keep both cores busy and measure the machine's load, not the probe. Followers wait up to 5 s for data
// (instead of 0.5 s); the probe's work is unchanged.
const cluster = await LocalCluster.start({ topology: layoutBrokers(3, [{ name: 'zone', values: ['a', 'b', 'c'] }]), dataDir, ephemeral: true, basePort: await freeBasePort(3), cacheDir: cacheDir(), heap: '1g', config: { 'replica.fetch.wait.max.ms': '5000' } })
process.once('exit', () => cluster.killAllNow())
try {
  const bootstrapServers = cluster.bootstrapServers
  const admin = createAdmin({ bootstrapServers, requestTimeoutMs: 60_000 })
  for (let t = 0; t < topics; t += 10) {
    const names = Array.from({ length: Math.min(10, topics - t) }, (_, i) => `bench-${t + i}`)
    await admin.createTopics({ topics: names, partitions: perTopic, replicas: 3 })
  }
  for (let t = 0; t < topics; t++) await waitForTopic(admin, `bench-${t}`, perTopic, 120_000)
  // Let the brokers settle (replica fetchers, log creation) so the timings are of a quiet cluster.
  await new Promise((resolve) => setTimeout(resolve, 30_000))

  const snapshotMs: number[] = []
  let snapshot = await describeClusterSnapshot(admin, { bootstrapServers })
  for (let i = 0; i < runs; i++) {
    const t = performance.now()
    snapshot = await describeClusterSnapshot(admin, { bootstrapServers })
    snapshotMs.push(performance.now() - t)
  }
  const partitions = snapshot.partitions.length
  // What a probe process runs: the readiness rules once, cold (first call, nothing compiled yet).
  const readinessColdMs = timeMs(() => brokerReadiness(snapshot, 0))
  const evaluationMs: number[] = []
  for (let i = 0; i < 20; i++) {
    evaluationMs.push(
      timeMs(() => {
        brokerReadiness(snapshot, 0)
        clusterVerdict(snapshot)
        canStop(snapshot, [0])
      }),
    )
  }
  const cache = new Map<string, number>()
  await describeClusterSnapshot(admin, { bootstrapServers, minInsyncCache: cache })
  const cachedSnapshotMs: number[] = []
  for (let i = 0; i < runs; i++) {
    const t = performance.now()
    await describeClusterSnapshot(admin, { bootstrapServers, minInsyncCache: cache })
    cachedSnapshotMs.push(performance.now() - t)
  }
  await admin.close()

  const probeMs: number[] = []
  for (let i = 0; i < runs; i++) {
    probeMs.push(timeMs(() => execFileSync(process.execPath, ['--disable-warning=ExperimentalWarning', main, 'probe', 'ready', '--broker-id', '0', '--bootstrap-server', bootstrapServers[0]!], { stdio: 'pipe' })))
  }
  const stockMs: number[] = []
  for (let i = 0; i < runs; i++) {
    stockMs.push(
      timeMs(() =>
        execFileSync('java', ['-Xmx512m', '-cp', distribution.classpath, 'org.apache.kafka.tools.TopicCommand', '--bootstrap-server', bootstrapServers[0]!, '--describe', '--under-replicated-partitions'], { stdio: 'pipe' }),
      ),
    )
  }
  // The long-lived probe server (Kubernetes httpGet): the cost of one readiness answer.
  const { spawn } = await import('node:child_process')
  const port = 29000 + Math.floor(Math.random() * 500)
  const server = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', main, 'probe', 'serve', '--broker-id', '0', '--port', String(port), '--bootstrap-server', bootstrapServers[0]!], { stdio: ['ignore', 'ignore', 'pipe'] })
  const serveMs: number[] = []
  const viaMs: number[] = []
  try {
    let said = ''
    server.stderr!.on('data', (d: Buffer) => (said += d.toString()))
    while (!said.includes('GET /ready')) await new Promise((r) => setTimeout(r, 100))
    await fetch(`http://127.0.0.1:${port}/ready`) // first answer connects and warms up
    for (let i = 0; i < runs; i++) {
      const t = performance.now()
      await (await fetch(`http://127.0.0.1:${port}/ready`)).text()
      serveMs.push(performance.now() - t)
    }
    for (let i = 0; i < runs; i++) {
      viaMs.push(timeMs(() => execFileSync(process.execPath, ['--disable-warning=ExperimentalWarning', main, 'probe', 'ready', '--broker-id', '0', '--via', `http://127.0.0.1:${port}`], { stdio: 'pipe' })))
    }
  } finally {
    server.kill('SIGTERM')
  }
  const importMs: number[] = []
  for (let i = 0; i < runs; i++) {
    importMs.push(timeMs(() => execFileSync(process.execPath, ['--input-type=module', '-e', "await import('@platformatic/kafka')"], { stdio: 'pipe', cwd: fileURLToPath(new URL('..', import.meta.url)) })))
  }
  console.log(`machine: ${cpus().length} cores (${cpus()[0]?.model}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}; ${partitions} partitions on 3 brokers; median of ${runs} runs`)
  console.log(`health evaluation: readiness rules once, cold (what a probe process runs): ${readinessColdMs.toFixed(1)} ms; readiness + verdict + restart check, warm: ${median(evaluationMs).toFixed(1)} ms`)
  console.log(`cluster snapshot, warm client (Metadata, DescribeCluster, DescribeConfigs, DescribeQuorum, ListPartitionReassignments): ${median(snapshotMs).toFixed(0)} ms; with min.insync cached (probe serve): ${median(cachedSnapshotMs).toFixed(0)} ms`)
  console.log(`kafkaplane probe ready, whole process on its own: ${median(probeMs).toFixed(0)} ms (of which importing @platformatic/kafka alone: ${median(importMs).toFixed(0)} ms)`)
  console.log(`kafkaplane probe ready --via a probe server, whole process: ${median(viaMs).toFixed(0)} ms`)
  console.log(`kafkaplane probe serve, GET /ready (warm, one answer): ${median(serveMs).toFixed(0)} ms`)
  console.log(`kafka-topics --describe --under-replicated-partitions, whole process: ${median(stockMs).toFixed(0)} ms`)
  console.log(`ratio stock / probe process on its own: ${(median(stockMs) / median(probeMs)).toFixed(1)}x; stock / probe process --via: ${(median(stockMs) / median(viaMs)).toFixed(1)}x; stock / serve answer: ${(median(stockMs) / median(serveMs)).toFixed(1)}x`)
} finally {
  await cluster.stop()
  await rm(dataDir, { recursive: true, force: true })
}
