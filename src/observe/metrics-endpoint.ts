import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Gauge, Registry } from 'prom-client'
import type { SeriesFamily } from '../core/observe/exporter-series.ts'

/** Series as Prometheus' text format, rendered by prom-client (its escaping, its content type). */
export async function renderSeries(families: readonly SeriesFamily[]): Promise<{ text: string; contentType: string }> {
  const registry = new Registry()
  for (const f of families) {
    if (f.samples.length === 0) continue
    const gauge = new Gauge({ name: f.name, help: f.help, labelNames: [...f.labelNames], registers: [registry] })
    for (const s of f.samples) gauge.set(s.labels, s.value)
  }
  return { text: await registry.metrics(), contentType: registry.contentType }
}

export interface MetricsEndpoint {
  port: number
  close(): Promise<void>
}

/**
 * An HTTP server that answers GET /metrics with what `body` returns now (already rendered: a scrape
 * never waits for Kafka). `what` names the server in its answer to GET /.
 */
export async function startMetricsEndpoint(options: { host: string; port: number; what: string; body: () => { text: string; contentType: string } }): Promise<MetricsEndpoint> {
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
