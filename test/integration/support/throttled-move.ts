import { ProduceAcks } from '@platformatic/kafka'
import { setTimeout as sleep } from 'node:timers/promises'
import { createAdmin } from '../../../src/kafka/connection.ts'
import { describeReplicaSizes } from '../../../src/kafka/describe-replica-sizes.ts'
import { waitForTopic } from '../../../src/kafka/wait-for-topic.ts'
import type { LocalCluster } from '../../../src/local/local-cluster.ts'
import { runCli } from './cli.ts'
import { fill } from './kafka-io.ts'

export interface ThrottledMove {
  bytes: number
  rateBytesPerSecond: number
  /** Wall time of `kafkaplane replication-factor fix`, start to end (election and cleanup included). */
  elapsedMs: number
  /** Time the new replicas took to fill: from the first byte seen to the last. */
  copyMs: number
  /** bytes / copy time. */
  measuredRate: number
  /** The rate once the executor has learnt the quota's efficiency: from 6 s after the first byte to the last. */
  sustainedRate: number
  /** The highest rate over any 10 s window of the samples. */
  peakRate: number
  exitCode: number | null
  output: string
  /** [ms since start, KiB on the new replicas] every 500 ms. */
  samples: [number, number][]
}

/**
 * Fills a topic of `partitions` partitions (RF 1, all on broker `from`) with about `bytes`, then adds a
 * replica of each on broker `to` (on a two-broker cluster the only choice) through `kafkaplane replication-factor fix --target 2` at a throttle of
 * `rate` bytes/s, sampling the new replicas' size (DescribeLogDirs) every 500 ms to measure the copy
 * rate the throttle let through.
 */
export async function throttledMove(cluster: LocalCluster, options: { topic: string; from: number; to: number; partitions: number; bytes: number; rate: number; stateFile: string }): Promise<ThrottledMove> {
  const admin = createAdmin({ bootstrapServers: cluster.bootstrapServers })
  try {
    await admin.createTopics({
      topics: [options.topic],
      partitions: -1,
      replicas: -1,
      // RF 1 under the cluster's own min.insync.replicas (2): written with acks=1, as its producers
      // could only write it, and raised by the fixer, which must not hold it back (issue 10, defect 1).
      assignments: Array.from({ length: options.partitions }, (_, partition) => ({ partition, brokers: [options.from] })),
    })
    await waitForTopic(admin, options.topic, options.partitions, 60_000)
    await fill(cluster.bootstrapServers, options.topic, options.bytes, ProduceAcks.LEADER)
    const partitions = Array.from({ length: options.partitions }, (_, partition) => ({ topic: options.topic, partition, replicas: [options.from] }))
    const total = (await describeReplicaSizes(admin, partitions)).reduce((s, r) => s + r.bytes, 0)
    const samples: { at: number; bytes: number }[] = []
    let running = true
    const sampler = (async () => {
      while (running) {
        const sizes = await describeReplicaSizes(admin, partitions).catch(() => [])
        samples.push({ at: Date.now(), bytes: sizes.filter((r) => r.broker === options.to).reduce((s, r) => s + r.bytes, 0) })
        await sleep(500)
      }
    })()
    const started = Date.now()
    const result = await runCli(
      ['replication-factor', 'fix', '--target', '2', '--topics', options.topic, '--throttle', String(options.rate), '--bootstrap-server', cluster.bootstrapServers.join(','), '--state-file', options.stateFile, '--poll-ms', '500'],
      { timeoutMs: 900_000 },
    )
    const elapsedMs = Date.now() - started
    running = false
    await sampler
    const firstMoving = samples.findIndex((s) => s.bytes > 0)
    const full = samples.findIndex((s) => s.bytes >= total * 0.999)
    const begin = samples[Math.max(0, firstMoving - 1)]!
    const end = samples[full >= 0 ? full : samples.length - 1]!
    const copyMs = end.at - begin.at
    const learnt = samples.find((x) => x.at >= begin.at + 6000 && x.at < end.at)
    const sustainedRate = learnt && end.at > learnt.at ? ((end.bytes - learnt.bytes) * 1000) / (end.at - learnt.at) : (total * 1000) / Math.max(1, copyMs)
    let peakRate = 0
    for (let i = 0; i < samples.length; i++) {
      const j = samples.findIndex((s) => s.at >= samples[i]!.at + 10_000)
      if (j < 0) break
      peakRate = Math.max(peakRate, ((samples[j]!.bytes - samples[i]!.bytes) * 1000) / (samples[j]!.at - samples[i]!.at))
    }
    return { bytes: total, rateBytesPerSecond: options.rate, elapsedMs, copyMs, measuredRate: (total * 1000) / Math.max(1, copyMs), sustainedRate, peakRate, exitCode: result.code, output: result.stdout + result.stderr, samples: samples.map((s) => [s.at - started, Math.round(s.bytes / 1024)]) }
  } finally {
    await admin.close()
  }
}
