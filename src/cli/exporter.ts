import { type Command, helpOrNoArguments, integerOption, parseOptions } from './command.ts'
import { CONNECTION_HELP, CONNECTION_OPTIONS, connectionOptions } from './connection-options.ts'
import { serveUntilStopped, timestampedLog } from './serve.ts'

const DEFAULTS = { port: 9308, host: '0.0.0.0', intervalSeconds: 30, seriesBudget: 100_000, collectorHeapMb: 256 }

export const exporter: Command = {
  name: 'exporter',
  help: `Usage: kafkaplane exporter [--bootstrap-server HOST:PORT] [--port N] [--interval-seconds N] [--series-budget N]
                           [--collector-heap-mb N]

A Prometheus exporter: GET /metrics serves the series of the last collection, which runs on a schedule
(never on the scrape path). kafka_exporter's series under its own names and labels (kafka_brokers,
kafka_topic_partition_*, kafka_consumergroup_lag ...), so its dashboards and alerts work unchanged, and
kafkaplane's (kafkaplane_*): brokers by failure domain, the controller quorum, partitions offline / under
min ISR / at min ISR per topic, consumer lag in seconds (the age of the record at the committed offset)
and a Burrow-style status per group, and the exporter's own collection time and series count.
  --port N                 port to serve on (default ${DEFAULTS.port}, kafka_exporter's)
  --host ADDRESS           address to listen on (default ${DEFAULTS.host})
  --interval-seconds N     time between collections (default ${DEFAULTS.intervalSeconds})
  --series-budget N        above N series, per-partition series fall back to per-topic ones
                           (default ${DEFAULTS.seriesBudget})
  --collector-heap-mb N    collections run in a thread whose heap may not grow past N MiB;
                           one that would fails, logged with the fix (default ${DEFAULTS.collectorHeapMb})
${CONNECTION_HELP}
Runs until Ctrl-C or SIGTERM. Exit codes: 0 stopped, 1 could not serve, 2 bad input.
`,
  async run(argv, io) {
    const { values, positionals } = parseOptions('exporter', argv, {
      ...CONNECTION_OPTIONS,
      port: { type: 'string' },
      host: { type: 'string' },
      'interval-seconds': { type: 'string' },
      'series-budget': { type: 'string' },
      'collector-heap-mb': { type: 'string' },
    })
    if (helpOrNoArguments(this, { values, positionals }, io)) return 0
    const port = integerOption('--port', values.port, 0, 65535) ?? DEFAULTS.port
    const intervalSeconds = integerOption('--interval-seconds', values['interval-seconds'], 1, 86_400) ?? DEFAULTS.intervalSeconds
    const seriesBudget = integerOption('--series-budget', values['series-budget'], 1, 100_000_000) ?? DEFAULTS.seriesBudget
    const collectorHeapMb = integerOption('--collector-heap-mb', values['collector-heap-mb'], 32, 65_536) ?? DEFAULTS.collectorHeapMb
    const host = values.host ?? DEFAULTS.host
    const connection = connectionOptions(values, io.env)
    const { Exporter } = await import('../observe/exporter.ts')
    const log = timestampedLog(io)
    const server = new Exporter({ connection, intervalMs: intervalSeconds * 1000, seriesBudget, collectorHeapMb, host, port, log })
    await serveUntilStopped(io, server, { host, port }, { line: log, serving: (port) => `exporter: serving GET /metrics on ${host}:${port}, collecting from ${connection.bootstrapServers.join(',')} every ${intervalSeconds} s (series budget ${seriesBudget})`, stopped: 'exporter: stopped' })
    return 0
  },
}
