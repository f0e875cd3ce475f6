import { badArgument, type Command, helpOrNoArguments, integerOption, listOption, parseOptions } from './command.ts'
import { CONNECTION_HELP, CONNECTION_OPTIONS, connectionOptions } from './connection-options.ts'
import type { KafkaConnectionOptions } from '../kafka/connection.ts'
import { type Served, serveUntilStopped, timestampedLog } from './serve.ts'

/** Where and how often the live view serves by default (`kafkaplane dashboard`, `kafkaplane up --dashboard`). */
export const DASHBOARD_DEFAULTS = { port: 8090, host: '127.0.0.1', intervalSeconds: 5 }

/**
 * The live view of the cluster at `connection` (src/observe/live-server.ts), not started yet, and the
 * line that says where it serves: what `kafkaplane dashboard` runs, and `kafkaplane up --dashboard`
 * beside the cluster it starts.
 */
export async function liveView(options: {
  connection: KafkaConnectionOptions
  host: string
  port: number
  intervalSeconds: number
  layout?: readonly string[]
  log: (line: string) => void
}): Promise<{ server: Served; serving: (port: number) => string }> {
  const { LiveServer } = await import('../observe/live-server.ts')
  const { connection, intervalSeconds, host } = options
  return {
    server: new LiveServer({ connection, intervalMs: intervalSeconds * 1000, host, port: options.port, layout: options.layout, log: options.log }),
    serving: (port) => `dashboard: serving http://${host}:${port}/, reading ${connection.bootstrapServers.join(',')} every ${intervalSeconds} s`,
  }
}

export const dashboard: Command = {
  name: 'dashboard',
  help: `Usage: kafkaplane dashboard [--bootstrap-server HOST:PORT] [--port N] [--interval-seconds N] [--layout ROW,COLUMN]

A live web view of a cluster, at http://HOST:PORT/ (one page, served with everything it uses by this
process): the brokers laid out by two failure dimensions (Kubernetes cluster x zone by default) with
their state (up, fenced, down), leaders, replicas and disk; partition health with the worst partitions;
which brokers may restart now and what blocks the others; what the loss of each failure domain would
do now; partitions being reassigned; consumer groups with lag in records and seconds and their status.
The cluster is read on a schedule and each new view is pushed to the open pages (Server-Sent Events).
  --port N                 port to serve on (default ${DASHBOARD_DEFAULTS.port}; 0 for any free port)
  --host ADDRESS           address to listen on (default ${DASHBOARD_DEFAULTS.host}; the page has no login: expose
                           it only where everyone may see the cluster)
  --interval-seconds N     time between two reads of the cluster (default ${DASHBOARD_DEFAULTS.intervalSeconds})
  --layout ROW[,COLUMN]    the failure dimensions of the rows and columns (default: the first two of the
                           failure domains recorded in the cluster; broker.rack when none are)
${CONNECTION_HELP}
Runs until Ctrl-C or SIGTERM. Exit codes: 0 stopped, 1 could not serve, 2 bad input.
`,
  async run(argv, io) {
    const { values, positionals } = parseOptions('dashboard', argv, {
      ...CONNECTION_OPTIONS,
      port: { type: 'string' },
      host: { type: 'string' },
      'interval-seconds': { type: 'string' },
      layout: { type: 'string' },
    })
    if (helpOrNoArguments(this, { values, positionals }, io)) return 0
    const port = integerOption('--port', values.port, 0, 65535) ?? DASHBOARD_DEFAULTS.port
    const intervalSeconds = integerOption('--interval-seconds', values['interval-seconds'], 1, 86_400) ?? DASHBOARD_DEFAULTS.intervalSeconds
    const layout = listOption('--layout', values.layout)
    if (layout && layout.length > 2) throw badArgument(`--layout "${values.layout}" names ${layout.length} dimensions; a page has rows and columns only`, 'pass --layout ROW or --layout ROW,COLUMN, e.g. --layout cluster,zone')
    const host = values.host ?? DASHBOARD_DEFAULTS.host
    const connection = connectionOptions(values, io.env)
    const log = timestampedLog(io)
    const { server, serving } = await liveView({ connection, host, port, intervalSeconds, layout, log })
    await serveUntilStopped(io, server, { host, port }, { line: log, serving, stopped: 'dashboard: stopped' })
    return 0
  },
}
