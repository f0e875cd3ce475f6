/**
 * The thread in which `kafkaplane exporter` collects (src/observe/exporter.ts starts it): a Collector,
 * kept for the thread's life (its Burrow windows and cached record timestamps carry over from one
 * collection to the next), that collects when asked and answers with the series already rendered as
 * Prometheus text, the bytes moved (not copied) to the serving thread.
 *
 * Why a thread of its own: the serving thread never runs a collection, so a scrape is answered at once
 * however long a collection computes (on one event loop, 2 busy cores and 10,000 partitions made
 * scrapes wait seconds); and the collection's heap has limits of its own (Worker resourceLimits), small
 * for the young generation, so that the garbage a collection leaves behind is found early instead of
 * growing the process, and capped for the old generation, so that a cluster too big for that cap costs
 * a failed collection, logged with the fix, instead of the host's memory.
 *
 * Messages: ToCollector in, FromCollector out.
 */
import { getHeapStatistics } from 'node:v8'
import { parentPort, workerData } from 'node:worker_threads'
import { Collector, type CollectorOptions } from './collector.ts'
import { renderCollection, type RenderedCollection } from './metrics-endpoint.ts'

/** What the collecting thread is given: the collector's options that are plain data. */
export type CollectorThreadOptions = Omit<CollectorOptions, 'log' | 'now' | 'buildSeries'>

export type ToCollector = { type: 'collect' } | { type: 'close' }

/** A collection as the serving thread needs it: the rendered series and what to say of them. */
export interface CollectionSummary {
  startedAt: number
  durationMs: number
  /** Why the collection failed (then the body is empty). */
  error: string | undefined
  fetchedTimestamps: number
  series: { perPartition: boolean; count: number; fullCount: number } | undefined
  /** The collecting thread's heap after the collection: in use, held from the system, and the limit it may not pass. */
  heap: { usedBytes: number; physicalBytes: number; limitBytes: number }
}

/** Rendered text moved between threads: the first `length` bytes of each buffer, in order. */
export type MovedChunks = { buffer: ArrayBuffer; length: number }[]

export type FromCollector = { type: 'log'; line: string } | { type: 'collected'; body: MovedChunks; summary: CollectionSummary }

const port = parentPort
if (!port) throw new Error('collection-worker.ts runs as a worker thread of src/observe/exporter.ts')
const send = (message: FromCollector, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer)
const options = workerData as CollectorThreadOptions
const collector = new Collector({ ...options, buildSeries: false, log: (line) => send({ type: 'log', line }) })

port.on('message', (message: ToCollector) => {
  if (message.type === 'close') {
    void collector.close().finally(() => port.close())
    return
  }
  void collectOnce()
})

async function collectOnce(): Promise<void> {
  const c = await collector.collect()
  let rendered: RenderedCollection | undefined
  let error = c.error?.message
  if (c.cluster && error === undefined) {
    try {
      rendered = renderCollection(c.cluster, options.seriesBudget)
    } catch (err) {
      error = `the series could not be built or rendered (a bug): ${(err as Error).stack ?? String(err)}`
    }
  }
  // The collection's garbage collected now, while this thread would idle until the next one (a full
  // collection of this heap, tens of ms, delays no scrape): the heap then holds about its live set
  // between collections (34 MiB at 10,000 partitions, against 50-65 MiB in use without), and the
  // heap's next limit is set from that. Only with `gc` exposed (bin/kafkaplane runs node with --expose-gc).
  ;(globalThis as { gc?: () => void }).gc?.()
  const heap = getHeapStatistics()
  const summary: CollectionSummary = {
    startedAt: c.startedAt,
    durationMs: c.durationMs,
    error,
    fetchedTimestamps: c.fetchedTimestamps,
    series: rendered && { perPartition: rendered.perPartition, count: rendered.count, fullCount: rendered.fullCount },
    heap: { usedBytes: heap.used_heap_size, physicalBytes: heap.total_physical_size, limitBytes: heap.heap_size_limit },
  }
  const body = (rendered?.body ?? []).map(movable)
  send({ type: 'collected', body, summary }, body.map((c) => c.buffer))
}

/** A chunk in an ArrayBuffer that can be moved to another thread: its own, or a copy (a small Buffer shares Node's pool). */
function movable(chunk: Buffer): MovedChunks[number] {
  if (chunk.byteOffset === 0 && chunk.buffer instanceof ArrayBuffer && chunk.buffer.byteLength <= 2 * chunk.byteLength) return { buffer: chunk.buffer, length: chunk.byteLength }
  const copy = new ArrayBuffer(chunk.byteLength)
  new Uint8Array(copy).set(chunk)
  return { buffer: copy, length: chunk.byteLength }
}
