import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { SeriesFamily } from './exporter-series.ts'
import { labelledByCluster, mergeFamilies, operatorSeries, type WatchedKafkaCluster } from './operator-series.ts'

const value = (families: SeriesFamily[], name: string, labels: Record<string, string> = {}): number | undefined =>
  families.find((f) => f.name === name)?.samples.find((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value

test('the operator series: a roll stalled, a scale moving, the self-healer watching, each KafkaCluster by namespace and name', () => {
  const clusters: WatchedKafkaCluster[] = [
    {
      namespace: 'kafka',
      name: 'payments',
      status: {
        conditions: [{ type: 'Ready', status: 'False' }, { type: 'Reconciling', status: 'True' }],
        roll: { rollId: 'r1', phase: 'stalled', done: [{ ids: [1] }, { ids: [100, 102] }], etaSeconds: 60 },
        selfHealing: { phase: 'watching', lastPlan: { moves: 4, result: 'finished' } },
      },
    },
    { namespace: 'kafka', name: 'ledger', status: { scale: { scaleId: 's1', phase: 'moving', moves: 54, moved: 12 } } },
    { namespace: 'other', name: 'new' },
  ]
  const series = operatorSeries(clusters, true)
  const payments = { namespace: 'kafka', kafkacluster: 'payments' }
  const ledger = { namespace: 'kafka', kafkacluster: 'ledger' }
  assert.equal(value(series, 'kafkaplane_operator_leader'), 1)
  assert.equal(value(series, 'kafkaplane_kafkacluster_condition', { ...payments, type: 'Ready' }), 0)
  assert.equal(value(series, 'kafkaplane_kafkacluster_condition', { ...payments, type: 'Reconciling' }), 1)
  assert.equal(value(series, 'kafkaplane_roll_phase', { ...payments, phase: 'stalled' }), 1)
  assert.equal(value(series, 'kafkaplane_roll_phase', { ...payments, phase: 'restarting' }), 0)
  assert.equal(value(series, 'kafkaplane_roll_in_progress', payments), 0, 'a stalled roll is not in progress: it waits to be tried again')
  assert.equal(value(series, 'kafkaplane_roll_in_progress', ledger), 0)
  assert.equal(value(series, 'kafkaplane_roll_brokers_restarted', payments), 3)
  assert.equal(value(series, 'kafkaplane_roll_eta_seconds', payments), 60)
  assert.equal(value(series, 'kafkaplane_roll_phase', ledger), undefined, 'no roll, no phase series')
  assert.equal(value(series, 'kafkaplane_scale_phase', { ...ledger, phase: 'moving' }), 1)
  assert.equal(value(series, 'kafkaplane_scale_moves', ledger), 54)
  assert.equal(value(series, 'kafkaplane_scale_moves_done', ledger), 12)
  assert.equal(value(series, 'kafkaplane_self_healing_phase', { ...payments, phase: 'watching' }), 1)
  assert.equal(value(series, 'kafkaplane_self_healing_plan_moves', { ...payments, result: 'finished' }), 4)
  // A phase this code does not know (written by a newer operator) still shows.
  const newer = operatorSeries([{ namespace: 'kafka', name: 'x', status: { roll: { phase: 'paused' } } }], true)
  assert.equal(value(newer, 'kafkaplane_roll_phase', { phase: 'paused' }), 1)
  // A standby serves only that it stands by.
  assert.deepEqual(operatorSeries(clusters, false).map((f) => [f.name, f.samples[0]?.value]), [['kafkaplane_operator_leader', 0]])
})

test('two Kafka clusters\' series in one family each, labelled by KafkaCluster; label names that disagree are a bug', () => {
  const brokers = (n: number): SeriesFamily[] => [{ name: 'kafka_brokers', help: 'Number of Brokers in the Kafka Cluster.', labelNames: [], samples: [{ labels: {}, value: n }] }]
  const lag = (group: string): SeriesFamily[] => [{ name: 'kafka_consumergroup_lag', help: 'lag', labelNames: ['consumergroup', 'topic', 'partition'], samples: [{ labels: { consumergroup: group, topic: 't', partition: '0' }, value: 5 }] }]
  const merged = mergeFamilies([
    labelledByCluster([...brokers(6), ...lag('a')], 'kafka', 'payments'),
    labelledByCluster([...brokers(3), ...lag('a')], 'kafka', 'ledger'),
  ])
  assert.deepEqual(merged.map((f) => [f.name, f.labelNames, f.samples.length]), [
    ['kafka_brokers', ['namespace', 'kafkacluster'], 2],
    ['kafka_consumergroup_lag', ['namespace', 'kafkacluster', 'consumergroup', 'topic', 'partition'], 2],
  ])
  assert.deepEqual(merged[0]!.samples, [{ labels: { namespace: 'kafka', kafkacluster: 'payments' }, value: 6 }, { labels: { namespace: 'kafka', kafkacluster: 'ledger' }, value: 3 }])
  assert.throws(() => mergeFamilies([brokers(1), labelledByCluster(brokers(2), 'kafka', 'x')]), /kafka_brokers: label names/)
})
