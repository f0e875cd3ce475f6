/**
 * kafkaplane's Prometheus alert rules, written once here and rendered as:
 *   - deploy/prometheus/kafkaplane-rules.yaml                 a plain rules file (prometheus.yml `rule_files`)
 *   - deploy/prometheus/kafkaplane-prometheusrule.yaml        the same groups as a PrometheusRule
 *                                                             (monitoring.coreos.com/v1) for the Prometheus Operator
 *   - deploy/helm/kafkaplane-operator/files/kafkaplane-rules.yaml   the groups the operator chart's PrometheusRule
 *                                                             template embeds (`prometheusRule.enabled`)
 *
 *   node src/observe/alert-rules.ts           writes the three files
 *   node src/observe/alert-rules.ts --check   exits 1 naming each file that differs from what it would write
 *
 * test/rules/alert-rules.test.ts fails when a file differs, runs `promtool check rules` on them and
 * `promtool test rules` on a series scenario for every rule; test/integration/alerts.test.ts proves the
 * broker, replication and lag alerts on a real Prometheus scraping `kafkaplane exporter`.
 *
 * Each rule says which series it reads. Where kafka_exporter has the series (kafka_brokers,
 * kafka_topic_partition_under_replicated_partition, kafka_consumergroup_lag_sum) the rule reads its names,
 * so people running kafka_exporter get the alert too; `kafkaplane exporter` serves the same names. Rules on
 * kafkaplane_ series need `kafkaplane exporter`. The one on more than one active controller reads the
 * JMX exporter's ActiveControllerCount (Strimzi's name): kafkaplane reads the active controller from
 * DescribeQuorum, which names exactly one leader, so its own series cannot show two. The ones on rolls and
 * the self-healer read the series `kafkaplane operator --metrics-port` serves (src/core/observe/operator-series.ts).
 */
import { pathToFileURL } from 'node:url'
import { stringify } from 'yaml'
import { KafkaplaneError } from '../core/errors.ts'
import { generate, generatedHeader } from './generated-files.ts'

export type Severity = 'critical' | 'warning'

export interface AlertRule {
  alert: string
  expr: string
  /** How long the expression must hold before the alert fires (Prometheus duration). */
  for: string
  severity: Severity
  /** One line for a person, with Go template fields ({{ $labels.topic }}, {{ $value }}). */
  summary: string
  /** What to do: the first steps, with kafkaplane's commands. */
  runbook: string
  /** Whose series the expression reads. */
  reads: 'kafka_exporter' | 'kafkaplane' | 'kafka_exporter or kafkaplane' | 'jmx'
}

export interface AlertGroup {
  name: string
  rules: AlertRule[]
}

/** The thresholds a user (or a test) may change; the defaults are what the committed files hold. */
export interface AlertRuleOptions {
  /** Lag in seconds of a group above which it alerts (default 300). */
  lagSecondsThreshold: number
  /** A group's lag must stay, all through the last such window, above all it was in the one that ended a window before (default 10m). */
  lagGrowthWindow: string
  /** Replaces the `for` of the named alerts (or of every alert, under '*'). */
  for?: Readonly<Record<string, string>>
}

export const DEFAULT_ALERT_OPTIONS: AlertRuleOptions = { lagSecondsThreshold: 300, lagGrowthWindow: '10m' }

/** A Prometheus duration of one unit ('10m') doubled ('20m'). */
function twice(duration: string): string {
  const m = /^(\d+)(ms|s|m|h|d|w|y)$/.exec(duration)
  if (!m) throw new KafkaplaneError('BAD_ARGUMENT', `lagGrowthWindow ${JSON.stringify(duration)} is not a Prometheus duration of one unit`, { fix: "give it as e.g. '10m' or '600s'" })
  return `${2 * Number(m[1])}${m[2]}`
}

export function alertGroups(options: AlertRuleOptions = DEFAULT_ALERT_OPTIONS): AlertGroup[] {
  const w = options.lagGrowthWindow
  const groups: AlertGroup[] = [
    {
      name: 'kafkaplane.brokers',
      rules: [
        {
          alert: 'KafkaBrokerDown',
          expr: 'kafkaplane_broker_up == 0',
          for: '1m',
          severity: 'critical',
          summary: 'Kafka broker {{ $labels.broker }} is down: not registered, or fenced',
          runbook: 'kafkaplane status shows the broker and what its partitions lost; check its process or pod and its log; while it is down, every partition it holds has one replica fewer (KafkaUnderReplicatedPartitions).',
          reads: 'kafkaplane',
        },
        {
          alert: 'KafkaBrokerCountDropped',
          expr: 'kafka_brokers < max_over_time(kafka_brokers[1h]) unless on () kafkaplane_broker_up',
          for: '1m',
          severity: 'critical',
          summary: 'Kafka has {{ $value }} brokers, fewer than in the last hour',
          runbook: 'A broker left the cluster (kafka_exporter only counts the live ones): find which with kafkaplane status, then check its process or pod. With kafkaplane exporter, KafkaBrokerDown names the broker instead.',
          reads: 'kafka_exporter',
        },
        {
          alert: 'KafkaBrokerFencedTooLong',
          expr: 'kafkaplane_broker_state{state="fenced"} == 1',
          for: '10m',
          severity: 'warning',
          summary: 'Kafka broker {{ $labels.broker }} has been starting for 10 minutes (fenced, following the metadata log): a restart or roll is stuck',
          runbook: 'The broker runs and follows the metadata log but is not unfenced: check its log (log recovery, its controller connection); a kafkaplane roll waits for it and goes no further.',
          reads: 'kafkaplane',
        },
        {
          alert: 'KafkaLogDirAlmostFull',
          expr: 'kafkaplane_log_dir_usable_bytes / kafkaplane_log_dir_total_bytes < 0.1',
          for: '5m',
          severity: 'critical',
          summary: 'Log dir {{ $labels.log_dir }} of Kafka broker {{ $labels.broker }} has less than 10% of its volume free',
          runbook: 'Grow the volume, lower retention of the largest topics, or move replicas away (kafkaplane rebalance); a full log dir takes the broker offline.',
          reads: 'kafkaplane',
        },
        {
          alert: 'KafkaLogDirFillingUp',
          expr: 'predict_linear(kafkaplane_log_dir_usable_bytes[6h], 24 * 3600) < 0 and kafkaplane_log_dir_usable_bytes / kafkaplane_log_dir_total_bytes < 0.4',
          for: '1h',
          severity: 'warning',
          summary: 'Log dir {{ $labels.log_dir }} of Kafka broker {{ $labels.broker }} will be full within a day at the rate of the last 6 hours',
          runbook: 'Find the growing topics (kafkaplane_topic_current_offset_sum), lower their retention or grow the volume before it fills.',
          reads: 'kafkaplane',
        },
      ],
    },
    {
      name: 'kafkaplane.partitions',
      rules: [
        {
          alert: 'KafkaOfflinePartitions',
          expr: 'kafkaplane_topic_partitions_offline > 0',
          for: '1m',
          severity: 'critical',
          summary: '{{ $value }} partitions of topic {{ $labels.topic }} have no leader: no reads or writes',
          runbook: 'kafkaplane status names the partitions and the brokers holding them: bring those brokers back; never elect an out-of-sync replica unless losing acknowledged writes is accepted.',
          reads: 'kafkaplane',
        },
        {
          alert: 'KafkaUnderMinIsrPartitions',
          expr: 'kafkaplane_topic_partitions_under_min_isr > 0',
          for: '1m',
          severity: 'critical',
          summary: '{{ $value }} partitions of topic {{ $labels.topic }} are below min.insync.replicas: acks=all writes fail',
          runbook: 'kafkaplane status names the out-of-sync brokers: bring them back or let them catch up; do not restart any other broker of these partitions meanwhile.',
          reads: 'kafkaplane',
        },
        {
          alert: 'KafkaAtMinIsrPartitions',
          expr: 'kafkaplane_topic_partitions_at_min_isr > 0',
          for: '15m',
          severity: 'warning',
          summary: '{{ $value }} partitions of topic {{ $labels.topic }} have been at min.insync.replicas for 15 minutes: one more loss stops writes',
          runbook: 'Find the replica that is out of sync (kafkaplane status) and bring it back; kafkaplane_broker_restartable says which brokers may not restart until then.',
          reads: 'kafkaplane',
        },
        {
          alert: 'KafkaUnderReplicatedPartitions',
          expr: 'sum without (partition) (kafka_topic_partition_under_replicated_partition) > 0 or kafkaplane_topic_partitions_under_replicated > 0',
          for: '5m',
          severity: 'warning',
          summary: '{{ $value }} partitions of topic {{ $labels.topic }} are under-replicated',
          runbook: 'A broker is down or a replica is slow to catch up: kafkaplane status names the brokers missing from the ISR.',
          reads: 'kafka_exporter or kafkaplane',
        },
      ],
    },
    {
      name: 'kafkaplane.controllers',
      rules: [
        {
          alert: 'KafkaNoActiveController',
          expr: 'kafkaplane_controller_active_count < 1',
          for: '1m',
          severity: 'critical',
          summary: 'The KRaft controller quorum has no leader: no metadata change (topics, leaders, ISR) can happen',
          runbook: 'A majority of the controller voters must run and reach each other: check the controllers (kafkaplane status lists the voters) and their network.',
          reads: 'kafkaplane',
        },
        {
          alert: 'KafkaMoreThanOneActiveController',
          expr: 'sum without (instance, pod, node) (kafka_controller_kafkacontroller_activecontrollercount) > 1',
          for: '1m',
          severity: 'critical',
          summary: '{{ $value }} nodes say they are the active controller',
          runbook: 'A split controller quorum: check the network between the controllers and that they all list the same controller.quorum.voters; restart the node that is not the quorum leader (kafkaplane status names it).',
          reads: 'jmx',
        },
        {
          alert: 'KafkaQuorumVoterLagging',
          expr: 'kafkaplane_quorum_voter_caught_up_ago_seconds > 30',
          for: '2m',
          severity: 'warning',
          summary: 'Controller voter {{ $labels.voter }} last caught up with the active controller {{ $value }} s ago',
          runbook: 'The voter is down, slow or cut off: while it lags, the quorum tolerates one failure fewer and kafkaplane roll does not restart another voter.',
          reads: 'kafkaplane',
        },
      ],
    },
    {
      name: 'kafkaplane.placement-and-operations',
      rules: [
        {
          alert: 'KafkaPlacementGoalViolated',
          expr: 'kafkaplane_placement_goal_satisfied{hard="true"} == 0',
          for: '30m',
          severity: 'warning',
          summary: 'The placement has violated the hard goal {{ $labels.goal }} for 30 minutes',
          runbook: 'kafkaplane plan check says which partitions; kafkaplane rebalance (or the operator) fixes them with throttled moves.',
          reads: 'kafkaplane',
        },
        {
          alert: 'KafkaDomainLossNotSurvivable',
          expr: 'kafkaplane_domain_loss_survivable == 0',
          for: '30m',
          severity: 'warning',
          summary: 'Losing {{ $labels.dimension }} {{ $labels.domain }} would stop acks=all writes to some partitions',
          runbook: 'kafkaplane_domain_loss_unwritable_partitions counts them: raise their replication factor or fix their spread (kafkaplane replication-factor fix, kafkaplane rebalance).',
          reads: 'kafkaplane',
        },
        {
          alert: 'KafkaRollStuck',
          expr: 'kafkaplane_roll_phase{phase=~"blocked|stalled|failed"} == 1',
          for: '15m',
          severity: 'warning',
          summary: 'The rolling restart of KafkaCluster {{ $labels.namespace }}/{{ $labels.kafkacluster }} has been in phase {{ $labels.phase }} for 15 minutes',
          runbook: "kubectl describe kafkacluster says why (status.roll): a broker that may not restart (a partition at min.insync.replicas, the quorum), or one that does not come back; fix that and the operator goes on.",
          reads: 'kafkaplane',
        },
        {
          alert: 'KafkaSelfHealingBlocked',
          expr: 'kafkaplane_self_healing_phase{phase=~"blocked|failed"} == 1',
          for: '30m',
          severity: 'warning',
          summary: 'The self-healer of KafkaCluster {{ $labels.namespace }}/{{ $labels.kafkacluster }} has been in phase {{ $labels.phase }} for 30 minutes',
          runbook: 'kubectl describe kafkacluster says why (status.selfHealing): its plan could not run or failed; the cluster stays as it is until that is fixed.',
          reads: 'kafkaplane',
        },
        {
          alert: 'KafkaReassignmentStuck',
          expr: 'kafkaplane_reassigning_partitions > 0 and max_over_time(kafkaplane_reassignment_rate_bytes_per_second[15m]) == 0',
          for: '5m',
          severity: 'warning',
          summary: '{{ $value }} partition reassignments have copied nothing for 15 minutes',
          runbook: 'A broker receiving replicas is down or the throttle is 0: check kafkaplane status; resume or cancel the plan with the command that started it (--cancel).',
          reads: 'kafkaplane',
        },
      ],
    },
    {
      name: 'kafkaplane.consumers',
      rules: [
        {
          alert: 'KafkaConsumerGroupLagGrowing',
          // Its lowest over the last window above its highest over a window that ended a window earlier. The
          // lag of a group that keeps up jitters with each commit and fetch, so "higher than a window ago"
          // (delta > 0) holds by chance for minutes on end; lag that grows by more than its jitter in a
          // window never comes back down to where it was, and the window between keeps slow growth visible.
          expr: `kafka_consumergroup_lag_sum > 0 and min_over_time(kafka_consumergroup_lag_sum[${w}]) > max_over_time(kafka_consumergroup_lag_sum[${w}] offset ${twice(w)})`,
          for: options.lagGrowthWindow,
          severity: 'warning',
          summary: 'Consumer group {{ $labels.consumergroup }} falls behind on topic {{ $labels.topic }}: {{ $value }} records and growing',
          runbook: 'The group consumes slower than producers write, or stopped: check its members (kafka_consumergroup_members) and their logs; add consumers up to the partition count.',
          reads: 'kafka_exporter',
        },
        {
          alert: 'KafkaConsumerGroupLagSecondsHigh',
          expr: `kafkaplane_consumergroup_lag_seconds_max > ${options.lagSecondsThreshold}`,
          for: '5m',
          severity: 'warning',
          summary: 'Consumer group {{ $labels.consumergroup }} is {{ $value }} s behind (the record it reads next is that old)',
          runbook: 'kafkaplane_consumergroup_topic_lag_seconds_max says which topic; check the group is running (kafka_consumergroup_members) and keeps up.',
          reads: 'kafkaplane',
        },
        {
          alert: 'KafkaplaneExporterCollectionFailing',
          expr: 'kafkaplane_exporter_last_collection_success == 0',
          for: '5m',
          severity: 'warning',
          summary: 'kafkaplane exporter {{ $labels.instance }} cannot read the cluster: the Kafka alerts are blind',
          runbook: "The exporter's log says why (no broker reachable, authorization); until it reads again only its own series are served.",
          reads: 'kafkaplane',
        },
      ],
    },
  ]
  const override = options.for ?? {}
  return groups.map((g) => ({ name: g.name, rules: g.rules.map((r) => ({ ...r, for: override[r.alert] ?? override['*'] ?? r.for })) }))
}

/** The `groups` of a Prometheus rules file (also a PrometheusRule's spec). */
export function ruleGroups(groups: readonly AlertGroup[]): { groups: unknown[] } {
  return {
    groups: groups.map((g) => ({
      name: g.name,
      rules: g.rules.map((r) => ({ alert: r.alert, expr: r.expr, for: r.for, labels: { severity: r.severity }, annotations: { summary: r.summary, runbook: r.runbook } })),
    })),
  }
}

export function rulesYaml(groups: readonly AlertGroup[] = alertGroups()): string {
  return stringify(ruleGroups(groups), { lineWidth: 0 })
}

/** The rules as a PrometheusRule object (the Prometheus Operator's CRD). */
export function prometheusRule(groups: readonly AlertGroup[] = alertGroups(), metadata: { name: string; namespace?: string; labels?: Record<string, string> } = { name: 'kafkaplane' }): Record<string, unknown> {
  return { apiVersion: 'monitoring.coreos.com/v1', kind: 'PrometheusRule', metadata, spec: ruleGroups(groups) }
}

const SOURCE = 'src/observe/alert-rules.ts'
const HEADER = generatedHeader(SOURCE, 'test/rules/alert-rules.test.ts')

/** Repository-relative path -> content of every generated file. */
export function alertRuleFiles(): Map<string, string> {
  return new Map([
    ['deploy/prometheus/kafkaplane-rules.yaml', `${HEADER}${rulesYaml()}`],
    ['deploy/prometheus/kafkaplane-prometheusrule.yaml', `${HEADER}${stringify(prometheusRule(), { lineWidth: 0 })}`],
    ['deploy/helm/kafkaplane-operator/files/kafkaplane-rules.yaml', `${HEADER}${rulesYaml()}`],
  ])
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) process.exitCode = generate(SOURCE, alertRuleFiles(), process.argv.slice(2))
