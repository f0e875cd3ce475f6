/**
 * kafkaplane's Grafana dashboard, written once here and rendered as deploy/grafana/kafkaplane.json (import
 * it in Grafana, or provision it): brokers by failure domain, the controller quorum, partition health,
 * under-min-ISR, consumer lag in records and in seconds, what may restart now, survivability of each
 * domain's loss, placement goals, reassignments and log dir volumes, all from `kafkaplane exporter`'s series.
 *
 *   node src/observe/grafana-dashboard.ts           writes the file
 *   node src/observe/grafana-dashboard.ts --check   exits 1 when the file differs from what it would write
 *
 * Variables: `datasource` (a Prometheus), `job` (the exporter's scrape job), `namespace` and
 * `kafkacluster` (the KafkaCluster: labels of the operator's series, or target labels given to a standalone
 * exporter's scrape; All = `.*` also matches series without them), `topic` and `consumergroup`
 * (multi-value, All = `.*`). test/integration/alerts.test.ts runs every panel's query, the variables
 * substituted, against a real Prometheus scraping the exporter of a real cluster, and requires data from each.
 */
import { pathToFileURL } from 'node:url'
import { generate } from './generated-files.ts'

export interface PanelTarget {
  expr: string
  legendFormat: string
}

export interface PanelSpec {
  title: string
  type: 'timeseries' | 'stat' | 'state-timeline' | 'table'
  description: string
  targets: PanelTarget[]
  unit?: string
  /** Width in grid columns (of 24); panels flow left to right, 8 rows high. */
  width: number
}

/** Every query's selector: the scrape job, and the KafkaCluster (the operator's series carry `namespace` and `kafkacluster`; give a standalone exporter's scrape the same target labels to tell clusters apart). */
const sel = (extra = '') => `{job=~"$job",namespace=~"$namespace",kafkacluster=~"$kafkacluster"${extra}}`
const topic = ',topic=~"$topic"'
const group = ',consumergroup=~"$consumergroup"'
const t = (expr: string, legendFormat: string): PanelTarget => ({ expr, legendFormat })

/** The rows of the dashboard and their panels, top to bottom. */
export const DASHBOARD_ROWS: { title: string; panels: PanelSpec[] }[] = [
  {
    title: 'Brokers and controllers',
    panels: [
      { title: 'Brokers up', type: 'stat', width: 4, description: 'Live brokers (kafka_brokers) against the brokers kafkaplane knows of', targets: [t(`kafka_brokers${sel()}`, 'up'), t(`count(kafkaplane_broker_up${sel()})`, 'known')] },
      { title: 'Brokers up by failure domain', type: 'table', width: 10, description: 'Brokers up and in all, per domain of every failure dimension', targets: [t(`kafkaplane_domain_brokers_up${sel()}`, '{{dimension}} {{domain}} up'), t(`kafkaplane_domain_brokers${sel()}`, '{{dimension}} {{domain}} all')] },
      { title: 'Broker up', type: 'state-timeline', width: 10, description: '1 when the broker is registered and unfenced; 0 fenced or gone', targets: [t(`kafkaplane_broker_up${sel()}`, 'broker {{broker}}')] },
      { title: 'Active controller', type: 'stat', width: 6, description: 'Active controllers (the KRaft quorum leader) and which voter it is', targets: [t(`kafkaplane_controller_active_count${sel()}`, 'active'), t(`kafkaplane_controller_active${sel()} == 1`, 'voter {{broker}}')] },
      { title: 'Controller voters behind the leader', type: 'timeseries', width: 9, unit: 's', description: 'Seconds since each voter last caught up with the active controller', targets: [t(`kafkaplane_quorum_voter_caught_up_ago_seconds${sel()}`, 'voter {{voter}}')] },
      { title: 'Controller voter lag (records)', type: 'timeseries', width: 9, description: "Records each voter's metadata log is behind the leader's", targets: [t(`kafkaplane_quorum_voter_lag_records${sel()}`, 'voter {{voter}}')] },
    ],
  },
  {
    title: 'Partitions',
    panels: [
      {
        title: 'Partition health',
        type: 'stat',
        width: 8,
        description: 'Partitions offline, under min.insync.replicas (acks=all writes fail), at it (one loss from failing), under-replicated',
        targets: [
          t(`sum(kafkaplane_topic_partitions_offline${sel(topic)})`, 'offline'),
          t(`sum(kafkaplane_topic_partitions_under_min_isr${sel(topic)})`, 'under min ISR'),
          t(`sum(kafkaplane_topic_partitions_at_min_isr${sel(topic)})`, 'at min ISR'),
          t(`sum(kafkaplane_topic_partitions_under_replicated${sel(topic)})`, 'under-replicated'),
        ],
      },
      { title: 'Under min ISR by topic', type: 'timeseries', width: 8, description: 'Partitions of each topic below min.insync.replicas', targets: [t(`kafkaplane_topic_partitions_under_min_isr${sel(topic)}`, '{{topic}}')] },
      { title: 'At min ISR by topic', type: 'timeseries', width: 8, description: 'Partitions of each topic exactly at min.insync.replicas, below their replicas', targets: [t(`kafkaplane_topic_partitions_at_min_isr${sel(topic)}`, '{{topic}}')] },
      { title: 'Under-replicated by topic', type: 'timeseries', width: 8, description: "kafka_exporter's per-partition flag, summed per topic", targets: [t(`sum by (topic) (kafka_topic_partition_under_replicated_partition${sel(topic)})`, '{{topic}}')] },
      { title: 'Leaders not preferred', type: 'timeseries', width: 8, description: 'Partitions whose leader is not their first replica', targets: [t(`kafkaplane_topic_partitions_leader_not_preferred${sel(topic)}`, '{{topic}}')] },
      { title: 'Records written per second', type: 'timeseries', width: 8, description: 'Growth of the sum of high watermarks', targets: [t(`rate(kafkaplane_topic_current_offset_sum${sel(topic)}[1m])`, '{{topic}}')] },
    ],
  },
  {
    title: 'Consumers',
    panels: [
      { title: 'Consumer lag (records)', type: 'timeseries', width: 8, description: "kafka_exporter's lag sum per group and topic", targets: [t(`kafka_consumergroup_lag_sum${sel(group + topic)}`, '{{consumergroup}} {{topic}}')] },
      { title: 'Consumer lag (seconds)', type: 'timeseries', width: 8, unit: 's', description: 'Age of the record each group reads next (0 when caught up)', targets: [t(`kafkaplane_consumergroup_lag_seconds_max${sel(group)}`, '{{consumergroup}}')] },
      { title: 'Consumer group status', type: 'state-timeline', width: 8, description: "Burrow's evaluation: 1 OK, 2 WARN, 3 ERR", targets: [t(`kafkaplane_consumergroup_status_code${sel(group)}`, '{{consumergroup}}')] },
    ],
  },
  {
    title: 'Restartability, survivability, placement',
    panels: [
      { title: 'Brokers that may restart now', type: 'state-timeline', width: 8, description: '1 when the broker may go down now without a partition dropping below min.insync.replicas or the quorum losing its majority', targets: [t(`kafkaplane_broker_restartable${sel()}`, 'broker {{broker}}')] },
      {
        title: 'Partitions blocking each broker\'s restart',
        type: 'table',
        width: 8,
        description: 'Partitions that would drop below min.insync.replicas without the broker (0: none)',
        targets: [t(`sum by (broker) (kafkaplane_broker_restart_blocking_partitions${sel()}) or sum by (broker) (kafkaplane_broker_restartable${sel()} * 0)`, 'broker {{broker}}')],
      },
      { title: 'Domains that may restart now', type: 'state-timeline', width: 8, description: '1 when every broker of the domain may go down together now', targets: [t(`kafkaplane_domain_restartable${sel()}`, '{{dimension}} {{domain}}')] },
      { title: 'Survives the loss of each domain', type: 'state-timeline', width: 8, description: '1 when every partition stays writable after the loss of the domain (as assigned)', targets: [t(`kafkaplane_domain_loss_survivable${sel()}`, '{{dimension}} {{domain}}')] },
      { title: 'Partitions unwritable after a domain loss', type: 'table', width: 8, description: 'Partitions left with fewer than min.insync.replicas replicas, per domain lost', targets: [t(`kafkaplane_domain_loss_unwritable_partitions${sel()}`, '{{dimension}} {{domain}}')] },
      { title: 'Placement goals met', type: 'table', width: 8, description: 'Each placement goal, hard ones first: 1 met, 0 violated', targets: [t(`kafkaplane_placement_goal_satisfied${sel()}`, '{{goal}}')] },
    ],
  },
  {
    title: 'Operations and disks',
    panels: [
      { title: 'Reassignments in flight', type: 'timeseries', width: 8, description: 'Partitions being reassigned (by any plan or tool)', targets: [t(`kafkaplane_reassigning_partitions${sel()}`, 'partitions')] },
      { title: 'Reassignment bytes left', type: 'timeseries', width: 8, unit: 'bytes', description: 'Bytes the new replicas still have to copy', targets: [t(`kafkaplane_reassignment_bytes_left${sel()}`, 'bytes left')] },
      { title: 'Log dir volume free', type: 'timeseries', width: 8, unit: 'percentunit', description: "Free share of each broker's log dir volume", targets: [t(`kafkaplane_log_dir_usable_bytes${sel()} / kafkaplane_log_dir_total_bytes${sel()}`, 'broker {{broker}} {{log_dir}}')] },
    ],
  },
]

/** The dashboard's variables: name -> the label_values() query that lists them (datasource apart). */
export const DASHBOARD_VARIABLES = [
  { name: 'job', query: 'label_values(kafkaplane_exporter_series, job)', multi: false },
  { name: 'namespace', query: 'label_values(kafkaplane_exporter_series{job=~"$job"}, namespace)', multi: true },
  { name: 'kafkacluster', query: 'label_values(kafkaplane_exporter_series{job=~"$job",namespace=~"$namespace"}, kafkacluster)', multi: true },
  { name: 'topic', query: `label_values(kafka_topic_partitions${sel()}, topic)`, multi: true },
  { name: 'consumergroup', query: `label_values(kafka_consumergroup_members${sel()}, consumergroup)`, multi: true },
] as const

const DATASOURCE = { type: 'prometheus', uid: '${datasource}' }

export function grafanaDashboard(): Record<string, unknown> {
  const panels: unknown[] = []
  let id = 1
  let y = 0
  for (const row of DASHBOARD_ROWS) {
    panels.push({ id: id++, type: 'row', title: row.title, collapsed: false, gridPos: { h: 1, w: 24, x: 0, y }, panels: [] })
    y += 1
    let x = 0
    for (const p of row.panels) {
      if (x + p.width > 24) {
        x = 0
        y += 8
      }
      panels.push({
        id: id++,
        type: p.type,
        title: p.title,
        description: p.description,
        datasource: DATASOURCE,
        gridPos: { h: 8, w: p.width, x, y },
        fieldConfig: { defaults: p.unit ? { unit: p.unit } : {}, overrides: [] },
        options: p.type === 'stat' ? { reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false }, textMode: 'value_and_name' } : {},
        targets: p.targets.map((target, i) => ({ refId: String.fromCharCode(65 + i), datasource: DATASOURCE, expr: target.expr, legendFormat: target.legendFormat, ...(p.type === 'table' ? { instant: true, format: 'table' } : {}) })),
      })
      x += p.width
    }
    y += 8
  }
  return {
    title: 'kafkaplane',
    uid: 'kafkaplane',
    description: 'A Kafka cluster by failure domain, from kafkaplane exporter (generated from src/observe/grafana-dashboard.ts)',
    tags: ['kafka', 'kafkaplane'],
    editable: true,
    schemaVersion: 39,
    version: 1,
    time: { from: 'now-1h', to: 'now' },
    refresh: '30s',
    timezone: '',
    templating: {
      list: [
        { name: 'datasource', label: 'Prometheus', type: 'datasource', query: 'prometheus', current: {}, hide: 0 },
        ...DASHBOARD_VARIABLES.map((v) => ({
          name: v.name,
          type: 'query',
          datasource: DATASOURCE,
          query: { query: v.query, refId: v.name },
          definition: v.query,
          refresh: 2,
          sort: 1,
          multi: v.multi,
          includeAll: v.multi,
          ...(v.multi ? { allValue: '.*' } : {}),
          current: {},
          hide: 0,
        })),
      ],
    },
    annotations: { list: [] },
    panels,
  }
}

const SOURCE = 'src/observe/grafana-dashboard.ts'
export const DASHBOARD_FILE = 'deploy/grafana/kafkaplane.json'

export function dashboardFiles(): Map<string, string> {
  return new Map([[DASHBOARD_FILE, `${JSON.stringify(grafanaDashboard(), null, 2)}\n`]])
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) process.exitCode = generate(SOURCE, dashboardFiles(), process.argv.slice(2))
