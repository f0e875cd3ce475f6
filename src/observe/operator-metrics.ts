import type { SeriesFamily } from '../core/observe/exporter-series.ts'
import { labelledByCluster, mergeFamilies, operatorSeries, type WatchedKafkaCluster } from '../core/observe/operator-series.ts'
import type { KafkaConnectionOptions } from '../kafka/connection-options.ts'
import { Collector, type Collection } from './collector.ts'
import { renderSeries, startMetricsEndpoint, type MetricsEndpoint } from './metrics-endpoint.ts'

export interface OperatorMetricsOptions {
  /** TLS and SASL of the Kafka clusters. */
  connection: Omit<KafkaConnectionOptions, 'bootstrapServers'>
  /** Time between the starts of two rounds of collections (one per KafkaCluster, one after the other). */
  intervalMs: number
  /** Per KafkaCluster: above this many series its per-partition families fall back to per-topic ones. */
  seriesBudget: number
  host: string
  /** 0 for any free port. */
  port: number
  log: (line: string) => void
}

/** The KafkaClusters the operator works on now, each with where its brokers are reached (none: an invalid spec). */
export interface WatchedClusters {
  list(): { cluster: WatchedKafkaCluster; bootstrapServers: readonly string[] | undefined }[]
}

interface Tracked {
  servers: string
  collector: Collector
  last?: Collection
}

/**
 * `kafkaplane operator --metrics-port`: the exporter inside the operator. It serves from its start, on
 * the leader and on a standby alike (a standby says only that it stands by, so that a scrape of either
 * pod succeeds). While this operator leads (`lead`), each round collects every KafkaCluster it watches,
 * one after the other, each with its own Collector (src/observe/collector.ts; created when the cluster
 * first shows, dropped when it goes or its brokers move), and renders their series labelled by namespace
 * and KafkaCluster with the operator's own (core/observe/operator-series.ts: the roll, the scale and the
 * self-healer from each status). Scrapes read the last rendering, never Kafka. A KafkaCluster whose last
 * collection failed keeps only `kafkaplane_exporter_last_collection_success 0`: stale series would hide
 * the outage.
 */
export class OperatorMetrics {
  readonly #options: OperatorMetricsOptions
  readonly #tracked = new Map<string, Tracked>()
  #watched: WatchedClusters | undefined
  #endpoint: MetricsEndpoint | undefined
  #timer: NodeJS.Timeout | undefined
  #round: Promise<void> = Promise.resolve()
  #stopped = false
  #body: Buffer = Buffer.alloc(0)

  constructor(options: OperatorMetricsOptions) {
    this.#options = options
  }

  async start(): Promise<{ port: number }> {
    await this.#render([])
    this.#endpoint = await startMetricsEndpoint({ ...this.#options, what: 'kafkaplane operator', body: () => this.#body })
    return { port: this.#endpoint.port }
  }

  /** This operator leads: collect what it watches, a round at once. */
  lead(watched: WatchedClusters): void {
    this.#watched = watched
    clearTimeout(this.#timer)
    this.#schedule(0)
  }

  /** This operator's work stopped (lost the Lease, or stopping): back to serving that it stands by. */
  async standBy(): Promise<void> {
    this.#watched = undefined
    clearTimeout(this.#timer)
    await this.#round
    await this.#closeCollectors([...this.#tracked.keys()])
    await this.#render([])
  }

  async stop(): Promise<void> {
    this.#stopped = true
    await this.standBy()
    await this.#endpoint?.close()
  }

  #schedule(delayMs: number): void {
    if (this.#stopped || !this.#watched) return
    this.#timer = setTimeout(() => {
      const started = Date.now()
      this.#round = this.#collectRound().finally(() => this.#schedule(Math.max(0, this.#options.intervalMs - (Date.now() - started))))
    }, delayMs)
  }

  async #collectRound(): Promise<void> {
    const watched = this.#watched
    if (!watched) return
    const now = watched.list()
    const keyOf = (c: WatchedKafkaCluster) => `${c.namespace}/${c.name}`
    await this.#closeCollectors([...this.#tracked.keys()].filter((key) => !now.some((w) => keyOf(w.cluster) === key && w.bootstrapServers !== undefined)))
    for (const { cluster, bootstrapServers } of now) {
      if (bootstrapServers === undefined || this.#watched !== watched) continue
      const key = keyOf(cluster)
      const servers = bootstrapServers.join(',')
      let tracked = this.#tracked.get(key)
      if (tracked && tracked.servers !== servers) {
        await this.#closeCollectors([key])
        tracked = undefined
      }
      if (!tracked) {
        const collector = new Collector({ connection: { ...this.#options.connection, bootstrapServers: [...bootstrapServers] }, seriesBudget: this.#options.seriesBudget, log: (line) => this.#options.log(`KafkaCluster ${key}: ${line}`) })
        this.#tracked.set(key, (tracked = { servers, collector }))
      }
      const collection = await tracked.collector.collect()
      if (collection.error && !tracked.last?.error) this.#options.log(`KafkaCluster ${key}: metrics: collection failed after ${collection.durationMs} ms: ${collection.error.message}`)
      tracked.last = collection
    }
    // The statuses as they are now, after the collections: not older than what was collected.
    if (this.#watched === watched) await this.#render(watched.list().map((w) => w.cluster))
  }

  async #render(clusters: readonly WatchedKafkaCluster[]): Promise<void> {
    const leader = this.#watched !== undefined
    const lists: SeriesFamily[][] = [operatorSeries(clusters, leader)]
    for (const c of clusters) {
      const last = this.#tracked.get(`${c.namespace}/${c.name}`)?.last
      if (!last) continue
      lists.push(labelledByCluster([...(last.error ? [] : (last.series?.families ?? [])), ...collectionSeries(last)], c.namespace, c.name))
    }
    try {
      this.#body = (await renderSeries(mergeFamilies(lists))).body
    } catch (err) {
      this.#options.log(`metrics: the series could not be rendered (a bug): ${(err as Error).stack ?? String(err)}`)
    }
  }

  async #closeCollectors(keys: readonly string[]): Promise<void> {
    for (const key of keys) {
      const tracked = this.#tracked.get(key)
      this.#tracked.delete(key)
      await tracked?.collector.close().catch(() => {})
    }
  }
}

/** What one KafkaCluster's last collection cost and whether it succeeded (the exporter's own series, per KafkaCluster). */
function collectionSeries(c: Collection): SeriesFamily[] {
  return [
    { name: 'kafkaplane_exporter_last_collection_success', help: '1 if the last collection succeeded, 0 if it failed (then its Kafka series are not served)', labelNames: [], samples: [{ labels: {}, value: c.error ? 0 : 1 }] },
    { name: 'kafkaplane_exporter_last_collection_duration_seconds', help: 'How long the last collection took', labelNames: [], samples: [{ labels: {}, value: c.durationMs / 1000 }] },
    { name: 'kafkaplane_exporter_series', help: 'Series the last collection served', labelNames: [], samples: [{ labels: {}, value: c.series?.count ?? 0 }] },
  ]
}
