import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Registry } from 'prom-client'
import type { SeriesFamily } from '../core/observe/exporter-series.ts'

/**
 * Series as Prometheus' text format (version 0.0.4, prom-client's content type), as gauges, written
 * the way prom-client's Registry writes them (its escaping, a blank line between families, a sample
 * given twice with the same labels counted once, the last value kept; NaN spelled as the format does); metrics-endpoint.test.ts holds it
 * to prom-client's own output. Not through prom-client's Gauge and Registry: at 10,000 partitions and
 * 1,000 groups (110,000 series) they took 1 to 5 s and over 100 MB per collection on 2 busy cores
 * (bench/exporter.ts), blocking the event loop, and so the scrapes, meanwhile.
 */
export async function renderSeries(families: readonly SeriesFamily[]): Promise<{ text: string; contentType: string }> {
  const out: string[] = []
  for (const f of families) {
    if (f.samples.length === 0) continue
    const name = escapeText(f.name)
    const lines = [`# HELP ${name} ${escapeText(f.help)}`, `# TYPE ${name} gauge`]
    const at = new Map<string, number>()
    for (const s of f.samples) {
      let labels = ''
      for (const key in s.labels) labels += `${labels === '' ? '' : ','}${key}="${escapeLabelValue(s.labels[key]!)}"`
      const series = labels === '' ? name : `${name}{${labels}}`
      const line = `${series} ${formatValue(s.value)}`
      const index = at.get(series)
      if (index === undefined) {
        at.set(series, lines.length)
        lines.push(line)
      } else lines[index] = line
    }
    out.push(lines.join('\n'))
  }
  return { text: `${out.join('\n\n')}\n`, contentType: Registry.PROMETHEUS_CONTENT_TYPE }
}

const NEEDS_ESCAPE = /[\\\n"]/

function escapeText(text: string): string {
  return NEEDS_ESCAPE.test(text) ? text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n') : text
}

function escapeLabelValue(value: string): string {
  return NEEDS_ESCAPE.test(value) ? escapeText(value).replace(/"/g, '\\"') : value
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN'
  if (!Number.isFinite(value)) return value < 0 ? '-Inf' : '+Inf'
  return String(value)
}

export interface MetricsEndpoint {
  port: number
  close(): Promise<void>
}

/**
 * An HTTP server that answers GET /metrics with what `body` returns now (already rendered: a scrape
 * never waits for Kafka). `what` names the server in its answer to GET /.
 */
export async function startMetricsEndpoint(options: { host: string; port: number; what: string; body: () => { text: string | Buffer; contentType: string } }): Promise<MetricsEndpoint> {
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '').split('?')[0]
    if (request.method === 'GET' && path === '/metrics') {
      const { text, contentType } = options.body()
      return response.writeHead(200, { 'content-type': contentType }).end(text)
    }
    if (request.method === 'GET' && path === '/') return response.writeHead(200, { 'content-type': 'text/plain' }).end(`${options.what}: GET /metrics\n`)
    response.writeHead(404, { 'content-type': 'text/plain' }).end('use GET /metrics\n')
  })
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(options.port, options.host, () => resolve()))
  return {
    port: (server.address() as AddressInfo).port,
    close: () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()))
      // Scrapers keep their connections alive: close them, or close() waits for them.
      server.closeAllConnections()
      return closed
    },
  }
}
