/**
 * kafkaplane's alert rules (src/observe/alert-rules.ts) with a real promtool and helm (built from the Go
 * module proxy by scripts/fetch-prometheus.sh and scripts/fetch-helm.sh):
 *   1. the committed files are what the source renders; the PrometheusRule's spec and the operator chart's
 *      PrometheusRule (`helm template --set prometheusRule.enabled=true`) hold exactly the rules file's groups;
 *   2. `promtool check rules` passes on the rules file and the chart's copy;
 *   3. `promtool test rules`: for every rule, series under which it fires (with its labels and expanded
 *      summary checked) and, for each, a moment or a variant under which it does not.
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parse, stringify } from 'yaml'
import { alertGroups, alertRuleFiles, prometheusRule, ruleGroups } from '../../src/observe/alert-rules.ts'
import { staleFiles } from '../../src/observe/generated-files.ts'
import { dashboardFiles, grafanaDashboard } from '../../src/observe/grafana-dashboard.ts'
import { exec, fetchedBin } from '../integration/support/fetched-tools.ts'

const root = fileURLToPath(new URL('../../', import.meta.url))
const RULES = join(root, 'deploy/prometheus/kafkaplane-rules.yaml')

const rules = new Map(alertGroups().flatMap((g) => g.rules.map((r) => [r.alert, r])))
const job = { job: 'kafkaplane', instance: 'exporter:9308' }

/** A series in promtool's notation, with the scrape labels every scenario shares. */
const s = (name: string, labels: Record<string, string>, values: string) => ({
  series: `${name}{${Object.entries({ ...labels, ...job }).map(([k, v]) => `${k}="${v}"`).join(',')}}`,
  values,
})

interface Expect {
  at: string
  alert: string
  /** The alerts firing then: the series' labels, and the summary as Prometheus expands it. */
  fires: { labels: Record<string, string>; summary: string }[]
}

interface Scenario {
  name: string
  interval: string
  series: { series: string; values: string }[]
  expect: Expect[]
}

/** A group's lag, one value a minute for an hour: uniform between 0 and 30 (fixed: what promtool reads must not change). */
const JITTER = [7, 14, 5, 22, 22, 3, 6, 14, 16, 21, 21, 3, 17, 24, 14, 13, 0, 10, 30, 12, 28, 20, 22, 12, 7, 4, 5, 4, 2, 11, 16, 10, 9, 18, 24, 14, 10, 25, 23, 26, 21, 26, 22, 28, 8, 5, 27, 28, 27, 7, 16, 27, 0, 0, 19, 13, 10, 18, 20, 24, 14]

const scenarios: Scenario[] = [
  {
    name: 'a broker down for 2 minutes',
    interval: '1m',
    series: [s('kafkaplane_broker_up', { broker: '2', zone: 'c' }, '1 1 0 0 0'), s('kafkaplane_broker_up', { broker: '1', zone: 'b' }, '1x4')],
    expect: [
      { at: '2m', alert: 'KafkaBrokerDown', fires: [] },
      { at: '4m', alert: 'KafkaBrokerDown', fires: [{ labels: { broker: '2', zone: 'c' }, summary: 'Kafka broker 2 is down: not registered, or fenced' }] },
    ],
  },
  {
    name: "kafka_exporter's broker count drops",
    interval: '1m',
    series: [s('kafka_brokers', {}, '3 3 3 2 2 2')],
    expect: [
      { at: '2m', alert: 'KafkaBrokerCountDropped', fires: [] },
      { at: '5m', alert: 'KafkaBrokerCountDropped', fires: [{ labels: {}, summary: 'Kafka has 2 brokers, fewer than in the last hour' }] },
    ],
  },
  {
    name: 'the broker count drops where kafkaplane exporter runs: KafkaBrokerDown says it instead',
    interval: '1m',
    series: [s('kafka_brokers', {}, '3 3 3 2 2 2'), s('kafkaplane_broker_up', { broker: '2' }, '1 1 1 0 0 0')],
    expect: [{ at: '5m', alert: 'KafkaBrokerCountDropped', fires: [] }],
  },
  {
    name: 'a broker starting (fenced, following the metadata log) for over 10 minutes; a stopped one (down) is not starting',
    interval: '1m',
    series: [
      s('kafkaplane_broker_state', { broker: '1', state: 'fenced' }, '0 1x15'),
      s('kafkaplane_broker_state', { broker: '0', state: 'fenced' }, '0x16'),
      s('kafkaplane_broker_state', { broker: '0', state: 'down' }, '1x16'),
    ],
    expect: [
      { at: '6m', alert: 'KafkaBrokerFencedTooLong', fires: [] },
      { at: '14m', alert: 'KafkaBrokerFencedTooLong', fires: [{ labels: { broker: '1', state: 'fenced' }, summary: 'Kafka broker 1 has been starting for 10 minutes (fenced, following the metadata log): a restart or roll is stuck' }] },
    ],
  },
  {
    name: 'a log dir with 5% of its volume free',
    interval: '1m',
    series: [
      s('kafkaplane_log_dir_total_bytes', { broker: '3', log_dir: '/data' }, '1000x10'),
      s('kafkaplane_log_dir_usable_bytes', { broker: '3', log_dir: '/data' }, '500 50x9'),
      s('kafkaplane_log_dir_total_bytes', { broker: '4', log_dir: '/data' }, '1000x10'),
      s('kafkaplane_log_dir_usable_bytes', { broker: '4', log_dir: '/data' }, '500x10'),
    ],
    expect: [
      { at: '3m', alert: 'KafkaLogDirAlmostFull', fires: [] },
      { at: '8m', alert: 'KafkaLogDirAlmostFull', fires: [{ labels: { broker: '3', log_dir: '/data' }, summary: 'Log dir /data of Kafka broker 3 has less than 10% of its volume free' }] },
    ],
  },
  {
    name: 'a log dir losing 1 byte a minute with 390 left; another steady',
    interval: '2m',
    series: [
      s('kafkaplane_log_dir_total_bytes', { broker: '3', log_dir: '/data' }, '1000x150'),
      s('kafkaplane_log_dir_usable_bytes', { broker: '3', log_dir: '/data' }, '390-2x150'),
      s('kafkaplane_log_dir_total_bytes', { broker: '4', log_dir: '/data' }, '1000x150'),
      s('kafkaplane_log_dir_usable_bytes', { broker: '4', log_dir: '/data' }, '300x150'),
    ],
    expect: [
      { at: '30m', alert: 'KafkaLogDirFillingUp', fires: [] },
      { at: '3h', alert: 'KafkaLogDirFillingUp', fires: [{ labels: { broker: '3', log_dir: '/data' }, summary: 'Log dir /data of Kafka broker 3 will be full within a day at the rate of the last 6 hours' }] },
    ],
  },
  {
    name: 'partitions offline, under min ISR',
    interval: '1m',
    series: [
      s('kafkaplane_topic_partitions_offline', { topic: 'orders' }, '0 2 2 2'),
      s('kafkaplane_topic_partitions_offline', { topic: 'audit' }, '0x3'),
      s('kafkaplane_topic_partitions_under_min_isr', { topic: 'audit' }, '0 1 1 1'),
    ],
    expect: [
      { at: '1m', alert: 'KafkaOfflinePartitions', fires: [] },
      { at: '3m', alert: 'KafkaOfflinePartitions', fires: [{ labels: { topic: 'orders' }, summary: '2 partitions of topic orders have no leader: no reads or writes' }] },
      { at: '3m', alert: 'KafkaUnderMinIsrPartitions', fires: [{ labels: { topic: 'audit' }, summary: '1 partitions of topic audit are below min.insync.replicas: acks=all writes fail' }] },
    ],
  },
  {
    name: 'partitions at min ISR for over 15 minutes',
    interval: '1m',
    series: [s('kafkaplane_topic_partitions_at_min_isr', { topic: 'orders' }, '3x20')],
    expect: [
      { at: '10m', alert: 'KafkaAtMinIsrPartitions', fires: [] },
      { at: '20m', alert: 'KafkaAtMinIsrPartitions', fires: [{ labels: { topic: 'orders' }, summary: '3 partitions of topic orders have been at min.insync.replicas for 15 minutes: one more loss stops writes' }] },
    ],
  },
  {
    name: "under-replicated partitions on kafka_exporter's per-partition series",
    interval: '1m',
    series: [
      s('kafka_topic_partition_under_replicated_partition', { topic: 'orders', partition: '0' }, '1x10'),
      s('kafka_topic_partition_under_replicated_partition', { topic: 'orders', partition: '1' }, '1x10'),
      s('kafka_topic_partition_under_replicated_partition', { topic: 'orders', partition: '2' }, '0x10'),
      s('kafka_topic_partition_under_replicated_partition', { topic: 'audit', partition: '0' }, '0x10'),
    ],
    expect: [
      { at: '3m', alert: 'KafkaUnderReplicatedPartitions', fires: [] },
      { at: '8m', alert: 'KafkaUnderReplicatedPartitions', fires: [{ labels: { topic: 'orders' }, summary: '2 partitions of topic orders are under-replicated' }] },
    ],
  },
  {
    name: "under-replicated partitions on kafkaplane's per-topic series alone (over the series budget), and with both: one alert",
    interval: '1m',
    series: [
      s('kafkaplane_topic_partitions_under_replicated', { topic: 'orders' }, '2x10'),
      s('kafkaplane_topic_partitions_under_replicated', { topic: 'audit' }, '1x10'),
      s('kafka_topic_partition_under_replicated_partition', { topic: 'audit', partition: '0' }, '1x10'),
    ],
    expect: [
      {
        at: '8m',
        alert: 'KafkaUnderReplicatedPartitions',
        fires: [
          { labels: { topic: 'audit' }, summary: '1 partitions of topic audit are under-replicated' },
          { labels: { topic: 'orders' }, summary: '2 partitions of topic orders are under-replicated' },
        ],
      },
    ],
  },
  {
    name: 'no active controller; then two (JMX)',
    interval: '1m',
    series: [
      s('kafkaplane_controller_active_count', {}, '1 0 0 0'),
      { series: 'kafka_controller_kafkacontroller_activecontrollercount{job="kafka",instance="kafka-0:9404",pod="kafka-0"}', values: '1 1 1 1' },
      { series: 'kafka_controller_kafkacontroller_activecontrollercount{job="kafka",instance="kafka-1:9404",pod="kafka-1"}', values: '0 1 1 1' },
    ],
    expect: [
      { at: '1m', alert: 'KafkaNoActiveController', fires: [] },
      { at: '3m', alert: 'KafkaNoActiveController', fires: [{ labels: {}, summary: 'The KRaft controller quorum has no leader: no metadata change (topics, leaders, ISR) can happen' }] },
      { at: '1m', alert: 'KafkaMoreThanOneActiveController', fires: [] },
      { at: '3m', alert: 'KafkaMoreThanOneActiveController', fires: [{ labels: { job: 'kafka', instance: '' }, summary: '2 nodes say they are the active controller' }] },
    ],
  },
  {
    name: 'a controller voter lagging',
    interval: '1m',
    series: [s('kafkaplane_quorum_voter_caught_up_ago_seconds', { voter: '2' }, '0 45 105 165 225'), s('kafkaplane_quorum_voter_caught_up_ago_seconds', { voter: '1' }, '0x4')],
    expect: [
      { at: '2m', alert: 'KafkaQuorumVoterLagging', fires: [] },
      { at: '4m', alert: 'KafkaQuorumVoterLagging', fires: [{ labels: { voter: '2' }, summary: 'Controller voter 2 last caught up with the active controller 225 s ago' }] },
    ],
  },
  {
    name: 'a hard placement goal violated for 30 minutes (a soft one does not alert); a zone whose loss stops writes',
    interval: '5m',
    series: [
      s('kafkaplane_placement_goal_satisfied', { goal: 'even-spread-on-every-dimension', hard: 'true' }, '0x10'),
      s('kafkaplane_placement_goal_satisfied', { goal: 'leader-balance', hard: 'false' }, '0x10'),
      s('kafkaplane_domain_loss_survivable', { dimension: 'zone', domain: 'a' }, '0x10'),
      s('kafkaplane_domain_loss_survivable', { dimension: 'zone', domain: 'b' }, '1x10'),
    ],
    expect: [
      { at: '20m', alert: 'KafkaPlacementGoalViolated', fires: [] },
      { at: '40m', alert: 'KafkaPlacementGoalViolated', fires: [{ labels: { goal: 'even-spread-on-every-dimension', hard: 'true' }, summary: 'The placement has violated the hard goal even-spread-on-every-dimension for 30 minutes' }] },
      { at: '40m', alert: 'KafkaDomainLossNotSurvivable', fires: [{ labels: { dimension: 'zone', domain: 'a' }, summary: 'Losing zone a would stop acks=all writes to some partitions' }] },
    ],
  },
  {
    name: "the operator's roll blocked for 15 minutes (a finished one does not alert); its self-healer failed for 30",
    interval: '1m',
    series: [
      s('kafkaplane_roll_phase', { namespace: 'kafka', kafkacluster: 'main', phase: 'blocked' }, '0 1x40'),
      s('kafkaplane_roll_phase', { namespace: 'kafka', kafkacluster: 'main', phase: 'restarting' }, '1 0x40'),
      s('kafkaplane_roll_phase', { namespace: 'kafka', kafkacluster: 'other', phase: 'finished' }, '1x40'),
      s('kafkaplane_roll_phase', { namespace: 'kafka', kafkacluster: 'other', phase: 'blocked' }, '0x40'),
      s('kafkaplane_self_healing_phase', { namespace: 'kafka', kafkacluster: 'main', phase: 'failed' }, '1x40'),
      s('kafkaplane_self_healing_phase', { namespace: 'kafka', kafkacluster: 'other', phase: 'watching' }, '1x40'),
    ],
    expect: [
      { at: '10m', alert: 'KafkaRollStuck', fires: [] },
      { at: '20m', alert: 'KafkaRollStuck', fires: [{ labels: { namespace: 'kafka', kafkacluster: 'main', phase: 'blocked' }, summary: 'The rolling restart of KafkaCluster kafka/main has been in phase blocked for 15 minutes' }] },
      { at: '20m', alert: 'KafkaSelfHealingBlocked', fires: [] },
      { at: '35m', alert: 'KafkaSelfHealingBlocked', fires: [{ labels: { namespace: 'kafka', kafkacluster: 'main', phase: 'failed' }, summary: 'The self-healer of KafkaCluster kafka/main has been in phase failed for 30 minutes' }] },
    ],
  },
  {
    name: 'reassignments that stopped copying',
    interval: '1m',
    series: [s('kafkaplane_reassigning_partitions', {}, '4x40'), s('kafkaplane_reassignment_rate_bytes_per_second', {}, '100x2 0x38')],
    expect: [
      { at: '15m', alert: 'KafkaReassignmentStuck', fires: [] },
      { at: '25m', alert: 'KafkaReassignmentStuck', fires: [{ labels: {}, summary: '4 partition reassignments have copied nothing for 15 minutes' }] },
    ],
  },
  {
    name: 'reassignments copying slowly are not stuck',
    interval: '1m',
    series: [s('kafkaplane_reassigning_partitions', {}, '4x40'), s('kafkaplane_reassignment_rate_bytes_per_second', {}, '0 0 0 0 5x36')],
    expect: [{ at: '35m', alert: 'KafkaReassignmentStuck', fires: [] }],
  },
  {
    name: "a group's lag growing for 10 minutes, another's steady",
    interval: '1m',
    series: [s('kafka_consumergroup_lag_sum', { consumergroup: 'billing', topic: 'orders' }, '0+10x40'), s('kafka_consumergroup_lag_sum', { consumergroup: 'audit', topic: 'orders' }, '50x40')],
    expect: [
      // Its lag is known from 0m: the window 20-30 minutes back holds a value from 20m on, then 10m of `for`.
      { at: '25m', alert: 'KafkaConsumerGroupLagGrowing', fires: [] },
      { at: '35m', alert: 'KafkaConsumerGroupLagGrowing', fires: [{ labels: { consumergroup: 'billing', topic: 'orders' }, summary: 'Consumer group billing falls behind on topic orders: 350 records and growing' }] },
    ],
  },
  {
    // Lag as a group that keeps up shows it: between 0 and 30 records, as each commit and fetch lands. By
    // chance it is higher than 9 minutes before at every evaluation from 33m to 43m, so a rule of "grown
    // over 10m, for 10m" (delta > 0) fires at 43m (promtool 3.16 says so); its lowest over 10 minutes is
    // never above its highest over the 10 that ended 10 minutes before. Falling behind by 5 records a
    // minute (50 in a window, more than the jitter) under the same jitter fires from 30m on.
    name: 'a group that keeps up, its lag jittering, does not fire; one that falls behind at 5 records a minute under the same jitter does',
    interval: '1m',
    series: [
      s('kafka_consumergroup_lag_sum', { consumergroup: 'audit', topic: 'orders' }, JITTER.join(' ')),
      s('kafka_consumergroup_lag_sum', { consumergroup: 'billing', topic: 'orders' }, JITTER.map((v, t) => v + 5 * t).join(' ')),
    ],
    expect: [35, 43, 50, 60].map((t) => ({
      at: `${t}m`,
      alert: 'KafkaConsumerGroupLagGrowing',
      fires: [{ labels: { consumergroup: 'billing', topic: 'orders' }, summary: `Consumer group billing falls behind on topic orders: ${JITTER[t]! + 5 * t} records and growing` }],
    })),
  },
  {
    name: 'a group 400 s behind',
    interval: '1m',
    series: [s('kafkaplane_consumergroup_lag_seconds_max', { consumergroup: 'billing' }, '0 400x10'), s('kafkaplane_consumergroup_lag_seconds_max', { consumergroup: 'audit' }, '200x10')],
    expect: [
      { at: '3m', alert: 'KafkaConsumerGroupLagSecondsHigh', fires: [] },
      { at: '8m', alert: 'KafkaConsumerGroupLagSecondsHigh', fires: [{ labels: { consumergroup: 'billing' }, summary: 'Consumer group billing is 400 s behind (the record it reads next is that old)' }] },
    ],
  },
  {
    name: 'the exporter cannot read the cluster',
    interval: '1m',
    series: [s('kafkaplane_exporter_last_collection_success', {}, '1 0x10')],
    expect: [
      { at: '3m', alert: 'KafkaplaneExporterCollectionFailing', fires: [] },
      { at: '8m', alert: 'KafkaplaneExporterCollectionFailing', fires: [{ labels: {}, summary: 'kafkaplane exporter exporter:9308 cannot read the cluster: the Kafka alerts are blind' }] },
    ],
  },
]

/** promtool's test file: each scenario a test, each expectation an alert_rule_test with every label and annotation. */
function promtoolTests(rulesFile: string): string {
  return stringify({
    rule_files: [rulesFile],
    evaluation_interval: '1m',
    tests: scenarios.map((sc) => ({
      name: sc.name,
      interval: sc.interval,
      input_series: sc.series,
      alert_rule_test: sc.expect.map((e) => {
        const rule = rules.get(e.alert)
        assert.ok(rule, `no rule ${e.alert}`)
        return {
          eval_time: e.at,
          alertname: e.alert,
          exp_alerts: e.fires.map((f) => ({
            // `instance: ''` in a scenario means the rule's aggregation drops it.
            exp_labels: Object.fromEntries(Object.entries({ ...job, ...f.labels, severity: rule.severity }).filter(([, v]) => v !== '')),
            exp_annotations: { summary: f.summary, runbook: rule.runbook },
          })),
        }
      }),
    })),
  })
}

describe('alert rules with promtool', () => {
  let bin = ''
  const dir = mkdtempSync(join(tmpdir(), 'kafkaplane-rules-'))

  before(async () => {
    const started = performance.now()
    bin = await fetchedBin('fetch-prometheus.sh')
    console.log(`promtool located (or built) in ${Math.round(performance.now() - started)} ms`)
  })
  after(() => rmSync(dir, { recursive: true, force: true }))

  test('the committed files are what src/observe/alert-rules.ts renders; the PrometheusRule and the chart hold the same groups', async () => {
    assert.deepEqual(staleFiles(alertRuleFiles()), [], 'regenerate with: node src/observe/alert-rules.ts')
    const files = alertRuleFiles()
    const groups = parse(files.get('deploy/prometheus/kafkaplane-rules.yaml')!)
    assert.deepEqual(groups, ruleGroups(alertGroups()))
    assert.deepEqual(parse(files.get('deploy/prometheus/kafkaplane-prometheusrule.yaml')!), prometheusRule())
    assert.deepEqual(prometheusRule().spec, groups)

    const helm = join(await fetchedBin('fetch-helm.sh'), 'helm')
    const chart = join(root, 'deploy/helm/kafkaplane-operator')
    const off = await exec(helm, ['template', 'kafkaplane', chart, '--namespace', 'kafka'])
    assert.equal(off.code, 0, off.stderr)
    assert.doesNotMatch(off.stdout, /PrometheusRule/, 'off by default')
    const on = await exec(helm, ['template', 'kafkaplane', chart, '--namespace', 'kafka', '--set', 'prometheusRule.enabled=true', '--set', 'prometheusRule.labels.release=prom', '--show-only', 'templates/prometheus-rule.yaml'])
    assert.equal(on.code, 0, on.stderr)
    const rendered = parse(on.stdout)
    assert.equal(rendered.kind, 'PrometheusRule')
    assert.equal(rendered.apiVersion, 'monitoring.coreos.com/v1')
    assert.equal(rendered.metadata.namespace, 'kafka')
    assert.equal(rendered.metadata.labels.release, 'prom')
    assert.deepEqual(rendered.spec, groups, 'the chart renders the rules untouched, {{ $labels }} included')
  })

  test('promtool check rules passes on the rules file and the chart copy', async () => {
    for (const file of [RULES, join(root, 'deploy/helm/kafkaplane-operator/files/kafkaplane-rules.yaml')]) {
      const r = await exec(join(bin, 'promtool'), ['check', 'rules', file])
      assert.equal(r.code, 0, `${file}: ${r.stdout}${r.stderr}`)
      assert.match(r.stdout, new RegExp(`SUCCESS: ${rules.size} rules found`))
    }
  })

  test('promtool test rules: every rule fires on its scenario, with its labels and summary, and stays quiet where it should', async () => {
    const covered = new Set(scenarios.flatMap((sc) => sc.expect.filter((e) => e.fires.length > 0).map((e) => e.alert)))
    assert.deepEqual([...rules.keys()].filter((a) => !covered.has(a)), [], 'every rule has a scenario where it fires')
    const file = join(dir, 'tests.yaml')
    writeFileSync(file, promtoolTests(RULES))
    const r = await exec(join(bin, 'promtool'), ['test', 'rules', file])
    assert.equal(r.code, 0, `${r.stdout}${r.stderr}`)
    assert.match(r.stdout, /SUCCESS/)
  })
})

test('the committed Grafana dashboard is what src/observe/grafana-dashboard.ts renders: panels on a 24-column grid, none overlapping, each with a query', () => {
  assert.deepEqual(staleFiles(dashboardFiles()), [], 'regenerate with: node src/observe/grafana-dashboard.ts')
  const panels = grafanaDashboard().panels as { id: number; type: string; gridPos: { x: number; y: number; w: number; h: number }; targets?: { expr: string }[] }[]
  assert.equal(new Set(panels.map((p) => p.id)).size, panels.length, 'unique ids')
  const cells = new Set<string>()
  for (const p of panels) {
    assert.ok(p.gridPos.x + p.gridPos.w <= 24, `panel ${p.id} fits the grid`)
    for (let x = p.gridPos.x; x < p.gridPos.x + p.gridPos.w; x++) {
      for (let y = p.gridPos.y; y < p.gridPos.y + p.gridPos.h; y++) {
        assert.ok(!cells.has(`${x},${y}`), `panel ${p.id} overlaps another at ${x},${y}`)
        cells.add(`${x},${y}`)
      }
    }
    if (p.type !== 'row') assert.ok((p.targets ?? []).length > 0, `panel ${p.id} has a query`)
  }
})
