import { test } from 'node:test'
import assert from 'node:assert/strict'
import { buildSeries, labelNamesFor, type SeriesFamily } from './exporter-series.ts'
import { collectedCluster as cluster } from './exporter-series.fixture.ts'

function values(families: readonly SeriesFamily[], name: string): Record<string, number> {
  const family = families.find((f) => f.name === name)
  assert.ok(family, `no family ${name}`)
  return Object.fromEntries(family.samples.map((s) => [family.labelNames.map((l) => s.labels[l]).join(','), s.value]))
}

test("kafka_exporter's series: names, labels and its meaning of each value", () => {
  const { families, perPartition } = buildSeries(cluster(), 10_000)
  assert.equal(perPartition, true)
  assert.deepEqual(values(families, 'kafka_brokers'), { '': 3 })
  assert.deepEqual(values(families, 'kafka_broker_info'), { '0,127.0.0.1:9092': 1, '1,127.0.0.1:9093': 1, '2,127.0.0.1:9094': 1 })
  assert.deepEqual(values(families, 'kafka_topic_partitions'), { orders: 3, audit: 1 })
  assert.deepEqual(values(families, 'kafka_topic_partition_current_offset'), { 'orders,0': 100, 'orders,1': 50, 'audit,0': 7 })
  assert.deepEqual(values(families, 'kafka_topic_partition_oldest_offset'), { 'orders,0': 10, 'orders,1': 0, 'audit,0': 0 })
  assert.deepEqual(values(families, 'kafka_topic_partition_leader'), { 'orders,0': 0, 'orders,1': 2, 'audit,0': 1 })
  assert.deepEqual(values(families, 'kafka_topic_partition_replicas'), { 'orders,0': 3, 'orders,1': 3, 'orders,2': 3, 'audit,0': 3 })
  assert.deepEqual(values(families, 'kafka_topic_partition_in_sync_replica'), { 'orders,0': 3, 'orders,1': 2, 'orders,2': 0, 'audit,0': 3 })
  assert.deepEqual(values(families, 'kafka_topic_partition_leader_is_preferred'), { 'orders,0': 1, 'orders,1': 0, 'orders,2': 0, 'audit,0': 1 })
  assert.deepEqual(values(families, 'kafka_topic_partition_under_replicated_partition'), { 'orders,0': 0, 'orders,1': 1, 'orders,2': 1, 'audit,0': 0 })
  // Every partition of a topic the group committed in; -1 where it did not commit (offset.show-all).
  assert.deepEqual(values(families, 'kafka_consumergroup_current_offset'), { 'billing,orders,0': 60, 'billing,orders,1': 50, 'billing,orders,2': -1 })
  assert.deepEqual(values(families, 'kafka_consumergroup_current_offset_sum'), { 'billing,orders': 109 })
  // No lag where the high watermark is unknown (kafka_exporter skips it on a ListOffsets error).
  assert.deepEqual(values(families, 'kafka_consumergroup_lag'), { 'billing,orders,0': 40, 'billing,orders,1': 0 })
  assert.deepEqual(values(families, 'kafka_consumergroup_lag_sum'), { 'billing,orders': 40 })
  assert.deepEqual(values(families, 'kafka_consumergroup_members'), { billing: 2, idle: 0 }, 'no members series for a group that could not be described')
})

test("kafkaplane's series: brokers by failure domain, the quorum, partition health, lag seconds and status", () => {
  const { families } = buildSeries(cluster(), 10_000)
  const brokerUp = families.find((f) => f.name === 'kafkaplane_broker_up')!
  assert.deepEqual(brokerUp.labelNames, ['broker', 'k8s_cluster', 'zone'])
  assert.deepEqual(values(families, 'kafkaplane_broker_up'), { '0,east,a': 1, '1,east,b': 1, '2,west,c': 1, '3,west,a': 0 })
  assert.deepEqual(values(families, 'kafkaplane_broker_fenced'), { '0': 0, '1': 0, '2': 0, '3': 1 })
  assert.deepEqual(values(families, 'kafkaplane_domain_brokers_up'), { 'k8s.cluster,east': 2, 'k8s.cluster,west': 1, 'zone,a': 1, 'zone,b': 1, 'zone,c': 1 })
  assert.deepEqual(values(families, 'kafkaplane_domain_brokers'), { 'k8s.cluster,east': 2, 'k8s.cluster,west': 2, 'zone,a': 2, 'zone,b': 1, 'zone,c': 1 })
  assert.deepEqual(values(families, 'kafkaplane_controller_active_count'), { '': 1 })
  assert.deepEqual(values(families, 'kafkaplane_controller_active'), { '0': 0, '1': 1, '2': 0 })
  assert.deepEqual(values(families, 'kafkaplane_quorum_voter_lag_records'), { '0': 10, '1': 0, '2': 0 })
  assert.deepEqual(values(families, 'kafkaplane_quorum_voter_caught_up_ago_seconds'), { '0': 1.5, '1': 0 })
  assert.deepEqual(values(families, 'kafkaplane_topic_partitions_offline'), { orders: 1, audit: 0 })
  assert.deepEqual(values(families, 'kafkaplane_topic_partitions_at_min_isr'), { orders: 1, audit: 0 })
  assert.deepEqual(values(families, 'kafkaplane_topic_partitions_under_min_isr'), { orders: 0, audit: 0 })
  assert.deepEqual(values(families, 'kafkaplane_topic_partitions_under_replicated'), { orders: 2, audit: 0 })
  assert.deepEqual(values(families, 'kafkaplane_topic_current_offset_sum'), { audit: 7 }, 'no sum for a topic with an unknown offset')
  assert.deepEqual(values(families, 'kafkaplane_consumergroup_lag_seconds'), { 'billing,orders,0': 12.5, 'billing,orders,1': 0 })
  assert.deepEqual(values(families, 'kafkaplane_consumergroup_lag_seconds_max'), { billing: 12.5 })
  assert.deepEqual(values(families, 'kafkaplane_consumergroup_topic_lag_seconds_max'), { 'billing,orders': 12.5 })
  assert.deepEqual(values(families, 'kafkaplane_consumergroup_partition_status'), { 'billing,orders,0,STALL': 1, 'billing,orders,1,OK': 1 })
  assert.deepEqual(values(families, 'kafkaplane_consumergroup_status'), { 'billing,ERR': 1 })
  assert.deepEqual(values(families, 'kafkaplane_consumergroup_status_code'), { billing: 3 })
})

test('over the series budget, per-partition families fall back to the per-topic ones', () => {
  const full = buildSeries(cluster(), 10_000)
  const tight = buildSeries(cluster(), full.count - 1)
  assert.equal(tight.perPartition, false)
  assert.equal(tight.fullCount, full.count)
  assert.ok(tight.count < full.count)
  const names = tight.families.map((f) => f.name)
  for (const gone of ['kafka_topic_partition_current_offset', 'kafka_consumergroup_lag', 'kafkaplane_consumergroup_lag_seconds', 'kafkaplane_consumergroup_partition_status']) assert.ok(!names.includes(gone), gone)
  for (const kept of ['kafka_topic_partitions', 'kafka_consumergroup_lag_sum', 'kafka_consumergroup_current_offset_sum', 'kafkaplane_topic_current_offset_sum', 'kafkaplane_consumergroup_topic_lag_seconds_max', 'kafkaplane_topic_partitions_under_replicated']) {
    assert.ok(names.includes(kept), kept)
  }
  assert.ok(tight.families.every((f) => !f.labelNames.includes('partition')))
  assert.equal(buildSeries(cluster(), full.count).perPartition, true, 'exactly at the budget is within it')
})

test('failure dimensions become valid, distinct Prometheus label names', () => {
  assert.deepEqual([...labelNamesFor(['zone', 'topology.kubernetes.io/zone', '1st', 'broker', 'zone.', 'zone_', '__x']).values()], ['zone', 'topology_kubernetes_io_zone', '_1st', 'broker_', 'zone_', 'zone__', '_x_x'])
})
