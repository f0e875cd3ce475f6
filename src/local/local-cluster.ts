import { execFile } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { promisify } from 'node:util'
import { KafkaplaneError } from '../core/errors.ts'
import { HEAP_XX_OPTIONS, OWNED_SYSTEM_PROPERTIES } from '../core/jvm-options.ts'
import { topologyProblems, type Topology } from '../core/topology/topology.ts'
import { caughtUpSince } from '../core/health/quorum.ts'
import { createAdmin } from '../kafka/connection.ts'
import { describeControllerQuorum } from '../kafka/describe-controller-quorum.ts'
import { recordTopology } from '../kafka/record-topology.ts'
import { describeLiveBrokers } from '../kafka/describe-live-brokers.ts'
import type { BrokerOrchestrator } from '../ports/orchestrator.ts'
import { BrokerProcess } from './broker-process.ts'
import { LocalCertificateAuthority } from './certificates.ts'
import { bootstrapServers, brokers, controllers, planLocalCluster, renderNodeProperties, type ControllerMode, type LocalClusterSpec, type LocalNode, type LocalSecurity } from './cluster-spec.ts'
import {
  assertNodesBelongTo,
  isEmptyDir,
  nodeDir,
  readClusterState,
  STATE_FILE,
  writeClusterState,
  type ClusterState,
} from './cluster-state.ts'
import { assertPortsFree } from './free-ports.ts'
import { classDataArchive } from './class-data-archive.ts'
import { findJava, type Java } from './java.ts'
import { resolveKafkaDistribution, type KafkaDistribution } from './kafka-distribution.ts'
import { LOG4J2_YAML } from './log4j.ts'

const run = promisify(execFile)

/** What a starting or stopping cluster reports, for progress output. */
export type ClusterEvent =
  | { type: 'begin'; brokers: number; dataDir: string; restart: boolean; ephemeral: boolean }
  | { type: 'fetch'; message: string }
  | { type: 'format'; nodeId: number }
  | { type: 'starting'; nodeId: number; pid: number }
  /** A broker registered and unfenced; a controller-only node caught up with the quorum. */
  | { type: 'ready'; nodeId: number; role: 'broker' | 'controller' }
  | { type: 'stopping'; nodeId: number }
  | { type: 'stopped'; nodeId: number }
  | { type: 'warning'; message: string }

export interface LocalClusterOptions {
  /** Brokers and their failure domains. Ignored when `dataDir` holds a cluster and `reuse` is set. */
  topology: Topology
  /** Where the cluster lives. Kept between runs unless `ephemeral`. */
  dataDir: string
  /** Delete the data dir when the cluster stops (and wipe a stopped ephemeral cluster found there). */
  ephemeral?: boolean
  /** When `dataDir` already holds a stopped cluster: restart it as it was (true) or insist that it
   *  matches `topology` and `basePort` (false, the default). */
  reuse?: boolean
  basePort?: number
  /** Extra broker properties for every node. */
  config?: Record<string, string>
  /** Dimensions whose labels make broker.rack (default: the zone, so client.rack follower fetching works). */
  rackDimensions?: string[]
  /** JVM max heap per node, as java's -Xmx takes it. */
  heap?: string
  /**
   * More JVM options for every node, after kafkaplane's own, so they win (`jvmOptionProblem` says which
   * are refused). Kept with the cluster, like `heap`: a restart runs it as it was.
   */
  jvmOptions?: readonly string[]
  /**
   * Where the KRaft controllers run: on the first three brokers (`combined`, the default) or in three
   * controller-only processes with the ids after the highest broker id (`dedicated`). Kept with the
   * cluster: a restart runs it as it was.
   */
  controllers?: ControllerMode
  /**
   * Also open secured client listeners: SSL (client certificate required) on basePort+200+i and
   * SASL_SSL (PLAIN, SCRAM-SHA-512; user `kafkaplane`) on basePort+300+i, with a CA and certificates
   * made in <dataDir>/tls. See `LocalCluster.clientSecurity`.
   */
  security?: boolean
  /** kafkaplane's download cache (Kafka jars). */
  cacheDir: string
  env?: NodeJS.ProcessEnv
  onEvent?: (event: ClusterEvent) => void
  /** How long to wait for every broker to be registered and unfenced. */
  readyTimeoutMs?: number
}

export const DEFAULT_BASE_PORT = 9092
export const DEFAULT_HEAP = '512m'
const STOP_GRACE_MS = 60_000

/**
 * Why a JVM option cannot be given to a local cluster's nodes (`jvmOptions`, `up --jvm-option`), with
 * the fix; undefined when it can. Refused: anything but one -X or -D word, the heap (--heap sets it),
 * and what kafkaplane sets for each node (its log config and log dir, the class data archive).
 */
export function jvmOptionProblem(option: string): { message: string; fix: string } | undefined {
  if (!/^-[XD]\S+$/.test(option)) return { message: `--jvm-option ${JSON.stringify(option)} is not one JVM option`, fix: 'give one -X or -D option per flag, without spaces, e.g. --jvm-option=-XX:TieredStopAtLevel=1' }
  const name = /^-XX:[+-]?([A-Za-z0-9]+)/.exec(option)?.[1]
  if (/^-X(mx|ms)/.test(option) || (HEAP_XX_OPTIONS as readonly string[]).includes(name ?? '')) return { message: `--jvm-option ${option} sizes the heap`, fix: 'use --heap SIZE (e.g. --heap 1g)' }
  if (name === 'SharedArchiveFile' || OWNED_SYSTEM_PROPERTIES.some((p) => option.startsWith(`-D${p}=`))) {
    return { message: `--jvm-option ${option} sets what kafkaplane sets for each node (its log config, log dir and class data archive)`, fix: 'leave it out' }
  }
  return undefined
}

/**
 * A real KRaft cluster of Kafka processes on 127.0.0.1, the embedded default runtime.
 *
 * Starting (`LocalCluster.start`):
 *   1. validate the topology and lay it out as nodes (three combined controller+broker nodes first);
 *   2. find java >= 17, the Kafka jars (fetching them from Maven Central once) and their class data
 *      sharing archive (made once, class-data-archive.ts), which every node's JVM maps;
 *   3. check the data dir: a running cluster there, storage of another cluster id, or a non-empty
 *      foreign dir is refused; a stopped ephemeral cluster is wiped;
 *   4. check every port is free; format the storage of unformatted nodes; write the state file;
 *   5. start every node and wait until each broker is registered and unfenced. If any node exits or
 *      the wait times out, every started node is stopped and the error shows the failing node's log.
 */
export class LocalCluster implements BrokerOrchestrator {
  readonly dataDir: string
  #spec: LocalClusterSpec
  readonly clusterId: string
  readonly #state: ClusterState
  /** The JVM nodes run on (undefined: this handle only stops the cluster). */
  readonly #java: Java | undefined
  /** The class data sharing archive of the current distribution's broker classes, when there is one. */
  #archive: string | undefined
  /** The jars nodes start from: the cluster's Kafka version (`setKafkaVersion` changes it). */
  #distribution: KafkaDistribution | undefined
  /** Where other Kafka versions' jars are fetched to (undefined: this handle only stops the cluster). */
  readonly #cacheDir: string | undefined
  readonly #processes = new Map<number, BrokerProcess>()
  /** Node id -> hash of the server.properties this process started its JVM with. */
  readonly #startedWith = new Map<string, string>()
  /** Node id -> the Kafka version this process started its JVM with. */
  readonly #startedVersion = new Map<string, string>()
  /** With security: node id -> hash of the broker key store this process started its JVM with. */
  readonly #startedCertificates = new Map<string, string>()
  readonly #onEvent: (event: ClusterEvent) => void
  readonly #env: NodeJS.ProcessEnv
  readonly #readyTimeoutMs: number

  private constructor(args: {
    dataDir: string
    state: ClusterState
    java: Java | undefined
    distribution: KafkaDistribution | undefined
    archive: string | undefined
    cacheDir: string | undefined
    onEvent: ((event: ClusterEvent) => void) | undefined
    env: NodeJS.ProcessEnv
    readyTimeoutMs: number | undefined
  }) {
    this.dataDir = args.dataDir
    this.#state = args.state
    this.clusterId = args.state.clusterId
    this.#spec = specOf(args.dataDir, args.state)
    this.#java = args.java
    this.#archive = args.archive
    this.#distribution = args.distribution
    this.#cacheDir = args.cacheDir
    this.#onEvent = args.onEvent ?? (() => {})
    this.#env = args.env
    this.#readyTimeoutMs = args.readyTimeoutMs ?? 120_000
  }

  static async start(options: LocalClusterOptions): Promise<LocalCluster> {
    const env = options.env ?? process.env
    const dataDir = resolve(options.dataDir)
    const onEvent = options.onEvent ?? (() => {})
    const problems = topologyProblems(options.topology)
    if (problems.length > 0) {
      throw new KafkaplaneError('BAD_TOPOLOGY', `the topology is not valid: ${problems.join('; ')}`, {
        fix: 'correct the topology (see the topology file format in the README)',
      })
    }
    const requested = planLocalCluster(options.topology, options.basePort ?? DEFAULT_BASE_PORT, options.config ?? {}, options.rackDimensions, undefined, options.controllers)

    let state = await readClusterState(dataDir)
    if (state) {
      const running = Object.entries(state.pids).filter(([id, pid]) =>
        BrokerProcess.adopt(pid, join(nodeDir(dataDir, Number(id)), 'server.properties')),
      )
      if (running.length > 0) {
        throw new KafkaplaneError('CLUSTER_RUNNING', `a cluster is already running from ${dataDir} (nodes ${running.map(([id]) => id).join(', ')})`, {
          fix: `stop it first with \`kafkaplane down --data-dir ${dataDir}\`, or use another --data-dir`,
        })
      }
      if (state.ephemeral && options.ephemeral) {
        await rm(dataDir, { recursive: true, force: true })
        state = undefined
      } else if (!options.reuse && !sameLayout(state, requested)) {
        throw new KafkaplaneError(
          'DATA_DIR_CONFLICT',
          `${dataDir} holds a cluster of ${state.topology.brokers.length} brokers on base port ${state.basePort}${state.controllerMode === 'dedicated' ? ' with dedicated controllers' : ''} that differs from the one asked for`,
          { fix: `drop the layout flags to restart it as it was, or use another --data-dir` },
        )
      }
    } else if (!(await isEmptyDir(dataDir))) {
      throw new KafkaplaneError('DATA_DIR_CONFLICT', `${dataDir} is not empty and holds no kafkaplane cluster (no cluster.json)`, {
        fix: 'choose a new or empty --data-dir',
      })
    }

    onEvent({
      type: 'begin',
      brokers: (state?.topology ?? requested.topology).brokers.length,
      dataDir,
      restart: state !== undefined,
      ephemeral: options.ephemeral ?? false,
    })
    const java = await findJava(env)
    // A cluster that was rolled onto another Kafka version (`kafkaplane roll --kafka-version`) restarts on it.
    const distribution = await resolveKafkaDistribution({
      cacheDir: options.cacheDir,
      env,
      ...(state ? { version: state.kafkaVersion } : {}),
      onFetch: (message) => onEvent({ type: 'fetch', message }),
    })
    state ??= {
      format: 1,
      clusterId: newClusterId(),
      kafkaVersion: distribution.version,
      ephemeral: options.ephemeral ?? false,
      topology: requested.topology,
      basePort: requested.basePort,
      config: { ...requested.config },
      rackDimensions: [...requested.rackDimensions],
      heap: options.heap ?? DEFAULT_HEAP,
      ...(options.jvmOptions !== undefined && options.jvmOptions.length > 0 ? { jvmOptions: [...options.jvmOptions] } : {}),
      ...(requested.controllerMode === 'dedicated' ? { controllerMode: 'dedicated' as const } : {}),
      ...(options.security ? { security: { saslUsers: { [SASL_USER]: randomBytes(12).toString('base64url') } } } : {}),
      pids: {},
    }
    state = { ...state, kafkaVersion: distribution.version, pids: {} }
    const archive = await archiveFor(options.cacheDir, java, distribution, env, onEvent)
    const cluster = new LocalCluster({
      dataDir,
      state,
      java,
      distribution,
      archive,
      cacheDir: options.cacheDir,
      onEvent,
      env,
      readyTimeoutMs: options.readyTimeoutMs,
    })
    await assertNodesBelongTo(dataDir, state.clusterId, cluster.spec.nodes.map((n) => n.id))
    await assertPortsFree(
      cluster.spec.nodes.flatMap((n) => [
        ...(n.brokerPort === undefined ? [] : [{ port: n.brokerPort, owner: `node ${n.id} broker listener` }]),
        ...(n.controllerPort === undefined ? [] : [{ port: n.controllerPort, owner: `node ${n.id} controller listener` }]),
        ...(n.sslPort === undefined ? [] : [{ port: n.sslPort, owner: `node ${n.id} SSL listener` }]),
        ...(n.saslSslPort === undefined ? [] : [{ port: n.saslSslPort, owner: `node ${n.id} SASL_SSL listener` }]),
      ]),
    )
    if (brokerCountWarning(cluster.spec)) onEvent({ type: 'warning', message: brokerCountWarning(cluster.spec)! })
    await cluster.#prepareStorage()
    await cluster.#startNodes(cluster.spec.nodes)
    await cluster.#recordTopology()
    return cluster
  }

  /**
   * Records every broker's failure domains in the cluster itself (core/topology/recorded-topology.ts),
   * so that every verb finds them from the bootstrap address alone; a restart rewrites them, removing
   * the records of brokers no longer in the topology.
   */
  async #recordTopology(): Promise<void> {
    const admin = createAdmin({ bootstrapServers: this.bootstrapServers })
    try {
      await recordTopology(admin, this.bootstrapServers, this.#state.topology)
    } finally {
      await admin.close().catch(() => {})
    }
  }

  /**
   * Finds the cluster running from `dataDir` (started by another process) so it can be stopped; with
   * `runtime`, also started again (Java and the Kafka jars found as `start` finds them): what a roll needs.
   */
  static async attach(dataDir: string, onEvent?: (event: ClusterEvent) => void, runtime?: { cacheDir: string; env?: NodeJS.ProcessEnv }): Promise<LocalCluster> {
    const dir = resolve(dataDir)
    const state = await readClusterState(dir)
    if (!state) {
      throw new KafkaplaneError('CLUSTER_NOT_FOUND', `no kafkaplane cluster in ${dir} (no cluster.json)`, {
        fix: 'pass the --data-dir the cluster was started with',
      })
    }
    const env = runtime?.env ?? process.env
    const java = runtime ? await findJava(env) : undefined
    const distribution = runtime ? await resolveKafkaDistribution({ cacheDir: runtime.cacheDir, env, version: state.kafkaVersion, onFetch: (message) => onEvent?.({ type: 'fetch', message }) }) : undefined
    const archive = runtime && java && distribution ? await archiveFor(runtime.cacheDir, java, distribution, env, onEvent) : undefined
    const cluster = new LocalCluster({ dataDir: dir, state, java, distribution, archive, cacheDir: runtime?.cacheDir, onEvent, env, readyTimeoutMs: undefined })
    for (const [id, pid] of Object.entries(state.pids)) {
      const adopted = BrokerProcess.adopt(pid, cluster.#propertiesFile(Number(id)))
      if (adopted) cluster.#processes.set(Number(id), adopted)
    }
    return cluster
  }

  /** The Kafka version the cluster runs, or is being rolled onto (`setKafkaVersion`). */
  get kafkaVersion(): string {
    return this.#state.kafkaVersion
  }

  /** The Kafka jars nodes of `version` start from (fetched once from Maven Central), and the java that runs them. */
  async distributionOf(version: string): Promise<{ distribution: KafkaDistribution; java: string }> {
    if (this.#cacheDir === undefined || this.#java === undefined) throw new Error('a cluster attached without a runtime cannot fetch Kafka jars')
    const distribution = await resolveKafkaDistribution({ cacheDir: this.#cacheDir, env: this.#env, version, onFetch: (message) => this.#onEvent({ type: 'fetch', message }) })
    return { distribution, java: this.#java.command }
  }

  /** Nodes started from now on run `distribution`'s jars, with its class data archive (made once if need be). */
  async #use(distribution: KafkaDistribution): Promise<void> {
    this.#distribution = distribution
    this.#archive = await archiveFor(this.#cacheDir!, this.#java!, distribution, this.#env, this.#onEvent)
  }

  /**
   * Makes `version` the cluster's Kafka version: nodes started from now on run its jars, and
   * `versionDrift` names the ones still running another. Nothing restarts here: that is `kafkaplane roll`'s.
   */
  async setKafkaVersion(version: string): Promise<void> {
    const { distribution } = await this.distributionOf(version)
    await this.#use(distribution)
    this.#state.kafkaVersion = distribution.version
    await writeClusterState(this.dataDir, this.#state)
  }

  /** Whether node `id`'s JVM runs another Kafka version than the cluster's (undefined when not known or the same). */
  versionDrift(id: number): { running: string; wanted: string } | undefined {
    const running = this.#state.runningVersion?.[String(id)]
    return running === undefined || running === this.#state.kafkaVersion ? undefined : { running, wanted: this.#state.kafkaVersion }
  }

  /** The cluster's layout and broker config (its config changes with `reconfigure`). */
  get spec(): LocalClusterSpec {
    return this.#spec
  }

  get bootstrapServers(): string[] {
    return bootstrapServers(this.spec)
  }

  /**
   * How a client reaches the secured listeners (undefined without `security`): the SSL listeners take
   * the client certificate, the SASL_SSL ones the user and password; both trust `caFile`.
   */
  get clientSecurity(): LocalClientSecurity | undefined {
    const security = this.spec.security
    if (!security) return undefined
    const [user, password] = Object.entries(security.saslUsers)[0]!
    return {
      caFile: join(security.tlsDir, 'ca.crt'),
      certFile: join(security.tlsDir, 'client.crt'),
      keyFile: join(security.tlsDir, 'client.key'),
      sslBootstrapServers: brokers(this.spec).map((n) => `127.0.0.1:${n.sslPort}`),
      saslSslBootstrapServers: brokers(this.spec).map((n) => `127.0.0.1:${n.saslSslPort}`),
      saslUser: user,
      saslPassword: password,
      saslPasswordFile: join(security.tlsDir, 'sasl-password'),
    }
  }

  get ephemeral(): boolean {
    return this.#state.ephemeral
  }

  /** Pids of the JVMs running now, by node id. */
  pids(): Map<number, number> {
    return new Map([...this.#processes].filter(([, p]) => p.running).map(([id, p]) => [id, p.pid]))
  }

  /** The brokers (combined nodes included); with dedicated controllers, not the controllers. */
  brokerIds(): number[] {
    return brokers(this.spec).map((n) => n.id)
  }

  /** Every node: the brokers, and the controllers when they are dedicated. */
  nodeIds(): number[] {
    return this.spec.nodes.map((n) => n.id)
  }

  brokerLabels(id: number): Readonly<Record<string, string>> {
    return this.#node(id).labels
  }

  node(id: number): LocalNode {
    return this.#node(id)
  }

  /** "broker 3", or "controller 7" for a dedicated controller: how messages name node `id`. */
  nodeName(id: number): string {
    return `${this.#node(id).brokerPort === undefined ? 'controller' : 'broker'} ${id}`
  }

  logDir(id: number): string {
    return join(nodeDir(this.dataDir, id), 'logs')
  }

  async stopBroker(id: number): Promise<void> {
    this.#node(id)
    this.adoptRecorded() // the JVM another process (`kafkaplane roll`) started, if it runs now
    await this.#stopNodes([id], 'SIGTERM')
  }

  async killBroker(id: number): Promise<void> {
    this.#node(id)
    this.adoptRecorded()
    await this.#stopNodes([id], 'SIGKILL')
  }

  async startBroker(id: number): Promise<void> {
    const node = this.#node(id)
    this.adoptRecorded()
    if (this.#processes.get(id)?.running) return
    await this.#startNodes([node])
  }

  async restartBroker(id: number): Promise<void> {
    await this.stopBroker(id)
    await this.startBroker(id)
  }

  /**
   * Stops every node gracefully: broker-only nodes first, then the controllers, so that brokers
   * shut down while the quorum still answers. Removes the data dir of an ephemeral cluster.
   */
  async stop(): Promise<void> {
    this.adoptRecorded()
    const brokerOnly = this.spec.nodes.filter((n) => n.controllerPort === undefined).map((n) => n.id)
    const combined = this.spec.nodes.filter((n) => n.controllerPort !== undefined).map((n) => n.id)
    await this.#stopNodes(brokerOnly, 'SIGTERM')
    await this.#stopNodes(combined, 'SIGTERM')
    if (this.#state.ephemeral) await rm(this.dataDir, { recursive: true, force: true })
  }

  /** Kills every JVM at once, synchronously: for process-exit handlers and failed tests. */
  killAllNow(): void {
    this.adoptRecorded()
    for (const process of this.#processes.values()) process.signal('SIGKILL')
  }

  /**
   * Adopts the JVMs that another process recorded in the state file for nodes whose process this handle
   * no longer runs (`kafkaplane roll` restarted them), so that the process that started the cluster (a
   * foreground `kafkaplane up`, a test) watches and stops the brokers that run now. Returns their ids.
   */
  adoptRecorded(): number[] {
    const pids = this.#readStateNow()?.pids ?? {}
    const adopted: number[] = []
    for (const [key, pid] of Object.entries(pids)) {
      const id = Number(key)
      if (this.#processes.get(id)?.running) continue
      const process = BrokerProcess.adopt(pid, this.#propertiesFile(id))
      if (process) {
        this.#processes.set(id, process)
        adopted.push(id)
      }
    }
    return adopted
  }

  /**
   * Sets broker properties for every node (`changes` over the cluster's config; an empty value removes
   * one): checked as `up --config` checks them, written to each node's server.properties and the state
   * file, and read by each broker at its next start; `configDrift` says which run another config now.
   * Nothing restarts here: that is `kafkaplane roll`'s. `dryRun`: only check.
   */
  async reconfigure(changes: Readonly<Record<string, string>>, options: { dryRun?: boolean } = {}): Promise<void> {
    const config = { ...this.#state.config }
    for (const [key, value] of Object.entries(changes)) {
      if (value === '') delete config[key]
      else config[key] = value
    }
    const spec = specOf(this.dataDir, this.#state, config)
    if (options.dryRun) return
    this.#spec = spec
    this.#state.config = config
    for (const node of spec.nodes) await writeFile(this.#propertiesFile(node.id), renderNodeProperties(spec, node, join(nodeDir(this.dataDir, node.id), 'data')))
    await writeClusterState(this.dataDir, this.#state)
  }

  /**
   * Whether node `id`'s JVM runs another config than its server.properties holds now (a `reconfigure`
   * since it started): the hashes of both, or undefined when it runs the current one (or it is not
   * known what it started with: a cluster started before kafkaplane recorded it).
   */
  configDrift(id: number): { running: string; wanted: string } | undefined {
    const running = this.#state.runningConfig?.[String(id)]
    if (running === undefined || !existsSync(this.#propertiesFile(id))) return undefined
    const wanted = contentHash(readFileSync(this.#propertiesFile(id), 'utf8'))
    return running === wanted ? undefined : { running, wanted }
  }

  /**
   * Issues every broker a new certificate and key from the cluster's CA (`<dataDir>/tls`, kept: clients
   * that trust it keep connecting), written to the broker key store that each broker reads at its next
   * start; `certificateDrift` says which still run the old one. Nothing restarts here: that is
   * `kafkaplane roll --renew-certificates`'. Refused for a cluster started without TLS.
   */
  async renewCertificates(): Promise<void> {
    const security = this.spec.security
    if (!security) {
      throw new KafkaplaneError('BAD_ARGUMENT', `the local cluster in ${this.dataDir} has no certificates: it was started without TLS`, {
        fix: 'start a cluster with secured listeners (`kafkaplane up --security`) to have certificates to renew',
      })
    }
    for (const file of ['broker.crt', 'broker.key', 'broker.pem']) await rm(join(security.tlsDir, file), { force: true })
    await this.#prepareCertificates(security)
  }

  /**
   * Whether node `id`'s JVM runs another broker certificate than its key store holds now (renewed since
   * it started): the hashes of both, or undefined when it runs the current one, the cluster has no TLS,
   * or it is not known what it started with.
   */
  certificateDrift(id: number): { running: string; wanted: string } | undefined {
    const running = this.#state.runningCertificates?.[String(id)]
    const keyStore = this.#brokerKeyStore()
    if (running === undefined || keyStore === undefined || !existsSync(keyStore)) return undefined
    const wanted = contentHash(readFileSync(keyStore, 'utf8'))
    return running === wanted ? undefined : { running, wanted }
  }

  /** The broker key store every broker's TLS listeners read (undefined without security). */
  #brokerKeyStore(): string | undefined {
    return this.spec.security ? join(this.spec.security.tlsDir, 'broker.pem') : undefined
  }

  /** The state file as it is now (another process may have written it), or undefined when there is none. */
  #readStateNow(): ClusterState | undefined {
    try {
      return JSON.parse(readFileSync(join(this.dataDir, STATE_FILE), 'utf8')) as ClusterState
    } catch {
      return undefined // no state file (yet, or any more)
    }
  }

  #node(id: number): LocalNode {
    const node = this.spec.nodes.find((n) => n.id === id)
    if (!node) {
      const dedicated = this.spec.nodes.filter((n) => n.brokerPort === undefined).map((n) => n.id)
      throw new KafkaplaneError('UNKNOWN_BROKER', `broker ${id} is not part of this cluster (brokers: ${this.brokerIds().join(', ')}${dedicated.length > 0 ? `; controllers: ${dedicated.join(', ')}` : ''})`, {
        fix: 'name one of the cluster\'s node ids',
      })
    }
    return node
  }

  #propertiesFile(id: number): string {
    return join(nodeDir(this.dataDir, id), 'server.properties')
  }

  async #prepareStorage(): Promise<void> {
    await mkdir(this.dataDir, { recursive: true })
    await writeFile(join(this.dataDir, 'log4j2.yaml'), LOG4J2_YAML)
    if (this.spec.security) await this.#prepareCertificates(this.spec.security)
    const unformatted: LocalNode[] = []
    for (const node of this.spec.nodes) {
      const dir = nodeDir(this.dataDir, node.id)
      await mkdir(join(dir, 'data'), { recursive: true })
      await mkdir(join(dir, 'logs'), { recursive: true })
      await writeFile(this.#propertiesFile(node.id), renderNodeProperties(this.spec, node, join(dir, 'data')))
      if (!existsSync(join(dir, 'data', 'meta.properties'))) unformatted.push(node)
    }
    await writeClusterState(this.dataDir, this.#state)
    // Each format is a short JVM run; two at a time keeps a 2-core machine busy without thrashing.
    const queue = [...unformatted]
    const worker = async () => {
      for (let node = queue.shift(); node; node = queue.shift()) {
        this.#onEvent({ type: 'format', nodeId: node.id })
        await this.#formatNode(node)
      }
    }
    await Promise.all([worker(), worker()])
  }

  /** The cluster's CA, one certificate for every broker, one client certificate, the SASL password file. */
  async #prepareCertificates(security: LocalSecurity): Promise<void> {
    const authority = await LocalCertificateAuthority.open(security.tlsDir, `kafkaplane local CA ${this.clusterId}`)
    const broker = await authority.issue({ name: 'broker', commonName: 'kafkaplane-broker', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'], usage: 'server-and-client' })
    await authority.keyStore(broker, 'broker')
    await authority.issue({ name: 'client', commonName: 'kafkaplane-admin', usage: 'client' })
    const [, password] = Object.entries(security.saslUsers)[0]!
    await writeFile(join(security.tlsDir, 'sasl-password'), `${password}\n`, { mode: 0o600 })
  }

  async #formatNode(node: LocalNode): Promise<void> {
    const scram = Object.entries(this.spec.security?.saslUsers ?? {}).flatMap(([name, password]) => ['--add-scram', `SCRAM-SHA-512=[name=${name},password=${password}]`])
    const args = [
      '-Xmx256m',
      '-XX:TieredStopAtLevel=1',
      ...this.#sharedArchiveArgs(),
      ...this.#log4jArgs(node.id),
      '-cp',
      this.#distribution!.classpath,
      'kafka.tools.StorageTool',
      'format',
      '-t',
      this.clusterId,
      '-c',
      this.#propertiesFile(node.id),
      ...scram,
    ]
    try {
      await run(this.#java!.command, args, { env: this.#env, timeout: 120_000 })
    } catch (err) {
      const e = err as { stdout?: string; stderr?: string; message: string }
      throw new KafkaplaneError('BROKER_START_FAILED', `formatting the storage of node ${node.id} failed`, {
        fix: `read the output below; if the jar cache is damaged run \`kafkaplane fetch --force\``,
        detail: `${e.stdout ?? ''}${e.stderr ?? e.message}`.trim().split('\n').slice(-15).join('\n'),
      })
    }
  }

  #sharedArchiveArgs(): string[] {
    return this.#archive === undefined ? [] : [`-XX:SharedArchiveFile=${this.#archive}`]
  }

  #log4jArgs(id: number): string[] {
    return [`-Dlog4j2.configurationFile=${join(this.dataDir, 'log4j2.yaml')}`, `-Dkafka.logs.dir=${this.logDir(id)}`]
  }

  #jvmArgs(node: LocalNode): string[] {
    return [
      '-Xms128m',
      `-Xmx${this.#state.heap}`,
      '-XX:+UseG1GC',
      '-XX:ParallelGCThreads=1',
      '-XX:ConcGCThreads=1',
      '-XX:CICompilerCount=2',
      '-XX:+ExitOnOutOfMemoryError',
      '-Djava.awt.headless=true',
      ...this.#sharedArchiveArgs(),
      ...(this.#state.jvmOptions ?? []),
      ...this.#log4jArgs(node.id),
      '-cp',
      this.#distribution!.classpath,
      'kafka.Kafka',
      this.#propertiesFile(node.id),
    ]
  }

  async #startNodes(nodes: readonly LocalNode[]): Promise<void> {
    if (!this.#distribution) throw new Error('an attached cluster cannot start brokers; start it with `kafkaplane up`')
    // Another process (`kafkaplane roll --kafka-version`) may have moved the cluster to another version.
    const wanted = this.#readStateNow()?.kafkaVersion ?? this.#state.kafkaVersion
    if (wanted !== this.#distribution.version && this.#cacheDir !== undefined) {
      await this.#use((await this.distributionOf(wanted)).distribution)
      this.#state.kafkaVersion = wanted
    }
    for (const node of nodes) {
      const process = BrokerProcess.spawn(this.#java!.command, this.#jvmArgs(node), {
        stdoutFile: join(this.logDir(node.id), 'stdout.log'),
        env: this.#env,
        cwd: nodeDir(this.dataDir, node.id),
      })
      this.#processes.set(node.id, process)
      this.#startedWith.set(String(node.id), contentHash(readFileSync(this.#propertiesFile(node.id), 'utf8')))
      this.#startedVersion.set(String(node.id), this.#distribution.version)
      const keyStore = this.#brokerKeyStore()
      if (keyStore !== undefined && existsSync(keyStore)) this.#startedCertificates.set(String(node.id), contentHash(readFileSync(keyStore, 'utf8')))
      this.#onEvent({ type: 'starting', nodeId: node.id, pid: process.pid })
    }
    await this.#savePids()
    try {
      await this.#waitReady(nodes.map((n) => n.id))
    } catch (err) {
      // A half-started cluster is torn down: whatever started in this call is stopped again.
      await Promise.all(nodes.map((n) => this.#processes.get(n.id)?.kill()))
      await this.#savePids()
      throw err
    }
  }

  /**
   * Polls until every id is up, failing fast if a node exits: a broker when it is registered and
   * unfenced; a controller-only node when the quorum leader (asked through the controller listeners)
   * counts it caught up since it was started. A node that is both is up as a broker.
   */
  async #waitReady(ids: readonly number[]): Promise<void> {
    const since = Date.now() // their processes were started just now: a controller is up once it caught up after this
    const deadline = since + this.#readyTimeoutMs
    const waiting = new Set(ids)
    const controllerOnly = new Set(ids.filter((id) => this.#node(id).brokerPort === undefined))
    while (waiting.size > 0) {
      for (const id of waiting) {
        const process = this.#processes.get(id)!
        if (!process.running) {
          throw new KafkaplaneError('BROKER_START_FAILED', `node ${id} exited while starting (log: ${this.logDir(id)})`, {
            fix: 'read the node\'s log below; a bad --config value or a damaged data dir are the usual causes',
            detail: await this.#logTail(id),
          })
        }
      }
      const live = await this.#liveBrokerIds()
      const caughtUp = [...waiting].some((id) => controllerOnly.has(id)) ? await this.#caughtUpControllers(since) : new Set<number>()
      for (const id of [...waiting]) {
        if (controllerOnly.has(id) ? caughtUp.has(id) : live.has(id)) {
          waiting.delete(id)
          this.#onEvent({ type: 'ready', nodeId: id, role: controllerOnly.has(id) ? 'controller' : 'broker' })
        }
      }
      if (waiting.size === 0) return
      if (Date.now() > deadline) {
        const first = [...waiting][0]!
        throw new KafkaplaneError(
          'CLUSTER_NOT_READY',
          `nodes ${[...waiting].join(', ')} did not ${[...waiting].every((id) => controllerOnly.has(id)) ? 'catch up with the controller quorum' : 'register'} within ${Math.round(this.#readyTimeoutMs / 1000)} s`,
          { fix: `read the logs under ${this.dataDir}; the machine may be short of memory or CPU`, detail: await this.#logTail(first) },
        )
      }
      await sleep(300)
    }
  }

  /**
   * The brokers every running node sees as registered and unfenced. Each node is asked on its own
   * listener: a broker's metadata cache follows the controller's by a moment, and a client may ask any
   * of them, so "ready" means all of them agree.
   */
  async #liveBrokerIds(): Promise<Set<number>> {
    const running = brokers(this.spec).filter((n) => this.#processes.get(n.id)?.running)
    if (running.length === 0) return new Set()
    const views = await Promise.all(
      running.map(async (node) => {
        const admin = createAdmin({ bootstrapServers: bootstrapServers({ nodes: [node] }), requestTimeoutMs: 3000, connectTimeoutMs: 1000 })
        try {
          return new Set((await describeLiveBrokers(admin)).map((b) => b.id))
        } catch {
          return new Set<number>() // not answering yet
        } finally {
          await admin.close().catch(() => {})
        }
      }),
    )
    return new Set([...views[0]!].filter((id) => views.every((v) => v.has(id))))
  }

  /**
   * The voters the quorum leader counts as caught up after `since` (core/health/quorum.ts), asked of
   * the running controllers themselves (KIP-919, kafka/describe-controller-quorum.ts): no broker need run.
   */
  async #caughtUpControllers(since: number): Promise<Set<number>> {
    const running = controllers(this.spec).filter((n) => this.#processes.get(n.id)?.running)
    if (running.length === 0) return new Set()
    const servers = running.map((n) => `127.0.0.1:${n.controllerPort}`)
    const admin = createAdmin({ bootstrapServers: servers, requestTimeoutMs: 3000, connectTimeoutMs: 1000 })
    try {
      const quorum = await describeControllerQuorum(admin, servers)
      return new Set(quorum.voters.filter((v) => caughtUpSince(quorum, v, since)).map((v) => v.id))
    } catch {
      return new Set() // no quorum leader yet, or no controller answering yet
    } finally {
      await admin.close().catch(() => {})
    }
  }


  async #logTail(id: number): Promise<string> {
    for (const file of ['stdout.log', 'server.log']) {
      const path = join(this.logDir(id), file)
      const text = existsSync(path) ? (await readFile(path, 'utf8')).trimEnd() : ''
      if (text) return `--- ${path} (last lines) ---\n${logExcerpt(text)}`
    }
    return `(node ${id} wrote no log to ${this.logDir(id)})`
  }

  async #stopNodes(ids: readonly number[], signal: 'SIGTERM' | 'SIGKILL'): Promise<void> {
    await Promise.all(
      ids.map(async (id) => {
        const process = this.#processes.get(id)
        if (!process?.running) return
        this.#onEvent({ type: 'stopping', nodeId: id })
        if (signal === 'SIGKILL') await process.kill()
        else await process.stop(STOP_GRACE_MS)
        this.#onEvent({ type: 'stopped', nodeId: id })
      }),
    )
    await this.#savePids()
  }

  async #savePids(): Promise<void> {
    if (!existsSync(this.dataDir)) return
    // Another process (`kafkaplane roll`) may have changed the config or the Kafka version and restarted
    // nodes since this one read the state: those and what its nodes started with are kept, this
    // process's pids and starts win.
    const disk = this.#readStateNow()
    if (disk && JSON.stringify(disk.config) !== JSON.stringify(this.#state.config)) {
      this.#state.config = disk.config
      this.#spec = specOf(this.dataDir, this.#state, disk.config)
    }
    // The version changes only through setKafkaVersion, which writes it at once: the file's is the newest.
    if (disk) this.#state.kafkaVersion = disk.kafkaVersion
    this.#state.runningConfig = { ...disk?.runningConfig, ...Object.fromEntries(this.#startedWith) }
    this.#state.runningVersion = { ...disk?.runningVersion, ...Object.fromEntries(this.#startedVersion) }
    if (this.#startedCertificates.size > 0 || disk?.runningCertificates) this.#state.runningCertificates = { ...disk?.runningCertificates, ...Object.fromEntries(this.#startedCertificates) }
    this.#state.pids = Object.fromEntries([...this.pids()].map(([id, pid]) => [String(id), pid]))
    await writeClusterState(this.dataDir, this.#state)
  }
}

/**
 * What a person needs from a failed broker's log: the last ERROR with the stack trace after it (where
 * Kafka puts the cause of a fatal exit), else the last lines.
 */
export function logExcerpt(text: string, lines = 25): string {
  const all = text.split('\n')
  const tail = all.slice(-400)
  let lastError = -1
  tail.forEach((line, i) => {
    if (/^\[[^\]]+\] (ERROR|FATAL) /.test(line)) lastError = i
  })
  return (lastError >= 0 ? tail.slice(lastError, lastError + lines) : all.slice(-lines)).join('\n')
}

const SASL_USER = 'kafkaplane'

export interface LocalClientSecurity {
  caFile: string
  certFile: string
  keyFile: string
  sslBootstrapServers: string[]
  saslSslBootstrapServers: string[]
  saslUser: string
  saslPassword: string
  saslPasswordFile: string
}

/** The class data archive nodes of `distribution` start from (class-data-archive.ts), its making and any failure said as events. */
function archiveFor(cacheDir: string, java: Java, distribution: KafkaDistribution, env: NodeJS.ProcessEnv, onEvent: ((event: ClusterEvent) => void) | undefined): Promise<string | undefined> {
  return classDataArchive({ cacheDir, java, distribution, env, onMaking: (message) => onEvent?.({ type: 'fetch', message }), onWarning: (message) => onEvent?.({ type: 'warning', message }) })
}

/** The layout of the cluster a state file describes (with `config` instead of its own, when given). */
function specOf(dataDir: string, state: ClusterState, config = state.config): LocalClusterSpec {
  const security = state.security ? { tlsDir: join(dataDir, 'tls'), saslUsers: state.security.saslUsers } : undefined
  return planLocalCluster(state.topology, state.basePort, config, state.rackDimensions, security, state.controllerMode)
}

function sameLayout(state: ClusterState, requested: LocalClusterSpec): boolean {
  return state.basePort === requested.basePort && JSON.stringify(state.topology) === JSON.stringify(requested.topology) && (state.controllerMode ?? 'combined') === requested.controllerMode
}

function brokerCountWarning(spec: LocalClusterSpec): string | undefined {
  const n = spec.nodes.length
  return n < 3 ? `a ${n}-broker cluster cannot keep replication factor 3: topics default to RF ${n}, min.insync.replicas ${Math.min(2, n)}` : undefined
}

/** A Kafka cluster id: 16 random bytes, base64url, never starting with '-' (Kafka's Uuid rule). */
export function newClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url')
    if (!id.startsWith('-')) return id
  }
}

/** A short hash of a node's server.properties: which config its JVM started with. */
function contentHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 12)
}
