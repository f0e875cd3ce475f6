import { Registry } from 'prom-client'
import { countSamples, type SeriesFamily } from '../core/observe/exporter-series.ts'
import { Collector, type Collection, type CollectorOptions } from './collector.ts'
import { renderSeries, startMetricsEndpoint, type MetricsEndpoint } from './metrics-endpoint.ts'

export interface ExporterOptions extends CollectorOptions {
  /** Time between the starts of two collections (a collection that runs longer delays the next). */
  intervalMs: number
  host: string
  /** 0 for any free port. */
  port: number
}

/**
 * `kafkaplane exporter`: a Collector run on a schedule and an HTTP server that answers GET /metrics with
 * the text of the last collection, rendered once per collection with prom-client: a scrape never waits
 * for Kafka, and costs the same however often it comes.
 *
 * Its own series (kafkaplane_exporter_*): the last collection's duration and success, the time of the
 * last success, collections by result, the series served, the budget, and whether the budget made the
 * per-partition series fall back to per-topic ones (it also logs a line each time that changes). After a
 * failed collection only these are served: stale Kafka series would hide the outage.
 */
export class Exporter {
  readonly #options: ExporterOptions
  readonly #collector: Collector
  #endpoint: MetricsEndpoint | undefined
  #timer: NodeJS.Timeout | undefined
  #running: Promise<void> | undefined
  #stopped = false
  /** The last collection's series, encoded once: a scrape sends these bytes as they are. */
  #body: Buffer = Buffer.alloc(0)
  #contentType: string = Registry.PROMETHEUS_CONTENT_TYPE
  #lastSuccess: number | undefined
  #results = { success: 0, failure: 0 }
  #perPartition = true
  /** How long the last collection took (its series are not kept once rendered: at 10,000 partitions they are tens of MB). */
  #lastDurationMs = 0

  constructor(options: ExporterOptions) {
    this.#options = options
    this.#collector = new Collector(options)
  }

  /** Starts the schedule (a collection at once) and the server; resolves once it listens. */
  async start(): Promise<{ port: number }> {
    this.#endpoint = await startMetricsEndpoint({ ...this.#options, what: 'kafkaplane exporter', body: () => ({ body: this.#body, contentType: this.#contentType }) })
    this.#schedule(0)
    return { port: this.#endpoint.port }
  }

  async stop(): Promise<void> {
    this.#stopped = true
    clearTimeout(this.#timer)
    await this.#running
    await this.#endpoint?.close()
    await this.#collector.close()
  }

  #schedule(delayMs: number): void {
    if (this.#stopped) return
    this.#timer = setTimeout(() => {
      this.#running = this.#collectOnce().finally(() => {
        this.#schedule(Math.max(0, this.#options.intervalMs - this.#lastDurationMs))
      })
    }, delayMs)
  }

  async #collectOnce(): Promise<void> {
    const collection = await this.#collector.collect()
    this.#lastDurationMs = collection.durationMs
    const log = this.#options.log
    if (collection.error) {
      this.#results.failure++
      log(`exporter: collection failed after ${collection.durationMs} ms: ${collection.error.message}`)
    } else {
      this.#results.success++
      this.#lastSuccess = collection.startedAt + collection.durationMs
      const s = collection.series!
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
      ;({ body: this.#body, contentType: this.#contentType } = await renderSeries([...(collection.series?.families ?? []), ...this.#ownSeries(collection)]))
    } catch (err) {
      log(`exporter: the series could not be rendered (a bug): ${(err as Error).stack ?? String(err)}`)
    }
  }

  #ownSeries(c: Collection): SeriesFamily[] {
    const one = (value: number) => [{ labels: {}, value }]
    const own: SeriesFamily[] = [
      { name: 'kafkaplane_exporter_last_collection_duration_seconds', help: 'How long the last collection took (its Kafka reads and building the series; rendering them is not counted)', labelNames: [], samples: one(c.durationMs / 1000) },
      { name: 'kafkaplane_exporter_last_collection_success', help: '1 if the last collection succeeded, 0 if it failed (then only these kafkaplane_exporter_ series are served)', labelNames: [], samples: one(c.error ? 0 : 1) },
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
    ]
    // The series served, these included (this one too).
    const served = (c.series?.count ?? 0) + countSamples(own) + 1
    return [...own, { name: 'kafkaplane_exporter_series', help: 'Series this exporter serves now, its own included', labelNames: [], samples: one(served) }]
  }
}
