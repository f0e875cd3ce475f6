/**
 * Benchmark (issue 13): `kafkaplane exporter` beside kafka_exporter and Burrow, in one run, on one real
 * local cluster of 3 brokers with 10,000 partitions (1,000 topics x 10) and 1,000 consumer groups.
 *
 *   bench/run exporter [--topics 1000] [--partitions 10] [--groups 1000] [--rounds 12] [--round-seconds 10]
 *                      [--scrapes 20] [--no-burrow] [--no-kafka-exporter] [--burrow-kafka-version 2.1.0]
 *                      [--burrow-log-level info] [--exporter-node-options '--max-semi-space-size=2 ...']
 *
 * What it measures (it prints a table and asserts nothing on timing):
 *   - kafkaplane's exporter, as a process run as users run it (bin/kafkaplane exporter --interval-seconds 10,
 *     a series budget of 1,000,000 so that every per-partition series is served, as kafka_exporter serves
 *     them): the served scrape (GET /metrics from its cache: p50 and max over `--scrapes`), a full
 *     collection (its own kafkaplane_exporter_last_collection_duration_seconds: the last and the largest
 *     seen), its resident memory (VmRSS from /proc at the end of each round and at the end, the largest
 *     of those, and VmHWM, the most it ever held), its private memory (RssAnon: VmRSS less mapped files,
 *     of which the node executable's code is some 56 MiB), its collecting thread's heap (its own series),
 *     the series it serves.
 *     The same exporter on its defaults (series budget 100,000) beside it: over the budget it serves the
 *     per-topic series only, and its scrape, collection, memory and series are printed too;
 *   - kafka_exporter (danielqsj/kafka_exporter, built by bench/fetch-kafka-exporter.sh): its scrape
 *     (it reads Kafka on each scrape), its memory, its series. Skipped, with the reason printed, when it
 *     cannot be built (the Go module proxy answered 403 for every version of that module on 2026-12-01);
 *   - Burrow (Debian's burrow 1.2.1, with the ZooKeeper it requires for itself, Debian's zookeeper):
 *     time from its start until it lists every group, its memory, and its status of each group against
 *     kafkaplane_consumergroup_status (both evaluate Burrow's rules; see src/core/observe/consumer-status.ts
 *     for how kafkaplane observes commits). When it reports no group, the bench prints the last lines of
 *     its log, the records of __consumer_offsets it could not decode and what the brokers logged about
 *     its requests (on Kafka 4.1.1 it lists none: bench/RESULTS.md says why);
 *   - the lag-seconds error: kafkaplane_consumergroup_lag_seconds against the true age of the record at
 *     each committed offset (the bench wrote every record with a known timestamp). The exporter takes the
 *     age at one instant of its collection: the error is how far its value lies outside the true ages
 *     at the collection's start and end (kafkaplane_exporter_last_success_timestamp_seconds, less the
 *     collection's duration).
 *
 * The load: topics bench-0..N of `--partitions` partitions at replication factor 1, 10 records per
 * partition created an hour ago, 10 s apart. Replication factor 1 because the machine has 2 cores for 3
 * brokers, two exporters, Burrow and the bench: 20,000 more follower replicas would keep both cores busy
 * with idle replica fetches (bench/probe.ts saw it at RF 3) and measure the machine's load, not the
 * exporters; what the exporters read (offsets per partition, committed offsets per group) is the same at
 * any replication factor. Group g commits in topic bench-(g mod topics), all its partitions, with the
 * admin API (no live members), as one of five kinds by g mod 5:
 *   0 caught up (one commit at the end of the log: OK), 1 catching up (+1 each round, OK), 2 falling
 *   behind (2 records produced and +1 committed each round: WARN), 3 stalled (the same lagging offset committed again each round: Burrow
 *   STALL, kafkaplane STOP as it sees no commit without members or a move: both ERR), 4 stopped (one
 *   lagging commit at the start: STOP, ERR).
 * `--rounds` rounds, `--round-seconds` apart, let both evaluators fill their windows (10 samples).
 *
 * Targets (issue 13): served scrape < 100 ms, full collection < 2 s, memory < 200 MB, served scrape at
 * least 5x faster than kafka_exporter's, lag-seconds error < 1 s.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { createWriteStream, readFileSync } from 'node:fs'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { connect } from 'node:net'
import { cpus, loadavg, tmpdir, totalmem } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { Producer, ProduceAcks, stringSerializers, type Admin } from '@platformatic/kafka'
import { chunks } from '../src/core/collections.ts'
import { layoutBrokers } from '../src/core/topology/layout.ts'
import { clientConnectionOptions, createAdmin } from '../src/kafka/connection.ts'
import { waitForTopic } from '../src/kafka/wait-for-topic.ts'
import { findFreePorts } from '../src/local/free-ports.ts'
import { LocalCluster } from '../src/local/local-cluster.ts'
import { cacheDir } from '../src/local/paths.ts'
import { resolveKafkaDistribution } from '../src/local/kafka-distribution.ts'
import { freeBasePort } from '../test/integration/support/clusters.ts'
import { parse, value, type Line } from '../test/integration/support/prometheus-text.ts'

const { values } = parseArgs({
  options: {
    topics: { type: 'string', default: '1000' },
    partitions: { type: 'string', default: '10' },
    groups: { type: 'string', default: '1000' },
    rounds: { type: 'string', default: '12' },
    'round-seconds': { type: 'string', default: '10' },
    scrapes: { type: 'string', default: '20' },
    'no-burrow': { type: 'boolean', default: false },
    'no-kafka-exporter': { type: 'boolean', default: false },
    'burrow-kafka-version': { type: 'string', default: '2.1.0' },
    'burrow-log-level': { type: 'string', default: 'info' },
    'exporter-node-options': { type: 'string', default: '' },
  },
})
const TOPICS = Number(values.topics)
const PARTITIONS = Number(values.partitions)
const GROUPS = Number(values.groups)
const ROUNDS = Number(values.rounds)
const ROUND_MS = Number(values['round-seconds']) * 1000
const SCRAPES = Number(values.scrapes)
const RECORDS = 10
const burrowLogLevel = values['burrow-log-level']
/** Record i of each partition was created at BASE + i * 10 s. */
const BASE = Date.now() - 3_600_000
const here = fileURLToPath(new URL('.', import.meta.url))
const KINDS = ['caught-up', 'catching-up', 'falling-behind', 'stalled', 'stopped'] as const
type Kind = (typeof KINDS)[number]

const kindOf = (g: number): Kind => KINDS[g % KINDS.length]!
const topicOf = (g: number) => `bench-${g % TOPICS}`
const groupName = (g: number) => `bench-group-${g}`

function say(line: string): void {
  console.error(`[${new Date().toISOString().slice(11, 19)}] ${line}`)
}

function rssMiB(pid: number, field: 'VmRSS' | 'RssAnon' | 'VmHWM' = 'VmRSS'): number {
  const match = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return match ? Number(match[1]) / 1024 : Number.NaN
}

function quantile(xs: readonly number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!
}

/** Processes this bench started, stopped by pid at the end whatever happens. */
const started: { name: string; child: ChildProcess }[] = []

function start(name: string, command: string, args: string[], logFile: string, env?: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: env ?? process.env })
  const log = createWriteStream(logFile)
  child.stdout!.pipe(log)
  child.stderr!.pipe(log)
  started.push({ name, child })
  return child
}

async function stopAll(): Promise<void> {
  for (const { child } of started.reverse()) {
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) continue
    const exited = new Promise((resolve) => child.once('exit', resolve))
    process.kill(child.pid, 'SIGTERM')
    if ((await Promise.race([exited, sleep(10_000).then(() => 'timeout')])) === 'timeout') {
      process.kill(child.pid, 'SIGKILL')
      await exited
    }
  }
}

function killAllNow(): void {
  for (const { child } of started) if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
}

async function waitFor<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let lastError = ''
  for (;;) {
    try {
      const result = await check()
      if (result !== undefined) return result
    } catch (err) {
      lastError = (err as Error).message
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}${lastError ? `: ${lastError}` : ''}`)
    await sleep(250)
  }
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    socket.once('connect', () => (socket.destroy(), resolve(true)))
    socket.once('error', () => resolve(false))
  })
}

/** ZooKeeper answers its `srvr` command (allowed by default) once it serves clients. */
function zkServes(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    let said = ''
    const socket = connect(port, '127.0.0.1', () => socket.write('srvr'))
    socket.on('data', (d) => (said += d.toString()))
    socket.once('close', () => resolve(said.includes('Mode: standalone')))
    socket.once('error', () => resolve(false))
  })
}

/** The value of an unlabelled series in a scrape's text, without parsing the whole of it. */
function unlabelled(text: string, name: string): number | undefined {
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text)
  return m ? Number(m[1]) : undefined
}

async function timedGet(url: string): Promise<{ ms: number; text: string }> {
  const t = performance.now()
  const response = await fetch(url)
  const text = await response.text()
  if (response.status !== 200) throw new Error(`GET ${url}: ${response.status} ${text.slice(0, 200)}`)
  return { ms: performance.now() - t, text }
}

/** What the bench wrote: per partition, the timestamp of each offset, and the log end offset. */
class Truth {
  readonly timestamps = new Map<string, number[]>()
  record(topic: string, partition: number, ts: number): void {
    const key = `${topic}/${partition}`
    const list = this.timestamps.get(key) ?? []
    list.push(ts)
    this.timestamps.set(key, list)
  }
  end(topic: string, partition: number): number {
    return this.timestamps.get(`${topic}/${partition}`)?.length ?? 0
  }
  at(topic: string, partition: number, offset: number): number | undefined {
    return this.timestamps.get(`${topic}/${partition}`)?.[offset]
  }
}

/** The innermost messages of a (nested) aggregate error, once each. */
function innermost(err: unknown): string {
  const leaves = (e: unknown): string[] => {
    const nested = (e as { errors?: unknown[] }).errors
    return nested?.length ? nested.flatMap(leaves) : [(e as Error).message]
  }
  return [...new Set(leaves(err))].join('; ')
}

async function retrying<T>(what: string, attempts: number, work: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work()
    } catch (err) {
      if (attempt >= attempts) throw new Error(`${what}: ${(err as Error).message}`)
      await sleep(500)
    }
  }
}

/** Runs `work` on every item, `parallel` at a time. */
async function eachLimited<T>(items: readonly T[], parallel: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  await Promise.all(
    Array.from({ length: Math.min(parallel, items.length) }, async () => {
      while (next < items.length) await work(items[next++]!)
    }),
  )
}

/** The committed offset of group g's partitions after round r (0: the first commit). */
function committedAt(g: number, round: number, truth: Truth, partition: number): number {
  const end = truth.end(topicOf(g), partition)
  switch (kindOf(g)) {
    case 'caught-up':
      return end
    case 'catching-up':
      return Math.min(end, round)
    case 'falling-behind':
      return 2 + round
    case 'stalled':
    case 'stopped':
      return 3
  }
}

async function commitRound(admin: Admin, truth: Truth, round: number): Promise<number> {
  // After the first round, the caught-up groups (lag 0: OK whatever their commits) and the stopped ones commit no more.
  const groups = Array.from({ length: GROUPS }, (_, g) => g).filter((g) => round === 0 || (kindOf(g) !== 'stopped' && kindOf(g) !== 'caught-up'))
  const t = performance.now()
  await eachLimited(groups, 16, async (g) => {
    const partitionOffsets = Array.from({ length: PARTITIONS }, (_, partition) => ({ partition, offset: BigInt(committedAt(g, round, truth, partition)) }))
    await retrying(`commit of ${groupName(g)}`, 60, () => admin.alterConsumerGroupOffsets({ groupId: groupName(g), topics: [{ name: topicOf(g), partitionOffsets }] }))
  })
  return performance.now() - t
}

/**
 * Writes `perPartition` records to every partition of `topics`, record i with timestamp `timestamp(i)`,
 * one partition a request (a request to one partition is appended whole or not at all, so that one
 * retried after an error, NOT_LEADER_OR_FOLLOWER while a broker still loads thousands of new partitions,
 * never writes twice), 32 requests at a time.
 */
async function produce(producer: Producer<string, string, string, string>, truth: Truth, topics: readonly string[], perPartition: number, timestamp: (i: number) => number): Promise<void> {
  const partitions = topics.flatMap((topic) => Array.from({ length: PARTITIONS }, (_, partition) => ({ topic, partition })))
  await eachLimited(partitions, 32, async ({ topic, partition }) => {
    const stamps = Array.from({ length: perPartition }, (_, i) => timestamp(i))
    const messages = stamps.map((ts, i) => ({ topic, partition, key: `k${partition}`, value: `v${i}`, timestamp: BigInt(ts) }))
    await retrying(`produce to ${topic}/${partition}`, 60, () => producer.send({ messages }).catch((err: Error) => Promise.reject(new Error(innermost(err)))))
    for (const ts of stamps) truth.record(topic, partition, ts)
  })
}

function burrowConfig(dir: string, bootstrap: string[], zkPort: number, httpPort: number, kafkaVersion: string): string {
  const servers = bootstrap.map((s) => `"${s}"`).join(', ')
  return `[general]
pidfile="${dir}/burrow.pid"
[logging]
filename="${dir}/burrow.log"
level="${burrowLogLevel}"
[zookeeper]
servers=["127.0.0.1:${zkPort}"]
timeout=6
root-path="/burrow"
[client-profile.bench]
client-id="burrow-bench"
kafka-version="${kafkaVersion}"
[cluster.bench]
class-name="kafka"
servers=[${servers}]
client-profile="bench"
topic-refresh=60
offset-refresh=5
[consumer.bench]
class-name="kafka"
cluster="bench"
servers=[${servers}]
client-profile="bench"
group-blacklist="^$"
start-latest=false
[httpserver.default]
address="127.0.0.1:${httpPort}"
[storage.default]
class-name="inmemory"
workers=4
intervals=10
expire-group=604800
min-distance=1
[evaluator.default]
class-name="caching"
expire-cache=10
`
}

interface BurrowRun {
  version: string
  groupsSeen: number
  allGroupsAfterS: number | undefined
  rssMiB: number
  status: Map<string, string>
  log: string
}

const results: string[][] = []
const notes: string[] = []
const row = (...cells: (string | number)[]) => results.push(cells.map(String))

await resolveKafkaDistribution({ cacheDir: cacheDir(), onFetch: (m) => say(m) })
let kafkaExporterBin: string | undefined
let kafkaExporterWhyNot = 'skipped (--no-kafka-exporter)'
if (!values['no-kafka-exporter']) {
  const built = spawnSync('bash', [join(here, 'fetch-kafka-exporter.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
  if (built.status === 0) kafkaExporterBin = join(built.stdout.trim().split('\n').at(-1)!, 'kafka_exporter')
  else kafkaExporterWhyNot = `not built: ${built.stderr.trim().split('\n').filter((l) => l.includes('error')).join(' ') || built.stderr.trim().split('\n').at(-1)}`
}
const burrowWanted = !values['no-burrow']
if (burrowWanted) {
  const installed = spawnSync('bash', [join(here, '../scripts/lib/install-debian-packages.sh'), 'bench-exporter', '--', 'burrow', 'zookeeper'], { stdio: 'inherit' })
  if (installed.status !== 0) throw new Error('burrow and zookeeper (Debian) could not be installed; run with --no-burrow to leave Burrow out')
}

const workDir = await mkdtemp(join(tmpdir(), 'kafkaplane-bench-exporter-'))
const dataDir = join(workDir, 'cluster')
say(`work dir ${workDir} (logs of every process there)`)
const cluster = await LocalCluster.start({
  topology: layoutBrokers(3, [{ name: 'zone', values: ['a', 'b', 'c'] }]),
  dataDir,
  ephemeral: true,
  basePort: await freeBasePort(3),
  cacheDir: cacheDir(),
  heap: '1g',
})
process.once('exit', () => {
  killAllNow()
  cluster.killAllNow()
})
let failed: unknown
try {
  const bootstrap = cluster.bootstrapServers
  const admin = createAdmin({ bootstrapServers: bootstrap, requestTimeoutMs: 60_000 })
  const topics = Array.from({ length: TOPICS }, (_, t) => `bench-${t}`)
  let t0 = performance.now()
  for (const batch of chunks(topics, 50)) {
    await admin.createTopics({ topics: batch, partitions: PARTITIONS, replicas: 1, configs: [{ name: 'min.insync.replicas', value: '1' }] })
  }
  for (const topic of topics) await waitForTopic(admin, topic, PARTITIONS, 180_000)
  say(`${TOPICS * PARTITIONS} partitions created in ${((performance.now() - t0) / 1000).toFixed(1)} s`)

  const truth = new Truth()
  const producer = new Producer({ clientId: 'bench-exporter', ...clientConnectionOptions({ bootstrapServers: bootstrap }), serializers: stringSerializers, idempotent: true, acks: ProduceAcks.ALL, retries: 20, retryDelay: 500 })
  t0 = performance.now()
  await produce(producer, truth, topics, RECORDS, (i) => BASE + i * 10_000)
  say(`${TOPICS * PARTITIONS * RECORDS} records produced in ${((performance.now() - t0) / 1000).toFixed(1)} s`)
  const firstCommitMs = await commitRound(admin, truth, 0)
  say(`${GROUPS} groups committed in ${(firstCommitMs / 1000).toFixed(1)} s`)

  // kafkaplane's exporter and kafka_exporter start together; Burrow after them.
  const [kpPort, kePort, zkPort, burrowPort, kdPort] = await findFreePorts(5, { min: 20000, max: 32000 })
  // Run as users run it: bin/kafkaplane (which sets glibc's malloc thresholds) execs node in its own pid.
  const kafkaplane = fileURLToPath(new URL('../bin/kafkaplane', import.meta.url))
  const exporterEnv = { ...process.env, NODE_OPTIONS: [process.env['NODE_OPTIONS'], values['exporter-node-options']].filter(Boolean).join(' ') }
  const exporterArgs = (port: number, extra: string[]) => ['exporter', '--bootstrap-server', bootstrap.join(','), '--host', '127.0.0.1', '--port', String(port), '--interval-seconds', String(ROUND_MS / 1000), ...extra]
  const kp = start('kafkaplane exporter', kafkaplane, exporterArgs(kpPort!, ['--series-budget', '1000000']), join(workDir, 'kafkaplane-exporter.log'), exporterEnv)
  const kpUrl = `http://127.0.0.1:${kpPort}/metrics`
  // The same on its defaults: over the series budget (100,000) it serves the per-topic series only.
  const kd = start('kafkaplane exporter (default budget)', kafkaplane, exporterArgs(kdPort!, []), join(workDir, 'kafkaplane-exporter-default.log'), exporterEnv)
  const kdUrl = `http://127.0.0.1:${kdPort}/metrics`
  const kafkaVersion = '3.9.0'
  let ke: ChildProcess | undefined
  if (kafkaExporterBin) {
    ke = start('kafka_exporter', kafkaExporterBin, [...bootstrap.map((s) => `--kafka.server=${s}`), `--kafka.version=${kafkaVersion}`, `--web.listen-address=127.0.0.1:${kePort}`], join(workDir, 'kafka-exporter.log'))
  }
  let burrow: { child: ChildProcess; startedAt: number; dir: string } | undefined
  if (burrowWanted) {
    const dir = join(workDir, 'burrow')
    await mkdir(join(dir, 'zk'), { recursive: true })
    start('zookeeper (for Burrow)', 'java', ['-Xmx128m', '-Dzookeeper.admin.enableServer=false', '-cp', '/usr/share/java/zookeeper.jar:/usr/share/java/slf4j-simple.jar', 'org.apache.zookeeper.server.ZooKeeperServerMain', String(zkPort), join(dir, 'zk')], join(dir, 'zookeeper.log'))
    await waitFor('ZooKeeper to serve', 60_000, async () => ((await zkServes(zkPort!)) ? true : undefined))
    await writeFile(join(dir, 'burrow.toml'), burrowConfig(dir, bootstrap, zkPort!, burrowPort!, values['burrow-kafka-version']))
    burrow = { child: start('burrow', 'Burrow', ['--config-dir', dir], join(dir, 'burrow.out')), startedAt: performance.now(), dir }
  }

  // The rounds: both evaluators fill their windows.
  const kpRss: number[] = []
  /** Its private memory: VmRSS less the pages of files it maps (the node executable's 50-odd MiB of code, shared). */
  const kpAnon: number[] = []
  const collections: number[] = []
  const burrowUrl = `http://127.0.0.1:${burrowPort}/v3/kafka/bench/consumer`
  let burrowAllAfterS: number | undefined
  let burrowSeen = 0
  const checkBurrow = async () => {
    if (!burrow || burrowAllAfterS !== undefined) return
    const body = (await (await fetch(burrowUrl)).json().catch(() => ({}))) as { consumers?: string[] }
    burrowSeen = (body.consumers ?? []).filter((c) => c.startsWith('bench-group-')).length
    if (burrowSeen >= GROUPS) burrowAllAfterS = (performance.now() - burrow.startedAt) / 1000
  }
  await waitFor('kafkaplane exporter to serve a collection', 180_000, async () => (unlabelled((await timedGet(kpUrl)).text, 'kafkaplane_exporter_last_collection_success') === 1 ? true : undefined))
  for (let round = 1; round <= ROUNDS; round++) {
    const roundStart = performance.now()
    const behind = [...new Set(Array.from({ length: GROUPS }, (_, g) => g).filter((g) => kindOf(g) === 'falling-behind').map(topicOf))]
    await produce(producer, truth, behind, 2, () => Date.now())
    const commitMs = await commitRound(admin, truth, round)
    collections.push(unlabelled((await timedGet(kpUrl)).text, 'kafkaplane_exporter_last_collection_duration_seconds') ?? Number.NaN)
    kpRss.push(rssMiB(kp.pid!))
    kpAnon.push(rssMiB(kp.pid!, 'RssAnon'))
    await checkBurrow().catch(() => {})
    say(`round ${round}/${ROUNDS}: commits ${(commitMs / 1000).toFixed(1)} s; kafkaplane collection ${collections.at(-1)!.toFixed(2)} s, ${kpRss.at(-1)!.toFixed(0)} MiB; Burrow groups ${burrowSeen}; load ${loadavg()[0]!.toFixed(1)}`)
    await sleep(Math.max(0, ROUND_MS - (performance.now() - roundStart)))
  }
  await producer.close()

  // Quiet now: one more collection of the final state, then the measurements.
  const quietFrom = Date.now() / 1000
  const finalText = await waitFor('a collection after the last round', 120_000, async () => {
    const { text } = await timedGet(kpUrl)
    return (unlabelled(text, 'kafkaplane_exporter_last_success_timestamp_seconds') ?? 0) > quietFrom + 0.5 ? text : undefined
  })
  const served: number[] = []
  let servedBytes = 0
  for (let i = 0; i < SCRAPES; i++) {
    const { ms, text } = await timedGet(kpUrl)
    served.push(ms)
    servedBytes = text.length
  }
  const kpRssEnd = rssMiB(kp.pid!)
  kpRss.push(kpRssEnd)
  const kpAnonEnd = rssMiB(kp.pid!, 'RssAnon')
  kpAnon.push(kpAnonEnd)
  const finalLines = parse(finalText)
  const kpSeries = value(finalLines, 'kafkaplane_exporter_series')!
  const lastCollection = value(finalLines, 'kafkaplane_exporter_last_collection_duration_seconds')!
  collections.push(lastCollection)
  row('kafkaplane exporter', 'served scrape p50 / max (ms)', `${quantile(served, 0.5).toFixed(1)} / ${Math.max(...served).toFixed(1)}`, '< 100', `${SCRAPES} scrapes, ${(servedBytes / 2 ** 20).toFixed(1)} MiB of text`)
  row('kafkaplane exporter', 'full collection last / max (s)', `${lastCollection.toFixed(2)} / ${Math.max(...collections).toFixed(2)}`, '< 2', `its own gauge, ${collections.length} collections seen`)
  row('kafkaplane exporter', 'resident memory end / max (MiB)', `${kpRssEnd.toFixed(0)} / ${Math.max(...kpRss).toFixed(0)}`, '< 200', 'VmRSS')
  row('kafkaplane exporter', 'resident memory peak (MiB)', rssMiB(kp.pid!, 'VmHWM').toFixed(0), '< 200', 'VmHWM: the most it ever held, between the samples too')
  row('kafkaplane exporter', 'private memory end / max (MiB)', `${kpAnonEnd.toFixed(0)} / ${Math.max(...kpAnon).toFixed(0)}`, '', 'RssAnon: VmRSS less mapped files')
  const mib = (name: string) => ((value(finalLines, name) ?? Number.NaN) / 2 ** 20).toFixed(0)
  row('kafkaplane exporter', 'collecting thread heap used / held / limit (MiB)', `${mib('kafkaplane_exporter_collector_heap_used_bytes')} / ${mib('kafkaplane_exporter_collector_heap_physical_bytes')} / ${mib('kafkaplane_exporter_collector_heap_limit_bytes')}`, '', 'after its last collection; serving thread heap used ' + mib('nodejs_heap_size_used_bytes'))
  row('kafkaplane exporter', 'series served', kpSeries, '', `series budget 1000000 (default 100000)`)

  // The exporter on its defaults, over its series budget: the per-topic series only.
  const kdServed: number[] = []
  let kdText = ''
  for (let i = 0; i < SCRAPES; i++) {
    const r = await timedGet(kdUrl)
    kdServed.push(r.ms)
    kdText = r.text
  }
  const kdRss = rssMiB(kd.pid!)
  const kdAnon = rssMiB(kd.pid!, 'RssAnon')
  row('kafkaplane exporter, default budget', 'served scrape p50 / max (ms)', `${quantile(kdServed, 0.5).toFixed(1)} / ${Math.max(...kdServed).toFixed(1)}`, '< 100', `${(kdText.length / 2 ** 20).toFixed(1)} MiB of text`)
  row('kafkaplane exporter, default budget', 'full collection last (s)', (unlabelled(kdText, 'kafkaplane_exporter_last_collection_duration_seconds') ?? Number.NaN).toFixed(2), '< 2', '')
  row('kafkaplane exporter, default budget', 'resident memory (MiB)', kdRss.toFixed(0), '< 200', `VmRSS; peak ${rssMiB(kd.pid!, 'VmHWM').toFixed(0)} (VmHWM), private ${kdAnon.toFixed(0)} (RssAnon)`)
  row('kafkaplane exporter, default budget', 'series served', unlabelled(kdText, 'kafkaplane_exporter_series') ?? '?', '', `of ${unlabelled(kdText, 'kafkaplane_exporter_series_wanted') ?? '?'} wanted (budget 100000 exceeded: ${unlabelled(kdText, 'kafkaplane_exporter_series_budget_exceeded')})`)

  // The bench's own record of what it wrote, against the high watermarks the exporter read.
  const offBy = finalLines.filter((l) => l.name === 'kafka_topic_partition_current_offset' && l.labels['topic']!.startsWith('bench-') && l.value !== truth.end(l.labels['topic']!, Number(l.labels['partition'])))
  if (offBy.length) notes.push(`${offBy.length} partitions hold other than the records the bench wrote, e.g. ${offBy.slice(0, 3).map((l) => `${l.labels['topic']}/${l.labels['partition']} ${l.value} (wrote ${truth.end(l.labels['topic']!, Number(l.labels['partition']))})`).join(', ')}`)

  // Lag seconds against the true age of the record at each committed offset. The exporter takes the age
  // at one instant of its collection (after the timestamps are read, before the series are built): the
  // true age lies between the age at the collection's start and at its end, and the error is how far
  // outside that window the exporter's value is (0 when it is inside). The gap to the age at the end is
  // shown beside it.
  const collectedAt = value(finalLines, 'kafkaplane_exporter_last_success_timestamp_seconds')!
  const startedAt = collectedAt - value(finalLines, 'kafkaplane_exporter_last_collection_duration_seconds')!
  const errors: number[] = []
  const gaps: number[] = []
  const unknown: string[] = []
  let worst = ''
  let worstError = -1
  // The per-group-partition samples by name and labels (a scan of the lines for each would be quadratic).
  const groupPartitionKey = (name: string, labels: Record<string, string>) => `${name}\u0000${labels['consumergroup']}\u0000${labels['topic']}\u0000${labels['partition']}`
  const byGroupPartition = new Map(finalLines.filter((l) => l.labels['consumergroup'] !== undefined && l.labels['partition'] !== undefined).map((l) => [groupPartitionKey(l.name, l.labels), l.value]))
  for (const l of finalLines) {
    if (l.name !== 'kafkaplane_consumergroup_lag_seconds') continue
    const { consumergroup, topic, partition } = l.labels as { consumergroup: string; topic: string; partition: string }
    const committed = byGroupPartition.get(groupPartitionKey('kafka_consumergroup_current_offset', l.labels))
    const lag = byGroupPartition.get(groupPartitionKey('kafka_consumergroup_lag', l.labels))
    if (committed === undefined || lag === undefined || committed < 0) continue
    const ts = truth.at(topic, Number(partition), committed)
    if (lag > 0 && ts === undefined) {
      unknown.push(`${consumergroup} ${topic}/${partition} at ${committed} (lag ${lag}): ${l.value} s, no record written there`)
      continue
    }
    const [ageStart, ageEnd] = lag <= 0 ? [0, 0] : [startedAt - ts! / 1000, collectedAt - ts! / 1000]
    const error = Math.max(0, ageStart - l.value, l.value - ageEnd)
    if (error > worstError) {
      worstError = error
      worst = `${consumergroup} ${topic}/${partition} at ${committed}: ${l.value.toFixed(3)} s, true ${ageStart.toFixed(3)}-${ageEnd.toFixed(3)} s`
    }
    errors.push(error)
    gaps.push(ageEnd - l.value)
  }
  row('kafkaplane exporter', 'lag seconds |error| p50 / max (s)', errors.length ? `${quantile(errors, 0.5).toFixed(3)} / ${Math.max(...errors).toFixed(3)}` : 'none', '< 1', `${errors.length} group partitions, against the true age during the collection; worst ${worst}`)
  row('kafkaplane exporter', 'lag seconds below the age at collection end p50 / max (s)', gaps.length ? `${quantile(gaps, 0.5).toFixed(3)} / ${Math.max(...gaps).toFixed(3)}` : 'none', '', 'when in the collection the age is taken')
  if (unknown.length) notes.push(`lag seconds not compared (${unknown.length}), e.g. ${unknown.slice(0, 3).join('; ')}`)

  // kafka_exporter: it reads Kafka on each scrape.
  if (ke) {
    const keUrl = `http://127.0.0.1:${kePort}/metrics`
    await waitFor('kafka_exporter to answer', 120_000, async () => ((await portOpen(kePort!)) ? true : undefined)).catch(() => {})
    const times: number[] = []
    let text = ''
    const keRss: number[] = []
    try {
      for (let i = 0; i < Math.min(SCRAPES, 5); i++) {
        const r = await timedGet(keUrl)
        times.push(r.ms)
        text = r.text
        keRss.push(rssMiB(ke.pid!))
      }
      const series = parse(text).length
      const groupsSeen = new Set(parse(text).filter((l) => l.name === 'kafka_consumergroup_lag').map((l) => l.labels['consumergroup'])).size
      row('kafka_exporter', 'scrape p50 / max (ms)', `${quantile(times, 0.5).toFixed(0)} / ${Math.max(...times).toFixed(0)}`, '', `${times.length} scrapes, --kafka.version=${kafkaVersion}`)
      row('kafka_exporter', 'resident memory end / max (MiB)', `${keRss.at(-1)!.toFixed(0)} / ${Math.max(...keRss).toFixed(0)}`, '', 'VmRSS')
      row('kafka_exporter', 'series served', series, '', `${groupsSeen} groups with kafka_consumergroup_lag`)
      row('ratio', 'kafka_exporter scrape / kafkaplane served scrape (p50)', `${(quantile(times, 0.5) / quantile(served, 0.5)).toFixed(0)}x`, '>= 5x', '')
    } catch (err) {
      row('kafka_exporter', 'scrape', 'failed', '', (err as Error).message.slice(0, 300))
    }
  } else {
    row('kafka_exporter', '-', 'not measured', '', kafkaExporterWhyNot)
  }

  // Burrow: how long until it listed every group, and its status of each against kafkaplane's.
  if (burrow) {
    await waitFor(`Burrow to list all ${GROUPS} groups`, 60_000, async () => (await checkBurrow(), burrowAllAfterS ?? (burrow.child.exitCode !== null ? -1 : undefined))).catch(() => {})
    const burrowRss = burrow.child.exitCode === null ? rssMiB(burrow.child.pid!) : Number.NaN
    const kpStatus = new Map(finalLines.filter((l) => l.name === 'kafkaplane_consumergroup_status' && l.value === 1).map((l) => [l.labels['consumergroup']!, l.labels['status']!]))
    const agree = new Map<string, { same: number; differ: number; examples: string[] }>()
    let answered = 0
    if (burrowSeen > 0) {
      await eachLimited(Array.from({ length: GROUPS }, (_, g) => g), 8, async (g) => {
        const body = (await (await fetch(`${burrowUrl}/${groupName(g)}/status`)).json().catch(() => ({}))) as { status?: { status?: string } }
        const status = body.status?.status
        if (!status) return
        answered++
        const mine = kpStatus.get(groupName(g)) ?? 'none'
        const entry = agree.get(kindOf(g)) ?? { same: 0, differ: 0, examples: [] }
        if (mine === status) entry.same++
        else {
          entry.differ++
          if (entry.examples.length < 2) entry.examples.push(`${groupName(g)}: Burrow ${status}, kafkaplane ${mine}`)
        }
        agree.set(kindOf(g), entry)
      })
    }
    row('Burrow 1.2.1', 'time until all groups listed (s)', burrowAllAfterS === undefined ? `never (${burrowSeen} of ${GROUPS} listed)` : burrowAllAfterS.toFixed(1), '', `from its start; kafka-version ${values['burrow-kafka-version']}`)
    row('Burrow 1.2.1', 'resident memory (MiB)', Number.isNaN(burrowRss) ? `exited (${burrow.child.exitCode ?? burrow.child.signalCode})` : burrowRss.toFixed(0), '', 'VmRSS')
    row('Burrow 1.2.1', 'group status agrees with kafkaplane', answered ? `${[...agree.values()].reduce((n, e) => n + e.same, 0)} of ${answered}` : 'no status', '', [...agree].map(([kind, e]) => `${kind} ${e.same}/${e.same + e.differ}${e.examples.length ? ` (${e.examples.join('; ')})` : ''}`).join(', '))
    if (burrowSeen === 0) {
      // Commits it could not read from __consumer_offsets, by the reason it logs (a record format newer than it knows).
      const undecoded = new Map<string, number>()
      try {
        for (const line of readFileSync(join(burrow.dir, 'burrow.log'), 'utf8').split('\n')) {
          const m = /"msg":"failed to decode".*"reason":"([^"]+)","version":(\d+)/.exec(line)
          if (m) undecoded.set(`${m[1]} ${m[2]}`, (undecoded.get(`${m[1]} ${m[2]}`) ?? 0) + 1)
        }
      } catch {}
      if (undecoded.size) notes.push(`Burrow could not decode ${[...undecoded].map(([why, n]) => `${n} records of __consumer_offsets (${why})`).join(', ')}`)
      const log = (() => {
        try {
          return readFileSync(join(burrow.dir, 'burrow.log'), 'utf8')
        } catch {
          return readFileSync(join(burrow.dir, 'burrow.out'), 'utf8')
        }
      })()
      notes.push(`Burrow listed no group; the last lines of its log:\n${log.trim().split('\n').slice(-15).join('\n')}`)
      // What the brokers said about Burrow's requests (an API version Kafka 4 no longer serves closes the connection).
      const said = [0, 1, 2].flatMap((id) => {
        try {
          return readFileSync(join(cluster.logDir(id), 'server.log'), 'utf8').split('\n').filter((l) => /burrow|unsupported|not enabled|InvalidRequest/i.test(l))
        } catch {
          return []
        }
      })
      notes.push(`the brokers' log lines about Burrow's requests (${said.length}):\n${[...new Set(said.map((l) => l.replace(/^\S+ \S+ /, '')))].slice(0, 10).join('\n')}`)
    }
  }
  await admin.close()
} catch (err) {
  failed = err
} finally {
  await stopAll()
  await cluster.stop()
}
console.log(`machine: ${cpus().length} cores (${cpus()[0]?.model}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}, load ${loadavg().map((l) => l.toFixed(1)).join(' ')}`)
console.log(`load: 3 brokers, ${TOPICS} topics x ${PARTITIONS} partitions at RF 1, ${RECORDS} records each; ${GROUPS} groups (${KINDS.join(', ')}); ${ROUNDS} rounds ${ROUND_MS / 1000} s apart`)
const widths = [0, 1, 2, 3].map((i) => Math.max(...results.map((r) => r[i]!.length), 6))
for (const r of [['who', 'what', 'figure', 'target', 'notes'], ...results]) console.log(r.map((c, i) => (i < 4 ? c.padEnd(widths[i]!) : c)).join('  '))
for (const n of notes) console.log(n)
if (failed || notes.length) console.log(`logs of every process: ${workDir}`)
else await rm(workDir, { recursive: true, force: true }).catch(() => {})
if (failed) throw failed
