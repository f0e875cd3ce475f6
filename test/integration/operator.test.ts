/**
 * `kafkaplane operator` against two real API servers (two Kubernetes clusters: k8s-1, where the operator
 * and the resources live, and k8s-2, reached through a second kubeconfig context) and a real local Kafka
 * cluster of 4 brokers laid out as the KafkaCluster says: 2 Kubernetes clusters x 2 zones. No kubelet
 * runs, so the test reports the StatefulSets' pods ready itself. Every process the test starts (API
 * servers, etcds, brokers, operators) is stopped by pid in after(), also when a test fails.
 */
import assert from 'node:assert/strict'
import { X509Certificate } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { grid } from '../../src/core/placement/fixtures.ts'
import { SpreadIndex } from '../../src/core/placement/spread.ts'
import type { Topology } from '../../src/core/topology/topology.ts'
import { createAdmin } from '../../src/kafka/connection.ts'
import { describeAssignment } from '../../src/kafka/describe-assignment.ts'
import { describeTopicOverrides } from '../../src/kafka/describe-topic-overrides.ts'
import { LocalCertificateAuthority, type CertificateFiles } from '../../src/local/certificates.ts'
import type { KubeControlPlane } from '../../src/local/kube-control-plane.ts'
import type { LocalCluster } from '../../src/local/local-cluster.ts'
import { startWatchedCli, type WatchedCli } from './support/cli.ts'
import { applyObject, condition, getObject, startTwoKubeClusters, stopBed, until as untilReached, type Json } from './support/operator-bed.ts'
import { startTestCluster, tempDir } from './support/clusters.ts'
import { fill } from './support/kafka-io.ts'
import { kafkaClusterResource } from './support/kafka-cluster-resource.ts'
import { scrape, value } from './support/prometheus-text.ts'
import { until as waitUntil } from './support/until.ts'

const NS = 'kafka'
/** Broker 0: k8s-1/a, 1: k8s-1/b, 2: k8s-2/a, 3: k8s-2/b, as the KafkaCluster below plans them. */
const TOPOLOGY: Topology = { dimensions: ['cluster', 'zone'], brokers: grid(4, ['k8s-1', 'k8s-2'], ['a', 'b']) }

function kafkaCluster(bootstrap: string, k8s2Brokers = 2) {
  return kafkaClusterResource(NS, bootstrap, [
    { name: 'k8s-1', context: 'k8s-1', zones: ['a', 'b'], brokerIds: { first: 0, count: 2 } },
    { name: 'k8s-2', context: 'k8s-2', zones: ['a', 'b'], brokerIds: { first: 2, count: k8s2Brokers } },
  ])
}

function kafkaTopic(name: string, spec: Record<string, unknown>, annotations: Record<string, string> = {}) {
  return { apiVersion: 'kafkaplane.io/v1alpha1', kind: 'KafkaTopic', metadata: { name, namespace: NS, annotations }, spec: { cluster: 'kafka', ...spec } }
}

describe('kafkaplane operator on real API servers and a real Kafka cluster', { timeout: 900_000 }, () => {
  const planes: KubeControlPlane[] = []
  const operators: WatchedCli[] = []
  let home: KubeControlPlane
  let remote: KubeControlPlane
  let kafka: LocalCluster | undefined
  let scratch: string
  let kubeconfig: string
  let bootstrap: string

  before(async () => {
    const t0 = performance.now()
    scratch = await tempDir('operator')
    ;({ home, remote, kubeconfig } = await startTwoKubeClusters(scratch, planes, NS))
    console.log(`two API servers and the CRDs in ${Math.round(performance.now() - t0)} ms`)
    const t1 = performance.now()
    kafka = await startTestCluster(TOPOLOGY, { readyTimeoutMs: 400_000 }) // patient on a busy machine
    bootstrap = kafka.bootstrapServers.join(',')
    console.log(`Kafka cluster (4 brokers) in ${Math.round(performance.now() - t1)} ms`)
    startOperator()
  })

  after(() => stopBed({ operators, kafka, planes, scratch }))

  function startOperator(): WatchedCli {
    const op = startWatchedCli(['operator', '--kubeconfig', kubeconfig, '--context', 'k8s-1', '--state-dir', join(scratch, 'state'), '--throttle', '256KiB', '--resync-ms', '5000', '--metrics-port', '0', '--metrics-host', '127.0.0.1', '--metrics-interval-seconds', '2'])
    operators.push(op)
    return op
  }
  const operator = () => operators.at(-1)!
  const logs = () => operators.map((o, i) => `--- operator ${i} ---\n${o.stderr().slice(-4000)}`).join('\n')

  const get = (plane: KubeControlPlane, kind: string, name: string) => getObject(plane, NS, kind, name)
  const apply = applyObject
  const until = <T>(what: string, read: () => Promise<T | undefined>, ok: (v: T) => boolean, timeoutMs = 120_000) => untilReached(what, read, ok, timeoutMs, logs)
  const current = (o: Json) => o.status?.observedGeneration === o.metadata.generation
  const readyTopic = (name: string) =>
    until(`KafkaTopic ${name} Ready`, () => get(home, 'kafkatopic', name), (t) => current(t) && condition(t, 'Ready')?.status === 'True', 180_000)

  test('KafkaCluster: objects in both Kubernetes clusters, owner references at home only, finalizer, status', async () => {
    await operator().waitFor(/watching KafkaCluster/, 60_000)
    await apply(home, kafkaCluster(bootstrap))
    const cluster = await until('KafkaCluster reconciled', () => get(home, 'kafkacluster', 'kafka'), (c) => current(c) && condition(c, 'Reconciling')?.status === 'True')
    assert.deepEqual(cluster.metadata.finalizers, ['kafkaplane.io/finalizer'])
    assert.equal(condition(cluster, 'Ready').status, 'False')
    assert.equal(condition(cluster, 'Ready').reason, 'BrokersNotReady')
    assert.match(condition(cluster, 'Ready').message, /StatefulSet kafka-k8s-2 \(Kubernetes cluster k8s-2\) has 0 of 2 ready pods/)
    // No broker pod is ready (no kubelet): no eviction anywhere, and the status says why (a drain asks in vain).
    const held = 'spec.rolling.maxUnavailable is 1 and 2 of its brokers are down'
    assert.deepEqual(cluster.status.clusters, [
      { name: 'k8s-1', brokers: 2, readyBrokers: 0, maxUnavailable: 0, disruptionLimit: held },
      { name: 'k8s-2', brokers: 2, readyBrokers: 0, maxUnavailable: 0, disruptionLimit: held },
    ])
    assert.equal((await get(remote, 'poddisruptionbudget', 'kafka-k8s-2'))?.spec.maxUnavailable, 0, "k8s-2's PodDisruptionBudget as the status says")
    assert.equal(cluster.status.brokers, 4)

    const uid = cluster.metadata.uid as string
    const mine = await get(home, 'statefulset', 'kafka-k8s-1')
    assert.ok(mine, 'StatefulSet kafka-k8s-1 on k8s-1')
    assert.deepEqual(mine.metadata.ownerReferences.map((r: Json) => [r.kind, r.name, r.uid, r.controller]), [['KafkaCluster', 'kafka', uid, true]])
    assert.deepEqual(mine.spec.ordinals, { start: 0 })
    assert.ok((mine.metadata.managedFields as Json[]).some((f) => f.manager === 'kafkaplane-operator' && f.operation === 'Apply'))
    const theirs = await get(remote, 'statefulset', 'kafka-k8s-2')
    assert.ok(theirs, 'StatefulSet kafka-k8s-2 on k8s-2')
    assert.equal(theirs.metadata.ownerReferences, undefined, 'a remote object has no owner reference (its owner is in another cluster)')
    assert.equal(theirs.metadata.labels['app.kubernetes.io/instance'], 'kafka')
    assert.deepEqual(theirs.spec.ordinals, { start: 2 })
    assert.equal(await get(home, 'statefulset', 'kafka-k8s-2'), undefined)
    for (const [plane, ids] of [[home, [0, 1]], [remote, [2, 3]]] as const) {
      for (const id of ids) assert.ok(await get(plane, 'service', `kafka-broker-${id}`), `Service kafka-broker-${id}`)
    }

    // No kubelet: report every pod ready, as the StatefulSet controller would.
    for (const [plane, name] of [[home, 'kafka-k8s-1'], [remote, 'kafka-k8s-2']] as const) {
      const r = await plane.kubectl(['patch', 'statefulset', name, '-n', NS, '--subresource=status', '--type=merge', '-p', JSON.stringify({ status: { replicas: 2, readyReplicas: 2 } })])
      assert.equal(r.code, 0, r.stderr)
    }
    const ready = await until('KafkaCluster Ready', () => get(home, 'kafkacluster', 'kafka'), (c) => condition(c, 'Ready')?.status === 'True')
    assert.equal(ready.status.readyBrokers, 4)
    assert.equal(condition(ready, 'Degraded').status, 'False')
    // Step 10: every broker on spec.kafka.version (the default, 4.1.1), its metadata.version read from Kafka.
    const settled = await until('status.kafka', () => get(home, 'kafkacluster', 'kafka'), (c) => c.status?.kafka !== undefined)
    assert.deepEqual(settled.status.kafka, { version: '4.1.1', metadataVersion: { level: 27, name: '4.1-IV1' }, message: 'metadata.version is the newest every broker supports' })
  })

  test('metrics (--metrics-port): the Kafka cluster\'s series (kafka_exporter\'s and kafkaplane\'s) labelled by its KafkaCluster, and the operator\'s own', async () => {
    const port = /serving metrics: GET \/metrics on 127\.0\.0\.1:(\d+)/.exec(operator().stderr())?.[1]
    assert.ok(port, `the operator serves metrics: ${operator().stderr().slice(-2000)}`)
    const url = `http://127.0.0.1:${port}/metrics`
    const mine = { namespace: NS, kafkacluster: 'kafka' }
    const k8s1 = { ...mine, dimension: 'cluster', domain: 'k8s-1' }
    const lines = await waitUntil('a collection with the failure domains the operator recorded, the KafkaCluster Ready', () => scrape(url), (l) => value(l, 'kafkaplane_domain_brokers', k8s1) !== undefined && value(l, 'kafkaplane_kafkacluster_condition', { ...mine, type: 'Ready' }) === 1, { timeoutMs: 60_000, everyMs: 1000, context: logs })
    assert.equal(value(lines, 'kafkaplane_operator_leader'), 1)
    assert.equal(value(lines, 'kafka_brokers', mine), 4, 'kafka_exporter\'s series, from the brokers at spec.kafka.bootstrapServers')
    assert.equal(value(lines, 'kafkaplane_exporter_last_collection_success', mine), 1)
    assert.equal(value(lines, 'kafkaplane_kafkacluster_condition', { ...mine, type: 'Ready' }), 1)
    // The brokers by failure domain, as the KafkaCluster reconciler recorded them in Kafka: 2 per Kubernetes cluster.
    assert.equal(value(lines, 'kafkaplane_domain_brokers', k8s1), 2)
    assert.equal(value(lines, 'kafkaplane_domain_brokers_up', { ...mine, dimension: 'cluster', domain: 'k8s-2' }), 2)
    assert.ok(lines.every((l) => !l.name.startsWith('kafka_') || (l.labels.namespace === NS && l.labels.kafkacluster === 'kafka')), 'every Kafka series names its KafkaCluster')
  })

  test('a roll back to a Kafka that cannot run the finalized metadata.version is refused: Degraded, a Warning Event, nothing applied', async () => {
    const older = kafkaCluster(bootstrap)
    ;(older.spec.kafka as Json).version = '4.0.0'
    await apply(home, older)
    const refused = await until('KafkaCluster Degraded', () => get(home, 'kafkacluster', 'kafka'), (c) => current(c) && condition(c, 'Degraded').status === 'True')
    assert.equal(condition(refused, 'Degraded').reason, 'VersionChangeRefused')
    assert.match(
      condition(refused, 'Degraded').message,
      /Kafka 4\.0\.0 cannot run this cluster: its newest metadata\.version is 4\.0-IV3 \(level 25\), and the cluster's is 4\.1-IV1 \(level 27\).*\(fix: stay on Kafka 4\.1\.1/,
    )
    const version = (set: Json) => (set.spec.template.spec.containers as Json[]).find((c) => c.name === 'kafka')!.env.find((e: Json) => e.name === 'KAFKAPLANE_KAFKA_VERSION').value
    assert.equal(version((await get(home, 'statefulset', 'kafka-k8s-1'))!), '4.1.1', 'the StatefulSet still makes 4.1.1 pods')
    assert.equal(version((await get(remote, 'statefulset', 'kafka-k8s-2'))!), '4.1.1')
    const events = await until('the Warning Event', async () => {
      const r = await home.kubectl(['get', 'events', '-n', NS, '--field-selector', 'involvedObject.kind=KafkaCluster,reason=VersionChangeRefused', '-o', 'json'])
      return (JSON.parse(r.stdout) as Json).items as Json[]
    }, (items) => items.length > 0)
    assert.equal(events[0]!.type, 'Warning')
    assert.match(events[0]!.message, /Kafka 4\.0\.0 cannot run this cluster/)

    await apply(home, kafkaCluster(bootstrap))
    const back = await until('KafkaCluster Ready again', () => get(home, 'kafkacluster', 'kafka'), (c) => current(c) && condition(c, 'Ready')?.status === 'True')
    assert.equal(condition(back, 'Degraded').status, 'False')
  })

  test('a TLS listener: its Secret checked and copied to both Kubernetes clusters (the key as PKCS#8), its hash on the pod template; a Secret that fails a check changes nothing; a renewed one changes the hash', async () => {
    const authority = await LocalCertificateAuthority.open(join(scratch, 'tls'))
    const issue = (name: string) => authority.issue({ name, commonName: 'kafka.example.test', dnsNames: ['kafka.example.test'], usage: 'server' })
    const secret = async (certificate: CertificateFiles, key = certificate.keyFile) => ({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'secured-tls', namespace: NS },
      type: 'kubernetes.io/tls',
      data: { 'tls.crt': (await readFile(certificate.certFile)).toString('base64'), 'tls.key': (await readFile(key)).toString('base64'), 'ca.crt': (await readFile(authority.ca.certFile)).toString('base64') },
    })
    const secured = kafkaCluster(bootstrap)
    secured.metadata.name = 'secured'
    ;(secured.spec as Json).listeners = [
      { name: 'INTERNAL', port: 9092 },
      { name: 'SECURE', port: 9095, protocol: 'SSL', advertisedAddress: 'kafka-{id}.example.test:{port}', tls: { secretName: 'secured-tls' } },
    ]
    const first = await issue('secured-1')
    await apply(home, await secret(first))
    await apply(home, secured)
    const hashOf = async (plane: KubeControlPlane, name: string) => (await get(plane, 'statefulset', name))?.spec.template.metadata.annotations['kafkaplane.io/certificates-hash'] as string | undefined
    const firstHash = await until('the StatefulSets with a certificates hash', () => hashOf(remote, 'secured-k8s-2'), (h) => h !== undefined)
    assert.equal(await hashOf(home, 'secured-k8s-1'), firstHash, 'the same copy in both Kubernetes clusters')
    for (const [plane, name] of [[home, 'secured-k8s-1-tls'], [remote, 'secured-k8s-2-tls']] as const) {
      const copy = (await get(plane, 'secret', name))!
      const keyStore = Buffer.from(copy.data['secure.keystore.pem'], 'base64').toString()
      assert.match(keyStore, /^-----BEGIN PRIVATE KEY-----\n/, `${name}: a PKCS#8 key first`)
      assert.equal(new X509Certificate(keyStore.slice(keyStore.indexOf('-----BEGIN CERTIFICATE-----'))).fingerprint256, new X509Certificate(await readFile(first.certFile)).fingerprint256, `${name}: then the Secret's certificate`)
      assert.equal(Buffer.from(copy.data['secure.ca.crt'], 'base64').toString().trim(), (await readFile(authority.ca.certFile, 'utf8')).trim())
    }
    const given = (await until('status.listenerCertificates', () => get(home, 'kafkacluster', 'secured'), (c) => c.status?.listenerCertificates !== undefined)).status.listenerCertificates
    const firstCertificate = new X509Certificate(await readFile(first.certFile))
    assert.deepEqual(given, [{ listener: 'SECURE', secret: 'secured-tls', subject: 'CN=kafka.example.test', notAfter: new Date(firstCertificate.validTo).toISOString(), fingerprint: firstCertificate.fingerprint256 }])
    const sts = (await get(home, 'statefulset', 'secured-k8s-1'))!
    assert.ok((sts.spec.template.spec.volumes as Json[]).some((v) => v.name === 'listener-tls' && v.secret.secretName === 'secured-k8s-1-tls'), 'the brokers mount the copy')

    // A renewal whose key is another certificate's: Degraded, a Warning Event, the copy and the StatefulSets as they were.
    const second = await issue('secured-2')
    await apply(home, await secret(second, first.keyFile))
    const refused = await until('secured Degraded', () => get(home, 'kafkacluster', 'secured'), (c) => condition(c, 'Degraded')?.status === 'True' && condition(c, 'Degraded').reason === 'InvalidListenerCertificate', 90_000)
    assert.match(condition(refused, 'Degraded').message, /listener SECURE: Secret kafka\/secured-tls: tls\.key is not the key of tls\.crt's certificate \(CN=kafka\.example\.test\); put the two of one issue together; nothing is applied until then, and the brokers keep the certificates they have/)
    assert.equal(await hashOf(home, 'secured-k8s-1'), firstHash, 'the StatefulSet unchanged')
    assert.equal(await hashOf(remote, 'secured-k8s-2'), firstHash)
    assert.equal(refused.status.listenerCertificates?.[0]?.fingerprint, firstCertificate.fingerprint256, 'the status still names the certificate the brokers serve')
    const events = await home.kubectl(['get', 'events', '-n', NS, '--field-selector', 'involvedObject.name=secured,reason=InvalidListenerCertificate', '-o', 'jsonpath={.items[*].type}'])
    assert.match(events.stdout, /Warning/)

    // The right key: a new hash in both Kubernetes clusters (the roll's certificates reason), Degraded no more.
    await apply(home, await secret(second))
    const secondHash = await until('a new certificates hash', () => hashOf(remote, 'secured-k8s-2'), (h) => h !== undefined && h !== firstHash, 90_000)
    assert.equal(await hashOf(home, 'secured-k8s-1'), secondHash)
    await until('secured no longer Degraded', () => get(home, 'kafkacluster', 'secured'), (c) => condition(c, 'Degraded')?.status === 'False')
    assert.equal((await home.kubectl(['delete', 'kafkacluster', 'secured', '-n', NS, '--timeout=60s'])).code, 0)
    assert.equal(await get(remote, 'secret', 'secured-k8s-2-tls'), undefined, 'the remote copy pruned with the KafkaCluster')
  })

  test('KafkaCluster with an invalid spec: Degraded naming the field and the fix, nothing applied', async () => {
    // The CRD accepts it (a quantity); the model refuses it: half of 400Mi is too small a heap.
    const bad = kafkaCluster(bootstrap)
    bad.metadata.name = 'broken'
    ;(bad.spec as Json).resources = { memory: '400Mi', cpu: '1' }
    await apply(home, bad)
    const degraded = await until('broken Degraded', () => get(home, 'kafkacluster', 'broken'), (c) => current(c) && condition(c, 'Degraded').status === 'True')
    assert.equal(condition(degraded, 'Degraded').reason, 'InvalidSpec')
    assert.match(condition(degraded, 'Degraded').message, /a heap of 200 MiB is too small for a broker \(fix: give memory: 1Gi or more/)
    assert.equal(condition(degraded, 'Ready').status, 'False')
    assert.deepEqual(degraded.metadata.finalizers, ['kafkaplane.io/finalizer'])
    assert.equal(await get(home, 'statefulset', 'broken-k8s-1'), undefined, 'nothing applied at home')
    assert.equal(await get(remote, 'statefulset', 'broken-k8s-2'), undefined, 'nothing applied remotely')
    assert.equal((await home.kubectl(['delete', 'kafkacluster', 'broken', '-n', NS, '--timeout=60s'])).code, 0, 'the finalizer is removed on delete')
  })

  test('KafkaTopic: created with a 2-D spread (cluster x zone), configs changed, partitions added, RF raised', async () => {
    await apply(home, kafkaTopic('payments', { partitions: 4, replicationFactor: 2, minInsyncReplicas: 1, config: { 'retention.ms': '3600000' } }))
    let topic = await readyTopic('payments')
    const index = new SpreadIndex(TOPOLOGY.dimensions, TOPOLOGY.brokers)
    const admin = createAdmin({ bootstrapServers: kafka!.bootstrapServers })
    try {
      let assignment = await describeAssignment(admin, ['payments'])
      assert.equal(assignment.length, 4)
      for (const p of assignment) {
        const [clusters, zones] = index.domainCounts(index.cellCounts(p.replicas))
        assert.deepEqual(clusters, [1, 1], `payments-${p.partition} [${p.replicas}]: one replica per Kubernetes cluster`)
        assert.deepEqual(zones, [1, 1], `payments-${p.partition} [${p.replicas}]: one replica per zone`)
      }
      assert.deepEqual(topic.status.assignment, assignment.map((p) => ({ partition: p.partition, replicas: p.replicas })))
      assert.equal(topic.status.survivability.verdict, 'survives-any-domain-loss')
      assert.deepEqual(await describeTopicOverrides(admin, 'payments'), { 'retention.ms': '3600000', 'min.insync.replicas': '1' })

      await apply(home, kafkaTopic('payments', { partitions: 6, replicationFactor: 2, minInsyncReplicas: 1, config: { 'retention.ms': '7200000', 'cleanup.policy': 'compact' } }))
      topic = await readyTopic('payments')
      assert.deepEqual(await describeTopicOverrides(admin, 'payments'), { 'retention.ms': '7200000', 'cleanup.policy': 'compact', 'min.insync.replicas': '1' })
      assignment = await describeAssignment(admin, ['payments'])
      assert.equal(assignment.length, 6)
      for (const p of assignment) assert.deepEqual(index.domainCounts(index.cellCounts(p.replicas))[0], [1, 1], `payments-${p.partition}`)
      assert.equal(topic.status.partitions, 6)

      await apply(home, kafkaTopic('payments', { partitions: 6, replicationFactor: 4, minInsyncReplicas: 2, config: { 'retention.ms': '7200000' } }))
      topic = await readyTopic('payments')
      assignment = await describeAssignment(admin, ['payments'])
      for (const p of assignment) assert.deepEqual([...p.replicas].sort(), [0, 1, 2, 3], `payments-${p.partition} at RF 4`)
      assert.equal(topic.status.replicationFactor, 4)
      assert.equal(topic.status.minInsyncReplicas, 2)
      assert.deepEqual(topic.status.assignment, assignment.map((p) => ({ partition: p.partition, replicas: p.replicas })))
      assert.equal(topic.status.survivability.verdict, 'survives-any-domain-loss')
      assert.deepEqual(await describeTopicOverrides(admin, 'payments'), { 'retention.ms': '7200000', 'min.insync.replicas': '2' })
    } finally {
      await admin.close()
    }
  })

  test('KafkaTopic with a bad spec: Degraded with the field and the fix, nothing changed', async () => {
    const fewer = await home.kubectl(['apply', '-f', '-'], { input: JSON.stringify(kafkaTopic('payments', { partitions: 2, replicationFactor: 4, minInsyncReplicas: 2 })) })
    assert.notEqual(fewer.code, 0, 'the API server refuses fewer partitions (transition rule)')
    assert.match(fewer.stderr, /spec.partitions cannot go down/)
    await apply(home, kafkaTopic('too-wide', { partitions: 1, replicationFactor: 5, minInsyncReplicas: 2 }))
    const bad = await until('too-wide Degraded', () => get(home, 'kafkatopic', 'too-wide'), (t) => condition(t, 'Degraded')?.status === 'True')
    assert.match(condition(bad, 'Degraded').message, /replication factor 5 is above the 4 brokers/)
    assert.match(condition(bad, 'Degraded').message, /fix: use 4 or fewer/)
    // Unwritable (replication factor below min.insync.replicas): with both in the spec the API server
    // refuses it (CEL); with the replication factor from the cluster's policy, Degraded names both.
    const both = await home.kubectl(['apply', '-f', '-'], { input: JSON.stringify(kafkaTopic('unwritable', { partitions: 1, replicationFactor: 1, minInsyncReplicas: 2 })) })
    assert.notEqual(both.code, 0, 'the API server refuses RF 1 with min.insync.replicas 2')
    assert.match(both.stderr, /spec.minInsyncReplicas is above spec.replicationFactor/)
    await apply(home, kafkaTopic('unwritable', { partitions: 1, minInsyncReplicas: 5 }))
    const unwritable = await until('unwritable Degraded', () => get(home, 'kafkatopic', 'unwritable'), (t) => condition(t, 'Degraded')?.status === 'True')
    assert.match(condition(unwritable, 'Degraded').message, /replication factor \d below min\.insync\.replicas 5: no acks=all write could ever be acknowledged/)
    assert.match(condition(unwritable, 'Degraded').message, /fix: raise spec\.replicationFactor \(default \d, the cluster's spec\.placement\) to 5 or more/)
    const admin = createAdmin({ bootstrapServers: kafka!.bootstrapServers })
    try {
      const topics = await admin.listTopics({ includeInternals: false })
      assert.ok(!topics.includes('too-wide'))
      assert.ok(!topics.includes('unwritable'))
    } finally {
      await admin.close()
    }
  })

  test('the operator killed in the middle of an RF change: a new one adopts the plan and converges', async () => {
    await apply(home, kafkaTopic('orders', { partitions: 2, replicationFactor: 2, minInsyncReplicas: 1 }))
    await readyTopic('orders')
    await fill(kafka!.bootstrapServers, 'orders', 6 * 1024 * 1024)
    await apply(home, kafkaTopic('orders', { partitions: 2, replicationFactor: 4, minInsyncReplicas: 2 }))
    const stateFile = join(scratch, 'state', 'topics', `${NS}.orders.json`)
    await until('the RF plan in flight', async () => {
      const text = await readFile(stateFile, 'utf8').catch(() => undefined)
      return text === undefined ? undefined : (JSON.parse(text) as Json)
    }, (s) => s.status === 'running' && (s.started as string[]).length > 0)
    const killed = operator()
    process.kill(killed.child.pid!, 'SIGKILL')
    await killed.exited
    const inFlight = JSON.parse(await readFile(stateFile, 'utf8')) as Json
    assert.equal(inFlight.status, 'running', 'killed mid-plan')
    assert.ok((inFlight.done as string[]).length < 2, `not finished yet: ${JSON.stringify(inFlight.done)}`)

    startOperator()
    const topic = await readyTopic('orders')
    assert.match(operator().stderr(), /adopted|continuing|finished/)
    assert.equal(topic.status.replicationFactor, 4)
    const finished = JSON.parse(await readFile(stateFile, 'utf8')) as Json
    assert.equal(finished.status, 'finished')
    assert.equal(finished.planId, inFlight.planId, 'the same plan, adopted')
    // payments (from the earlier test) is still as it was: the new operator converged to the same state.
    const payments = await readyTopic('payments')
    assert.equal(payments.status.replicationFactor, 4)
  })

  test('deleting a KafkaTopic keeps the topic unless kafkaplane.io/delete-data is "true"', async () => {
    const admin = createAdmin({ bootstrapServers: kafka!.bootstrapServers })
    try {
      assert.equal((await home.kubectl(['delete', 'kafkatopic', 'orders', '-n', NS, '--timeout=60s'])).code, 0)
      assert.ok((await admin.listTopics({ includeInternals: false })).includes('orders'), 'orders stays in Kafka')
      const annotate = await home.kubectl(['annotate', 'kafkatopic', 'payments', '-n', NS, 'kafkaplane.io/delete-data=true'])
      assert.equal(annotate.code, 0, annotate.stderr)
      assert.equal((await home.kubectl(['delete', 'kafkatopic', 'payments', '-n', NS, '--timeout=60s'])).code, 0)
      await until('payments deleted from Kafka', async () => (await admin.listTopics({ includeInternals: false })).includes('payments'), (present) => !present, 60_000)
    } finally {
      await admin.close()
    }
  })

  test('KafkaCluster: a scale-down that would remove a KRaft controller is refused, nothing changed; delete removes everything, remote included, then the finalizer', async () => {
    // Broker 3 (the highest ordinal of k8s-2) is one of the controllers 0, 1, 3: a static quorum.
    await apply(home, kafkaCluster(bootstrap, 1))
    const refused = await until('scale-down refused', () => get(home, 'kafkacluster', 'kafka'), (c) => condition(c, 'Degraded').status === 'True')
    assert.equal(condition(refused, 'Degraded').reason, 'ScaleRefused')
    assert.match(condition(refused, 'Degraded').message, /would remove broker 3, a KRaft controller/)
    assert.equal((await get(remote, 'statefulset', 'kafka-k8s-2'))?.spec.replicas, 2, 'the StatefulSet keeps its size')
    assert.ok(await get(remote, 'service', 'kafka-broker-3'), 'broker 3 keeps its Service')
    // (Scaling with data moved, pruning and the recorded failure domains: test/integration/operator-scaling.test.ts.)

    assert.equal((await home.kubectl(['delete', 'kafkacluster', 'kafka', '-n', NS, '--timeout=90s'])).code, 0, logs())
    assert.equal(await get(home, 'kafkacluster', 'kafka'), undefined)
    for (const [plane, name] of [[home, 'kafka-k8s-1'], [remote, 'kafka-k8s-2']] as const) {
      assert.equal(await get(plane, 'statefulset', name), undefined, `${name} deleted`)
      assert.equal(await get(plane, 'configmap', `${name}-config`), undefined, `${name}-config deleted`)
    }
    assert.equal(await get(remote, 'service', 'kafka-broker-2'), undefined)
  })

  test('SIGTERM stops the operator gracefully: exit code 0', async () => {
    const op = operator()
    process.kill(op.child.pid!, 'SIGTERM')
    const code = await Promise.race([op.exited, sleep(20_000).then(() => 'still running')])
    assert.equal(code, 0, op.stderr().slice(-2000))
    assert.match(op.stderr(), /SIGTERM: stopping[\s\S]*stopped/)
  })
})
