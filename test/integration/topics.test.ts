/**
 * `kafkaplane topics` and `kafkaplane status` against a real 6-broker cluster over 2 Kubernetes
 * clusters x 3 zones, with the topology file giving both dimensions (broker.rack only knows the zone).
 */
import { after, before, describe, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { stringify } from 'yaml'
import { SpreadIndex } from '../../src/core/placement/spread.ts'
import { createAdmin } from '../../src/kafka/connection.ts'
import { describeAssignment } from '../../src/kafka/describe-assignment.ts'
import { describeMinInsync } from '../../src/kafka/describe-min-insync.ts'
import { createTopicWithAssignment } from '../../src/kafka/create-topic.ts'
import { deleteTopic } from '../../src/kafka/delete-topic.ts'
import { parseReassignment } from '../../src/formats/reassignment-json.ts'
import { describeReplicaSizes, partitionSizes } from '../../src/kafka/describe-replica-sizes.ts'
import { produce } from './support/kafka-io.ts'
import type { LocalCluster } from '../../src/local/local-cluster.ts'
import { removeDir, startTestCluster, tempDir } from './support/clusters.ts'
import { runCli, startCli } from './support/cli.ts'
import { WISE_TOPOLOGY } from './support/placement-comparison.ts'

describe('kafkaplane topics and status on a real cluster', { timeout: 600_000 }, () => {
  let cluster: LocalCluster
  let scratch: string
  let topologyFile: string
  const cli = (...args: string[]) => runCli([...args, '--bootstrap-server', cluster.bootstrapServers[0]!])

  before(async () => {
    scratch = await tempDir('topics')
    topologyFile = join(scratch, 'topology.yaml')
    await writeFile(topologyFile, stringify({ dimensions: WISE_TOPOLOGY.dimensions, brokers: WISE_TOPOLOGY.brokers.map((b) => ({ id: b.id, ...b.labels })) }))
    cluster = await startTestCluster(WISE_TOPOLOGY)
  })
  after(async () => {
    await cluster?.stop()
    await removeDir(scratch)
  })

  test('create places RF 4 on both dimensions: 2 replicas per Kubernetes cluster, at most 2 per zone', async () => {
    const dry = await cli('topics', 'create', '--topic', 'payments', '--partitions', '6', '--replication-factor', '4', '--topology', topologyFile, '--dry-run')
    assert.equal(dry.code, 0, dry.stderr)
    assert.match(dry.stdout, /^\{"version":1,"partitions":\[/)
    const created = await cli('topics', 'create', '--topic', 'payments', '--partitions', '6', '--replication-factor', '4', '--topology', topologyFile, '--config', 'min.insync.replicas=2')
    assert.equal(created.code, 0, created.stderr)
    const admin = createAdmin({ bootstrapServers: cluster.bootstrapServers })
    try {
      const assignment = await describeAssignment(admin, ['payments'])
      assert.equal(assignment.length, 6)
      const index = new SpreadIndex(WISE_TOPOLOGY.dimensions, WISE_TOPOLOGY.brokers)
      for (const p of assignment) {
        const [clusters, zones] = index.domainCounts(index.cellCounts(p.replicas))
        assert.deepEqual(clusters, [2, 2], `payments-${p.partition}: ${p.replicas}`)
        assert.deepEqual([...zones!].sort(), [1, 1, 2])
      }
      assert.equal((await describeMinInsync(admin, ['payments'])).get('payments'), 2)
    } finally {
      await admin.close()
    }
    const again = await cli('topics', 'create', '--topic', 'payments', '--partitions', '1', '--replication-factor', '3')
    assert.equal(again.code, 2)
    assert.match(again.stderr, /topic payments already exists/)
    const tooMany = await cli('topics', 'create', '--topic', 'x', '--partitions', '1', '--replication-factor', '7')
    assert.equal(tooMany.code, 2)
    assert.match(tooMany.stderr, /replication factor 7 is more than the 6 brokers/)
  })

  test('describe shows domains, ISR, health and survivability; list and alter work', async () => {
    const described = await cli('topics', 'describe', '--topic', 'payments', '--topology', topologyFile)
    assert.equal(described.code, 0, described.stderr)
    assert.match(described.stdout, /topic payments: 6 partitions, min.insync.replicas 2/)
    assert.match(described.stdout, /\d\(k8s-\d\/[abc]\)/)
    assert.match(described.stdout, /healthy\s+cluster:yes zone:yes/)
    const altered = await cli('topics', 'alter', '--topic', 'payments', '--partitions', '8', '--config', 'retention.ms=3600000', '--topology', topologyFile)
    assert.equal(altered.code, 0, altered.stderr)
    const listed = await cli('topics', 'list')
    assert.match(listed.stdout, /payments\s+8\s+4/)
    const shrink = await cli('topics', 'alter', '--topic', 'payments', '--partitions', '2')
    assert.equal(shrink.code, 2)
    assert.match(shrink.stderr, /can only add more/)
  })

  test('a topic no acks=all producer could write is refused (exit 2, nothing changed) unless --allow-unwritable', async () => {
    // kafkaplane's own broker default: min.insync.replicas 2, read from the cluster.
    const rf1 = await cli('topics', 'create', '--topic', 'scratch', '--partitions', '2', '--replication-factor', '1')
    assert.equal(rf1.code, 2, rf1.stdout + rf1.stderr)
    assert.match(rf1.stderr, /replication factor 1 below min\.insync\.replicas 2: no acks=all write could ever be acknowledged.*\(min\.insync\.replicas 2 is the brokers' default\)/)
    assert.match(rf1.stderr, /fix: raise the replication factor to 2 or more, or lower min\.insync\.replicas to 1 or less, or pass --allow-unwritable to create it anyway/)
    const configured = await cli('topics', 'create', '--topic', 'scratch', '--partitions', '2', '--replication-factor', '2', '--config', 'min.insync.replicas=3')
    assert.equal(configured.code, 2)
    assert.match(configured.stderr, /replication factor 2 below min\.insync\.replicas 3.*from --config/)
    const alter = await cli('topics', 'alter', '--topic', 'payments', '--config', 'min.insync.replicas=5')
    assert.equal(alter.code, 2)
    assert.match(alter.stderr, /replication factor 4 below min\.insync\.replicas 5/)
    const plan = await cli('plan', 'assign', '--topic', 'scratch', '--partitions', '2', '--replication-factor', '2', '--min-insync', '3')
    assert.equal(plan.code, 2)
    assert.match(plan.stderr, /replication factor 2 below min\.insync\.replicas 3.*from --min-insync.*--allow-unwritable/s)
    const lower = await cli('replication-factor', 'fix', '--target', '1', '--topics', 'payments')
    assert.equal(lower.code, 2)
    assert.match(lower.stderr, /topic payments would have replication factor 1 below min\.insync\.replicas 2/)
    const admin = createAdmin({ bootstrapServers: cluster.bootstrapServers })
    try {
      assert.ok(!(await admin.listTopics({ includeInternals: false })).includes('scratch'), 'nothing created')
      assert.equal((await describeMinInsync(admin, ['payments'])).get('payments'), 2, 'payments unchanged')
      assert.ok((await describeAssignment(admin, ['payments'])).every((p) => p.replicas.length === 4), 'no replica removed')
      const accepted = await cli('topics', 'create', '--topic', 'scratch', '--partitions', '2', '--replication-factor', '1', '--allow-unwritable')
      assert.equal(accepted.code, 0, accepted.stderr)
      assert.match(accepted.stderr, /warning: topic scratch would have replication factor 1 below min\.insync\.replicas 2.*accepted \(--allow-unwritable\)/)
      assert.deepEqual((await describeAssignment(admin, ['scratch'])).map((p) => p.replicas.length), [1, 1])
      await deleteTopic(admin, 'scratch') // under min ISR for ever: the status test below wants a healthy cluster
    } finally {
      await admin.close()
    }
  })

  test('plan reads a live cluster: check finds a one-cluster topic, rebalance moves it', async () => {
    const admin = createAdmin({ bootstrapServers: cluster.bootstrapServers })
    try {
      // Every replica in k8s-1 (brokers 0, 2, 4): one Kubernetes cluster loss takes it offline.
      await createTopicWithAssignment(admin, { topic: 'lopsided', assignment: [0, 1].map((partition) => ({ topic: 'lopsided', partition, replicas: [0, 2, 4] })) })
    } finally {
      await admin.close()
    }
    const check = await cli('plan', 'check', '--topology', topologyFile)
    assert.equal(check.code, 1, check.stdout + check.stderr)
    assert.match(check.stdout, /even-spread-on-every-dimension\s+hard\s+VIOLATED\s+.*lopsided-0/)
    const plan = await cli('plan', 'rebalance', '--topology', topologyFile)
    assert.equal(plan.code, 0, plan.stderr)
    const moved = parseReassignment(plan.stdout, 'plan').filter((p) => p.topic === 'lopsided')
    assert.equal(moved.length, 2)
    for (const p of moved) assert.ok(p.replicas.some((b) => b % 2 === 1), `lopsided-${p.partition} gets a replica in k8s-2: ${p.replicas}`)
  })

  test('replica sizes come from DescribeLogDirs', async () => {
    await produce(cluster.bootstrapServers, 'payments', 'size', 50)
    const admin = createAdmin({ bootstrapServers: cluster.bootstrapServers })
    try {
      const assignment = await describeAssignment(admin, ['payments'])
      const replicas = await describeReplicaSizes(admin, assignment)
      assert.equal(replicas.length, assignment.reduce((n, p) => n + p.replicas.length, 0), 'one size per replica')
      for (const r of replicas) assert.ok(assignment.find((p) => p.partition === r.partition)!.replicas.includes(r.broker))
      const sizes = partitionSizes(replicas)
      assert.ok([...sizes.values()].reduce((a, b) => a + b, 0) > 50 * 6, 'the 50 records take bytes on disk')
    } finally {
      await admin.close()
    }
  })

  test('probe serve answers Kubernetes httpGet probes', async () => {
    const port = 20000 + Math.floor(Math.random() * 9000)
    const child = startCli(['probe', 'serve', '--broker-id', '2', '--port', String(port), '--bootstrap-server', cluster.bootstrapServers[2]!, '--override-file', join(scratch, 'no-override')])
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve))
    try {
      let stderr = ''
      child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()))
      const deadline = Date.now() + 30_000
      while (!stderr.includes('GET /ready') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100))
      const ready = await fetch(`http://127.0.0.1:${port}/ready`)
      assert.equal(ready.status, 200)
      assert.match(await ready.text(), /^ready: broker 2 is registered, in sync/)
      const live = await fetch(`http://127.0.0.1:${port}/live`)
      assert.equal(live.status, 200)
      assert.equal((await fetch(`http://127.0.0.1:${port}/other`)).status, 404)
      // An exec probe can ask the server instead of loading the Kafka client itself.
      const via = await runCli(['probe', 'ready', '--broker-id', '2', '--via', `http://127.0.0.1:${port}`, '--bootstrap-server', '127.0.0.1:1'])
      assert.equal(via.code, 0, via.stdout + via.stderr)
      assert.match(via.stdout, /^ready: broker 2 is registered, in sync/)
      assert.equal(via.stderr, '')
      // Its log holds each change of its answer (`kubectl logs POD -c probe-server`): here the first answer only.
      assert.match(stderr, /kafkaplane probe serve: broker 2 first answer: ready: broker 2 is registered, in sync/)
      assert.equal(stderr.match(/first answer|became|still not ready/g)?.length, 1, stderr)
      // A server of another broker is never taken for this one: the probe asks the cluster itself.
      const other = await runCli(['probe', 'ready', '--broker-id', '1', '--via', `http://127.0.0.1:${port}`, '--bootstrap-server', cluster.bootstrapServers[1]!, '--override-file', join(scratch, 'no-override')])
      assert.equal(other.code, 0, other.stdout + other.stderr)
      assert.match(other.stderr, /did not answer \(it serves broker 2, not 1\); asking the cluster directly/)
      assert.match(other.stdout, /^ready: broker 1 is registered/)
      child.kill('SIGTERM')
      assert.equal(await exited, 0)
    } finally {
      child.kill('SIGKILL')
    }
  })

  test('status groups brokers by every dimension and exits 0 on a healthy cluster', async () => {
    const r = await cli('status', '--topology', topologyFile)
    assert.equal(r.code, 0, r.stdout + r.stderr)
    assert.match(r.stdout, /^cluster: HEALTHY/)
    assert.match(r.stdout, /brokers by cluster: k8s-1: .* \| k8s-2: /)
    assert.match(r.stdout, /brokers by zone: a: .* \| b: .* \| c: /)
    const json = await cli('status', '--json')
    const report = JSON.parse(json.stdout) as { verdict: { status: string }; brokers: unknown[] }
    assert.equal(report.verdict.status, 'healthy')
    assert.equal(report.brokers.length, 6)
  })

  test('a topics verb started while its only bootstrap broker restarts waits for it (retrying, said), then works', async () => {
    const id = cluster.brokerIds().at(-1)!
    await cluster.stopBroker(id)
    let result
    try {
      const listing = runCli(['topics', 'list', '--bootstrap-server', `127.0.0.1:${cluster.node(id).brokerPort}`])
      await sleep(5000)
      await cluster.startBroker(id)
      result = await listing
    } finally {
      await cluster.startBroker(id)
    }
    assert.equal(result.code, 0, result.stdout + result.stderr)
    assert.match(result.stderr, /cluster not answering \(.+\); retrying/)
    assert.match(result.stdout, /^\s*topic\s+partitions\s+replication factor\n/)
  })
})
