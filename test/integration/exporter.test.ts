/**
 * `kafkaplane exporter` as a process against one real 3-broker cluster (zones a, b, c) on kafkaplane's
 * defaults (RF 3, min.insync.replicas 2), scraped over HTTP: kafka_exporter's series against what Kafka
 * says, a committed group's lag in records and in seconds (records produced with known timestamps), a
 * live consumer, a stopped broker, the series budget, bad flags.
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import { Consumer, Producer, ProduceAcks, stringDeserializers, stringSerializers } from '@platformatic/kafka'
import { layoutBrokers } from '../../src/core/topology/layout.ts'
import { clientConnectionOptions, createAdmin } from '../../src/kafka/connection.ts'
import type { LocalCluster } from '../../src/local/local-cluster.ts'
import { startTestCluster } from './support/clusters.ts'
import { runCli, type WatchedCli } from './support/cli.ts'
import { startExporter, stopExporter } from './support/exporter.ts'
import { describeTopic, waitForPartitions } from './support/kafka-io.ts'
import { scrape, value, type Line } from './support/prometheus-text.ts'

const topology = layoutBrokers(3, [{ name: 'zone', values: ['a', 'b', 'c'] }])
const PARTITIONS = 3
const PER_PARTITION = 20
/** Record i of each partition was created at BASE + i seconds: an hour ago. */
const BASE = Date.now() - 3_600_000
/** Committed offsets of the group `billing` per partition (partition 2 is caught up). */
const COMMITTED = [5, 12, PER_PARTITION]
/** Those of `audit`: on partition 1 where billing waits, elsewhere at other offsets of the same partitions. */
const AUDIT = [3, 12, 7]

function sum(lines: Line[], name: string, labels: Record<string, string> = {}): number {
  return lines.filter((l) => l.name === name && Object.entries(labels).every(([k, v]) => l.labels[k] === v)).reduce((a, l) => a + l.value, 0)
}


/** Scrapes until `check` holds (each scrape is a later collection or the same one), or fails with the last. */
async function scrapeUntil(exporter: { url: string; cli: WatchedCli }, what: string, check: (lines: Line[]) => boolean, timeoutMs = 90_000): Promise<Line[]> {
  const { url, cli } = exporter
  const deadline = Date.now() + timeoutMs
  let last: Line[] = []
  while (Date.now() < deadline) {
    last = await scrape(url).catch(() => last)
    if (check(last)) return last
    await sleep(500)
  }
  throw new Error(`timed out waiting for ${what}; the exporter said:\n${cli.stderr()}\nlast scrape:\n${last.map((l) => `${l.name}${JSON.stringify(l.labels)} ${l.value}`).join('\n')}`)
}

describe('kafkaplane exporter on a real cluster', { timeout: 600_000 }, () => {
  let cluster: LocalCluster
  let exporter: { cli: WatchedCli; url: string } | undefined

  before(async () => {
    cluster = await startTestCluster(topology)
    const admin = createAdmin({ bootstrapServers: cluster.bootstrapServers })
    try {
      await admin.createTopics({ topics: ['orders'], partitions: PARTITIONS, replicas: 3 })
      await waitForPartitions(cluster.bootstrapServers, 'orders', (ps) => ps.every((p) => p.leader >= 0))
      const producer = new Producer({ clientId: 'exporter-test', ...clientConnectionOptions({ bootstrapServers: cluster.bootstrapServers }), serializers: stringSerializers, idempotent: true, acks: ProduceAcks.ALL, retries: 20, retryDelay: 500 })
      try {
        for (let i = 0; i < PER_PARTITION; i++) {
          await producer.send({ messages: Array.from({ length: PARTITIONS }, (_, partition) => ({ topic: 'orders', partition, key: `k${i}`, value: `v${i}`, timestamp: BigInt(BASE + i * 1000) })) })
        }
      } finally {
        await producer.close()
      }
      // The group's commit. The first use of __consumer_offsets creates it: its coordinator may not be
      // ready at once (COORDINATOR_NOT_AVAILABLE / COORDINATOR_LOAD_IN_PROGRESS, retriable).
      const commit = (groupId: string, offsets: number[]) => admin.alterConsumerGroupOffsets({ groupId, topics: [{ name: 'orders', partitionOffsets: offsets.map((offset, partition) => ({ partition, offset: BigInt(offset) })) }] })
      for (let attempt = 1; ; attempt++) {
        try {
          await commit('billing', COMMITTED)
          break
        } catch (err) {
          if (attempt >= 60) throw err
          await sleep(500)
        }
      }
      await commit('audit', AUDIT)
    } finally {
      await admin.close()
    }
    exporter = await startExporter(cluster.bootstrapServers)
  })
  after(async () => {
    await stopExporter(exporter?.cli)
    await cluster?.stop()
  })

  test("kafka_exporter's series match what Kafka says", async () => {
    const lines = await scrapeUntil(exporter!, 'the committed group', (l) => value(l, 'kafka_consumergroup_lag', { consumergroup: 'billing', partition: '0' }) !== undefined)
    assert.equal(value(lines, 'kafka_brokers'), 3)
    assert.deepEqual(
      lines.filter((l) => l.name === 'kafka_broker_info').map((l) => `${l.labels.id}=${l.labels.address}`).sort(),
      cluster.brokerIds().map((id) => `${id}=127.0.0.1:${cluster.node(id).brokerPort}`).sort(),
    )
    assert.equal(value(lines, 'kafka_topic_partitions', { topic: 'orders' }), PARTITIONS)
    const described = await describeTopic(cluster.bootstrapServers, 'orders')
    for (const p of described) {
      const labels = { topic: 'orders', partition: String(p.partition) }
      assert.equal(value(lines, 'kafka_topic_partition_current_offset', labels), PER_PARTITION)
      assert.equal(value(lines, 'kafka_topic_partition_oldest_offset', labels), 0)
      assert.equal(value(lines, 'kafka_topic_partition_leader', labels), p.leader)
      assert.equal(value(lines, 'kafka_topic_partition_replicas', labels), 3)
      assert.equal(value(lines, 'kafka_topic_partition_in_sync_replica', labels), p.isr.length)
      assert.equal(value(lines, 'kafka_topic_partition_leader_is_preferred', labels), p.leader === p.replicas[0] ? 1 : 0)
      assert.equal(value(lines, 'kafka_topic_partition_under_replicated_partition', labels), 0)
      const group = { consumergroup: 'billing', ...labels }
      assert.equal(value(lines, 'kafka_consumergroup_current_offset', group), COMMITTED[p.partition])
      assert.equal(value(lines, 'kafka_consumergroup_lag', group), PER_PARTITION - COMMITTED[p.partition]!)
    }
    const expectedLag = COMMITTED.reduce((a, c) => a + PER_PARTITION - c, 0)
    assert.equal(value(lines, 'kafka_consumergroup_lag_sum', { consumergroup: 'billing', topic: 'orders' }), expectedLag)
    assert.equal(value(lines, 'kafka_consumergroup_current_offset_sum', { consumergroup: 'billing', topic: 'orders' }), COMMITTED.reduce((a, c) => a + c, 0))
    assert.equal(value(lines, 'kafka_consumergroup_members', { consumergroup: 'billing' }), 0)
  })

  test("kafkaplane's series: failure domains, quorum, partition health, lag in seconds, group status, the exporter's own", async () => {
    const lines = await scrapeUntil(exporter!, 'lag seconds', (l) => ['billing', 'audit'].every((consumergroup) => value(l, 'kafkaplane_consumergroup_lag_seconds', { consumergroup, partition: '0' }) !== undefined))
    for (const id of cluster.brokerIds()) assert.equal(value(lines, 'kafkaplane_broker_up', { broker: String(id), zone: cluster.brokerLabels(id).zone! }), 1)
    for (const zone of ['a', 'b', 'c']) assert.equal(value(lines, 'kafkaplane_domain_brokers_up', { dimension: 'zone', domain: zone }), 1)
    assert.equal(value(lines, 'kafkaplane_controller_active_count'), 1)
    assert.equal(sum(lines, 'kafkaplane_controller_active'), 1)
    assert.equal(lines.filter((l) => l.name === 'kafkaplane_quorum_voter_lag_records').length, 3)
    for (const name of ['offline', 'under_min_isr', 'at_min_isr', 'under_replicated']) assert.equal(value(lines, `kafkaplane_topic_partitions_${name}`, { topic: 'orders' }), 0, name)

    // Lag in seconds: the age of the record at the committed offset, which was created at BASE + offset
    // seconds, as of the collection (which ended at last_success).
    const collectedAt = value(lines, 'kafkaplane_exporter_last_success_timestamp_seconds')!
    for (const [consumergroup, offsets] of [['billing', COMMITTED], ['audit', AUDIT]] as const) {
      for (const [partition, committed] of offsets.entries()) {
        const seconds = value(lines, 'kafkaplane_consumergroup_lag_seconds', { consumergroup, topic: 'orders', partition: String(partition) })!
        const trueAge = committed >= PER_PARTITION ? 0 : collectedAt - (BASE + committed * 1000) / 1000
        assert.ok(Math.abs(seconds - trueAge) < 1, `${consumergroup} partition ${partition}: lag ${seconds} s, the record at offset ${committed} is ${trueAge} s old`)
      }
    }
    assert.ok(Math.abs(value(lines, 'kafkaplane_consumergroup_lag_seconds_max', { consumergroup: 'billing' })! - (collectedAt - BASE / 1000 - COMMITTED[0]!)) < 1)
    // A group that committed once, left and lags is in error (Burrow: stalled, then stopped); the caught-up partition is OK.
    assert.equal(value(lines, 'kafkaplane_consumergroup_status', { consumergroup: 'billing', status: 'ERR' }), 1)
    assert.equal(value(lines, 'kafkaplane_consumergroup_partition_status', { consumergroup: 'billing', partition: '2', status: 'OK' }), 1)

    // The group sits still: the next collections take every timestamp from the cache.
    const later = await scrapeUntil(exporter!, 'a later collection', (l) => value(l, 'kafkaplane_exporter_last_success_timestamp_seconds')! > collectedAt + 0.5, 30_000)
    assert.equal(value(later, 'kafkaplane_exporter_record_timestamps_fetched'), 0)
    assert.equal(value(later, 'kafkaplane_exporter_last_collection_success'), 1)
    assert.equal(value(later, 'kafkaplane_exporter_series_budget_exceeded'), 0)
    assert.ok(value(later, 'kafkaplane_exporter_last_collection_duration_seconds')! > 0)
    assert.equal(value(later, 'kafkaplane_exporter_series'), later.length, 'it counts the series it serves')
    // The collecting thread's heap, under the default cap of 256 MiB (and a young generation of 6), and the process's memory.
    const heapLimit = value(later, 'kafkaplane_exporter_collector_heap_limit_bytes')!
    assert.ok(heapLimit >= 256 * 2 ** 20 && heapLimit <= 300 * 2 ** 20, `heap limit ${heapLimit}`)
    const heapUsed = value(later, 'kafkaplane_exporter_collector_heap_used_bytes')!
    assert.ok(heapUsed > 2 ** 20 && heapUsed < heapLimit && heapUsed <= value(later, 'kafkaplane_exporter_collector_heap_physical_bytes')!, `heap used ${heapUsed}`)
    assert.ok(value(later, 'process_resident_memory_bytes')! > 20 * 2 ** 20)
  })

  test('a live consumer that read everything: members, no lag in records or seconds, status OK', async () => {
    const consumer = new Consumer({ clientId: 'exporter-test-live', groupId: 'live', ...clientConnectionOptions({ bootstrapServers: cluster.bootstrapServers }), deserializers: stringDeserializers })
    try {
      const stream = await consumer.consume({ topics: ['orders'], mode: 'earliest', autocommit: false, maxWaitTime: 500 })
      const last = new Map<number, { commit(): unknown }>()
      let read = 0
      for await (const message of stream) {
        last.set(message.partition, message)
        if (++read >= PARTITIONS * PER_PARTITION) break
      }
      for (const message of last.values()) await message.commit()
      const group = { consumergroup: 'live' }
      const lines = await scrapeUntil(exporter!, 'the live group caught up', (l) => value(l, 'kafka_consumergroup_current_offset_sum', { ...group, topic: 'orders' }) === PARTITIONS * PER_PARTITION && value(l, 'kafka_consumergroup_members', group) === 1)
      assert.equal(value(lines, 'kafka_consumergroup_lag_sum', { ...group, topic: 'orders' }), 0)
      assert.equal(value(lines, 'kafkaplane_consumergroup_lag_seconds_max', group), 0)
      assert.equal(value(lines, 'kafkaplane_consumergroup_status', { ...group, status: 'OK' }), 1)
      await stream.close().catch(() => {})
    } finally {
      await consumer.close(true).catch(() => {})
    }
  })

  test('a stopped broker: kafka_brokers drops, its partitions under-replicated and at min ISR; back after a restart', async () => {
    const stopped = 2
    await cluster.stopBroker(stopped)
    try {
      const lines = await scrapeUntil(exporter!, `broker ${stopped} gone from every ISR`, (l) => value(l, 'kafka_brokers') === 2 && sum(l, 'kafka_topic_partition_under_replicated_partition', { topic: 'orders' }) === PARTITIONS)
      assert.equal(value(lines, 'kafkaplane_broker_up', { broker: String(stopped) }), 0)
      assert.equal(value(lines, 'kafkaplane_domain_brokers_up', { dimension: 'zone', domain: cluster.brokerLabels(stopped).zone! }), 0)
      // RF 3, min.insync.replicas 2: one broker down leaves every partition of orders at min ISR, writable.
      assert.equal(value(lines, 'kafkaplane_topic_partitions_at_min_isr', { topic: 'orders' }), PARTITIONS)
      assert.equal(value(lines, 'kafkaplane_topic_partitions_under_min_isr', { topic: 'orders' }), 0)
      assert.equal(sum(lines, 'kafka_topic_partition_in_sync_replica', { topic: 'orders' }), 2 * PARTITIONS)
    } finally {
      await cluster.startBroker(stopped)
    }
    await scrapeUntil(exporter!, `broker ${stopped} back in sync`, (l) => value(l, 'kafka_brokers') === 3 && sum(l, 'kafka_topic_partition_under_replicated_partition') === 0)
  })

  test('over the series budget: per-partition series fall back to per-topic ones, and the exporter says so', async () => {
    const tight = await startExporter(cluster.bootstrapServers, ['--series-budget', '50'])
    try {
      const lines = await scrapeUntil(tight, 'the fallback', (l) => value(l, 'kafkaplane_exporter_series_budget_exceeded') === 1)
      assert.ok(!lines.some((l) => 'partition' in l.labels), 'no per-partition series')
      assert.equal(value(lines, 'kafka_consumergroup_lag_sum', { consumergroup: 'billing', topic: 'orders' }), COMMITTED.reduce((a, c) => a + PER_PARTITION - c, 0))
      assert.equal(value(lines, 'kafkaplane_topic_current_offset_sum', { topic: 'orders' }), PARTITIONS * PER_PARTITION)
      assert.ok(value(lines, 'kafkaplane_exporter_series_wanted')! > 50)
      assert.match(tight.cli.stderr(), /series are over the budget of 50: per-partition series fall back to per-topic ones/)
    } finally {
      await stopExporter(tight.cli)
    }
    assert.equal(tight.cli.child.exitCode, 0)
  })
})

test('bad flags exit 2 naming the value and the fix, before connecting', async () => {
  for (const [flag, bad, named] of [
    ['--series-budget', 'many', /--series-budget many is not a whole number/],
    ['--interval-seconds', '0', /--interval-seconds 0 is not a whole number/],
    ['--port', '70000', /--port 70000 is not a whole number/],
    ['--collector-heap-mb', '16', /--collector-heap-mb 16 is not a whole number/],
    ['--bootstrap-server', 'nohost', /--bootstrap-server "nohost" has "nohost", which is not HOST:PORT/],
  ] as const) {
    const r = await runCli(['exporter', flag, bad])
    assert.equal(r.code, 2, `${flag} ${bad}: ${r.stderr}`)
    assert.match(r.stderr, named)
    assert.match(r.stderr, /^fix: /m)
  }
})
