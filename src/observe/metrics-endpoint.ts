import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { eachSeriesFamily, isPerPartition, type CollectedCluster, type SeriesFamily } from '../core/observe/exporter-series.ts'

/**
 * Series as Prometheus' text format (version 0.0.4, prom-client's content type), as gauges, written
 * the way prom-client's Registry writes them (its escaping, a blank line between families, a sample
 * given twice with the same labels counted once, at its first place, with the last value; NaN spelled
 * as the format does): metrics-endpoint.test.ts holds it to prom-client's own output.
 *
 * Written straight into bytes, a family at a time, and not through prom-client's Gauge and Registry: at
 * 10,000 partitions and 1,000 groups (126,000 series, bench/exporter.ts) those took 1 to 5 s and over
 * 100 MB a collection on 2 busy cores, blocking the event loop (and so the scrapes) meanwhile. Here a
 * sample's text lives only until its family is written, so that a collection leaves little behind it
 * for the garbage collector to find in the old generation.
 */
export async function renderSeries(families: readonly SeriesFamily[]): Promise<{ body: Buffer; contentType: string }> {
  const out = new SeriesWriter()
  for (const f of families) out.write(f)
  return { body: out.bytes(), contentType: PROMETHEUS_CONTENT_TYPE }
}

/** prom-client's Registry.PROMETHEUS_CONTENT_TYPE (metrics-endpoint.test.ts holds it to it). */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8'

/** Families written one at a time as renderSeries writes them; `bytes()` once at the end. */
export class SeriesWriter {
  readonly #out = new ChunkedBytes()
  #empty = true

  write(f: SeriesFamily): void {
    if (f.samples.length === 0) return
    const out = this.#out
    const name = escapeText(f.name)
    out.write(`${this.#empty ? '' : '\n'}# HELP ${name} ${escapeText(f.help)}\n# TYPE ${name} gauge\n`)
    this.#empty = false
    const series = f.samples.map((s) => {
      let labels = ''
      for (const key in s.labels) labels += `${labels === '' ? '' : ','}${key}="${escapeLabelValue(s.labels[key]!)}"`
      return labels === '' ? name : `${name}{${labels}}`
    })
    const last = new Map<string, number>()
    series.forEach((key, i) => last.set(key, f.samples[i]!.value))
    const written = last.size < series.length ? new Set<string>() : undefined
    for (const key of series) {
      if (written) {
        if (written.has(key)) continue
        written.add(key)
      }
      out.write(`${key} ${formatValue(last.get(key)!)}\n`)
    }
  }

  /** What was written (a single blank line when nothing was, as prom-client answers for no series). */
  bytes(): Buffer {
    return Buffer.concat(this.chunks())
  }

  /** The same as bytes() in the buffers it was written into, not copied into one. */
  chunks(): Buffer[] {
    if (this.#empty) {
      this.#out.write('\n')
      this.#empty = false
    }
    return this.#out.chunks()
  }
}

/** Two renderings (as chunks) as one text: a blank line between their families, as within one. */
export function joinRendered(a: readonly Buffer[], b: readonly Buffer[]): Buffer[] {
  const blank = (x: readonly Buffer[]) => x.reduce((n, c) => n + c.length, 0) <= 1
  if (blank(a)) return [...b]
  if (blank(b)) return [...a]
  return [...a, Buffer.from('\n'), ...b]
}

export interface RenderedCollection {
  body: Buffer[]
  perPartition: boolean
  count: number
  fullCount: number
}

/**
 * A collection's series rendered as they are built (eachSeriesFamily), the same text as renderSeries of
 * buildSeries' families under the same budget, the per-topic families first (metrics-endpoint.test.ts
 * holds it to that), with one
 * family's samples in memory at a time: the per-partition families are written apart and kept only when
 * every series together is within the budget; once the count passes it they are dropped and only
 * counted, so that a cluster far over the budget costs the per-topic text, not every partition's.
 */
export function renderCollection(cluster: CollectedCluster, budget: number): RenderedCollection {
  const perTopic = new SeriesWriter()
  let perPartition: SeriesWriter | undefined = new SeriesWriter()
  let count = 0
  let fullCount = 0
  eachSeriesFamily(cluster, (family) => {
    fullCount += family.samples.length
    if (!isPerPartition(family)) {
      perTopic.write(family)
      count += family.samples.length
      return
    }
    if (fullCount > budget) perPartition = undefined
    perPartition?.write(family)
  })
  const within = perPartition !== undefined && fullCount <= budget
  const topicText = perTopic.chunks()
  return within ? { body: joinRendered(topicText, perPartition!.chunks()), perPartition: true, count: fullCount, fullCount } : { body: topicText, perPartition: false, count, fullCount }
}

/** Text appended as UTF-8 into 1 MiB buffers, joined once at the end. */
class ChunkedBytes {
  static readonly SIZE = 1 << 20
  readonly #full: Buffer[] = []
  #current = Buffer.allocUnsafe(ChunkedBytes.SIZE)
  #used = 0
  #pending = ''

  write(text: string): void {
    this.#pending += text
    if (this.#pending.length >= 16_384) this.#flush()
  }

  chunks(): Buffer[] {
    this.#flush()
    return [...this.#full, this.#current.subarray(0, this.#used)].filter((c) => c.length > 0)
  }

  #flush(): void {
    const size = Buffer.byteLength(this.#pending)
    if (size > this.#current.length - this.#used) {
      this.#full.push(this.#current.subarray(0, this.#used))
      this.#current = Buffer.allocUnsafe(Math.max(ChunkedBytes.SIZE, size))
      this.#used = 0
    }
    this.#used += this.#current.write(this.#pending, this.#used)
    this.#pending = ''
  }
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
 * An HTTP server that answers GET /metrics with what `body` returns now, Prometheus' text (already
 * rendered: a scrape never waits for Kafka), one buffer or several written in turn. `what` names the server in its answer to GET /.
 */
export async function startMetricsEndpoint(options: { host: string; port: number; what: string; body: () => Buffer | readonly Buffer[] }): Promise<MetricsEndpoint> {
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '').split('?')[0]
    if (request.method === 'GET' && path === '/metrics') {
      const body = options.body()
      const chunks = Buffer.isBuffer(body) ? [body] : body
      response.writeHead(200, { 'content-type': PROMETHEUS_CONTENT_TYPE, 'content-length': chunks.reduce((n, c) => n + c.length, 0) })
      for (const chunk of chunks) response.write(chunk)
      return response.end()
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
