/**
 * The operator scales a KafkaCluster with data movement, against two real API servers (k8s-1, home,
 * and k8s-2, remote) and a real local Kafka cluster laid out as the KafkaCluster says: brokers 0-3 in
 * k8s-1 and 4-7 in k8s-2, zones a, b, c, d in each. No kubelet runs, so the test plays the pods: it stops
 * a broker when its StatefulSet shrinks and reports the pods ready. Topics on kafkaplane's defaults (RF 3,
 * min.insync.replicas 2) take acks=all writes all along, read back after the scale. Every process the
 * test starts is stopped by pid in after().
 *
 * The scale up (new brokers get their share, the operator SIGKILLed mid-plan and resumed) is proven on
 * real pods, in kafka-on-kube.test.ts; here: the refusals, and a scale down 8 -> 6 with a KafkaTopic made,
 * a topic created on the leaving brokers by another tool, and the self-healer repairing a topic while it runs.
 *
 * The KafkaCluster declares one KRaft controller (broker 0), so that zones c and d's brokers can be asked to
 * leave (the survivability refusal); the controller refusal is shown on a second KafkaCluster with
 * three controllers, whose pods never run, and the deletion of dedicated controllers' objects in both
 * Kubernetes clusters on a third.
 */
import assert from 'node:assert/strict'
import type { ChildProcess } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import type { Topology } from '../../src/core/topology/topology.ts'
import { anyConnection, createAdmin } from '../../src/kafka/connection.ts'
import { createTopicWithAssignment } from '../../src/kafka/create-topic.ts'
import { describeAssignment } from '../../src/kafka/describe-assignment.ts'
import { describeRegisteredBrokers } from '../../src/kafka/describe-cluster.ts'
import { describeRecordedTopology } from '../../src/kafka/describe-recorded-topology.ts'
import type { KubeControlPlane } from '../../src/local/kube-control-plane.ts'
import type { LocalCluster } from '../../src/local/local-cluster.ts'
import { startWatchedCli, type WatchedCli } from './support/cli.ts'
import { applyObject, condition, getObject, startTwoKubeClusters, stopBed, until as untilReached, type Json } from './support/operator-bed.ts'
import { startTestCluster, tempDir } from './support/clusters.ts'
import { fill } from './support/kafka-io.ts'
import { assertNoThrottles } from './support/throttles.ts'
import { startVerifiableProducer, type VerifiableProducerHandle } from './support/verifiable-producer.ts'

const NS = 'kafka'
const ZONES = ['a', 'b', 'c', 'd']
const broker = (id: number, cluster: string, i: number) => ({ id, labels: { cluster, zone: ZONES[i]! } })
/** Topology order: the local cluster's three KRaft controllers are its first three (0, 1, 2), never 3 or 7. */
const TOPOLOGY: Topology = {
  dimensions: ['cluster', 'zone'],
  brokers: [broker(0, 'k8s-1', 0), broker(1, 'k8s-1', 1), broker(2, 'k8s-1', 2), broker(4, 'k8s-2', 0), broker(5, 'k8s-2', 1), broker(6, 'k8s-2', 2), broker(3, 'k8s-1', 3), broker(7, 'k8s-2', 3)],
}
const TOPIC = 'events'
const PARTITIONS = 12

function kafkaCluster(name: string, bootstrap: string, counts: [number, number], extra: { controllers?: number; firstIds?: [number, number]; controllerIds?: [{ first: number; count: number }, { first: number; count: number }]; selfHealing?: boolean } = {}) {
  const [first1, first2] = extra.firstIds ?? [0, 4]
  const dedicated = (i: 0 | 1) => (extra.controllerIds ? { controllerIds: extra.controllerIds[i] } : {})
  return {
    apiVersion: 'kafkaplane.io/v1alpha1',
    kind: 'KafkaCluster',
    metadata: { name, namespace: NS },
    spec: {
      kafka: { image: 'example.invalid/kafkaplane-kafka:4.1.1', bootstrapServers: bootstrap.split(',') },
      topology: {
        controllers: extra.controllers ?? 1,
        clusters: [
          { name: 'k8s-1', context: 'k8s-1', zones: ZONES, brokerIds: { first: first1, count: counts[0] }, ...dedicated(0) },
          { name: 'k8s-2', context: 'k8s-2', zones: ZONES, brokerIds: { first: first2, count: counts[1] }, ...dedicated(1) },
        ],
      },
      resources: { memory: '2Gi', cpu: '1' },
      placement: { replicationFactor: 3, minInsyncReplicas: 2 },
      // Throttled (the drain is watched under way), quick enough for the test.
      scaling: { throttle: '2Mi' },
      // The plans here are the scales' own (a refused scale must start none), but for the self-healer's
      // repair during the scale down; the self-healer and the scales taking turns through the plan file
      // is the operator's, tested with it on in operator-self-healing.test.ts and operator.test.ts.
      selfHealing: { enabled: extra.selfHealing ?? false },
    },
  }
}

describe('kafkaplane operator scales a KafkaCluster with data movement', { timeout: 600_000 }, () => {
  const planes: KubeControlPlane[] = []
  const operators: WatchedCli[] = []
  const children: ChildProcess[] = []
  let home: KubeControlPlane
  let remote: KubeControlPlane
  let kafka: LocalCluster | undefined
  let scratch: string
  let kubeconfig: string
  let bootstrap: string

  before(async () => {
    const t0 = performance.now()
    scratch = await tempDir('operator-scaling')
    ;({ home, remote, kubeconfig } = await startTwoKubeClusters(scratch, planes, NS))
    console.log(`two API servers and the CRDs in ${Math.round(performance.now() - t0)} ms`)
    const t1 = performance.now()
    kafka = await startTestCluster(TOPOLOGY, { readyTimeoutMs: 400_000 })
    bootstrap = kafka.bootstrapServers.join(',')
    const admin = createAdmin({ bootstrapServers: kafka.bootstrapServers })
    try {
      // Kafka's own rack-aware placement (racks = zones): every partition in three zones.
      await admin.createTopics({ topics: [TOPIC], partitions: PARTITIONS, replicas: 3 })
    } finally {
      await admin.close()
    }
    await fill(kafka.bootstrapServers, TOPIC, 12 * 1024 * 1024)
    console.log(`Kafka cluster (8 brokers, ${TOPIC} filled) in ${Math.round(performance.now() - t1)} ms`)
    startOperator()
    await operator().waitFor(/watching KafkaCluster/, 60_000)
    await apply(home, kafkaCluster('kafka', bootstrap, [4, 4]))
    await until('StatefulSets applied', () => get(remote, 'statefulset', 'kafka-k8s-2'), (s) => s.spec.replicas === 4)
    await markReady(4, 4)
    await until('KafkaCluster Ready', () => get(home, 'kafkacluster', 'kafka'), (c) => condition(c, 'Ready').status === 'True')
  })

  after(async () => {
    for (const child of children) if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    await stopBed({ operators, kafka, planes, scratch })
  })

  function startOperator(): WatchedCli {
    const op = startWatchedCli(['operator', '--kubeconfig', kubeconfig, '--context', 'k8s-1', '--state-dir', join(scratch, 'state'), '--resync-ms', '5000', '--heal-interval-seconds', '3'])
    operators.push(op)
    return op
  }
  const operator = () => operators.at(-1)!
  const logs = () => operators.map((o, i) => `--- operator ${i} ---\n${o.stderr().slice(-5000)}`).join('\n')
  const stateFile = () => join(scratch, 'state', 'clusters', `${NS}.kafka.json`)
  const readPlan = async () => {
    const text = await readFile(stateFile(), 'utf8').catch(() => undefined)
    return text === undefined ? undefined : (JSON.parse(text) as Json)
  }

  const get = (plane: KubeControlPlane, kind: string, name: string) => getObject(plane, NS, kind, name)
  const apply = applyObject
  const explain = async () => `KafkaCluster kafka status: ${JSON.stringify((await get(home, 'kafkacluster', 'kafka').catch(() => undefined))?.status)}\n${logs()}`
  const until = <T>(what: string, read: () => Promise<T | undefined>, ok: (v: T) => boolean, timeoutMs = 120_000) => untilReached(what, read, ok, timeoutMs, explain)
  /** No kubelet: the test reports the StatefulSets' pods ready, as the StatefulSet controller would. */
  async function markReady(k8s1: number, k8s2: number, name = 'kafka'): Promise<void> {
    for (const [plane, set, n] of [[home, `${name}-k8s-1`, k8s1], [remote, `${name}-k8s-2`, k8s2]] as const) {
      const r = await plane.kubectl(['patch', 'statefulset', set, '-n', NS, '--subresource=status', '--type=merge', '-p', JSON.stringify({ status: { replicas: n, readyReplicas: n } })])
      assert.equal(r.code, 0, r.stderr)
    }
  }
  async function replicasOf(name = 'kafka'): Promise<[number, number]> {
    return [(await get(home, 'statefulset', `${name}-k8s-1`))?.spec.replicas, (await get(remote, 'statefulset', `${name}-k8s-2`))?.spec.replicas]
  }
  async function events(reason: string): Promise<Json[]> {
    const r = await home.kubectl(['get', 'events', '-n', NS, '--field-selector', `involvedObject.kind=KafkaCluster,reason=${reason}`, '-o', 'json'])
    assert.equal(r.code, 0, r.stderr)
    return (JSON.parse(r.stdout) as Json).items as Json[]
  }
  /** Replicas per broker over every partition of `topic`, and its partitions. */
  async function placement(topic = TOPIC): Promise<{ perBroker: Map<number, number>; assignment: { partition: number; replicas: readonly number[] }[] }> {
    const admin = createAdmin({ bootstrapServers: kafka!.bootstrapServers })
    try {
      const assignment = (await admin.listTopics()).includes(topic) ? await describeAssignment(admin, [topic]) : []
      const perBroker = new Map<number, number>()
      for (const p of assignment) for (const id of p.replicas) perBroker.set(id, (perBroker.get(id) ?? 0) + 1)
      return { perBroker, assignment }
    } finally {
      await admin.close()
    }
  }
  async function registered(): Promise<{ unfenced: number[]; fenced: number[] }> {
    const admin = createAdmin({ bootstrapServers: kafka!.bootstrapServers })
    try {
      const r = await describeRegisteredBrokers(await anyConnection(admin, kafka!.bootstrapServers))
      return { unfenced: r.unfenced.map((b) => b.id), fenced: r.fenced.map((b) => b.id) }
    } finally {
      await admin.close()
    }
  }
  async function writer(): Promise<VerifiableProducerHandle> {
    return startVerifiableProducer({ bootstrap, topic: TOPIC, recordsPerSecond: 200, dir: scratch, children })
  }
  async function assertNothingLost(producer: VerifiableProducerHandle): Promise<void> {
    const check = await producer.stopAndCheck()
    console.log(`acks=all writes: ${check.acknowledged} acknowledged, ${check.found} read back, ${check.lost} lost`)
    assert.ok(check.acknowledged > 0, `the writer got acknowledgements: ${check.unverified.join('; ')}`)
    assert.equal(check.lost, 0, `acknowledged records lost: ${check.detail.join('; ')}`)
  }

  test('refused, naming why, and nothing changed: below a topic\'s RF, survivability lost, a controller leaving; dedicated controllers\' objects deleted with their KafkaCluster', async () => {
    const admin = createAdmin({ bootstrapServers: kafka!.bootstrapServers })
    try {
      await admin.createTopics({ topics: ['wide'], partitions: 1, replicas: 4 })
      const refusedFor = async (counts: [number, number], message: RegExp) => {
        await apply(home, kafkaCluster('kafka', bootstrap, counts))
        const refused = await until(`scale to ${counts} refused`, () => get(home, 'kafkacluster', 'kafka'), (c) => condition(c, 'Degraded').status === 'True' && message.test(condition(c, 'Degraded').message))
        assert.equal(condition(refused, 'Degraded').reason, 'ScaleRefused')
        assert.equal(refused.status.scale.phase, 'refused')
        assert.deepEqual(await replicasOf(), [4, 4], 'the StatefulSets keep their size')
        assert.equal(await readPlan(), undefined, 'no plan started')
        return refused
      }
      // Brokers 2, 3, 5, 6, 7 leaving would leave 3 brokers for a topic at RF 4.
      await refusedFor([2, 1], /removing broker 2, 3, 5, 6, 7 leaves 3 brokers, fewer than the replication factor 4 of some topics \(fix: add brokers first/)
      await admin.deleteTopics({ topics: ['wide'] })
      await until('wide deleted', () => admin.listTopics(), (topics) => !topics.includes('wide'))
      // Brokers 2, 3, 6, 7 leaving would leave zones c and d without a broker: two zones for RF 3.
      const lessSurvivable = await refusedFor([2, 2], /partitions that stay writable when one zone is lost would not any more \(zone c, d would keep no broker\)/)
      assert.match(condition(lessSurvivable, 'Degraded').message, /set spec\.scaling\.allowLessSurvivable: true to remove them anyway/)
      const warnings = await events('ScaleRefused')
      assert.ok(warnings.length >= 2 && warnings.every((e) => e.type === 'Warning'), `a Warning Event per refusal: ${JSON.stringify(warnings.map((e) => e.message))}`)
    } finally {
      await admin.close()
    }
    // A KRaft controller leaving: decided from the spec alone, on a KafkaCluster whose pods never run.
    await apply(home, kafkaCluster('quorum', bootstrap, [2, 2], { controllers: 3, firstIds: [0, 2] }))
    const quorum = await until('quorum applied', () => get(home, 'kafkacluster', 'quorum'), (c) => (c.status?.controllers as number[] | undefined)?.length === 3)
    assert.deepEqual(quorum.status.controllers, [0, 1, 3])
    await apply(home, kafkaCluster('quorum', bootstrap, [2, 1], { controllers: 3, firstIds: [0, 2] }))
    const refused = await until('quorum scale refused', () => get(home, 'kafkacluster', 'quorum'), (c) => condition(c, 'Degraded').status === 'True')
    assert.equal(condition(refused, 'Degraded').reason, 'ScaleRefused')
    assert.match(condition(refused, 'Degraded').message, /would remove broker 3, a KRaft controller \(the controllers 0, 1, 3 are a static quorum/)
    assert.deepEqual(await replicasOf('quorum'), [2, 2], 'its StatefulSets keep their size')
    assert.ok(await get(remote, 'service', 'quorum-broker-3'), 'broker 3 keeps its Service')
    assert.equal((await home.kubectl(['delete', 'kafkacluster', 'quorum', '-n', NS, '--timeout=60s'])).code, 0)

    // Dedicated KRaft controllers (90, 91 in k8s-1, 190 in k8s-2; pods that never run): everything made
    // for them in both Kubernetes clusters goes with the KafkaCluster.
    await apply(home, kafkaCluster('voters', bootstrap, [2, 2], { controllers: 3, firstIds: [0, 2], controllerIds: [{ first: 90, count: 2 }, { first: 190, count: 1 }] }))
    const theirs: [KubeControlPlane, string, string][] = [
      [home, 'statefulset', 'voters-k8s-1-controller'],
      [home, 'configmap', 'voters-k8s-1-controller-config'],
      [home, 'service', 'voters-k8s-1-controller'],
      [home, 'poddisruptionbudget', 'voters-k8s-1-controller'],
      [home, 'service', 'voters-controller-90'],
      [home, 'service', 'voters-controller-91'],
      [remote, 'statefulset', 'voters-k8s-2-controller'],
      [remote, 'configmap', 'voters-k8s-2-controller-config'],
      [remote, 'service', 'voters-k8s-2-controller'],
      [remote, 'poddisruptionbudget', 'voters-k8s-2-controller'],
      [remote, 'service', 'voters-controller-190'],
    ]
    const made = await until('the controllers\' objects made in both Kubernetes clusters', () => Promise.all(theirs.map(([plane, kind, name]) => get(plane, kind, name))), (objects) => objects.every((o) => o !== undefined))
    assert.deepEqual([made[0]!.spec.replicas, made[6]!.spec.replicas], [2, 1])
    assert.equal((await home.kubectl(['delete', 'kafkacluster', 'voters', '-n', NS, '--timeout=60s'])).code, 0)
    const left = (await Promise.all(theirs.map(async ([plane, kind, name]) => ((await get(plane, kind, name)) ? `${kind}/${name}` : undefined)))).filter((x) => x !== undefined)
    assert.deepEqual(left, [], 'every object of the dedicated controllers deleted with the KafkaCluster')

    // Asked for what it runs again: Ready, nothing moved.
    await apply(home, kafkaCluster('kafka', bootstrap, [4, 4]))
    await until('KafkaCluster Ready again', () => get(home, 'kafkacluster', 'kafka'), (c) => condition(c, 'Ready').status === 'True')
    assert.deepEqual(await replicasOf(), [4, 4])
  })

  test('scale down 8 -> 6 under acks=all writes: brokers 3 and 7 drained first (taking no new replica), then their pods go, then they are unregistered', async () => {
    const t0 = performance.now()
    const producer = await writer()
    await apply(home, kafkaCluster('kafka', bootstrap, [3, 3]))
    const moving = await until('the drain under way', () => get(home, 'kafkacluster', 'kafka'), (c) => c.status?.scale?.phase === 'moving' && c.status.scale.removing?.length === 2)
    assert.deepEqual(moving.status.scale.removing, [3, 7])
    assert.deepEqual(await replicasOf(), [4, 4], 'the StatefulSets keep their pods while the brokers drain')
    // A KafkaTopic made during the drain: kafkaplane's placement gives the leaving brokers none of it.
    await apply(home, { apiVersion: 'kafkaplane.io/v1alpha1', kind: 'KafkaTopic', metadata: { name: 'orders', namespace: NS }, spec: { cluster: 'kafka', partitions: 8, placement: { requireDomainLossSurvival: false } } })
    const orders = await untilReached('KafkaTopic orders made', () => placement('orders'), (p) => p.assignment.length === 8, 120_000, async () => `KafkaTopic orders: ${JSON.stringify(await get(home, 'kafkatopic', 'orders'))}\n${await explain()}`)
    assert.deepEqual([orders.perBroker.get(3) ?? 0, orders.perBroker.get(7) ?? 0], [0, 0], `no replica of orders on a leaving broker: ${JSON.stringify(orders.assignment)}`)
    // The StatefulSets shrink only once brokers 3 and 7 hold nothing.
    await until('StatefulSets shrunk to 3 + 3', () => replicasOf(), (r) => r[0] === 3 && r[1] === 3, 240_000)
    const { perBroker } = await placement()
    assert.deepEqual([perBroker.get(3) ?? 0, perBroker.get(7) ?? 0], [0, 0], 'drained before the StatefulSets shrank')
    // Before their pods go, another tool creates a topic on them (Kafka cannot be told to avoid a broker):
    // the scale goes back to moving, the StatefulSets keep (or get back) their pods, and they are drained again.
    const tool = createAdmin({ bootstrapServers: kafka!.bootstrapServers })
    try {
      await createTopicWithAssignment(tool, { topic: 'late', assignment: [{ topic: 'late', partition: 0, replicas: [3, 7, 0] }] })
    } finally {
      await tool.close()
    }
    await until('the scale back to moving', async () => operator().stderr(), (log) => /brokers 3, 7 got replicas of 1 partitions after the drain \(e\.g\. late-0 \[3,7,0\]\)/.test(log))
    const late = await until('late drained off brokers 3 and 7', () => placement('late'), (p) => p.assignment.length === 1 && !p.assignment[0]!.replicas.some((id) => id === 3 || id === 7), 240_000)
    console.log(`late drained again: ${JSON.stringify(late.assignment)}`)
    await until('StatefulSets shrunk to 3 + 3 again', () => replicasOf(), (r) => r[0] === 3 && r[1] === 3, 240_000)
    // While their pods go, the self-healer (turned on now) repairs a topic another tool placed against the
    // spread rules (zone a twice): the brokers it may move a replica to are those that stay, never the
    // leaving ones, though these are the emptiest and in the zone the topic lacks.
    const skewedTool = createAdmin({ bootstrapServers: kafka!.bootstrapServers })
    try {
      await createTopicWithAssignment(skewedTool, { topic: 'skewed', assignment: [{ topic: 'skewed', partition: 0, replicas: [0, 4, 1] }] })
    } finally {
      await skewedTool.close()
    }
    await apply(home, kafkaCluster('kafka', bootstrap, [3, 3], { selfHealing: true }))
    const zoneOfBroker = new Map(TOPOLOGY.brokers.map((b) => [b.id, b.labels.zone]))
    const repaired = await until('the self-healer repaired skewed (three zones)', () => placement('skewed'), (p) => p.assignment.length === 1 && p.assignment[0]!.replicas.length === 3 && new Set(p.assignment[0]!.replicas.map((id) => zoneOfBroker.get(id))).size === 3, 180_000)
    const skewed = repaired.assignment[0]!
    const healed = await until('the self-healing plan finished', () => get(home, 'kafkacluster', 'kafka'), (c) => c.status?.selfHealing?.lastPlan?.result === 'finished')
    console.log(`the self-healer during the scale down: skewed-0 [0,4,1] -> [${skewed.replicas}]; ${healed.status.selfHealing.lastPlan.reasons.join('; ')}`)
    assert.ok(!skewed.replicas.some((id) => id === 3 || id === 7), `the self-healer gave a leaving broker nothing: skewed-0 [${skewed.replicas}]`)
    assert.doesNotMatch(operator().stderr(), /got replicas of \d+ partitions after the drain \(e\.g\. skewed/, 'the scale never had to drain skewed')
    assert.equal((await get(home, 'kafkacluster', 'kafka'))?.status.scale.phase, 'removing-pods', 'the scale still waits for the pods')
    // Their pods go.
    await kafka!.stopBroker(3)
    await kafka!.stopBroker(7)
    await markReady(3, 3)
    const done = await until('scale finished', () => get(home, 'kafkacluster', 'kafka'), (c) => c.status?.scale?.phase === 'finished' && c.status.scale.removing?.length === 2, 120_000)
    assert.match(done.status.scale.message, /scaled: brokers 3, 7 leave \(k8s-1 4 -> 3, k8s-2 4 -> 3\)/)
    // Kafka 4.1 (metadata.version 4.1-IV1): no cordoning, said, and the late topic above drained again instead.
    assert.match(done.status.scale.cordon, /^not cordoned: the cluster's metadata\.version is at level 27; Kafka cordons brokers \(KIP-1066\) from 4\.3-IV0 \(level 30\) on; a topic another tool creates on them after their drain is drained again$/)
    const now = await registered()
    assert.ok(![...now.unfenced, ...now.fenced].some((id) => id === 3 || id === 7), `brokers 3 and 7 unregistered, not lingering as fenced: ${JSON.stringify(now)}`)
    assert.equal(await get(home, 'service', 'kafka-broker-3'), undefined, 'the Service of broker 3 pruned')
    assert.equal(await get(remote, 'service', 'kafka-broker-7'), undefined, 'the Service of broker 7 pruned')
    const admin = createAdmin({ bootstrapServers: kafka!.bootstrapServers })
    try {
      const recorded = await until('brokers 3 and 7 no longer recorded', () => describeRecordedTopology(admin, kafka!.bootstrapServers), (r) => r.topology?.brokers.length === 6)
      assert.deepEqual(recorded.topology!.brokers.map((b) => b.id).sort((a, b) => a - b), [0, 1, 2, 4, 5, 6])
    } finally {
      await admin.close()
    }
    await assertNoThrottles({ bootstrapServers: kafka!.bootstrapServers })
    assert.equal((await events('ScaleFinished')).length, 1)
    await until('KafkaCluster Ready', () => get(home, 'kafkacluster', 'kafka'), (c) => condition(c, 'Ready').status === 'True')
    await assertNothingLost(producer)
    console.log(`scale down in ${Math.round(performance.now() - t0)} ms`)
  })
})
