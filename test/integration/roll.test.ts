/**
 * `kafkaplane roll` in batches on a real local cluster of 6 brokers over zones a, b, c with dedicated
 * KRaft controllers (6, 7, 8: controller-only processes, as production clusters run them), kafkaplane's
 * defaults (RF 3, min.insync.replicas 2), under two writers: kafkaplane's verify workload and Kafka's own
 * VerifiableProducer (acks=all). Every node restarts; nothing acknowledged is lost, no write fails, and
 * the batches are what the roll promises: a zone's brokers together with that zone's controller when it
 * is a standby one (one voter of three at a time), the active controller last and alone, each back
 * (caught up with the quorum since its restart) before the next. The
 * roll one at a time of combined controller+broker nodes (its order, each node back in sync, leaders
 * given back) is proven by upgrade.test.ts, whose version upgrade is such a roll.
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import type { ChildProcess } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { anyConnection, createAdmin } from '../../src/kafka/connection.ts'
import { describeQuorum } from '../../src/kafka/describe-quorum.ts'
import { readClusterState } from '../../src/local/cluster-state.ts'
import type { LocalCluster } from '../../src/local/local-cluster.ts'
import { isAlive } from '../../src/local/broker-process.ts'
import { startWorkload } from '../../src/verify/workload.ts'
import { startRolledCluster } from './support/rolled-cluster.ts'
import { runCli, startCli } from './support/cli.ts'
import { startVerifiableProducer } from './support/verifiable-producer.ts'

async function quorumOf(cluster: LocalCluster) {
  const admin = createAdmin({ bootstrapServers: cluster.bootstrapServers })
  try {
    return await describeQuorum(await anyConnection(admin, cluster.bootstrapServers))
  } finally {
    await admin.close()
  }
}

describe('kafkaplane roll on a real local cluster under load', { timeout: 1_800_000 }, () => {
  let cluster: LocalCluster
  let scratch: string
  let bootstrap: string
  let children: ChildProcess[]
  let stop: (() => Promise<void>) | undefined

  before(async () => {
    ;({ cluster, bootstrap, scratch, children, stop } = await startRolledCluster('roll', 6, [['rolled', 16], ['produced', 8]], { controllers: 'dedicated' }))
  })
  after(async () => {
    await stop?.()
  })

  /** Runs `kafkaplane roll` under both writers; returns its result, the batches it restarted, and both writers' reports. */
  async function rollUnderLoad(...args: string[]) {
    const pidsBefore = (await readClusterState(cluster.dataDir))!.pids
    const workload = await startWorkload({ connection: { bootstrapServers: cluster.bootstrapServers }, topics: ['rolled'], recordsPerSecond: 150 })
    const producer = await startVerifiableProducer({ bootstrap, topic: 'produced', recordsPerSecond: 100, dir: scratch, children })
    let result
    try {
      result = await runCli(['roll', '--data-dir', cluster.dataDir, '--poll-ms', '500', ...args], { timeoutMs: 1_200_000 })
    } catch (err) {
      await workload.stop().catch(() => {})
      throw err
    }
    const report = await workload.stop()
    const produced = await producer.stopAndCheck()
    const batches = [...result.stderr.matchAll(/restarting ((?:brokers?|controllers?) [\d, ]+(?: and controllers? [\d, ]+)?) \(/g)].map((m) => [...m[1]!.matchAll(/\d+/g)].map((d) => Number(d[0])))
    const pidsAfter = (await readClusterState(cluster.dataDir))!.pids
    return { result, batches, report, produced, pidsBefore, pidsAfter }
  }

  test('a config change (--config) rolled out in batches of up to 3: a zone\'s brokers together with its standby controller, the active controller last and alone; every node runs the new config; nothing lost, no write failed', async () => {
    const activeBefore = await quorumOf(cluster).then((q) => q.leaderId)
    const { result, batches, report, produced, pidsBefore, pidsAfter } = await rollUnderLoad('--batch', '3', '--config', 'log.retention.hours=169')
    assert.equal(result.code, 0, result.stdout + result.stderr)
    assert.deepEqual(cluster.nodeIds(), [0, 1, 2, 3, 4, 5, 6, 7, 8])
    for (const id of cluster.nodeIds()) assert.notEqual(pidsAfter[String(id)], pidsBefore[String(id)], `node ${id} runs in a new JVM`)
    assert.match(result.stderr, /restarting brokers [\d, ]+ \(config: config hash \S+ -> \S+(; config: config hash \S+ -> \S+)+\)/)
    assert.match(result.stderr, new RegExp(`restarting controller ${activeBefore} \\(config: config hash \\S+ -> \\S+\\)`))
    const admin = createAdmin({ bootstrapServers: cluster.bootstrapServers })
    try {
      const described = await admin.describeConfigs({ resources: cluster.brokerIds().map((id) => ({ resourceType: 4, resourceName: String(id), configurationKeys: ['log.retention.hours'] })) })
      assert.deepEqual(described.map((d) => d.configs.find((c) => c.name === 'log.retention.hours')?.value), cluster.brokerIds().map(() => '169'), 'every broker runs the new config')
    } finally {
      await admin.close()
    }
    const again = await runCli(['roll', '--data-dir', cluster.dataDir, '--config', 'log.retention.hours=169', '--poll-ms', '500'])
    assert.equal(again.code, 0, again.stdout + again.stderr)
    assert.match(again.stdout, /^rolled: 0 nodes restarted in 0 batches/, 'the same config again restarts nothing')
    // Zones: a = 0, 3 and controller 6; b = 1, 4 and 7; c = 2, 5 and 8. RF 3 spread one replica a zone:
    // a zone's brokers may go at once, and its controller with them unless it leads the quorum.
    if (!/passed over for now: /.test(result.stderr)) {
      const zone = (brokers: number[], controller: number) => (controller === activeBefore ? brokers : [...brokers, controller])
      assert.deepEqual(batches, [zone([0, 3], 6), zone([1, 4], 7), zone([2, 5], 8), [activeBefore]], result.stderr)
      assert.match(result.stdout, /^rolled: 9 nodes restarted in 4 batches/)
    }
    assert.deepEqual(batches.flat().sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8], 'every node once')
    for (const batch of batches) assert.ok(batch.filter((id) => id >= 6).length <= 1, `one controller of three at most in a batch: ${JSON.stringify(batches)}`)
    assert.deepEqual(batches.at(-1), [activeBefore], 'the active controller last, alone')
    assert.deepEqual((await quorumOf(cluster)).voters.map((v) => v.id).sort(), [6, 7, 8], 'the quorum is the dedicated controllers')
    // `status`: the 6 brokers, healthy; the controllers are voters, not brokers missing.
    const status = await runCli(['status', '--json', '--bootstrap-server', bootstrap])
    assert.equal(status.code, 0, status.stderr)
    const seen = JSON.parse(status.stdout) as { verdict: { status: string; reasons: string[] }; brokers: { id: number }[] }
    assert.deepEqual(seen.brokers.map((b) => b.id), [0, 1, 2, 3, 4, 5])
    assert.deepEqual(seen.verdict, { ...seen.verdict, status: 'healthy', reasons: [] })
    for (const batch of batches) assert.equal(new Set(batch.map((id) => cluster.node(id).labels.zone)).size, 1, `one zone a batch: ${batch}`)
    // Each controller waited for until it caught up with the quorum after its own restart.
    assert.equal((result.stderr.match(/controller \d+ back in sync: up after/g) ?? []).length, 3, result.stderr)
    assert.equal(report.lost, 0, JSON.stringify(report.partitions.filter((p) => p.lost > 0)))
    assert.equal(report.produceErrors.count, 0, JSON.stringify(report.produceErrors))
    assert.equal(produced.lost, 0, JSON.stringify(produced))
  })

  test('bad input changes nothing: an unknown broker, a batch of 0, a dimension the cluster does not have, a property kafkaplane sets, certificates of a cluster without TLS', async () => {
    const { pids, config } = (await readClusterState(cluster.dataDir))!
    for (const [args, pattern] of [
      [['--brokers', '9'], /--brokers: broker 9 is not in the topology/],
      [['--batch', '0'], /--batch 0 is not a whole number between 1 and 32/],
      [['--batch-within', 'region'], /--batch-within: "region" is not a dimension of this cluster/],
      [['--config', 'node.id=7'], /--config node.id cannot be set: kafkaplane sets it for every node/],
      [['--renew-certificates'], /--renew-certificates: the local cluster in \S+ has no certificates \(it was started without --security\)/],
    ] as const) {
      const r = await runCli(['roll', '--data-dir', cluster.dataDir, ...args])
      assert.equal(r.code, 2, r.stdout + r.stderr)
      assert.match(r.stderr, pattern)
    }
    assert.deepEqual((await readClusterState(cluster.dataDir))!.pids, pids, 'no broker restarted')
    assert.deepEqual((await readClusterState(cluster.dataDir))!.config, config, 'the config is as it was')
  })

  test('a dedicated controller\'s readiness and liveness probes, through the controller listeners: ready while caught up, not while stopped, and not before it caught up after its start', async () => {
    const listener = (id: number) => `127.0.0.1:${cluster.node(id).controllerPort}`
    const probe = (kind: string, id: number, ...more: string[]) => runCli(['probe', kind, '--controller-id', String(id), '--bootstrap-controller', listener(id), ...more])
    for (const id of [6, 7, 8]) {
      const ready = await probe('ready', id)
      assert.equal(ready.code, 0, ready.stdout + ready.stderr)
      assert.match(ready.stdout, new RegExp(`^ready: controller ${id} (leads the quorum|is caught up with the quorum leader [678])`))
    }
    const leader = (await quorumOf(cluster)).leaderId
    const [follower, other] = [6, 7, 8].filter((id) => id !== leader) as [number, number]
    assert.equal((await probe('live', follower)).code, 0)
    await cluster.stopBroker(follower)
    const stoppedAt = Date.now()
    try {
      const down = await probe('ready', follower)
      assert.equal(down.code, 1, down.stdout)
      assert.match(down.stdout, new RegExp(`^not ready: cannot read the cluster state through ${listener(follower)}`))
      const dead = await probe('live', follower)
      assert.equal(dead.code, 1, dead.stdout)
      assert.match(dead.stdout, new RegExp(`^not live: controller ${follower} does not answer on ${listener(follower)}`))
      // Asked through another controller: the leader's last catch-up of it is the stopped process's.
      const stale = await runCli(['probe', 'ready', '--controller-id', String(follower), '--bootstrap-controller', `${listener(follower)},${listener(other)}`, '--since', String(stoppedAt)])
      assert.equal(stale.code, 1, stale.stdout + stale.stderr)
      assert.match(stale.stdout, new RegExp(`^not ready: controller ${follower} has not caught up with the quorum leader ${leader} since it started`))
    } finally {
      await cluster.startBroker(follower)
    }
    const back = await probe('ready', follower, '--since', String(stoppedAt))
    assert.equal(back.code, 0, back.stdout + back.stderr)

    // probe serve for a controller (its pod's sidecar): the same answers over HTTP, judged after the start
    // time its start script writes (read at every answer), and the exec probe asking it with --via.
    const sinceFile = join(scratch, `started-at-${follower}`)
    await writeFile(sinceFile, String(stoppedAt))
    const port = 20000 + Math.floor(Math.random() * 9000)
    const server = startCli(['probe', 'serve', '--controller-id', String(follower), '--bootstrap-controller', `${listener(follower)},${listener(other)}`, '--since-file', sinceFile, '--port', String(port), '--max-age-ms', '0', '--override-file', join(scratch, 'no-override')])
    children.push(server)
    let said = ''
    server.stderr!.on('data', (d: Buffer) => (said += d.toString()))
    const exited = new Promise<number | null>((resolve) => server.on('close', resolve))
    const deadline = Date.now() + 30_000
    while (!said.includes('GET /ready') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100))
    const via = (kind: string, id = follower) => runCli(['probe', kind, '--controller-id', String(id), '--bootstrap-controller', '127.0.0.1:1', '--via', `http://127.0.0.1:${port}`])
    const served = await via('ready')
    assert.equal(served.code, 0, served.stdout + served.stderr)
    assert.match(served.stdout, new RegExp(`^ready: controller ${follower} (leads the quorum|is caught up with the quorum leader)`))
    assert.equal(served.stderr, '', 'answered by the server, not by asking the cluster')
    assert.equal((await via('live')).code, 0)
    const header = (await fetch(`http://127.0.0.1:${port}/ready`)).headers.get('x-kafkaplane-broker')
    assert.equal(header, `controller-${follower}`)
    // A start time after the last catch-up the leader saw (a restart the server has not seen caught up yet): not ready.
    await writeFile(sinceFile, String(Date.now() + 60_000))
    const notYet = await via('ready')
    assert.equal(notYet.code, 1, notYet.stdout)
    assert.match(notYet.stdout, new RegExp(`^not ready: controller ${follower} has not caught up with the quorum leader \\d+ since it started`))
    // Another node's server is never taken for this one.
    const wrong = await via('ready', other)
    assert.match(wrong.stderr, new RegExp(`did not answer \\(it serves controller ${follower}, not ${other}\\); asking the cluster directly`))
    assert.match(said, new RegExp(`kafkaplane probe serve: controller ${follower} first answer: ready`))
    assert.match(said, new RegExp(`kafkaplane probe serve: controller ${follower} became NOT ready`))
    server.kill('SIGTERM')
    assert.equal(await exited, 0)
    for (const [args, pattern] of [
      [['ready', '--controller-id', '6', '--broker-id', '0'], /--broker-id and --controller-id both name the node probed/],
      [['ready', '--controller-id', '6'], /--controller-id needs --bootstrap-controller HOST:PORT/],
      [['serve', '--controller-id', '6', '--bootstrap-controller', listener(6), '--since', '1'], /probe serve takes --since-file, not --since/],
      [['ready', '--controller-id', '6', '--bootstrap-controller', listener(6), '--since-file', '/tmp/x'], /--since-file is read by probe serve --controller-id only/],
      [['ready', '--controller-id', '6', '--bootstrap-controller', listener(6), '--since', 'yesterday'], /--since "yesterday" is not a time in milliseconds since the epoch/],
    ] as const) {
      const r = await runCli(['probe', ...args])
      assert.equal(r.code, 2, r.stdout + r.stderr)
      assert.match(r.stderr, pattern)
    }
  })

  test('the process that started the cluster stops the brokers the roll restarted (what a foreground `kafkaplane up` does on Ctrl-C)', async () => {
    const pids = Object.values((await readClusterState(cluster.dataDir))!.pids)
    assert.equal(pids.length, 9)
    await cluster.stop()
    assert.deepEqual(pids.filter(isAlive), [], 'every JVM of the cluster is gone')
  })
})
