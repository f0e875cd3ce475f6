/**
 * The operator's self-healer (src/kube/operator/heal-workers.ts) on a real API server and a real local
 * Kafka cluster laid out as the KafkaCluster says: one Kubernetes cluster, zones a, b, c, brokers 0:a,
 * 1:b, 2:c, 3:a, on kafkaplane's defaults (RF 3, min.insync.replicas 2), under acks=all writes read back
 * after. No kubelet runs, so the test reports the StatefulSet's pods ready itself; a broker "pod" that
 * dies is its broker process killed. Every process the test starts is stopped by pid in after().
 */
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { throttlePlan } from '../../src/core/plan/moves.ts'
import type { Topology } from '../../src/core/topology/topology.ts'
import { setReplicationThrottles } from '../../src/kafka/alter-replication-throttles.ts'
import { createAdmin } from '../../src/kafka/connection.ts'
import { describeClusterSnapshot } from '../../src/kafka/describe-cluster-snapshot.ts'
import { customResourceDefinitions } from '../../src/kube/crds/crd.ts'
import { isAlive } from '../../src/local/broker-process.ts'
import { locateKubeBinaries } from '../../src/local/kube-binaries.ts'
import { startKubeControlPlane, type KubeControlPlane } from '../../src/local/kube-control-plane.ts'
import type { LocalCluster } from '../../src/local/local-cluster.ts'
import { startWorkload, type WorkloadHandle } from '../../src/verify/workload.ts'
import { startWatchedCli, type WatchedCli } from './support/cli.ts'
import { removeDir, startTestCluster, tempDir } from './support/clusters.ts'
import { fill } from './support/kafka-io.ts'
import { kafkaClusterResource } from './support/kafka-cluster-resource.ts'
import { until as waitUntil } from './support/until.ts'
import { assertNoThrottles, throttles } from './support/throttles.ts'

const NS = 'kafka'
const ZONES = ['a', 'b', 'c', 'a']
const TOPOLOGY: Topology = { dimensions: ['cluster', 'zone'], brokers: ZONES.map((zone, id) => ({ id, labels: { cluster: 'k8s-1', zone } })) }
/** A broker-only node (0, 1 and 2 are the controllers), the second of zone a. */
const VICTIM = 3

function kafkaCluster(bootstrap: string, goneBrokerGraceSeconds: number, enabled = true) {
  return kafkaClusterResource(NS, bootstrap, [{ name: 'k8s-1', context: 'k8s-1', zones: ['a', 'b', 'c'], brokerIds: { first: 0, count: 4 } }], {
    placement: { replicationFactor: 3, minInsyncReplicas: 2 },
    selfHealing: { enabled, goneBrokerGraceSeconds },
  })
}

type Json = Record<string, any>

describe('the operator self-heals a real Kafka cluster', { timeout: 420_000 }, () => {
  let plane: KubeControlPlane | undefined
  let operator: WatchedCli | undefined
  let kafka: LocalCluster | undefined
  let workload: WorkloadHandle | undefined
  let scratch: string
  let bootstrap: string
  /** Tests passed: after() prints the operator's log when one did not. */
  let passed = 0

  before(async () => {
    const t0 = performance.now()
    scratch = await tempDir('operator-heal')
    plane = await startKubeControlPlane({ name: 'k8s-1', binaries: await locateKubeBinaries() })
    const crds = await plane.kubectl(['apply', '--server-side', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: customResourceDefinitions() }) })
    assert.equal(crds.code, 0, crds.stderr)
    assert.equal((await plane.kubectl(['wait', '--for=condition=Established', 'crd/kafkaclusters.kafkaplane.io', '--timeout=60s'])).code, 0)
    assert.equal((await plane.kubectl(['create', 'namespace', NS])).code, 0)
    kafka = await startTestCluster(TOPOLOGY, { readyTimeoutMs: 400_000 })
    bootstrap = kafka.bootstrapServers.join(',')
    console.log(`API server and Kafka cluster (4 brokers) in ${Math.round(performance.now() - t0)} ms`)
    operator = startWatchedCli(['operator', '--kubeconfig', plane.kubeconfigPath, '--state-dir', join(scratch, 'state'), '--throttle', '20MiB', '--resync-ms', '5000', '--heal-interval-seconds', '2'])
    await operator.waitFor(/watching KafkaCluster/, 60_000)
    await apply(kafkaCluster(bootstrap, 40))
    // No kubelet: report every pod ready, as the StatefulSet controller would.
    await until('StatefulSet kafka-k8s-1 applied', () => get('statefulset', 'kafka-k8s-1'), () => true)
    const ready = await plane.kubectl(['patch', 'statefulset', 'kafka-k8s-1', '-n', NS, '--subresource=status', '--type=merge', '-p', JSON.stringify({ status: { replicas: 4, readyReplicas: 4 } })])
    assert.equal(ready.code, 0, ready.stderr)
    await until('KafkaCluster Ready, the self-healer watching', () => get('kafkacluster', 'kafka'), (c) => condition(c, 'Ready').status === 'True' && c.status?.selfHealing?.phase === 'watching' && c.status.selfHealing.message === 'nothing to fix')

    const admin = createAdmin({ bootstrapServers: kafka.bootstrapServers })
    try {
      await admin.createTopics({ topics: ['orders'], partitions: 6, replicas: 3 })
    } finally {
      await admin.close()
    }
    await fill(kafka.bootstrapServers, 'orders', 6 * 1024 * 1024)
    workload = await startWorkload({ connection: { bootstrapServers: kafka.bootstrapServers }, topics: ['orders'], recordsPerSecond: 100 })
  })

  after(async () => {
    if (passed < 4) console.log(logs())
    try {
      await workload?.stop().catch(() => {})
      const pid = operator?.child.pid
      if (pid !== undefined && operator!.child.exitCode === null && operator!.child.signalCode === null) {
        process.kill(pid, 'SIGTERM')
        const stopped = await Promise.race([operator!.exited.then(() => true), sleep(15_000).then(() => false)])
        if (!stopped && isAlive(pid)) process.kill(pid, 'SIGKILL')
      }
    } finally {
      await kafka?.stop()
      const pids = plane?.pids ?? []
      await plane?.stop()
      assert.deepEqual(pids.filter(isAlive), [], 'every control-plane process is gone')
      if (operator?.child.pid !== undefined) assert.ok(!isAlive(operator.child.pid), 'the operator is gone')
      if (scratch) await removeDir(scratch)
    }
  })

  const logs = () => `--- operator ---\n${operator?.stderr().slice(-6000)}`
  async function get(kind: string, name: string): Promise<Json | undefined> {
    const r = await plane!.kubectl(['get', kind, name, '-n', NS, '-o', 'json'])
    return r.code === 0 ? (JSON.parse(r.stdout) as Json) : undefined
  }
  async function apply(object: object): Promise<void> {
    const r = await plane!.kubectl(['apply', '-f', '-'], { input: JSON.stringify(object) })
    assert.equal(r.code, 0, r.stderr)
  }
  const until = <T>(what: string, read: () => Promise<T | undefined>, ok: (v: T) => boolean, timeoutMs = 120_000) =>
    waitUntil(what, read, ok, { timeoutMs, everyMs: 500, context: logs })

  const condition = (o: Json, type: string): Json => (o.status?.conditions as Json[] | undefined)?.find((c) => c.type === type) ?? {}
  const selfHealing = async () => (await get('kafkacluster', 'kafka'))?.status?.selfHealing as Json | undefined
  /** The Events on the KafkaCluster, by reason. */
  async function events(): Promise<{ reason: string; message: string; type: string }[]> {
    const r = await plane!.kubectl(['get', 'events', '-n', NS, '-o', 'json', '--field-selector', 'involvedObject.kind=KafkaCluster,involvedObject.name=kafka'])
    assert.equal(r.code, 0, r.stderr)
    return (JSON.parse(r.stdout).items as Json[]).map((e) => ({ reason: e.reason, message: e.message, type: e.type }))
  }
  async function partitions() {
    const admin = createAdmin({ bootstrapServers: kafka!.bootstrapServers })
    try {
      return (await describeClusterSnapshot(admin, { bootstrapServers: kafka!.bootstrapServers })).partitions
    } finally {
      await admin.close()
    }
  }

  test('replication throttles that nothing needs are removed, with an Event', async () => {
    // As another tool would leave them: throttled replicas of orders-0 and rates on its brokers, nothing moving.
    const [orders0] = (await partitions()).filter((p) => p.topic === 'orders' && p.partition === 0)
    const admin = createAdmin({ bootstrapServers: kafka!.bootstrapServers })
    try {
      const spare = [0, 1, 2, 3].find((b) => !orders0!.replicas.includes(b))!
      await setReplicationThrottles(admin, throttlePlan([{ topic: 'orders', partition: 0, oldReplicas: orders0!.replicas, newReplicas: [...orders0!.replicas.slice(1), spare] }], 1024 * 1024))
    } finally {
      await admin.close()
    }
    // Seen set (the healer needs two looks 5 s apart before it removes anything).
    await until('the throttles set', () => throttles({ bootstrapServers: kafka!.bootstrapServers }), (t) => t.topics.some((x) => x.topic === 'orders'), 30_000)
    // Each broker reads the change from the metadata log on its own: one that had not yet, or did not
    // answer at one of the healer's two looks, has its rate removed at a later pass.
    await until('no replication throttle left', () => throttles({ bootstrapServers: kafka!.bootstrapServers }), (t) => t.brokers.length === 0 && t.topics.length === 0, 90_000)
    const removed = (await events()).filter((e) => e.reason === 'StaleThrottlesRemoved')
    assert.ok(removed.length >= 1, JSON.stringify(removed))
    for (const e of removed) assert.match(e.message, /^removed replication throttles nothing needed from brokers ([0-3,]+|-) and topics (orders|-)$/)
    const brokers = removed.flatMap((e) => /from brokers ([0-9,]+)/.exec(e.message)?.[1]?.split(',').map(Number) ?? [])
    assert.deepEqual([...new Set(brokers)].sort(), [0, 1, 2, 3], 'the rates of every broker involved')
    assert.ok(removed.some((e) => e.message.endsWith('topics orders')), 'the throttled replicas of orders')
    const status = await selfHealing()
    assert.ok(status?.staleThrottles?.removedAt, JSON.stringify(status))
    passed++
  })

  test('a broker back within its grace period: nothing moves', async () => {
    const before = JSON.stringify((await partitions()).map((p) => [p.topic, p.partition, p.replicas]))
    // Frozen (SIGSTOP: a long GC pause, a node cut off): fenced once its session times out, back at
    // once when it resumes, whatever the machine's load.
    const pid = kafka!.pids().get(VICTIM)!
    process.kill(pid, 'SIGSTOP')
    let drainAt: number
    try {
      const gone = await until(`broker ${VICTIM} seen gone`, selfHealing, (s) => s.goneBrokers?.some((g: Json) => g.id === VICTIM), 60_000)
      assert.match(gone.message, new RegExp(`broker ${VICTIM} gone since \\S+: its replicas move to the brokers left at \\S+ unless it returns \\(spec.selfHealing.goneBrokerGraceSeconds 40\\)`))
      drainAt = Date.parse(gone.goneBrokers[0].drainAt)
    } finally {
      process.kill(pid, 'SIGCONT')
    }
    await until(`broker ${VICTIM} no longer gone`, selfHealing, (s) => s.goneBrokers === undefined && s.message === 'nothing to fix', 60_000)
    assert.ok(Date.now() < drainAt, `broker ${VICTIM} was back before its grace period ended (${new Date(drainAt).toISOString()})`)
    // Past the moment it would have been drained, and a few looks more: no plan.
    await sleep(Math.max(0, drainAt - Date.now()) + 6000)
    const after = await selfHealing()
    assert.equal(after?.lastPlan, undefined, JSON.stringify(after))
    assert.deepEqual((await events()).filter((e) => e.reason.startsWith('SelfHealing')), [])
    assert.equal(JSON.stringify((await partitions()).map((p) => [p.topic, p.partition, p.replicas])), before, 'no replica moved')
    passed++
  })

  test('a broker gone for good: after its grace period its replicas move to the brokers left, spread kept, nothing lost', async () => {
    await apply(kafkaCluster(bootstrap, 15))
    const hosted = (await partitions()).filter((p) => p.replicas.includes(VICTIM)).length
    assert.ok(hosted > 0, `broker ${VICTIM} holds replicas`)
    const killedAt = Date.now()
    await kafka!.killBroker(VICTIM)
    const healed = await until('the self-healing plan finished', selfHealing, (s) => s.lastPlan?.result === 'finished', 180_000)
    console.log(`broker ${VICTIM} killed -> plan finished in ${Math.round((Date.now() - killedAt) / 1000)} s: ${healed.lastPlan.message}`)
    assert.equal(healed.lastPlan.moves, hosted, `every partition broker ${VICTIM} held moved`)
    assert.match(healed.lastPlan.reasons.join('\n'), new RegExp(`broker ${VICTIM} gone for \\d+ s \\(grace 15 s\\): moving its ${hosted} replicas to the brokers left`))
    assert.ok(Date.parse(healed.lastPlan.startedAt) - killedAt >= 15_000, 'not before the grace period')
    assert.equal(healed.phase, 'watching')
    const seen = await events()
    const started = seen.filter((e) => e.reason === 'SelfHealingStarted')
    const finished = seen.filter((e) => e.reason === 'SelfHealingFinished')
    assert.equal(started.length, 1, JSON.stringify(seen))
    assert.match(started[0]!.message, new RegExp(`^plan ${healed.lastPlan.planId}: ${hosted} partition moves \\(broker ${VICTIM} gone`))
    assert.equal(finished.length, 1, JSON.stringify(seen))
    assert.match(finished[0]!.message, new RegExp(`^plan ${healed.lastPlan.planId} finished: ${hosted} partitions moved`))

    // Every partition back to 3 replicas, all in sync, none on the dead broker, one in each zone.
    const all = await until('every partition at full ISR', partitions, (ps) => ps.every((p) => p.isr.length === p.replicas.length), 60_000)
    for (const p of all) {
      const name = `${p.topic}-${p.partition} [${p.replicas}] isr [${p.isr}]`
      assert.ok(!p.replicas.includes(VICTIM), `${name}: nothing left on broker ${VICTIM}`)
      assert.equal(p.replicas.length, 3, `${name}: back to 3 replicas`)
      assert.deepEqual(p.replicas.map((b) => ZONES[b]).sort(), ['a', 'b', 'c'], `${name}: one replica in each zone`)
    }
    await assertNoThrottles({ bootstrapServers: kafka!.bootstrapServers })
    const report = await workload!.stop()
    assert.ok(report.acknowledged > 1000, `the load ran: ${report.acknowledged} acknowledged`)
    assert.equal(report.lost, 0, JSON.stringify(report.partitions.filter((p) => p.lost > 0)))
    assert.equal(report.outOfOrder, 0)
    passed++
  })

  test('spec.selfHealing.enabled false: the healer stops and says so, its last plan kept', async () => {
    await apply(kafkaCluster(bootstrap, 15, false))
    const off = await until('status.selfHealing disabled', selfHealing, (s) => s.phase === 'disabled', 60_000)
    assert.equal(off.message, 'spec.selfHealing.enabled is false: nothing is moved unless asked')
    assert.equal(off.lastPlan?.result, 'finished', JSON.stringify(off))
    assert.match(operator!.stderr(), /KafkaCluster kafka\/kafka: self-healer stopped/)
    passed++
  })
})
