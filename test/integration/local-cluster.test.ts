/**
 * One real 4-node KRaft cluster (3 combined controller+broker nodes, 1 broker-only) over 2 Kubernetes
 * clusters x 2 zones, shared by the tests of this file, which leave it as they found it.
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { basename, join } from 'node:path'
import { layoutBrokers } from '../../src/core/topology/layout.ts'
import { isKafkaplaneError } from '../../src/core/errors.ts'
import { createAdmin } from '../../src/kafka/connection.ts'
import { describeLiveBrokers } from '../../src/kafka/describe-live-brokers.ts'
import { waitForTopic } from '../../src/kafka/wait-for-topic.ts'
import type { LocalCluster } from '../../src/local/local-cluster.ts'
import { isAlive } from '../../src/local/broker-process.ts'
import { classDataArchive } from '../../src/local/class-data-archive.ts'
import { findJava } from '../../src/local/java.ts'
import { resolveKafkaDistribution } from '../../src/local/kafka-distribution.ts'
import { cacheDir } from '../../src/local/paths.ts'
import { removeDir, startTestCluster, tempDir } from './support/clusters.ts'
import { consume, describeTopic, produce, waitForPartitions } from './support/kafka-io.ts'

const topology = layoutBrokers(4, [
  { name: 'cluster', values: ['k8s-1', 'k8s-2'] },
  { name: 'zone', values: ['a', 'b'] },
])

describe('a real local KRaft cluster', { timeout: 600_000 }, () => {
  let cluster: LocalCluster
  let bootstrap: string[]

  before(async () => {
    cluster = await startTestCluster(topology)
    bootstrap = cluster.bootstrapServers
  })
  after(async () => {
    await cluster?.stop()
  })

  test('every broker is registered and unfenced with broker.rack = its zone', async () => {
    const admin = createAdmin({ bootstrapServers: bootstrap })
    try {
      const live = await describeLiveBrokers(admin)
      assert.deepEqual(
        live.map((b) => [b.id, b.rack, b.port]),
        cluster.spec.nodes.map((n) => [n.id, n.labels.zone, n.brokerPort]),
      )
    } finally {
      await admin.close()
    }
    assert.deepEqual(
      cluster.spec.nodes.map((n) => n.roles.join('+')),
      ['broker+controller', 'broker+controller', 'broker+controller', 'broker'],
    )
  })

  test('the safe defaults are in force: no auto-created topics, RF 3, min.insync 2', async () => {
    const properties = readFileSync(`${cluster.dataDir}/node-3/server.properties`, 'utf8')
    assert.match(properties, /^auto\.create\.topics\.enable=false$/m)
    const admin = createAdmin({ bootstrapServers: bootstrap })
    try {
      await admin.createTopics({ topics: ['defaults'], partitions: 2 })
      await waitForTopic(admin, 'defaults', 2)
      const created = await describeTopic(bootstrap, 'defaults')
      assert.ok(created.every((p) => p.replicas.length === 3), JSON.stringify(created))
      const [config] = await admin.describeConfigs({ resources: [{ resourceType: 2, resourceName: 'defaults' }] })
      const minIsr = config!.configs.find((c) => c.name === 'min.insync.replicas')
      assert.equal(minIsr?.value, '2')
      // A producer asking for a topic that does not exist must not create it.
      await assert.rejects(produce(bootstrap, 'never-created', 'x', 1, 2))
      assert.ok(!(await admin.listTopics()).includes('never-created'))
    } finally {
      await admin.close()
    }
  })

  test('a topic with RF 3 takes acks=all writes and gives them back', async () => {
    const admin = createAdmin({ bootstrapServers: bootstrap })
    try {
      await admin.createTopics({ topics: ['orders'], partitions: 3, replicas: 3 })
    } finally {
      await admin.close()
    }
    await waitForPartitions(bootstrap, 'orders', (ps) => ps.every((p) => p.isr.length === 3))
    await produce(bootstrap, 'orders', 'first', 100)
    const values = await consume(bootstrap, 'orders', 100)
    assert.deepEqual(new Set(values), new Set(Array.from({ length: 100 }, (_, i) => `first-${i}`)))
  })

  test('with one broker stopped, acks=all writes still succeed; the broker comes back and rejoins the ISR', async () => {
    const partitions = await describeTopic(bootstrap, 'orders')
    const victim = partitions[0]!.leader
    await cluster.stopBroker(victim)
    assert.equal(cluster.pids().has(victim), false)
    const shrunk = await waitForPartitions(bootstrap, 'orders', (ps) => ps.every((p) => !p.isr.includes(victim)))
    assert.ok(shrunk.every((p) => p.isr.length >= 2), 'min.insync.replicas=2 still met with one broker down')

    await produce(bootstrap, 'orders', 'degraded', 50)

    await cluster.startBroker(victim)
    const healed = await waitForPartitions(bootstrap, 'orders', (ps) => ps.every((p) => p.isr.length === p.replicas.length))
    assert.ok(healed.some((p) => p.isr.includes(victim)), `broker ${victim} is back in the ISR`)
    const values = await consume(bootstrap, 'orders', 150)
    for (let i = 0; i < 50; i++) assert.ok(values.includes(`degraded-${i}`), `degraded-${i} was acknowledged and must not be lost`)
  })

  test('a killed broker (SIGKILL) is gone at once and restarts into the ISR', async () => {
    const victim = 3
    const pid = cluster.pids().get(victim)!
    await cluster.killBroker(victim)
    assert.equal(isAlive(pid), false)
    await produce(bootstrap, 'orders', 'after-kill', 20)
    await cluster.restartBroker(victim)
    assert.notEqual(cluster.pids().get(victim), pid)
    await waitForPartitions(bootstrap, 'orders', (ps) => ps.every((p) => p.isr.length === 3))
  })

  test("the cluster's JVM options (the suite's: C1 only) are on every node's command line, after kafkaplane's own", () => {
    for (const [id, pid] of cluster.pids()) {
      const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')
      assert.ok(args.includes('-XX:TieredStopAtLevel=1'), `broker ${id}: ${args.join(' ')}`)
      assert.ok(args.indexOf('-XX:TieredStopAtLevel=1') > args.indexOf('-XX:CICompilerCount=2'), 'after kafkaplane\'s own, so it wins')
    }
  })

  test('every broker JVM maps the class data archive of its jars and java, made once in the cache; one that cannot be made is left out, never fatal', async () => {
    const java = await findJava()
    const distribution = await resolveKafkaDistribution({ cacheDir: cacheDir() })
    const archive = await classDataArchive({ cacheDir: cacheDir(), java, distribution, env: process.env })
    assert.ok(archive !== undefined && existsSync(archive), `the archive is in the cache: ${archive}`)
    for (const [id, pid] of cluster.pids()) {
      assert.ok(readFileSync(`/proc/${pid}/maps`, 'utf8').includes(archive), `broker ${id}'s JVM maps ${archive}`)
    }
    // Made in a fresh cache by a throwaway broker; asked again, found without starting one.
    const scratch = await tempDir('class-data')
    try {
      const made = await classDataArchive({ cacheDir: scratch, java, distribution, env: process.env })
      assert.ok(made !== undefined && made.startsWith(scratch) && statSync(made).size > 1_000_000, `made: ${made}`)
      assert.deepEqual(readdirSync(join(scratch, 'class-data')), [basename(made)], 'nothing else left behind')
      const started = Date.now()
      assert.equal(await classDataArchive({ cacheDir: scratch, java, distribution, env: process.env }), made)
      assert.ok(Date.now() - started < 1000, 'found, not made again')
      const warnings: string[] = []
      const none = await classDataArchive({ cacheDir: scratch, java, distribution: { ...distribution, version: '0.0.0', classpath: join(scratch, 'no-jars', '*') }, env: process.env, onWarning: (m) => warnings.push(m) })
      assert.equal(none, undefined)
      assert.match(warnings.join('\n'), /no class data archive for Kafka 0\.0\.0 \(brokers start without it, a little slower\)/)
      assert.deepEqual(readdirSync(join(scratch, 'class-data')), [basename(made)], 'the failed attempt left nothing behind')
    } finally {
      await removeDir(scratch)
    }
  })

  test('an unknown broker id is refused, naming the ids there are', async () => {
    await assert.rejects(cluster.stopBroker(42), (e) => isKafkaplaneError(e, 'UNKNOWN_BROKER') && /broker 42 .*0, 1, 2, 3/.test(e.message))
  })
})
