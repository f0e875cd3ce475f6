import { withTimeout } from '../operations/with-timeout.ts'
import { readFileSync, statSync } from 'node:fs'
import { brokerReadiness, controllerReadiness, type Readiness } from '../core/health/readiness.ts'
import type { Admin } from '@platformatic/kafka'
import type { ClusterSnapshot } from '../core/health/snapshot.ts'
import type { KafkaConnectionOptions } from '../kafka/connection-options.ts'
import { badArgument, integerOption, listOption, parseOptions, type Command, type CommandIO } from './command.ts'
import { CONNECTION_HELP, CONNECTION_OPTIONS, connectionOptions } from './connection-options.ts'
import { ReadinessLog } from './readiness-log.ts'

export const DEFAULT_OVERRIDE_FILE = '/var/run/kafkaplane/ready-override'
/** An override file with no time in it expires this long after it was written. */
const DEFAULT_OVERRIDE_MS = 60 * 60 * 1000
/** How long `probe serve` trusts the min.insync.replicas it read for a topic. */
const MIN_INSYNC_TTL_MS = 30_000
/** The oldest cluster snapshot `probe serve` answers a readiness probe from (counted from its read's start). */
const DEFAULT_MAX_AGE_MS = 2000

const options = {
  ...CONNECTION_OPTIONS,
  'broker-id': { type: 'string' },
  'controller-id': { type: 'string' },
  'bootstrap-controller': { type: 'string' },
  since: { type: 'string' },
  'since-file': { type: 'string' },
  'override-file': { type: 'string' },
  'timeout-ms': { type: 'string' },
  port: { type: 'string' },
  'max-age-ms': { type: 'string' },
  via: { type: 'string' },
} as const

export const probe: Command = {
  name: 'probe',
  help: `Usage: kafkaplane probe ready|live|serve --broker-id N [--bootstrap-server HOST:PORT] [options]

probe ready   exit 0 when broker N is registered and unfenced, in the ISR of every partition it hosts,
              caught up with the controller quorum (if a voter), and no partition of the cluster is
              offline or under min.insync.replicas; exit 1 otherwise, with one line saying why. A
              StatefulSet roll then waits until the restarted broker is back in sync.
probe live    exit 0 when the broker process answers a request on its own listener; never fails
              because of other brokers (a liveness failure restarts the pod: it must not cascade).
probe serve   an HTTP server for Kubernetes httpGet probes (--port, default 8088): GET /ready and
              GET /live answer 200 or 503 with the same one line. It keeps the Kafka client loaded and
              connected, and answers from a cluster snapshot read at most --max-age-ms before the probe
              (what a probe that ran that much earlier would say); it learns the kubelet's probe period
              and reads the next snapshot just ahead of the next probe, so a probe rarely waits for a
              read and the cluster is read no more often than on demand.

A dedicated controller (process.roles controller) has no broker listener: probe it with
--controller-id N --bootstrap-controller HOST:PORT (its own controller listener first, KIP-919):
probe ready   exit 0 when the quorum has a leader and controller N, one of its voters, leads it or
              caught up with it within 10 s (and after --since, when given: the leader keeps the old
              process's last catch-up for a while after a restart).
probe live    exit 0 when controller N answers DescribeCluster on its own listener.
probe serve   the same two answers over HTTP, as for a broker, from the quorum read at most
              --max-age-ms before; --since-file names the file its start script writes its start
              time to, read at every answer (a restarted controller is judged after its new start).

Options:
  --broker-id N             the broker probed; --bootstrap-server names its own listener
  --controller-id N         the dedicated controller probed
  --bootstrap-controller L  controller listeners, HOST:PORT[,...], its own first (default
                            $KAFKAPLANE_BOOTSTRAP_CONTROLLER)
  --since MS                when the controller's process started (ms since the epoch)
  --since-file PATH         probe serve --controller-id: a file holding that time, read at each answer
  --timeout-ms T            give up after T ms (default 5000)
  --port P                  probe serve: the port to listen on (default 8088)
  --max-age-ms A            probe serve: the oldest snapshot a readiness answer may come from
                            (default ${DEFAULT_MAX_AGE_MS}; 0 reads the cluster for every probe)
  --via URL                 ask a running 'probe serve' (e.g. the pod's sidecar, http://127.0.0.1:8088)
                            instead of the cluster: the answer costs an HTTP request, not loading the
                            Kafka client (default $KAFKAPLANE_PROBE_SERVER). When it does not answer,
                            the probe asks the cluster itself, and says so on stderr.
  --override-file PATH      readiness override file (default $KAFKAPLANE_READY_OVERRIDE_FILE, else
                            ${DEFAULT_OVERRIDE_FILE})

Readiness override, for a roll that is stuck on a broken cluster: while the override is in force,
'probe ready' exits 0 with a loud warning on stderr. Either
  - write an expiry time into the override file:  date -u -d '+30 min' +%FT%TZ > ${DEFAULT_OVERRIDE_FILE}
    (an empty file expires one hour after it was written), or
  - set KAFKAPLANE_READY_OVERRIDE_UNTIL to an ISO 8601 time in the broker container's environment.
An expired override is ignored (with a warning), so it cannot be forgotten.
${CONNECTION_HELP}
Exit codes: 0 ready/live, 1 not, 2 bad input.
`,
  async run(argv, io) {
    const { values, positionals } = parseOptions('probe', argv, options)
    if (values.help) {
      io.stdout.write(this.help)
      return 0
    }
    const [kind, ...extra] = positionals
    if ((kind !== 'ready' && kind !== 'live' && kind !== 'serve') || extra.length > 0) {
      throw badArgument(`kafkaplane probe needs "ready", "live" or "serve", got "${positionals.join(' ')}"`, 'run `kafkaplane probe ready --broker-id N` or `kafkaplane probe live --broker-id N`')
    }
    const id = integerOption('--broker-id', values['broker-id'], 0, 2 ** 31 - 1)
    const controllerId = integerOption('--controller-id', values['controller-id'], 0, 2 ** 31 - 1)
    if (id !== undefined && controllerId !== undefined) throw badArgument('--broker-id and --controller-id both name the node probed', 'pass --broker-id for a broker (or a combined node), --controller-id for a dedicated controller')
    if (values['since-file'] !== undefined && !(kind === 'serve' && controllerId !== undefined)) {
      throw badArgument('--since-file is read by probe serve --controller-id only', 'pass --since MS to probe ready, or use probe serve --controller-id N --since-file PATH')
    }
    const timeoutMs = integerOption('--timeout-ms', values['timeout-ms'], 100, 600_000) ?? 5000
    const overrideFile = values['override-file'] ?? io.env.KAFKAPLANE_READY_OVERRIDE_FILE ?? DEFAULT_OVERRIDE_FILE
    if (controllerId !== undefined) {
      const given = values['bootstrap-controller'] ?? io.env.KAFKAPLANE_BOOTSTRAP_CONTROLLER
      const bootstrapControllers = listOption('--bootstrap-controller', given) ?? []
      if (bootstrapControllers.length === 0) throw badArgument('--controller-id needs --bootstrap-controller HOST:PORT (the controller\'s own listener first)', 'pass the controller listener, e.g. --bootstrap-controller 127.0.0.1:9093, or set KAFKAPLANE_BOOTSTRAP_CONTROLLER')
      for (const server of bootstrapControllers) {
        if (!/^[^\s:]+:[0-9]{1,5}$/.test(server)) throw badArgument(`--bootstrap-controller "${server}" is not HOST:PORT`, 'pass e.g. --bootstrap-controller 127.0.0.1:9093')
      }
      const since = values.since === undefined ? undefined : Number(values.since)
      if (since !== undefined && !(Number.isInteger(since) && since > 0)) throw badArgument(`--since "${values.since}" is not a time in milliseconds since the epoch`, 'pass when the controller\'s process started, e.g. --since "$(date +%s%3N)" taken by its start script')
      const target = { id: controllerId, bootstrapControllers, timeoutMs, overrideFile }
      if (kind === 'serve') {
        if (since !== undefined) throw badArgument('probe serve takes --since-file, not --since (a controller it serves may restart)', 'pass --since-file PATH, the file the controller\'s start script writes its start time to')
        return serveController(io, { ...target, sinceFile: values['since-file'], port: portOption(values.port), maxAgeMs: maxAgeOption(values['max-age-ms']) })
      }
      const answer = await viaServer(io, values.via ?? io.env.KAFKAPLANE_PROBE_SERVER, kind, `controller-${controllerId}`, timeoutMs)
      if (answer !== undefined) return answer
      return controllerProbe(io, kind, { ...target, since })
    }
    if (id === undefined) throw badArgument('--broker-id N is required', 'pass the id of the broker this probe runs for (or --controller-id N for a dedicated controller)')
    const connection = connectionOptions(values, io.env)
    if (kind === 'serve') return serve(io, { id, connection, timeoutMs, overrideFile, port: portOption(values.port), maxAgeMs: maxAgeOption(values['max-age-ms']) })
    const answer = await viaServer(io, values.via ?? io.env.KAFKAPLANE_PROBE_SERVER, kind, String(id), timeoutMs)
    if (answer !== undefined) return answer
    if (kind === 'live') return live(io, id, connection, timeoutMs)
    const admin = await probeAdmin(connection, timeoutMs)
    try {
      const target = { id, connection, timeoutMs, overrideFile }
      const answer = await readyAnswer(target, () => readSnapshot(admin, target), io.env)
      if (answer.warning) io.stderr.write(`${answer.warning}\n`)
      io.stdout.write(`${answer.line}\n`)
      return answer.ready ? 0 : 1
    } finally {
      await admin.close().catch(() => {})
    }
  },
}

/** The override in force, if any: the env var first, then the file. */
export function readOverride(file: string, env: NodeJS.ProcessEnv, now: number): { until?: number; source?: string; warning?: string } {
  const candidates: { until: number; source: string }[] = []
  const warnings: string[] = []
  if (env.KAFKAPLANE_READY_OVERRIDE_UNTIL) {
    const until = Date.parse(env.KAFKAPLANE_READY_OVERRIDE_UNTIL)
    if (Number.isNaN(until)) warnings.push(`warning: KAFKAPLANE_READY_OVERRIDE_UNTIL="${env.KAFKAPLANE_READY_OVERRIDE_UNTIL}" is not an ISO 8601 time; ignored`)
    else candidates.push({ until, source: 'KAFKAPLANE_READY_OVERRIDE_UNTIL' })
  }
  let stat
  try {
    stat = statSync(file)
  } catch {
    stat = undefined
  }
  if (stat) {
    const text = readFileSync(file, 'utf8').trim()
    const until = text === '' ? stat.mtimeMs + DEFAULT_OVERRIDE_MS : Date.parse(text)
    if (Number.isNaN(until)) warnings.push(`warning: override file ${file} holds "${text.slice(0, 40)}", not an ISO 8601 time; ignored`)
    else candidates.push({ until, source: `file ${file}` })
  }
  for (const c of candidates) {
    if (c.until > now) return { ...c, warning: warnings.join('\n') || undefined }
    warnings.push(`warning: the readiness override (${c.source}) expired at ${new Date(c.until).toISOString()}; remove it`)
  }
  return { warning: warnings.join('\n') || undefined }
}

interface ReadyTarget {
  id: number
  connection: KafkaConnectionOptions
  timeoutMs: number
  overrideFile: string
}

/** One cluster snapshot within the probe's timeout; `minInsyncCache` as kept by `probe serve`. */
async function readSnapshot(admin: Admin, target: ReadyTarget, minInsyncCache?: Map<string, number>): Promise<ClusterSnapshot> {
  const { describeClusterSnapshot } = await import('../kafka/describe-cluster-snapshot.ts')
  return withTimeout(target.timeoutMs, () => describeClusterSnapshot(admin, { bootstrapServers: target.connection.bootstrapServers, minInsyncCache }))
}

function portOption(value: string | undefined): number {
  return integerOption('--port', value, 1, 65535) ?? 8088
}

function maxAgeOption(value: string | undefined): number {
  return integerOption('--max-age-ms', value, 0, 60_000) ?? DEFAULT_MAX_AGE_MS
}

/**
 * The answer of the `probe serve` at `via` (written out, and the exit code), or undefined when there is
 * none to ask or it did not answer (said on stderr: the caller then asks the cluster itself).
 */
async function viaServer(io: CommandIO, via: string | undefined, kind: 'ready' | 'live', node: string, timeoutMs: number): Promise<number | undefined> {
  if (via === undefined) return undefined
  const answer = await askServer(via, kind, node, timeoutMs).catch((err: Error) => {
    io.stderr.write(`kafkaplane probe: ${via} did not answer (${err.message}); asking the cluster directly\n`)
    return undefined
  })
  if (!answer) return undefined
  io.stdout.write(`${answer.line}\n`)
  return answer.ok ? 0 : 1
}

/**
 * One answer of a `probe serve` process: its status code says ready (200) or not (503), its body is the
 * one line. The server names its node in a header (a broker's id, or `controller-N`), so a probe is never
 * answered for another node.
 */
async function askServer(base: string, kind: 'ready' | 'live', node: string, timeoutMs: number): Promise<{ ok: boolean; line: string }> {
  let url: URL
  try {
    url = new URL(`/${kind}`, base)
  } catch {
    throw badArgument(`--via "${base}" is not a URL`, 'pass the probe server as http://HOST:PORT')
  }
  // node:http rather than fetch: loading fetch (undici) would cost an exec probe more than the answer.
  const { get } = await import('node:http')
  const { status, broker, body } = await new Promise<{ status: number; broker: string | undefined; body: string }>((resolve, reject) => {
    const request = get(url, { timeout: timeoutMs }, (response) => {
      let text = ''
      response.setEncoding('utf8')
      response.on('data', (chunk: string) => (text += chunk))
      response.on('end', () => resolve({ status: response.statusCode ?? 0, broker: response.headers[BROKER_HEADER] as string | undefined, body: text }))
      response.on('error', reject)
    })
    request.on('timeout', () => request.destroy(new Error(`no answer within ${timeoutMs} ms`)))
    request.on('error', reject)
  })
  const line = body.trim()
  // A broker's header is its id (as before controllers had servers), a controller's `controller-N`.
  const named = (header: string | undefined) => (header === undefined ? '(unknown)' : /^\d+$/.test(header) ? `broker ${header}` : header.replace('-', ' '))
  if (broker !== node) throw new Error(`it serves ${named(broker)}, not ${named(node).replace(/^\D+/, '')}`)
  if (status !== 200 && status !== 503) throw new Error(`HTTP ${status}: ${line}`)
  return { ok: status === 200, line }
}

const BROKER_HEADER = 'x-kafkaplane-broker'
/** How old (ms) the snapshot behind a `probe serve` readiness answer was. */
const SNAPSHOT_AGE_HEADER = 'x-kafkaplane-snapshot-age-ms'

/** One readiness answer: the rules of the health model, then the override (which always wins, loudly). */
async function readyAnswer(target: ReadyTarget, snapshot: () => Promise<ClusterSnapshot>, env: NodeJS.ProcessEnv): Promise<{ ready: boolean; line: string; warning?: string }> {
  return overridden(
    { what: `broker ${target.id}`, overrideFile: target.overrideFile, through: target.connection.bootstrapServers, env },
    async () => brokerReadiness(await snapshot(), target.id),
  )
}

/** The readiness `evaluate` says (not ready, naming why, when the cluster cannot be read), unless an override is in force. */
async function overridden(
  target: { what: string; overrideFile: string; through: readonly string[]; env: NodeJS.ProcessEnv },
  evaluate: () => Promise<Readiness>,
): Promise<{ ready: boolean; line: string; warning?: string }> {
  const override = readOverride(target.overrideFile, target.env, Date.now())
  let reason: string
  let ready: boolean
  try {
    ;({ ready, reason } = await evaluate())
  } catch (err) {
    ready = false
    reason = `cannot read the cluster state through ${target.through.join(',')}: ${(err as Error).message}`
  }
  if (override.until !== undefined) {
    const loud = `WARNING: readiness of ${target.what} is OVERRIDDEN until ${new Date(override.until).toISOString()} (${override.source}); its real state: ${ready ? 'ready' : 'NOT ready'}: ${reason}`
    return { ready: true, line: `ready (overridden): ${reason}`, warning: [override.warning, loud].filter(Boolean).join('\n') }
  }
  return { ready, line: `${ready ? 'ready' : 'not ready'}: ${reason}`, warning: override.warning }
}

/**
 * The probes of a dedicated controller (process.roles controller): it has no broker listener, so it is
 * asked through the controller listeners (KIP-919, src/kafka/describe-controller-quorum.ts). `live`: its
 * own listener (the first of `bootstrapControllers`) answers DescribeCluster, which it answers itself.
 * `ready`: core/health/readiness.ts `controllerReadiness`, after `since` when given.
 */
async function controllerProbe(
  io: CommandIO,
  kind: 'ready' | 'live',
  target: { id: number; bootstrapControllers: string[]; since: number | undefined; timeoutMs: number; overrideFile: string },
): Promise<number> {
  const { describeControllerQuorum, describeControllers } = await import('../kafka/describe-controller-quorum.ts')
  const own = target.bootstrapControllers.slice(0, 1)
  const admin = await probeAdmin({ bootstrapServers: kind === 'live' ? own : target.bootstrapControllers }, target.timeoutMs)
  try {
    if (kind === 'live') {
      try {
        await withTimeout(target.timeoutMs, () => describeControllers(admin, own))
        io.stdout.write(`live: controller ${target.id} answers on ${own[0]}\n`)
        return 0
      } catch (err) {
        io.stdout.write(`not live: controller ${target.id} does not answer on ${own[0]}: ${(err as Error).message}\n`)
        return 1
      }
    }
    const answer = await overridden(
      { what: `controller ${target.id}`, overrideFile: target.overrideFile, through: target.bootstrapControllers, env: io.env },
      async () => controllerReadiness(await withTimeout(target.timeoutMs, () => describeControllerQuorum(admin, target.bootstrapControllers)), target.id, { since: target.since }),
    )
    if (answer.warning) io.stderr.write(`${answer.warning}\n`)
    io.stdout.write(`${answer.line}\n`)
    return answer.ready ? 0 : 1
  } finally {
    await admin.close().catch(() => {})
  }
}

async function serve(io: CommandIO, target: ReadyTarget & { port: number; maxAgeMs: number }): Promise<number> {
  const { SnapshotKeeper } = await import('./probe-snapshots.ts')
  let admin = await probeAdmin(target.connection, target.timeoutMs)
  // A client that failed may hold broken connections: start afresh for the next request.
  const renewClient = async () => {
    const broken = admin
    admin = await probeAdmin(target.connection, target.timeoutMs)
    void broken.close().catch(() => {})
  }
  // A topic's min.insync.replicas rarely changes: trust it for MIN_INSYNC_TTL_MS, then ask again.
  const minInsyncCache = new Map<string, number>()
  const forget = setInterval(() => minInsyncCache.clear(), MIN_INSYNC_TTL_MS).unref()
  const snapshots = new SnapshotKeeper(
    () =>
      readSnapshot(admin, target, minInsyncCache).catch(async (err: unknown) => {
        await renewClient().catch(() => {})
        throw err
      }),
    { maxAgeMs: target.maxAgeMs },
  )
  return serveProbes(io, {
    port: target.port,
    node: String(target.id),
    what: `broker ${target.id}`,
    ready: (aged) => readyAnswer(target, () => snapshots.get().then(aged), io.env),
    live: () =>
      withTimeout(target.timeoutMs, () => admin.metadata({ topics: [], forceUpdate: true })).then(
        () => [200, `live: broker ${target.id} answers`] as const,
        async (err: Error) => {
          await renewClient().catch(() => {})
          return [503, `not live: ${err.message}`] as const
        },
      ),
    close: async () => {
      snapshots.close()
      clearInterval(forget)
      await admin.close().catch(() => {})
    },
  })
}

/**
 * `probe serve` for a dedicated controller: the quorum, read through its controller listeners, kept as
 * a broker's server keeps snapshots; readiness after the start time `sinceFile` holds, read at every
 * answer (the controller's container restarts under a server that keeps running). No file: judged
 * without a start time, as `probe ready` without --since.
 */
async function serveController(
  io: CommandIO,
  target: { id: number; bootstrapControllers: string[]; sinceFile: string | undefined; timeoutMs: number; overrideFile: string; port: number; maxAgeMs: number },
): Promise<number> {
  const { SnapshotKeeper } = await import('./probe-snapshots.ts')
  const { describeControllerQuorum, describeControllers } = await import('../kafka/describe-controller-quorum.ts')
  const own = target.bootstrapControllers.slice(0, 1)
  const connect = () => Promise.all([probeAdmin({ bootstrapServers: target.bootstrapControllers }, target.timeoutMs), probeAdmin({ bootstrapServers: own }, target.timeoutMs)])
  let [admin, ownAdmin] = await connect()
  const renewClients = async () => {
    const broken = [admin, ownAdmin]
    ;[admin, ownAdmin] = await connect()
    for (const b of broken) void b.close().catch(() => {})
  }
  const quorums = new SnapshotKeeper(
    () =>
      withTimeout(target.timeoutMs, () => describeControllerQuorum(admin, target.bootstrapControllers)).catch(async (err: unknown) => {
        await renewClients().catch(() => {})
        throw err
      }),
    { maxAgeMs: target.maxAgeMs },
  )
  const since = () => {
    if (target.sinceFile === undefined) return undefined
    const at = Number(readFileSync(target.sinceFile, 'utf8').trim())
    if (!(Number.isInteger(at) && at > 0)) throw new Error(`${target.sinceFile} holds no start time (ms since the epoch)`)
    return at
  }
  return serveProbes(io, {
    port: target.port,
    node: `controller-${target.id}`,
    what: `controller ${target.id}`,
    ready: (aged) =>
      overridden({ what: `controller ${target.id}`, overrideFile: target.overrideFile, through: target.bootstrapControllers, env: io.env }, async () =>
        controllerReadiness(await quorums.get().then(aged), target.id, { since: since() }),
      ),
    live: () =>
      withTimeout(target.timeoutMs, () => describeControllers(ownAdmin, own)).then(
        () => [200, `live: controller ${target.id} answers on ${own[0]}`] as const,
        async (err: Error) => {
          await renewClients().catch(() => {})
          return [503, `not live: controller ${target.id} does not answer on ${own[0]}: ${err.message}`] as const
        },
      ),
    close: async () => {
      quorums.close()
      await Promise.all([admin.close().catch(() => {}), ownAdmin.close().catch(() => {})])
    },
  })
}

/**
 * The HTTP side of `probe serve`, for a broker or a dedicated controller: GET /ready and GET /live answer
 * 200 or 503 with one line, name the node in a header, and say how old the state behind a readiness
 * answer was; each change of the readiness answer goes to the log (`kubectl logs POD -c probe-server`:
 * why a node went unready, and when, outlives the probe's answer). Runs until SIGTERM or SIGINT.
 */
async function serveProbes(
  io: CommandIO,
  node: {
    port: number
    node: string
    what: string
    /** `aged` records the age of the kept state the answer is made from. */
    ready: (aged: <T>(kept: { value: T; ageMs: number }) => T) => Promise<{ ready: boolean; line: string; warning?: string }>
    live: () => Promise<readonly [number, string]>
    close: () => Promise<void>
  },
): Promise<number> {
  const { createServer } = await import('node:http')
  const transitions = new ReadinessLog()
  const server = createServer((request, response) => {
    const path = (request.url ?? '').split('?')[0]
    const headers: Record<string, string> = { 'content-type': 'text/plain', [BROKER_HEADER]: node.node }
    const reply = (code: number, line: string) => response.writeHead(code, headers).end(`${line}\n`)
    if (request.method !== 'GET' || (path !== '/ready' && path !== '/live')) return reply(404, 'use GET /ready or GET /live')
    const aged = <T>({ value, ageMs }: { value: T; ageMs: number }): T => {
      headers[SNAPSHOT_AGE_HEADER] = String(ageMs)
      return value
    }
    const work =
      path === '/ready'
        ? node.ready(aged).then((a) => {
            if (a.warning) io.stderr.write(`${a.warning}\n`)
            const change = transitions.record(a.ready, a.line)
            if (change) io.stderr.write(`${new Date().toISOString()} kafkaplane probe serve: ${node.what} ${change}\n`)
            return [a.ready ? 200 : 503, a.line] as const
          })
        : node.live()
    work.then(([code, line]) => reply(code, line)).catch((err: Error) => reply(500, `probe failed: ${err.message}`))
  })
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(node.port, () => resolve()))
  io.stderr.write(`kafkaplane probe serve: ${node.what}, GET /ready and /live on :${node.port}\n`)
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve)
    process.once('SIGINT', resolve)
  })
  server.close()
  await node.close()
  return 0
}

async function live(io: CommandIO, id: number, connection: KafkaConnectionOptions, timeoutMs: number): Promise<number> {
  // Only the broker's own listener is asked; nothing about other brokers can fail this probe.
  const self = connection.bootstrapServers.slice(0, 1)
  const admin = await probeAdmin({ ...connection, bootstrapServers: self }, timeoutMs)
  try {
    await withTimeout(timeoutMs, () => admin.metadata({ topics: [], forceUpdate: true }))
    io.stdout.write(`live: broker ${id} answers on ${self[0]}\n`)
    return 0
  } catch (err) {
    io.stdout.write(`not live: broker ${id} does not answer on ${self[0]}: ${(err as Error).message}\n`)
    return 1
  } finally {
    await admin.close().catch(() => {})
  }
}

/** A client whose every wait fits inside the probe's own timeout (the client is loaded only here). */
async function probeAdmin(connection: KafkaConnectionOptions, timeoutMs: number): Promise<Admin> {
  const { createAdmin } = await import('../kafka/connection.ts')
  return createAdmin({ ...connection, requestTimeoutMs: timeoutMs, connectTimeoutMs: Math.min(timeoutMs, 3000) })
}
