import { Worker } from 'node:worker_threads'
import { countSamples, type SeriesFamily } from '../core/observe/exporter-series.ts'
import type { CollectionSummary, CollectorThreadOptions, FromCollector, ToCollector } from './collection-worker.ts'
import type { CollectorOptions } from './collector.ts'
import { joinRendered, renderSeries, startMetricsEndpoint, type MetricsEndpoint } from './metrics-endpoint.ts'

export interface ExporterOptions extends Omit<CollectorOptions, 'now'> {
  /** Time between the starts of two collections (a collection that runs longer delays the next). */
  intervalMs: number
  host: string
  /** 0 for any free port. */
  port: number
  /** The collecting thread's old generation may not grow past this (MiB). */
  collectorHeapMb: number
}

/** The collecting thread's young generation (MiB): small, so that a collection's garbage is found early. */
const COLLECTOR_YOUNG_GENERATION_MB = 6

/**
 * `kafkaplane exporter`: collections on a schedule, each in a thread of its own (collection-worker.ts
 * says why), and an HTTP server on this thread that answers GET /metrics with the text of the last
 * collection, rendered once by the collecting thread: a scrape never waits for Kafka nor for a
 * collection, and costs the same however often it comes.
 *
 * Its own series (kafkaplane_exporter_*): the last collection's duration and success, the time of the
 * last success, collections by result, the series served, the budget, and whether the budget made the
 * per-partition series fall back to per-topic ones (it also logs a line each time that changes), the
 * collecting thread's heap and its limit, and the process's memory. After a failed collection only these
 * are served: stale Kafka series would hide the outage. A collecting thread that dies (out of its heap,
 * or a bug) fails its collection, saying why, and a new one takes the next.
 */
export class Exporter {
  readonly #options: ExporterOptions
  #worker: Worker | undefined
  /** Why the collecting thread stopped, once it has. */
  #workerError: Error | undefined
  #endpoint: MetricsEndpoint | undefined
  #timer: NodeJS.Timeout | undefined
  #running: Promise<void> | undefined
  #stopped = false
  /** The last collection's series, encoded once: a scrape sends these bytes as they are. */
  #body: readonly Buffer[] = []
  #lastSuccess: number | undefined
  #results = { success: 0, failure: 0 }
  #perPartition = true
  #lastDurationMs = 0

  constructor(options: ExporterOptions) {
    this.#options = options
  }

  /** Starts the schedule (a collection at once) and the server; resolves once it listens. */
  async start(): Promise<{ port: number }> {
    this.#endpoint = await startMetricsEndpoint({ ...this.#options, what: 'kafkaplane exporter', body: () => this.#body })
    this.#schedule(0)
    return { port: this.#endpoint.port }
  }

  async stop(): Promise<void> {
    this.#stopped = true
    clearTimeout(this.#timer)
    await this.#running
    await this.#endpoint?.close()
    const worker = this.#worker
    this.#worker = undefined
    if (worker) {
      const exited = new Promise((resolve) => worker.once('exit', resolve))
      worker.postMessage({ type: 'close' } satisfies ToCollector)
      const timer = setTimeout(() => void worker.terminate(), 10_000)
      await exited
      clearTimeout(timer)
    }
  }

  #schedule(delayMs: number): void {
    if (this.#stopped) return
    this.#timer = setTimeout(() => {
      this.#running = this.#collectOnce().finally(() => {
        this.#schedule(Math.max(0, this.#options.intervalMs - this.#lastDurationMs))
      })
    }, delayMs)
  }

  #startWorker(): Worker {
    const { log, intervalMs: _interval, host: _host, port: _port, collectorHeapMb, ...collector } = this.#options
    const worker = new Worker(new URL('./collection-worker.ts', import.meta.url), {
      workerData: collector satisfies CollectorThreadOptions,
      resourceLimits: { maxOldGenerationSizeMb: collectorHeapMb, maxYoungGenerationSizeMb: COLLECTOR_YOUNG_GENERATION_MB },
    })
    this.#workerError = undefined
    worker.on('message', (m: FromCollector) => {
      if (m.type === 'log') log(m.line)
    })
    worker.on('error', (err) => {
      this.#workerError = err
    })
    worker.once('exit', () => {
      if (this.#worker === worker) this.#worker = undefined
    })
    return worker
  }

  /** One collection in the collecting thread (started if there is none); a thread that dies fails it. */
  #collectInWorker(): Promise<{ body: Buffer[]; summary: CollectionSummary }> {
    const worker = (this.#worker ??= this.#startWorker())
    const startedAt = Date.now()
    return new Promise((resolve) => {
      const onMessage = (m: FromCollector) => {
        if (m.type !== 'collected') return
        worker.off('exit', onExit)
        worker.off('message', onMessage)
        resolve({ body: m.body.map((c) => Buffer.from(c.buffer, 0, c.length)), summary: m.summary })
      }
      const onExit = (code: number) => {
        worker.off('message', onMessage)
        const why = this.#workerError
        const error =
          (why as NodeJS.ErrnoException | undefined)?.code === 'ERR_WORKER_OUT_OF_MEMORY'
            ? `the collecting thread ran out of its ${this.#options.collectorHeapMb} MiB heap: give it more with --collector-heap-mb, or serve fewer series with a lower --series-budget`
            : `the collecting thread stopped (exit code ${code})${why ? `: ${why.stack ?? why.message}` : ''}`
        resolve({ body: [], summary: { startedAt, durationMs: Date.now() - startedAt, error, fetchedTimestamps: 0, series: undefined, heap: { usedBytes: 0, physicalBytes: 0, limitBytes: 0 } } })
      }
      worker.on('message', onMessage)
      worker.once('exit', onExit)
      worker.postMessage({ type: 'collect' } satisfies ToCollector)
    })
  }

  async #collectOnce(): Promise<void> {
    const { body, summary: c } = await this.#collectInWorker()
    this.#lastDurationMs = c.durationMs
    const log = this.#options.log
    if (c.error !== undefined) {
      this.#results.failure++
      log(`exporter: collection failed after ${c.durationMs} ms: ${c.error}`)
    } else {
      this.#results.success++
      this.#lastSuccess = c.startedAt + c.durationMs
      const s = c.series!
      if (s.perPartition !== this.#perPartition) {
        log(
          s.perPartition
            ? `exporter: ${s.fullCount} series are within the budget of ${this.#options.seriesBudget} again: per-partition series are back`
            : `exporter: ${s.fullCount} series are over the budget of ${this.#options.seriesBudget}: per-partition series fall back to per-topic ones (${s.count} series)`,
        )
        this.#perPartition = s.perPartition
      }
    }
    try {
      const own = await renderSeries(this.#ownSeries(c))
      this.#body = joinRendered(body, [own.body])
      releaseReplacedText()
    } catch (err) {
      log(`exporter: the series could not be rendered (a bug): ${(err as Error).stack ?? String(err)}`)
    }
  }

  #ownSeries(c: CollectionSummary): SeriesFamily[] {
    const one = (value: number) => [{ labels: {}, value }]
    const failed = c.error !== undefined
    const own: SeriesFamily[] = [
      { name: 'kafkaplane_exporter_last_collection_duration_seconds', help: 'How long the last collection took (its Kafka reads and building the series; rendering them is not counted)', labelNames: [], samples: one(c.durationMs / 1000) },
      { name: 'kafkaplane_exporter_last_collection_success', help: '1 if the last collection succeeded, 0 if it failed (then only these kafkaplane_exporter_ series are served)', labelNames: [], samples: one(failed ? 0 : 1) },
      { name: 'kafkaplane_exporter_last_success_timestamp_seconds', help: 'When the last successful collection ended (seconds since the epoch)', labelNames: [], samples: this.#lastSuccess === undefined ? [] : one(this.#lastSuccess / 1000) },
      {
        name: 'kafkaplane_exporter_collections',
        help: 'Collections since the exporter started, by result',
        labelNames: ['result'],
        samples: [
          { labels: { result: 'success' }, value: this.#results.success },
          { labels: { result: 'failure' }, value: this.#results.failure },
        ],
      },
      { name: 'kafkaplane_exporter_record_timestamps_fetched', help: 'Record timestamps the last collection fetched for lag seconds (the others came from its cache)', labelNames: [], samples: one(c.fetchedTimestamps) },
      { name: 'kafkaplane_exporter_series_budget', help: 'The series budget (--series-budget)', labelNames: [], samples: one(this.#options.seriesBudget) },
      { name: 'kafkaplane_exporter_series_budget_exceeded', help: '1 when the per-partition series would exceed the budget and per-topic ones are served instead', labelNames: [], samples: one(c.series && !c.series.perPartition ? 1 : 0) },
      { name: 'kafkaplane_exporter_series_wanted', help: 'Series the last collection would serve with every per-partition series', labelNames: [], samples: c.series ? one(c.series.fullCount) : [] },
      { name: 'kafkaplane_exporter_collector_heap_used_bytes', help: "The collecting thread's JavaScript heap in use after the last collection", labelNames: [], samples: c.heap.usedBytes > 0 ? one(c.heap.usedBytes) : [] },
      { name: 'kafkaplane_exporter_collector_heap_physical_bytes', help: "Memory the collecting thread's JavaScript heap holds from the system after the last collection", labelNames: [], samples: c.heap.physicalBytes > 0 ? one(c.heap.physicalBytes) : [] },
      { name: 'kafkaplane_exporter_collector_heap_limit_bytes', help: "The collecting thread's JavaScript heap limit (--collector-heap-mb and its young generation)", labelNames: [], samples: c.heap.limitBytes > 0 ? one(c.heap.limitBytes) : [] },
      ...processMemory(),
    ]
    // The series served, these included (this one too).
    const served = (c.series?.count ?? 0) + countSamples(own) + 1
    return [...own, { name: 'kafkaplane_exporter_series', help: 'Series this exporter serves now, its own included', labelNames: [], samples: one(served) }]
  }
}

/**
 * The text just replaced (10 MiB at 10,000 partitions, moved here from the collecting thread) is freed
 * only by a garbage collection of this thread, which allocates so little of its own heap that V8 runs one
 * only once some 64 MiB of such dead buffers have piled up (its external memory limit): with `gc` exposed
 * (bin/kafkaplane runs node with --expose-gc) a young-generation collection, a millisecond or so on this
 * thread's small heap, frees it at once. Without it (node run by hand) the next one does, later.
 */
function releaseReplacedText(): void {
  ;(globalThis as { gc?: (options: { type: 'minor' }) => void }).gc?.({ type: 'minor' })
}

/**
 * The exporter process's memory under the names of prom-client's default metrics (which any Node.js
 * dashboard reads), taken as each collection is rendered: the resident set (of the whole process, both
 * threads) and the serving thread's JavaScript heap, as prom-client would report them.
 */
function processMemory(): SeriesFamily[] {
  const m = process.memoryUsage()
  const gauge = (name: string, help: string, value: number): SeriesFamily => ({ name, help, labelNames: [], samples: [{ labels: {}, value }] })
  return [
    gauge('process_resident_memory_bytes', 'Resident memory size in bytes.', m.rss),
    gauge('nodejs_heap_size_total_bytes', 'Process heap size from Node.js in bytes.', m.heapTotal),
    gauge('nodejs_heap_size_used_bytes', 'Process heap size used from Node.js in bytes.', m.heapUsed),
    gauge('nodejs_external_memory_bytes', 'Node.js external memory size in bytes.', m.external),
  ]
}
