import { readFileSync, statSync } from 'node:fs'
import { brokerReadiness } from '../core/health/readiness.ts'
import { createAdmin } from '../kafka/connection.ts'
import { describeClusterSnapshot } from '../kafka/describe-cluster-snapshot.ts'
import { badArgument, bootstrapOption, integerOption, parseOptions, type Command, type CommandIO } from './command.ts'

export const DEFAULT_OVERRIDE_FILE = '/var/run/kafkaplane/ready-override'
/** An override file with no time in it expires this long after it was written. */
const DEFAULT_OVERRIDE_MS = 60 * 60 * 1000

const options = {
  'broker-id': { type: 'string' },
  'bootstrap-server': { type: 'string' },
  'override-file': { type: 'string' },
  'timeout-ms': { type: 'string' },
} as const

export const probe: Command = {
  name: 'probe',
  help: `Usage: kafkaplane probe ready|live --broker-id N [--bootstrap-server HOST:PORT] [options]

probe ready   exit 0 when broker N is registered and unfenced, in the ISR of every partition it hosts,
              caught up with the controller quorum (if a voter), and no partition of the cluster is
              offline or under min.insync.replicas; exit 1 otherwise, with one line saying why. A
              StatefulSet roll then waits until the restarted broker is back in sync.
probe live    exit 0 when the broker process answers a request on its own listener; never fails
              because of other brokers (a liveness failure restarts the pod: it must not cascade).

Options:
  --broker-id N             the broker probed
  --bootstrap-server H:P    its listener (default $KAFKAPLANE_BOOTSTRAP_SERVER, else 127.0.0.1:9092)
  --timeout-ms T            give up after T ms (default 5000)
  --override-file PATH      readiness override file (default $KAFKAPLANE_READY_OVERRIDE_FILE, else
                            ${DEFAULT_OVERRIDE_FILE})

Readiness override, for a roll that is stuck on a broken cluster: while the override is in force,
'probe ready' exits 0 with a loud warning on stderr. Either
  - write an expiry time into the override file:  date -u -d '+30 min' +%FT%TZ > ${DEFAULT_OVERRIDE_FILE}
    (an empty file expires one hour after it was written), or
  - set KAFKAPLANE_READY_OVERRIDE_UNTIL to an ISO 8601 time in the broker container's environment.
An expired override is ignored (with a warning), so it cannot be forgotten.
Exit codes: 0 ready/live, 1 not, 2 bad input.
`,
  async run(argv, io) {
    const { values, positionals } = parseOptions('probe', argv, options)
    if (values.help) {
      io.stdout.write(this.help)
      return 0
    }
    const [kind, ...extra] = positionals
    if ((kind !== 'ready' && kind !== 'live') || extra.length > 0) {
      throw badArgument(`kafkaplane probe needs "ready" or "live", got "${positionals.join(' ')}"`, 'run `kafkaplane probe ready --broker-id N` or `kafkaplane probe live --broker-id N`')
    }
    const id = integerOption('--broker-id', values['broker-id'], 0, 2 ** 31 - 1)
    if (id === undefined) throw badArgument('--broker-id N is required', 'pass the id of the broker this probe runs for')
    const bootstrapServers = bootstrapOption(values['bootstrap-server'], io.env)
    const timeoutMs = integerOption('--timeout-ms', values['timeout-ms'], 100, 600_000) ?? 5000
    if (kind === 'live') return live(io, id, bootstrapServers, timeoutMs)
    const override = readOverride(values['override-file'] ?? io.env.KAFKAPLANE_READY_OVERRIDE_FILE ?? DEFAULT_OVERRIDE_FILE, io.env, Date.now())
    if (override.warning) io.stderr.write(`${override.warning}\n`)
    let reason: string
    let ready: boolean
    try {
      ;({ ready, reason } = await withTimeout(timeoutMs, async () => {
        const admin = createAdmin({ bootstrapServers, requestTimeoutMs: timeoutMs, connectTimeoutMs: Math.min(timeoutMs, 3000) })
        try {
          return brokerReadiness(await describeClusterSnapshot(admin, { bootstrapServers }), id)
        } finally {
          await admin.close().catch(() => {})
        }
      }))
    } catch (err) {
      ready = false
      reason = `cannot read the cluster state through ${bootstrapServers.join(',')}: ${(err as Error).message}`
    }
    if (override.until !== undefined) {
      io.stderr.write(`WARNING: readiness of broker ${id} is OVERRIDDEN until ${new Date(override.until).toISOString()} (${override.source}); its real state: ${ready ? 'ready' : 'NOT ready'}: ${reason}\n`)
      io.stdout.write(`ready (overridden): ${reason}\n`)
      return 0
    }
    io.stdout.write(`${ready ? 'ready' : 'not ready'}: ${reason}\n`)
    return ready ? 0 : 1
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

async function live(io: CommandIO, id: number, bootstrapServers: string[], timeoutMs: number): Promise<number> {
  // Only the broker's own listener is asked; nothing about other brokers can fail this probe.
  const self = bootstrapServers.slice(0, 1)
  const admin = createAdmin({ bootstrapServers: self, requestTimeoutMs: timeoutMs, connectTimeoutMs: Math.min(timeoutMs, 3000) })
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

function withTimeout<T>(ms: number, work: () => Promise<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)
    work().then(
      (v) => (clearTimeout(timer), resolve(v)),
      (e) => (clearTimeout(timer), reject(e)),
    )
  })
}
