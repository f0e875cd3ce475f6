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
 * The server is measured reading the cluster for every probe (`--max-age-ms 0`) and as deployed
 * (default max age, reading ahead of probes that come at a steady period, as the kubelet's do).
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
/** The period at which the server is probed as deployed (a kubelet's periodSeconds). */
const PROBE_PERIOD_MS = 2000

/**
 * Starts `probe serve` (on `bootstrapServer`) with `extra` options and probes it `runs` times over HTTP and `runs` times with
 * `probe ready --via` processes, one probe every `periodMs` (0: back to back), after 3 warm-up probes.
 */
async function measureServer(bootstrapServer: string, extra: string[], periodMs: number): Promise<{ serveMs: number[]; viaMs: number[]; ageMs: number[] }> {
  const { spawn } = await import('node:child_process')
  const port = 29000 + Math.floor(Math.random() * 500)
  const server = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', main, 'probe', 'serve', '--broker-id', '0', '--port', String(port), '--bootstrap-server', bootstrapServer, ...extra], { stdio: ['ignore', 'ignore', 'pipe'] })
  const result = { serveMs: [] as number[], viaMs: [] as number[], ageMs: [] as number[] }
  const sleepUntil = (t: number) => new Promise((r) => setTimeout(r, Math.max(0, t - performance.now())))
  try {
    let said = ''
    server.stderr!.on('data', (d: Buffer) => (said += d.toString()))
    while (!said.includes('GET /ready')) await new Promise((r) => setTimeout(r, 100))
    let next = performance.now()
    const probe = async (measure: boolean) => {
      await sleepUntil(next)
      next += periodMs
      const t = performance.now()
      const response = await fetch(`http://127.0.0.1:${port}/ready`)
      await response.text()
      if (measure) {
        result.serveMs.push(performance.now() - t)
        result.ageMs.push(Number(response.headers.get('x-kafkaplane-snapshot-age-ms')))
      }
    }
    for (let i = 0; i < 3; i++) await probe(false)
    for (let i = 0; i < runs; i++) await probe(true)
    for (let i = 0; i < runs; i++) {
      await sleepUntil(next)
      next += periodMs
      result.viaMs.push(timeMs(() => execFileSync(process.execPath, ['--disable-warning=ExperimentalWarning', main, 'probe', 'ready', '--broker-id', '0', '--via', `http://127.0.0.1:${port}`], { stdio: 'pipe' })))
    }
  } finally {
    server.kill('SIGTERM')
  }
  return result
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
  // The long-lived probe server (Kubernetes httpGet, or the exec probe's --via): the cost of one
  // readiness answer, reading the cluster for every probe, then as deployed, probed at a steady period.
  const onDemand = await measureServer(bootstrapServers[0]!, ['--max-age-ms', '0'], 0)
  const deployed = await measureServer(bootstrapServers[0]!, [], PROBE_PERIOD_MS)
  const nodeMs: number[] = []
  for (let i = 0; i < runs; i++) nodeMs.push(timeMs(() => execFileSync(process.execPath, ['-e', '0'])))
  const importMs: number[] = []
  for (let i = 0; i < runs; i++) {
    importMs.push(timeMs(() => execFileSync(process.execPath, ['--input-type=module', '-e', "await import('@platformatic/kafka')"], { stdio: 'pipe', cwd: fileURLToPath(new URL('..', import.meta.url)) })))
  }
  console.log(`machine: ${cpus().length} cores (${cpus()[0]?.model}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}; ${partitions} partitions on 3 brokers; median of ${runs} runs`)
  console.log(`health evaluation: readiness rules once, cold (what a probe process runs): ${readinessColdMs.toFixed(1)} ms; readiness + verdict + restart check, warm: ${median(evaluationMs).toFixed(1)} ms`)
  console.log(`cluster snapshot, warm client (Metadata, DescribeCluster, DescribeConfigs, DescribeQuorum, ListPartitionReassignments): ${median(snapshotMs).toFixed(0)} ms; with min.insync cached (probe serve): ${median(cachedSnapshotMs).toFixed(0)} ms`)
  console.log(`kafkaplane probe ready, whole process on its own: ${median(probeMs).toFixed(0)} ms (of which importing @platformatic/kafka alone: ${median(importMs).toFixed(0)} ms)`)
  console.log(`kafkaplane probe serve --max-age-ms 0 (a cluster read for every probe): GET /ready ${median(onDemand.serveMs).toFixed(0)} ms; probe ready --via it, whole process ${median(onDemand.viaMs).toFixed(0)} ms`)
  console.log(`kafkaplane probe serve as deployed, probed every ${PROBE_PERIOD_MS / 1000} s: GET /ready ${median(deployed.serveMs).toFixed(0)} ms (snapshot age ${median(deployed.ageMs).toFixed(0)} ms, max ${Math.max(...deployed.ageMs).toFixed(0)}); probe ready --via it, whole process ${median(deployed.viaMs).toFixed(0)} ms (max ${Math.max(...deployed.viaMs).toFixed(0)})`)
  console.log(`node start alone (node -e 0): ${median(nodeMs).toFixed(0)} ms`)
  console.log(`kafka-topics --describe --under-replicated-partitions, whole process: ${median(stockMs).toFixed(0)} ms`)
  const ratio = (ms: number[]) => `${(median(stockMs) / median(ms)).toFixed(1)}x`
  console.log(`ratio stock / probe process on its own: ${ratio(probeMs)}; stock / probe process --via (on demand): ${ratio(onDemand.viaMs)}; stock / probe process --via (as deployed): ${ratio(deployed.viaMs)}`)
} finally {
  await cluster.stop()
  await rm(dataDir, { recursive: true, force: true })
}
