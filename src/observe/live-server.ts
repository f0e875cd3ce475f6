import { readFile } from 'node:fs/promises'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { PartitionState } from '../core/health/snapshot.ts'
import { buildLiveView, type LiveView, type OngoingMove, type ReplicaBytes } from '../core/observe/live-view.ts'
import { anyConnection, createAdmin, type KafkaConnectionOptions } from '../kafka/connection.ts'
import { describeBrokerDisks, describeReplicaSizes } from '../kafka/describe-replica-sizes.ts'
import { listPartitionReassignments } from '../kafka/list-partition-reassignments.ts'
import { Collector } from './collector.ts'

export interface LiveServerOptions {
  connection: KafkaConnectionOptions
  /** Time between the starts of two collections (a collection that runs longer delays the next). */
  intervalMs: number
  host: string
  /** 0 for any free port. */
  port: number
  /** Dimensions of the layout's rows and columns (default: the topology's first two). */
  layout?: readonly string[]
  log: (line: string) => void
}

/**
 * What the page receives, as GET /view.json and as each `view` event of GET /events: the last view
 * built, and the last collection's error when it failed (the view then stays the one before, and the
 * page says it is stale).
 */
export interface LiveMessage {
  view: LiveView | undefined
  error: { message: string; at: number } | undefined
  bootstrap: string
  intervalMs: number
}

/** The page's files (src/observe/live/), served as they are: no build step. */
const ASSETS: Readonly<Record<string, { file: string; type: string }>> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/live.css': { file: 'live.css', type: 'text/css; charset=utf-8' },
  '/live.js': { file: 'live.js', type: 'text/javascript; charset=utf-8' },
}

/** How often an idle event stream gets a comment line, so that proxies keep it open. */
const HEARTBEAT_MS = 15_000
/** How long a collection waits for the log dirs' sizes (or a move's) before it shows the view without them. */
const SIZES_TIMEOUT_MS = 5_000

/**
 * `kafkaplane dashboard`: the live view. A Collector (the exporter's, src/observe/collector.ts) runs on a
 * schedule; each collection, with every broker's log dir usage (DescribeLogDirs) and, while partitions
 * move, the reassignments and their replicas' sizes, becomes a view
 * (src/core/observe/live-view.ts) that the server keeps and pushes to every open page as a Server-Sent
 * Event. The page (src/observe/live/: HTML, CSS and an ES module, all served from here, nothing from
 * elsewhere) draws each view as it comes, without reloading. A page that connects gets the last view at
 * once; EventSource reconnects by itself when the server restarts.
 */
export class LiveServer {
  readonly #options: LiveServerOptions
  readonly #collector: Collector
  readonly #admin
  readonly #streams = new Set<ServerResponse>()
  #assets = new Map<string, Buffer>()
  #server: Server | undefined
  #timer: NodeJS.Timeout | undefined
  #heartbeat: NodeJS.Timeout | undefined
  #running: Promise<void> | undefined
  #stopped = false
  #message: LiveMessage

  constructor(options: LiveServerOptions) {
    this.#options = options
    this.#collector = new Collector({ connection: options.connection, seriesBudget: Number.MAX_SAFE_INTEGER, log: options.log })
    this.#admin = createAdmin(options.connection, 'kafkaplane-dashboard')
    this.#message = { view: undefined, error: undefined, bootstrap: options.connection.bootstrapServers.join(','), intervalMs: options.intervalMs }
  }

  /** The last message pushed (for tests and logs). */
  get last(): LiveMessage {
    return this.#message
  }

  /** Reads the page's files, starts the server and the schedule (a collection at once); resolves once it listens. */
  async start(): Promise<{ port: number }> {
    for (const [path, { file }] of Object.entries(ASSETS)) this.#assets.set(path, await readFile(new URL(`./live/${file}`, import.meta.url)))
    const server = createServer((request, response) => this.#answer(request, response))
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(this.#options.port, this.#options.host, () => resolve()))
    this.#server = server
    this.#heartbeat = setInterval(() => {
      for (const stream of this.#streams) stream.write(': heartbeat\n\n')
    }, HEARTBEAT_MS)
    this.#schedule(0)
    return { port: (server.address() as AddressInfo).port }
  }

  async stop(): Promise<void> {
    this.#stopped = true
    clearTimeout(this.#timer)
    clearInterval(this.#heartbeat)
    await this.#running
    for (const stream of this.#streams) stream.end()
    this.#streams.clear()
    const closed = new Promise<void>((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()))
    this.#server?.closeAllConnections()
    await closed
    await this.#collector.close()
    await this.#admin.close().catch(() => {})
  }

  #answer(request: IncomingMessage, response: ServerResponse): void {
    const path = (request.url ?? '').split('?')[0]!
    if (request.method !== 'GET') {
      response.writeHead(405, { allow: 'GET', 'content-type': 'text/plain' }).end('use GET\n')
      return
    }
    const asset = ASSETS[path]
    if (asset) {
      response
        .writeHead(200, {
          'content-type': asset.type,
          'cache-control': 'no-cache',
          // Everything the page uses comes from this server.
          'content-security-policy': "default-src 'self'; connect-src 'self'; img-src 'self' data:",
          'x-content-type-options': 'nosniff',
        })
        .end(this.#assets.get(path))
      return
    }
    if (path === '/view.json') {
      response.writeHead(this.#message.view ? 200 : 503, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(this.#message))
      return
    }
    if (path === '/events') {
      response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' })
      response.write(`retry: 2000\n\n`)
      if (this.#message.view || this.#message.error) response.write(event(this.#message))
      this.#streams.add(response)
      response.once('close', () => this.#streams.delete(response))
      return
    }
    response.writeHead(404, { 'content-type': 'text/plain' }).end('not found: the dashboard is at /\n')
  }

  #schedule(delayMs: number): void {
    if (this.#stopped) return
    this.#timer = setTimeout(() => {
      const started = Date.now()
      this.#running = this.#collectOnce()
        .catch((err: Error) => this.#options.log(`dashboard: the view could not be built (a bug): ${err.stack ?? String(err)}`))
        .finally(() => this.#schedule(Math.max(0, this.#options.intervalMs - (Date.now() - started))))
    }, delayMs)
  }

  async #collectOnce(): Promise<void> {
    const collection = await this.#collector.collect()
    if (this.#stopped) return
    if (collection.error || !collection.cluster) {
      const message = collection.error?.message ?? 'no collection'
      this.#options.log(`dashboard: collection failed after ${collection.durationMs} ms: ${message}`)
      this.#publish({ ...this.#message, error: { message, at: collection.startedAt } })
      return
    }
    const { partitions } = collection.cluster.snapshot
    const disks = await this.#withinTime('log dir usage', describeBrokerDisks(this.#admin, partitions))
    const moving = await this.#moves(partitions)
    const view = buildLiveView(collection.cluster, { layout: this.#options.layout, disks, ...moving, previous: this.#message.view, durationMs: collection.durationMs })
    this.#publish({ ...this.#message, view, error: undefined })
  }

  /**
   * The reassignments in flight with what they add (ListPartitionReassignments) and their replicas' sizes
   * (DescribeLogDirs of those partitions only), read only while the snapshot shows a partition moving.
   */
  async #moves(partitions: readonly PartitionState[]): Promise<{ moves?: OngoingMove[]; replicaBytes?: ReplicaBytes[] }> {
    if (!partitions.some((p) => p.reassigning)) return {}
    const read = async () => listPartitionReassignments(await anyConnection(this.#admin, this.#options.connection.bootstrapServers))
    const moves = await this.#withinTime('reassignments', read())
    if (moves === undefined) return {}
    return { moves, replicaBytes: await this.#withinTime('the moving replicas\' sizes', describeReplicaSizes(this.#admin, moves)) }
  }

  /** `read`'s answer; undefined (the view goes without it) when it fails or takes longer than SIZES_TIMEOUT_MS. */
  async #withinTime<T>(what: string, read: Promise<T>): Promise<T | undefined> {
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), SIZES_TIMEOUT_MS)))
    try {
      return await Promise.race([read, timeout])
    } catch (err) {
      this.#options.log(`dashboard: ${what} not read: ${(err as Error).message}`)
      return undefined
    } finally {
      clearTimeout(timer)
    }
  }

  #publish(message: LiveMessage): void {
    this.#message = message
    const text = event(message)
    for (const stream of this.#streams) stream.write(text)
  }
}

function event(message: LiveMessage): string {
  return `event: view\ndata: ${JSON.stringify(message)}\n\n`
}
