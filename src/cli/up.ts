import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { layoutBrokers } from '../core/topology/layout.ts'
import type { Topology } from '../core/topology/topology.ts'
import { readTopologyFile } from '../formats/topology-file.ts'
import { createAdmin } from '../kafka/connection.ts'
import { describeLiveBrokers } from '../kafka/describe-live-brokers.ts'
import { DEFAULT_BASE_PORT, DEFAULT_HEAP, jvmOptionProblem, LocalCluster, type ClusterEvent } from '../local/local-cluster.ts'
import { ROLL_STATE_FILE } from '../local/cluster-state.ts'
import { cacheDir, defaultDataDir } from '../local/paths.ts'
import { badArgument, type Command, type CommandIO, helpOrNoArguments, integerOption, keyValueOptions, listOption, parseOptions } from './command.ts'
import { DASHBOARD_DEFAULTS, liveView } from './dashboard.ts'
import { type Served, startServed, timestampedLog } from './serve.ts'

const DEFAULT_CLUSTERS = ['k8s-1', 'k8s-2']
const DEFAULT_ZONES = ['a', 'b', 'c']

const options = {
  brokers: { type: 'string' },
  clusters: { type: 'string' },
  zones: { type: 'string' },
  topology: { type: 'string' },
  'data-dir': { type: 'string' },
  'base-port': { type: 'string' },
  config: { type: 'string', multiple: true },
  'rack-dimensions': { type: 'string' },
  heap: { type: 'string' },
  'jvm-option': { type: 'string', multiple: true },
  security: { type: 'boolean' },
  'dedicated-controllers': { type: 'boolean' },
  detach: { type: 'boolean', short: 'd' },
  'timeout-seconds': { type: 'string' },
  dashboard: { type: 'boolean' },
  'dashboard-port': { type: 'string' },
} as const

export const up: Command = {
  name: 'up',
  help: `Usage: kafkaplane up [options]

Starts a real Kafka cluster (KRaft) of broker processes on 127.0.0.1: the first three nodes are
combined controller+broker nodes, the rest broker-only (or, with --dedicated-controllers, three
controller-only nodes beside the brokers). With no options: 6 brokers over 2 Kubernetes
clusters (k8s-1, k8s-2) x 3 zones (a, b, c), each broker labelled with its failure domains and
broker.rack = its zone. Runs until Ctrl-C (or SIGTERM), then stops every broker cleanly.

Layout (either flags or a topology file):
  --brokers N           number of brokers (default: clusters x zones)
  --clusters A,B        Kubernetes clusters to spread brokers over (default: k8s-1,k8s-2 when
                        neither --clusters nor --zones is given)
  --zones A,B,C         availability zones (default: a,b,c likewise)
  --topology FILE       a topology file instead: dimensions and each broker's labels (README)

Cluster:
  --data-dir DIR        keep the cluster's data in DIR between runs; 'up --data-dir DIR' again restarts
                        it as it was. Without it the cluster lives in ${defaultDataDir()}
                        and is deleted when it stops.
  --base-port P         broker i listens on P+i, controller i on P+100+i (default ${DEFAULT_BASE_PORT})
  --config KEY=VALUE    a broker property for every node (repeatable), e.g. --config log.retention.hours=1
  --rack-dimensions D,E the dimensions whose labels make broker.rack, joined by '-' (default: zone, so
                        that client.rack follower fetching works)
  --dedicated-controllers
                        run the KRaft controllers as three processes of their own (process.roles
                        controller, ids after the highest broker id, controller i on P+100+i), as
                        production clusters do: every broker is then broker-only, and a broker's
                        restart never disturbs the quorum; kept with the cluster's data dir
  --heap SIZE           JVM max heap per node (default ${DEFAULT_HEAP})
  --jvm-option=OPT      one more JVM option for every node, after kafkaplane's (repeatable; with =, as
                        the option starts with a dash), e.g. --jvm-option=-XX:TieredStopAtLevel=1 (C1
                        only: a start at about 0.6 of the CPU, for tests and small machines); kept with
                        the cluster's data dir, like --heap
  --security            also open secured client listeners: SSL with client certificates (mTLS) on
                        P+200+i and SASL_SSL (PLAIN, SCRAM-SHA-512, user kafkaplane) on P+300+i, with a
                        CA and certificates made by openssl in DIR/tls; the summary shows the flags
  --timeout-seconds S   how long to wait for every broker to be ready (default 120)
  -d, --detach          return once the cluster is ready and leave it running; stop it with
                        'kafkaplane down' (with the same --data-dir)

Live view (as 'kafkaplane dashboard' serves it), in the foreground only:
  --dashboard           also serve the cluster's live view on http://${DASHBOARD_DEFAULTS.host}:PORT/ (the URL
                        is printed), read every ${DASHBOARD_DEFAULTS.intervalSeconds} s; stopped with the cluster
  --dashboard-port N    its port (default ${DASHBOARD_DEFAULTS.port}; 0 for any free port); implies --dashboard

Environment: KAFKA_HOME uses that Kafka distribution instead of fetching jars from Maven Central;
JAVA_HOME chooses the JVM (17+); KAFKAPLANE_CACHE moves the download cache.
Exit codes: 0 stopped cleanly, 1 the cluster failed, 2 bad input (nothing was started).
`,
  async run(argv, io) {
    const { values, positionals } = parseOptions('up', argv, options)
    if (helpOrNoArguments(this, { values, positionals }, io)) return 0
    const layoutGiven = values.brokers !== undefined || values.clusters !== undefined || values.zones !== undefined
    if (values.topology !== undefined && layoutGiven) {
      throw badArgument('--topology cannot be combined with --brokers, --clusters or --zones', 'give either a topology file or the layout flags')
    }
    const topology = values.topology !== undefined ? await readTopologyFile(values.topology) : layoutFromFlags(values)
    const basePort = integerOption('--base-port', values['base-port'], 1024, 32767)
    const timeout = integerOption('--timeout-seconds', values['timeout-seconds'], 1, 3600)
    if (values.heap !== undefined && !/^[1-9][0-9]*[kKmMgG]$/.test(values.heap)) {
      throw badArgument(`--heap ${values.heap} is not a JVM heap size`, 'pass a size like 512m or 1g')
    }
    for (const option of values['jvm-option'] ?? []) {
      const problem = jvmOptionProblem(option)
      if (problem) throw badArgument(problem.message, problem.fix)
    }
    const dashboardPort = integerOption('--dashboard-port', values['dashboard-port'], 0, 65535)
    const dashboard = values.dashboard === true || dashboardPort !== undefined
    if (dashboard && values.detach) {
      throw badArgument('--dashboard serves the live view from this process, and --detach returns at once', 'leave out --detach, or run `kafkaplane dashboard --bootstrap-server ...` beside the detached cluster')
    }
    const persistent = values['data-dir'] !== undefined
    const dataDir = resolve(values['data-dir'] ?? defaultDataDir(io.env))
    const started = Date.now()

    const cluster = await LocalCluster.start({
      topology,
      dataDir,
      ephemeral: !persistent,
      reuse: persistent && values.topology === undefined && !layoutGiven && values['dedicated-controllers'] !== true,
      basePort,
      config: keyValueOptions('--config', values.config),
      rackDimensions: listOption('--rack-dimensions', values['rack-dimensions']),
      heap: values.heap,
      ...(values['jvm-option'] ? { jvmOptions: values['jvm-option'] } : {}),
      security: values.security,
      ...(values['dedicated-controllers'] ? { controllers: 'dedicated' as const } : {}),
      cacheDir: cacheDir(io.env),
      env: io.env,
      readyTimeoutMs: timeout === undefined ? undefined : timeout * 1000,
      onEvent: (event) => io.stderr.write(`${event.type === 'begin' ? 'kafkaplane: ' : '  '}${describeEvent(event)}\n`),
    })
    io.stdout.write(await summary(cluster, Date.now() - started))
    if (values.detach) {
      io.stdout.write(`Running in the background; stop it with: kafkaplane down${persistent ? ` --data-dir ${dataDir}` : ''}\n`)
      return 0
    }
    let live: Served | undefined
    if (dashboard) {
      try {
        live = await startLiveView(cluster, dashboardPort ?? DASHBOARD_DEFAULTS.port, io)
      } catch (err) {
        await cluster.stop()
        throw err
      }
    }
    return await runUntilSignal(cluster, io, live)
  },
}

/** The live view of the cluster (`kafkaplane dashboard`'s), started; its URL goes to stdout. */
async function startLiveView(cluster: LocalCluster, port: number, io: CommandIO): Promise<Served> {
  const host = DASHBOARD_DEFAULTS.host
  const { server } = await liveView({ connection: { bootstrapServers: cluster.bootstrapServers }, host, port, intervalSeconds: DASHBOARD_DEFAULTS.intervalSeconds, log: timestampedLog(io) })
  const listening = await startServed(server, { host, port, flag: '--dashboard-port' })
  io.stdout.write(`dashboard: http://${host}:${listening.port}/\n`)
  return server
}

function layoutFromFlags(values: { brokers?: string; clusters?: string; zones?: string }): Topology {
  let clusters = listOption('--clusters', values.clusters)
  let zones = listOption('--zones', values.zones)
  if (clusters === undefined && zones === undefined) {
    clusters = DEFAULT_CLUSTERS
    zones = DEFAULT_ZONES
  }
  const dimensions = [
    ...(clusters ? [{ name: 'cluster', values: clusters }] : []),
    ...(zones ? [{ name: 'zone', values: zones }] : []),
  ]
  const cells = dimensions.reduce((n, d) => n * d.values.length, 1)
  const brokers = integerOption('--brokers', values.brokers, 1, 99) ?? cells
  return layoutBrokers(brokers, dimensions)
}

export function describeEvent(event: ClusterEvent): string {
  switch (event.type) {
    case 'begin':
      return `${event.restart ? 'restarting the' : 'starting a'} local Kafka cluster of ${event.brokers} brokers in ${event.dataDir}${event.ephemeral ? ' (deleted when it stops)' : ''}`
    case 'fetch':
      return event.message
    case 'format':
      return `node ${event.nodeId}: formatting storage`
    case 'starting':
      return `node ${event.nodeId}: starting (pid ${event.pid})`
    case 'ready':
      return event.role === 'controller' ? `controller ${event.nodeId}: ready (caught up with the quorum)` : `broker ${event.nodeId}: ready (registered and unfenced)`
    case 'stopping':
      return `node ${event.nodeId}: stopping`
    case 'stopped':
      return `node ${event.nodeId}: stopped`
    case 'warning':
      return `warning: ${event.message}`
  }
}

async function summary(cluster: LocalCluster, elapsedMs: number): Promise<string> {
  const dimensions = cluster.spec.topology.dimensions
  const pids = cluster.pids()
  const rows = [
    ['node', 'roles', ...dimensions, 'rack', 'listener', 'pid'],
    ...cluster.spec.nodes.map((n) => [
      String(n.id),
      n.roles.join('+'),
      ...dimensions.map((d) => n.labels[d] ?? ''),
      n.rack ?? '',
      n.brokerPort === undefined ? `controller 127.0.0.1:${n.controllerPort}` : `127.0.0.1:${n.brokerPort}`,
      String(pids.get(n.id) ?? '-'),
    ]),
  ]
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)))
  const table = rows.map((r) => '  ' + r.map((cell, c) => cell.padEnd(widths[c]!)).join('  ').trimEnd()).join('\n')
  return [
    `Kafka ${cluster.kafkaVersion} cluster ${cluster.clusterId} is ready (${(elapsedMs / 1000).toFixed(1)} s)`,
    `bootstrap: ${cluster.bootstrapServers.join(',')}`,
    ...securityLines(cluster),
    '',
    table,
    '',
    `health: ${await healthLine(cluster)}`,
    '',
  ].join('\n')
}

function securityLines(cluster: LocalCluster): string[] {
  const s = cluster.clientSecurity
  if (!s) return []
  return [
    `mTLS:     --bootstrap-server ${s.sslBootstrapServers.join(',')} --tls-ca-file ${s.caFile} --tls-cert-file ${s.certFile} --tls-key-file ${s.keyFile}`,
    `SASL_SSL: --bootstrap-server ${s.saslSslBootstrapServers.join(',')} --tls-ca-file ${s.caFile} --sasl-mechanism SCRAM-SHA-512 --sasl-username ${s.saslUser} --sasl-password-file ${s.saslPasswordFile}`,
  ]
}

async function healthLine(cluster: LocalCluster): Promise<string> {
  const admin = createAdmin({ bootstrapServers: cluster.bootstrapServers })
  try {
    const live = await describeLiveBrokers(admin)
    const topics = await admin.listTopics({ includeInternals: true })
    const expected = cluster.brokerIds().length
    return `${live.length}/${expected} brokers registered and unfenced, ${cluster.spec.nodes.filter((n) => n.controllerPort !== undefined).length} controllers, ${topics.length} topics`
  } catch (err) {
    return `unknown (${(err as Error).message})`
  } finally {
    await admin.close().catch(() => {})
  }
}

/** Waits for Ctrl-C or SIGTERM, then stops the live view (when served) and every broker; a second Ctrl-C kills them at once. */
async function runUntilSignal(cluster: LocalCluster, io: CommandIO, live: Served | undefined): Promise<number> {
  const killOnExit = () => cluster.killAllNow()
  process.on('exit', killOnExit)
  io.stderr.write('Press Ctrl-C to stop the cluster.\n')
  // Watch the nodes while we wait (this also keeps the event loop alive): a broker or controller that
  // dies on its own is reported once, with where its log is.
  const reported = new Set<number>()
  // A broker restarted by `kafkaplane roll` runs in a JVM that roll started: adopted, not reported.
  const watchdog = setInterval(() => {
    cluster.adoptRecorded()
    const running = cluster.pids()
    const rolling = rollingNow(cluster.dataDir)
    for (const id of cluster.nodeIds()) {
      if (running.has(id) || rolling.includes(id)) reported.delete(id)
      else if (!reported.has(id)) {
        reported.add(id)
        io.stderr.write(`kafkaplane: warning: ${cluster.nodeName(id)} exited on its own; its log is in ${cluster.logDir(id)}\n`)
      }
    }
  }, 2000)
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'))
    process.once('SIGTERM', () => resolve('SIGTERM'))
  })
  clearInterval(watchdog)
  io.stderr.write(`\nkafkaplane: ${signal}, stopping the cluster (Ctrl-C again to kill it at once)\n`)
  const hard = () => {
    io.stderr.write('kafkaplane: killing every broker now\n')
    cluster.killAllNow()
    process.exit(130)
  }
  process.once('SIGINT', hard)
  process.once('SIGTERM', hard)
  await live?.stop()
  await cluster.stop()
  process.off('exit', killOnExit)
  io.stderr.write('kafkaplane: every broker stopped\n')
  return 0
}

/** The brokers a `kafkaplane roll` of this cluster is restarting now (its state file, DIR/roll.json). */
function rollingNow(dataDir: string): number[] {
  try {
    const roll = JSON.parse(readFileSync(join(dataDir, ROLL_STATE_FILE), 'utf8')) as { status?: string; current?: { ids?: number[] } }
    return roll.status === 'running' ? (roll.current?.ids ?? []) : []
  } catch {
    return []
  }
}
