/**
 * kafkaplane's alert rules and Grafana dashboard on a real Prometheus (built from the Go module proxy by
 * scripts/fetch-prometheus.sh) scraping `kafkaplane exporter` of one real 3-broker cluster (zones a, b, c)
 * on kafkaplane's defaults (RF 3, min.insync.replicas 2), while a producer writes all the time:
 *   1. a stopped broker fires KafkaBrokerDown (naming it and its zone) and KafkaUnderReplicatedPartitions
 *      (naming the topic), read from Prometheus's /api/v1/alerts; meanwhile no other broker may restart
 *      (the topic's partitions and the quorum block it) and each zone's loss stays survivable; both alerts
 *      end once it is back in sync, and every broker may restart again;
 *   2. a consumer group that commits and stops while production goes on fires KafkaConsumerGroupLagGrowing
 *      and KafkaConsumerGroupLagSecondsHigh for that group, and none is ever pending for a group that keeps
 *      consuming, once it has caught up;
 *   3. a kafkaplane plan (replication-factor fix 2 -> 3 of 3 MiB at 128 KiB/s) shows as a reassignment in flight with
 *      its bytes left going down and an ETA, and nothing is left once it has ended;
 *   4. every panel query of deploy/grafana/kafkaplane.json, its variables substituted (and every
 *      variable's label_values), returns data.
 * The test's copy of the rules is the committed one with short `for`s (5 s), a 5 s lag threshold and a
 * 10 s growth window; Prometheus scrapes and evaluates every second. The producer, the live consumer,
 * the exporter, Prometheus and the cluster are stopped in after(), by pid, whatever failed.
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { Consumer, Producer, ProduceAcks, stringDeserializers, stringSerializers } from '@platformatic/kafka'
import { layoutBrokers } from '../../src/core/topology/layout.ts'
import { clientConnectionOptions, createAdmin } from '../../src/kafka/connection.ts'
import { waitForTopic } from '../../src/kafka/wait-for-topic.ts'
import type { LocalCluster } from '../../src/local/local-cluster.ts'
import { alertGroups, rulesYaml } from '../../src/observe/alert-rules.ts'
import { DASHBOARD_FILE, DASHBOARD_VARIABLES, dashboardFiles } from '../../src/observe/grafana-dashboard.ts'
import { startWatchedCli, type WatchedCli } from './support/cli.ts'
import { freeBasePort, startTestCluster } from './support/clusters.ts'
import { startExporter, stopExporter, stopProcess } from './support/exporter.ts'
import { fetchedBin } from './support/fetched-tools.ts'
import { fill, waitForPartitions } from './support/kafka-io.ts'
import { until } from './support/until.ts'

const topology = layoutBrokers(3, [{ name: 'zone', values: ['a', 'b', 'c'] }])
const TOPIC = 'orders'
const PARTITIONS = 3
const JOB = 'kafkaplane'
/** The target labels of the exporter's scrape: the KafkaCluster it stands for, as the dashboard's variables choose it. */
const NAMESPACE = 'kafka-test'
const KAFKA_CLUSTER = 'alerts'

interface Alert {
  labels: Record<string, string>
  annotations: Record<string, string>
  state: 'pending' | 'firing'
}

describe('alert rules and the dashboard on a real Prometheus scraping kafkaplane exporter', { timeout: 300_000 }, () => {
  let cluster: LocalCluster | undefined
  let exporter: { cli: WatchedCli; url: string } | undefined
  let prometheus: { child: ChildProcess; exited: Promise<unknown>; log: () => string } | undefined
  let api = ''
  let producing = true
  let producer: Promise<void> | undefined
  let live: Consumer<string, string, string, string> | undefined
  const dir = mkdtempSync(join(tmpdir(), 'kafkaplane-alerts-'))

  before(async () => {
    const begun = performance.now()
    const bin = await fetchedBin('fetch-prometheus.sh')
    cluster = await startTestCluster(topology)
    const bootstrapServers = cluster.bootstrapServers
    const admin = createAdmin({ bootstrapServers })
    try {
      await admin.createTopics({ topics: [TOPIC], partitions: PARTITIONS, replicas: 3 })
    } finally {
      await admin.close()
    }
    await waitForPartitions(bootstrapServers, TOPIC, (ps) => ps.every((p) => p.leader >= 0))
    producer = produceUntilStopped(bootstrapServers, () => producing)
    exporter = await startExporter(bootstrapServers)

    // Prometheus: scrapes the exporter and evaluates the rules every second.
    const port = await freeBasePort(1)
    const target = new URL(exporter.url).host
    writeFileSync(join(dir, 'rules.yaml'), rulesYaml(alertGroups({ lagSecondsThreshold: 5, lagGrowthWindow: '10s', for: { '*': '5s' } })))
    writeFileSync(
      join(dir, 'prometheus.yml'),
      `global: { scrape_interval: 1s, evaluation_interval: 1s }\nrule_files: [${join(dir, 'rules.yaml')}]\nscrape_configs:\n  - job_name: ${JOB}\n    static_configs: [{ targets: ['${target}'], labels: { namespace: ${NAMESPACE}, kafkacluster: ${KAFKA_CLUSTER} } }]\n`,
    )
    let log = ''
    const child = spawn(join(bin, 'prometheus'), [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'], { stdio: ['ignore', 'pipe', 'pipe'] })
    child.stdout!.on('data', (d: Buffer) => (log += d.toString()))
    child.stderr!.on('data', (d: Buffer) => (log += d.toString()))
    prometheus = { child, exited: new Promise((resolve) => child.on('close', resolve)), log: () => log }
    api = `http://127.0.0.1:${port}/api/v1`
    await until('Prometheus scraping the exporter', () => query('up').catch(() => undefined), (r) => r.some((s) => s.value[1] === '1'), { timeoutMs: 60_000, everyMs: 500, context: () => prometheus!.log() })
    console.log(`cluster, exporter and Prometheus up and scraping in ${Math.round(performance.now() - begun)} ms`)
  })

  after(async () => {
    producing = false
    try {
      await live?.close(true).catch(() => {})
      await producer?.catch(() => {})
      if (prometheus) await stopProcess(prometheus.child, prometheus.exited)
      await stopExporter(exporter?.cli)
    } finally {
      await cluster?.stop()
      rmSync(dir, { recursive: true, force: true })
    }
    if (prometheus) assert.notEqual(prometheus.child.exitCode ?? prometheus.child.signalCode, null, 'prometheus is gone')
  })

  async function get<T>(path: string): Promise<T> {
    const response = await fetch(`${api}${path}`)
    const body = (await response.json()) as { status: string; data: T; error?: string }
    assert.equal(body.status, 'success', `${path}: ${body.error}`)
    return body.data
  }

  async function query(expr: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
    return (await get<{ result: { metric: Record<string, string>; value: [number, string] }[] }>(`/query?query=${encodeURIComponent(expr)}`)).result
  }

  const firing = async () => (await get<{ alerts: Alert[] }>('/alerts')).alerts.filter((a) => a.state === 'firing')
  const context = () => `exporter:\n${exporter?.cli.stderr().slice(-3000)}\nprometheus:\n${prometheus?.log().slice(-3000)}`
  const has = (alerts: Alert[], name: string, labels: Record<string, string>) => alerts.some((a) => a.labels.alertname === name && Object.entries(labels).every(([k, v]) => a.labels[k] === v))

  test('a stopped broker fires KafkaBrokerDown and KafkaUnderReplicatedPartitions; both end once it is back', async () => {
    const stopped = 2
    const zone = cluster!.brokerLabels(stopped).zone!
    assert.deepEqual((await firing()).map((a) => a.labels.alertname).filter((a) => a === 'KafkaBrokerDown' || a === 'KafkaUnderReplicatedPartitions'), [], 'none before')
    const started = performance.now()
    await cluster!.stopBroker(stopped)
    try {
      const alerts = await until('the broker alerts firing', () => firing(), (a) => has(a, 'KafkaBrokerDown', { broker: String(stopped) }) && has(a, 'KafkaUnderReplicatedPartitions', { topic: TOPIC }), { timeoutMs: 90_000, everyMs: 1000, context })
      console.log(`broker ${stopped} stopped: its alerts fired ${Math.round(performance.now() - started)} ms after the stop began`)
      const down = alerts.find((a) => a.labels.alertname === 'KafkaBrokerDown')!
      assert.deepEqual([down.labels.broker, down.labels.zone, down.labels.severity, down.labels.job], [String(stopped), zone, 'critical', JOB])
      assert.equal(down.annotations.summary, `Kafka broker ${stopped} is down: not registered, or fenced`)
      assert.ok(down.annotations.runbook)
      const under = alerts.find((a) => a.labels.alertname === 'KafkaUnderReplicatedPartitions' && a.labels.topic === TOPIC)!
      assert.equal(under.annotations.summary, `${PARTITIONS} partitions of topic ${TOPIC} are under-replicated`)
      // RF 3, min.insync.replicas 2: one broker down leaves every partition writable: no under-min-ISR alert.
      assert.ok(!has(alerts, 'KafkaUnderMinIsrPartitions', {}), 'at min ISR is not under it')
      // No other broker may restart now: each partition of orders would drop below min ISR, and the
      // quorum (three combined nodes, one down) would lose its majority; the loss of a zone is still
      // survivable as assigned (one replica in each zone).
      const value = async (expr: string) => (await query(expr))[0]?.value[1]
      for (const id of cluster!.brokerIds().filter((b) => b !== stopped)) {
        const broker = String(id)
        assert.equal(await value(`kafkaplane_broker_restartable{broker="${broker}"}`), '0', `broker ${id}`)
        assert.equal(await value(`kafkaplane_broker_restart_blocking_partitions{broker="${broker}",topic="${TOPIC}"}`), String(PARTITIONS), `broker ${id}`)
      }
      // The stopped voter counts as caught up for 10 s after its last fetch (core/health/quorum.ts): fenced
      // and following the metadata log until then, down after.
      await until('the stopped broker down, not starting', () => value(`kafkaplane_broker_state{broker="${stopped}",state="down"}`), (v) => v === '1', { timeoutMs: 60_000, everyMs: 1000, context })
      const others = cluster!.brokerIds().filter((b) => b !== stopped).map(String).sort()
      await until('the quorum blocking the other brokers', () => query('kafkaplane_broker_restart_blocked_by_quorum == 1'), (r) => JSON.stringify(r.map((x) => x.metric.broker).sort()) === JSON.stringify(others), { timeoutMs: 60_000, everyMs: 1000, context })
      assert.equal(await value(`kafkaplane_domain_restartable{dimension="zone",domain="${cluster!.brokerLabels(0).zone}"}`), '0')
      assert.deepEqual((await query('kafkaplane_domain_loss_survivable')).map((r) => `${r.metric.domain}=${r.value[1]}`).sort(), ['a=1', 'b=1', 'c=1'])
    } finally {
      await cluster!.startBroker(stopped)
    }
    const back = performance.now()
    await until('the broker alerts ended', () => firing(), (a) => !has(a, 'KafkaBrokerDown', {}) && !has(a, 'KafkaUnderReplicatedPartitions', {}), { timeoutMs: 90_000, everyMs: 1000, context })
    console.log(`broker ${stopped} started again: its alerts ended ${Math.round(performance.now() - back)} ms later`)
    await until('every broker restartable again', () => query('kafkaplane_broker_restartable == 1'), (r) => r.length === 3, { timeoutMs: 60_000, everyMs: 1000, context })
  })

  test('a consumer group that commits and stops while production goes on fires the lag alerts; a group that keeps consuming does not', async () => {
    const bootstrapServers = cluster!.bootstrapServers
    // A group's first join waits while its coordinator loads its __consumer_offsets partition (longer on a
    // busy machine, where 3 retries ran out in a run beside the Kubernetes bed): retried as verify's clients are.
    const joinRetries = { retries: 30, retryDelay: 500 }
    // `steady` reads from the start and keeps reading and committing: once it has caught up with what was
    // written before it joined (its lag in seconds is then that of a commit or two), no lag alert may fire for it.
    live = new Consumer({ clientId: 'alerts-steady', groupId: 'steady', ...clientConnectionOptions({ bootstrapServers }), ...joinRetries, deserializers: stringDeserializers })
    const steady = await live.consume({ topics: [TOPIC], mode: 'earliest', autocommit: 500, maxWaitTime: 500 })
    steady.on('data', () => {})
    await until('the steady group caught up', () => query('kafkaplane_consumergroup_lag_seconds_max{consumergroup="steady"}'), (r) => r.length === 1 && Number(r[0]!.value[1]) < 2, { timeoutMs: 60_000, everyMs: 1000, context })
    const caughtUp = performance.now()

    // `stalled` reads ten records from the start, commits and leaves.
    const stalled = new Consumer({ clientId: 'alerts-stalled', groupId: 'stalled', ...clientConnectionOptions({ bootstrapServers }), ...joinRetries, deserializers: stringDeserializers })
    try {
      const stream = await stalled.consume({ topics: [TOPIC], mode: 'earliest', autocommit: false, maxWaitTime: 500 })
      let read = 0
      for await (const message of stream) {
        await message.commit()
        if (++read >= 10) break
      }
      await stream.close().catch(() => {})
    } finally {
      await stalled.close(true).catch(() => {})
    }

    const stoppedAt = performance.now()
    const alerts = await until(
      'the lag alerts of group stalled',
      () => firing(),
      (a) => has(a, 'KafkaConsumerGroupLagGrowing', { consumergroup: 'stalled', topic: TOPIC }) && has(a, 'KafkaConsumerGroupLagSecondsHigh', { consumergroup: 'stalled' }),
      { timeoutMs: 120_000, everyMs: 1000, context },
    )
    console.log(`group stalled: its lag alerts fired ${Math.round(performance.now() - stoppedAt)} ms after it stopped`)
    // Not now, nor at any evaluation since it caught up: Prometheus keeps each alert's state as the series ALERTS.
    const since = `${Math.ceil((performance.now() - caughtUp) / 1000)}s`
    const steadyAlerts = await query(`max_over_time(ALERTS{consumergroup="steady"}[${since}])`)
    if (steadyAlerts.length > 0) {
      const history = await Promise.all(['kafka_consumergroup_lag_sum', 'kafkaplane_consumergroup_lag_seconds_max'].map(async (m) => `${m}: ${JSON.stringify((await query(`${m}{consumergroup="steady"}[${since}]`)).map((r) => (r as unknown as { values: unknown }).values))}`))
      assert.fail(`the steady group keeps up, yet alerts were pending or firing for it: ${JSON.stringify(steadyAlerts.map((a) => a.metric))}\n${history.join('\n')}`)
    }
    const seconds = alerts.find((a) => a.labels.alertname === 'KafkaConsumerGroupLagSecondsHigh')!
    assert.match(seconds.annotations.summary!, /^Consumer group stalled is [0-9.]+ s behind/)
    // The group is known to the exporter as it is: no members, lag in records growing.
    const [members] = await query(`kafka_consumergroup_members{consumergroup="stalled"}`)
    assert.equal(members?.value[1], '0')
  })

  test('a kafkaplane plan in flight (replication-factor fix, throttled): the reassignment, its bytes left going down and an ETA; nothing left once it ends', async () => {
    const bootstrapServers = cluster!.bootstrapServers
    const admin = createAdmin({ bootstrapServers })
    try {
      await admin.createTopics({ topics: ['moving'], partitions: -1, replicas: -1, assignments: [{ partition: 0, brokers: [0, 1] }] })
      await waitForTopic(admin, 'moving', 1, 60_000)
    } finally {
      await admin.close()
    }
    // More than a replica fetch takes at once (replica.fetch.max.bytes, 1 MiB), so that the rest is copied
    // at the throttle's pace.
    const bytes = 3 * 1024 * 1024
    await fill(bootstrapServers, 'moving', bytes)
    const plan = startWatchedCli(['replication-factor', 'fix', '--target', '3', '--topics', 'moving', '--throttle', String(128 * 1024), '--bootstrap-server', bootstrapServers.join(','), '--state-file', join(dir, 'plan.json'), '--poll-ms', '500'])
    const read = async () => {
      const [partitions, left, eta] = await Promise.all(['kafkaplane_reassigning_partitions', 'kafkaplane_reassignment_bytes_left', 'kafkaplane_reassignment_eta_seconds'].map(async (m) => (await query(m))[0]?.value[1]))
      return { partitions: Number(partitions), left: Number(left), eta: eta === undefined ? undefined : Number(eta) }
    }
    const planContext = () => `${plan.stdout()}${plan.stderr()}\n${context()}`
    // What Prometheus holds, every 500 ms while the plan runs.
    const seen: { partitions: number; left: number; eta: number | undefined }[] = []
    try {
      while (plan.child.exitCode === null) {
        seen.push(await read())
        await sleep(500)
      }
    } finally {
      await stopProcess(plan.child, plan.exited)
    }
    assert.equal(plan.child.exitCode, 0, planContext())
    const moving = seen.filter((v) => v.partitions === 1 && v.left > 0)
    assert.ok(moving.length > 0, `the move was seen in flight: ${JSON.stringify(seen)}\n${planContext()}`)
    assert.ok(moving.every((v) => v.left <= bytes * 1.05), `bytes left within the topic's ${bytes}: ${JSON.stringify(moving)}`)
    assert.ok(moving.some((v, i) => i > 0 && v.left < moving[i - 1]!.left), `bytes left went down: ${JSON.stringify(moving)}`)
    const etas = moving.flatMap((v) => (v.eta === undefined ? [] : [v.eta]))
    assert.ok(etas.length > 0 && etas.every((eta) => eta > 0 && eta < 300), `an ETA of seconds while it copied: ${JSON.stringify(moving)}`)
    await until('no reassignment left', read, (v) => v.partitions === 0 && v.left === 0 && v.eta === undefined, { timeoutMs: 30_000, everyMs: 500, context: planContext })
    console.log(`plan in flight: ${moving.length} of ${seen.length} reads saw it moving, ETAs ${etas.map((e) => Math.round(e)).join(', ')} s`)
  })

  test("every panel query of the Grafana dashboard, and every variable's values, return data for the KafkaCluster chosen, and none for another", async () => {
    assert.deepEqual([...dashboardFiles().keys()], [DASHBOARD_FILE])
    const dashboard = JSON.parse(dashboardFiles().get(DASHBOARD_FILE)!) as { panels: { type: string; title: string; targets?: { expr: string }[] }[] }
    // The KafkaCluster chosen by name, as its target labels give it: each query must select by them.
    const substitute = (expr: string) => expr.replaceAll('$job', JOB).replaceAll('$namespace', NAMESPACE).replaceAll('$kafkacluster', KAFKA_CLUSTER).replaceAll('$topic', '.*').replaceAll('$consumergroup', '.*')
    for (const v of DASHBOARD_VARIABLES) {
      const m = /^label_values\((.+), (\w+)\)$/.exec(v.query)
      assert.ok(m, v.query)
      const values = await get<string[]>(`/label/${m[2]}/values?match[]=${encodeURIComponent(substitute(m[1]!))}`)
      assert.ok(values.length > 0, `variable ${v.name}: ${v.query} lists nothing`)
    }
    const empty: string[] = []
    let queries = 0
    for (const panel of dashboard.panels.filter((p) => p.type !== 'row')) {
      assert.ok((panel.targets ?? []).length > 0, `panel ${panel.title} has no query`)
      for (const target of panel.targets!) {
        queries++
        if ((await query(substitute(target.expr))).length === 0) empty.push(`${panel.title}: ${target.expr}`)
      }
    }
    assert.deepEqual(empty, [], 'queries without data')
    // With another KafkaCluster chosen, no panel shows this one's series.
    const leaking: string[] = []
    for (const panel of dashboard.panels.filter((p) => p.type !== 'row')) {
      for (const target of panel.targets!) {
        if ((await query(substitute(target.expr).replaceAll(`kafkacluster=~"${KAFKA_CLUSTER}"`, 'kafkacluster=~"another"'))).length > 0) leaking.push(`${panel.title}: ${target.expr}`)
      }
    }
    assert.deepEqual(leaking, [], 'queries that show another KafkaCluster')
    console.log(`${queries} panel queries of ${dashboard.panels.filter((p) => p.type !== 'row').length} panels returned data`)
  })
})

/** Writes a record to each partition every 200 ms (acks=all, idempotent) until `go()` says stop. */
async function produceUntilStopped(bootstrapServers: string[], go: () => boolean): Promise<void> {
  const producer = new Producer({ clientId: 'alerts-producer', ...clientConnectionOptions({ bootstrapServers }), serializers: stringSerializers, idempotent: true, acks: ProduceAcks.ALL, retries: 20, retryDelay: 500 })
  try {
    for (let i = 0; go(); i++) {
      await producer.send({ messages: Array.from({ length: PARTITIONS }, (_, partition) => ({ topic: TOPIC, partition, key: `k${i}`, value: `v${i}` })) }).catch(() => {})
      await sleep(200)
    }
  } finally {
    await producer.close().catch(() => {})
  }
}
