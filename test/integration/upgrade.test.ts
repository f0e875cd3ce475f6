/**
 * A rolling Kafka version upgrade of a real local cluster (4 brokers over zones a, b, c; kafkaplane's
 * defaults, RF 3 and min.insync.replicas 2) from the version kafkaplane pins to the newest on Maven
 * Central, under two acks=all writers (kafkaplane's verify workload and Kafka's VerifiableProducer):
 * every node moves to the new jars, one at a time in the roller's order (broker-only first, the active
 * controller last, each back in sync and its leaders given back before the next; the one-at-a-time
 * proof of `kafkaplane roll`, whose batches roll.test.ts proves), while metadata.version stays, a roll
 * back is still allowed then;
 * finalizing raises metadata.version; after that a roll back is refused with the reason and changes
 * nothing. Once finalized (Kafka 4.4: metadata.version 4.3-IV0 or newer), `kafkaplane brokers remove`
 * drains a broker and leaves it cordoned (KIP-1066), and `brokers add` uncordons it and moves data back
 * onto it; with a broker cordoned by hand, `kafkaplane status` shows it cordoned (and nothing of
 * cordons below 4.3-IV0), `kafkaplane rebalance` and `topics create` put nothing new on it and Kafka
 * refuses none of their moves. Then the test's own cluster handle restarts a broker on the new
 * version, not the pinned one.
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import type { ChildProcess } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { cordoningSupported, CORDONING_MIN_METADATA } from '../../src/core/upgrade/kafka-releases.ts'
import { createAdmin } from '../../src/kafka/connection.ts'
import { CORDONED_LOG_DIRS, setCordoned } from '../../src/kafka/cordon-brokers.ts'
import { createTopicWithAssignment } from '../../src/kafka/create-topic.ts'
import { describeAssignment } from '../../src/kafka/describe-assignment.ts'
import { kafkaError } from '../../src/kafka/kafka-error.ts'
import { describeClusterSnapshot } from '../../src/kafka/describe-cluster-snapshot.ts'
import { describeMetadataVersion } from '../../src/kafka/describe-features.ts'
import { readClusterState } from '../../src/local/cluster-state.ts'
import { KAFKA_POM, pomKafkaVersion } from '../../src/local/kafka-distribution.ts'
import { knownReleaseMetadata } from '../../src/core/upgrade/kafka-releases.ts'
import { releaseMetadata } from '../../src/local/release-metadata.ts'
import type { LocalCluster } from '../../src/local/local-cluster.ts'
import { startWorkload } from '../../src/verify/workload.ts'
import { startRolledCluster } from './support/rolled-cluster.ts'
import { runCli } from './support/cli.ts'
import { describeTopic } from './support/kafka-io.ts'
import { startVerifiableProducer } from './support/verifiable-producer.ts'

/** The newest Kafka on Maven Central when this was written (issue 12); KAFKAPLANE_UPGRADE_TO tries another. */
const NEWEST = process.env.KAFKAPLANE_UPGRADE_TO ?? '4.4.0'

describe('a rolling Kafka version upgrade of a real local cluster under load', { timeout: 1_200_000 }, () => {
  let cluster: LocalCluster
  let scratch: string
  let bootstrap: string
  let pinned: string
  let children: ChildProcess[]
  let stop: (() => Promise<void>) | undefined

  before(async () => {
    pinned = await pomKafkaVersion(KAFKA_POM)
    ;({ cluster, bootstrap, scratch, children, stop } = await startRolledCluster('upgrade', 4, [['upgraded', 8], ['produced', 4]]))
  })
  after(async () => {
    await stop?.()
  })

  const metadataVersion = async () => {
    const admin = createAdmin({ bootstrapServers: cluster.bootstrapServers })
    try {
      return await describeMetadataVersion(admin)
    } finally {
      await admin.close()
    }
  }
  /** The Kafka version each node's JVM runs, from its command line (the jar folder on its classpath). */
  const runningVersions = async () => {
    const { pids } = (await readClusterState(cluster.dataDir))!
    return Object.fromEntries(
      await Promise.all(Object.entries(pids).map(async ([id, pid]) => [id, /kafka-(\d+\.\d+\.\d+)\//.exec((await readFile(`/proc/${pid}/cmdline`, 'utf8')).replaceAll('\0', ' '))?.[1]] as const)),
    )
  }
  const everyNode = (version: string) => Object.fromEntries(cluster.brokerIds().map((id) => [String(id), version]))
  /** `kafkaplane status`, --json and for people: each broker's `cordoned` from the JSON (undefined: no such field), and the human output. */
  const statusCordons = async () => {
    const json = await runCli(['status', '--json', '--bootstrap-server', bootstrap])
    assert.equal(json.code, 0, json.stdout + json.stderr)
    const human = await runCli(['status', '--bootstrap-server', bootstrap])
    assert.equal(human.code, 0, human.stdout + human.stderr)
    const { brokers } = JSON.parse(json.stdout) as { brokers: { id: number; cordoned?: boolean }[] }
    return { cordoned: brokers.map((b) => [b.id, b.cordoned]), human: human.stdout }
  }

  test(`every node rolled onto Kafka ${NEWEST} one at a time, metadata.version kept: the broker-only node first, then the controllers, the active controller last, each back in sync before the next, leaders given back; nothing lost, no write failed`, async () => {
    assert.notEqual(pinned, NEWEST, 'the upgrade goes somewhere')
    assert.deepEqual(await runningVersions(), everyNode(pinned))
    const before = await metadataVersion()
    const admin = createAdmin({ bootstrapServers: cluster.bootstrapServers })
    const activeBefore = await describeClusterSnapshot(admin, { bootstrapServers: cluster.bootstrapServers })
      .then((s) => s.quorum?.leaderId)
      .finally(() => admin.close())
    assert.ok(activeBefore !== undefined && [0, 1, 2].includes(activeBefore), `a controller leads the quorum: ${activeBefore}`)
    const workload = await startWorkload({ connection: { bootstrapServers: cluster.bootstrapServers }, topics: ['upgraded'], recordsPerSecond: 150 })
    const producer = await startVerifiableProducer({ bootstrap, topic: 'produced', recordsPerSecond: 100, dir: scratch, children })
    const result = await runCli(['roll', '--data-dir', cluster.dataDir, '--kafka-version', NEWEST, '--keep-metadata-version', '--poll-ms', '500'], { timeoutMs: 900_000 }).catch(async (err: unknown) => {
      await workload.stop().catch(() => {})
      throw err
    })
    const report = await workload.stop()
    const produced = await producer.stopAndCheck()
    assert.equal(result.code, 0, result.stdout + result.stderr)
    assert.match(result.stderr, new RegExp(`Kafka ${pinned} -> ${NEWEST} \\(upgrade\\); metadata\\.version \\S+ \\(level ${before.finalized}\\)`))
    assert.equal((result.stderr.match(new RegExp(`restarting broker \\d+ \\(version: Kafka ${pinned} -> ${NEWEST}\\)`, 'g')) ?? []).length, 4, result.stderr)
    assert.match(result.stdout, /^rolled: 4 nodes restarted in 4 batches in [\d.]+ s \(restarts and catch-ups [\d.]+ s, between batches [\d.]+ s\)\n/)
    // The order, unless a node had to be passed over for a moment (a follower out of the ISR under load): then the roll says so.
    const batches = [...result.stderr.matchAll(/restarting brokers? ([\d, ]+) \(/g)].map((m) => m[1]!.split(', ').map(Number))
    const ideal = [[3], ...[0, 1, 2].filter((id) => id !== activeBefore).map((id) => [id]), [activeBefore]]
    if (JSON.stringify(batches) !== JSON.stringify(ideal)) assert.match(result.stderr, /passed over for now: /, `${JSON.stringify(batches)}\n${result.stderr}`)
    assert.deepEqual(batches.at(-1), [activeBefore], 'the active controller last')
    assert.equal((result.stderr.match(/back in sync: up after/g) ?? []).length, 4, 'each node was waited for')
    assert.match(result.stdout, new RegExp(`metadata\\.version kept at \\S+ \\(level ${before.finalized}\\) \\(--keep-metadata-version\\)`))
    assert.deepEqual(await runningVersions(), everyNode(NEWEST), 'every JVM runs the new jars')
    const after = await metadataVersion()
    assert.equal(after.finalized, before.finalized, 'metadata.version not raised')
    assert.ok([...after.supported.values()].every((max) => max > before.finalized), `every broker supports a newer level: ${JSON.stringify([...after.supported])}`)
    const partitions = await describeTopic(cluster.bootstrapServers, 'upgraded')
    assert.ok(partitions.every((p) => p.leader === p.replicas[0] && p.isr.length === 3), `preferred leaders back, every replica in sync: ${JSON.stringify(partitions)}`)
    assert.ok(report.acknowledged > 500, `the load ran: ${report.acknowledged} acknowledged`)
    assert.equal(report.lost, 0, JSON.stringify(report.partitions.filter((p) => p.lost > 0)))
    assert.equal(report.unverified, 0)
    assert.equal(report.produceErrors.count, 0, JSON.stringify(report.produceErrors))
    assert.ok(produced.acknowledged > 500, JSON.stringify(produced))
    assert.equal(produced.lost, 0, JSON.stringify(produced))
  })

  test('a roll back to the pinned version is allowed while metadata.version was not raised (dry run: nothing changes)', async () => {
    const { pids } = (await readClusterState(cluster.dataDir))!
    const back = await runCli(['roll', '--data-dir', cluster.dataDir, '--kafka-version', pinned, '--dry-run'])
    assert.equal(back.code, 0, back.stdout + back.stderr)
    assert.match(back.stderr, new RegExp(`Kafka ${NEWEST} -> ${pinned} \\(downgrade\\)`))
    assert.match(back.stdout, /^order: /m)
    const state = (await readClusterState(cluster.dataDir))!
    assert.equal(state.kafkaVersion, NEWEST)
    assert.deepEqual(state.pids, pids)
  })

  test(`cordoning (KIP-1066) is not offered while metadata.version is below ${CORDONING_MIN_METADATA.name}: Kafka itself refuses ${CORDONED_LOG_DIRS} then`, async () => {
    const admin = createAdmin({ bootstrapServers: cluster.bootstrapServers })
    try {
      const { finalized } = await describeMetadataVersion(admin)
      assert.equal(cordoningSupported(finalized), false, `level ${finalized} kept from ${pinned}`)
      const broker = cluster.brokerIds().at(-1)!
      const outcome = await setCordoned(admin, [broker], true)
      assert.equal(outcome.kind, 'unsupported')
      assert.match((outcome as { reason: string }).reason, new RegExp(`metadata\\.version is at level ${finalized}; Kafka cordons brokers \\(KIP-1066\\) from ${CORDONING_MIN_METADATA.name.replace('.', '\\.')} \\(level ${CORDONING_MIN_METADATA.level}\\) on`))
      // The rule is Kafka's: sent anyway, the config is refused, naming the metadata.version it needs.
      const refused = await admin.incrementalAlterConfigs({ resources: [{ resourceType: 4, resourceName: String(broker), configs: [{ name: CORDONED_LOG_DIRS, configOperation: 0, value: '*' }] }] }).then(
        () => undefined,
        (err: unknown) => kafkaError('IncrementalAlterConfigs', err, { fix: '' }),
      )
      assert.ok(refused, `Kafka refused ${CORDONED_LOG_DIRS} at level ${finalized}`)
      assert.match(refused.message, new RegExp(`requires metadata\\.version >= ${CORDONING_MIN_METADATA.name.replace('.', '\\.')}`))
      // Nor does kafkaplane status show anything of cordons then.
      const shown = await statusCordons()
      assert.deepEqual(shown.cordoned, cluster.brokerIds().map((id) => [id, undefined]), 'no cordoned field on any broker')
      assert.doesNotMatch(shown.human, /cordon/i)
    } finally {
      await admin.close()
    }
  })

  test('finalizing: the same command without --keep-metadata-version restarts nothing and raises metadata.version to the newest every broker supports', async () => {
    const before = await metadataVersion()
    const result = await runCli(['roll', '--data-dir', cluster.dataDir, '--kafka-version', NEWEST, '--poll-ms', '500'])
    assert.equal(result.code, 0, result.stdout + result.stderr)
    assert.match(result.stdout, /^rolled: 0 nodes restarted in 0 batches/)
    const newest = Math.min(...before.supported.values())
    // The old level is named when kafkaplane knows its release (the cluster's current one is NEWEST now).
    assert.match(result.stdout, new RegExp(`metadata\\.version finalized: (\\S+ \\()?level ${before.finalized}\\)? -> \\S+ \\(level ${newest}\\); a Kafka older than ${NEWEST} can no longer run this cluster`))
    assert.equal((await metadataVersion()).finalized, newest)
    const again = await runCli(['roll', '--data-dir', cluster.dataDir, '--kafka-version', NEWEST, '--poll-ms', '500'])
    assert.equal(again.code, 0, again.stdout + again.stderr)
    assert.match(again.stdout, /metadata\.version is \S+ \(level \d+\), the newest every node supports/)
  })

  test('after finalizing, a roll back is refused with the reason, and bad versions are refused: nothing changes', async () => {
    const { pids, kafkaVersion } = (await readClusterState(cluster.dataDir))!
    const back = await runCli(['roll', '--data-dir', cluster.dataDir, '--kafka-version', pinned])
    assert.equal(back.code, 2, back.stdout + back.stderr)
    assert.match(back.stderr, new RegExp(`Kafka ${pinned} cannot run this cluster: its newest metadata\\.version is \\S+ \\(level \\d+\\), and the cluster's is \\S+ \\(level \\d+\\), finalized after an upgrade`))
    assert.match(back.stderr, new RegExp(`fix: stay on Kafka ${NEWEST}`))
    for (const [args, pattern] of [
      [['--kafka-version', 'latest'], /--kafka-version "latest" is not a Kafka version/],
      [['--keep-metadata-version'], /--keep-metadata-version goes with --kafka-version/],
      [['--kafka-version', '4.0.99'], /Kafka 4\.0\.99 is not on Maven Central/],
    ] as const) {
      const r = await runCli(['roll', '--data-dir', cluster.dataDir, ...args])
      assert.equal(r.code, 2, r.stdout + r.stderr)
      assert.match(r.stderr, pattern)
    }
    const state = (await readClusterState(cluster.dataDir))!
    assert.deepEqual([state.kafkaVersion, state.pids], [kafkaVersion, pids], 'no broker restarted, the version is as it was')
  })

  test(`once metadata.version is ${CORDONING_MIN_METADATA.name} or newer, a cordoned broker (KIP-1066) gets no partition Kafka places and an assignment naming it is refused; uncordoned, it gets partitions again`, async (t) => {
    const admin = createAdmin({ bootstrapServers: cluster.bootstrapServers })
    const made: string[] = []
    try {
      const { finalized } = await describeMetadataVersion(admin)
      if (!cordoningSupported(finalized)) return t.skip(`Kafka ${NEWEST} finalizes level ${finalized}, below ${CORDONING_MIN_METADATA.name}`)
      const broker = cluster.brokerIds().at(-1)!
      /** A topic of 12 partitions at RF 3 placed by Kafka (4 brokers: each gets some unless cordoned), and its replicas on `broker`. */
      let n = 0
      const placedOn = async () => {
        const topic = `cordon-probe-${n++}`
        await admin.createTopics({ topics: [topic], partitions: 12, replicas: 3 })
        made.push(topic)
        await sleep(500)
        return (await describeTopic(cluster.bootstrapServers, topic)).filter((p) => p.replicas.includes(broker)).length
      }
      const other = cluster.brokerIds()[0]!
      assert.deepEqual(await setCordoned(admin, [other], false), { kind: 'done', failures: [] }, 'uncordoning a broker never cordoned is no error (a scale does it to every joining broker)')
      assert.deepEqual(await setCordoned(admin, [broker], true), { kind: 'done', failures: [] })
      // The broker tells the controller at its next heartbeat.
      const deadline = Date.now() + 30_000
      let onIt = await placedOn()
      while (onIt > 0 && Date.now() < deadline) onIt = await placedOn()
      assert.equal(onIt, 0, `broker ${broker} cordoned: Kafka placed none of a topic's 36 replicas on it`)
      await assert.rejects(createTopicWithAssignment(admin, { topic: 'cordon-assigned', assignment: [{ topic: 'cordon-assigned', partition: 0, replicas: [broker, ...cluster.brokerIds().filter((b) => b !== broker).slice(0, 2)] }] }), /INVALID_REPLICA_ASSIGNMENT|cordon/i)
      assert.deepEqual(await setCordoned(admin, [broker], false), { kind: 'done', failures: [] })
      const back = Date.now() + 30_000
      onIt = await placedOn()
      while (onIt === 0 && Date.now() < back) onIt = await placedOn()
      assert.ok(onIt > 0, `broker ${broker} uncordoned: Kafka places replicas on it again`)
    } finally {
      if (made.length > 0) await admin.deleteTopics({ topics: made }).catch(() => {})
      await admin.close()
    }
  })

  test(`brokers remove on a cluster at ${CORDONING_MIN_METADATA.name} or newer drains the broker and leaves it cordoned (a refused or dry run cordons nothing); brokers add uncordons it and moves data back onto it`, async (t) => {
    const { finalized } = await metadataVersion()
    if (!cordoningSupported(finalized)) return t.skip(`Kafka ${NEWEST} finalizes level ${finalized}, below ${CORDONING_MIN_METADATA.name}`)
    const broker = cluster.brokerIds().at(-1)!
    const stateFile = join(scratch, 'brokers-plan.json')
    const cli = (...args: string[]) => runCli([...args, '--bootstrap-server', bootstrap, '--state-file', stateFile, '--poll-ms', '500'], { timeoutMs: 300_000 })
    const admin = createAdmin({ bootstrapServers: cluster.bootstrapServers })
    /** The broker's cordoned.log.dirs as it answers ('' when unset), once it is `expected` or after 15 s (a config reaches the broker through the metadata log). */
    const cordonedLogDirs = async (expected: string) => {
      const deadline = Date.now() + 15_000
      for (;;) {
        const [described] = await admin.describeConfigs({ resources: [{ resourceType: 4, resourceName: String(broker), configurationKeys: [CORDONED_LOG_DIRS] }] })
        const value = described?.configs.find((c) => c.name === CORDONED_LOG_DIRS)?.value ?? ''
        if (value === expected || Date.now() > deadline) return value
        await sleep(500)
      }
    }
    /** Partitions (internal topics too) with a replica on the broker. */
    const onBroker = async () => (await describeAssignment(admin, await admin.listTopics({ includeInternals: true }))).filter((p) => p.replicas.includes(broker)).length
    try {
      assert.equal(await cordonedLogDirs(''), '', `broker ${broker} starts uncordoned (the test before lifted its cordon)`)
      // Refused (the brokers left would be fewer than RF 3), and a dry run: nothing cordoned.
      const refused = await cli('brokers', 'remove', `1,${broker}`)
      assert.equal(refused.code, 2, refused.stdout + refused.stderr)
      assert.match(refused.stderr, /fewer than the replication factor 3/)
      const dry = await cli('brokers', 'remove', String(broker), '--dry-run')
      assert.equal(dry.code, 0, dry.stdout + dry.stderr)
      assert.doesNotMatch(refused.stderr + dry.stderr, /cordoned/)
      await sleep(2000)
      assert.equal(await cordonedLogDirs(''), '', 'a refused command and a dry run cordon nothing')
      assert.ok((await onBroker()) > 0, `broker ${broker} holds replicas before`)

      const removed = await cli('brokers', 'remove', String(broker))
      assert.equal(removed.code, 0, removed.stdout + removed.stderr)
      assert.match(removed.stderr, new RegExp(`^kafkaplane: broker ${broker} cordoned \\(cordoned\\.log\\.dirs=\\*\\): Kafka places no new partition on it and refuses an assignment naming it$`, 'm'))
      assert.match(removed.stdout, new RegExp(`broker ${broker} holds no replicas: safe to stop`))
      assert.equal(await cordonedLogDirs('*'), '*', `broker ${broker} cordoned`)
      assert.equal(await onBroker(), 0, `broker ${broker} drained`)
      // Run again (nothing left to move): cordoned again, harmlessly.
      const again = await cli('brokers', 'remove', String(broker))
      assert.equal(again.code, 0, again.stdout + again.stderr)
      assert.match(again.stderr, new RegExp(`^kafkaplane: broker ${broker} cordoned `, 'm'))
      assert.equal(await cordonedLogDirs('*'), '*')

      // Kafka refuses a reassignment naming a cordoned broker: the add lifts the cordon before its moves.
      const added = await cli('brokers', 'add', String(broker))
      assert.equal(added.code, 0, added.stdout + added.stderr)
      assert.match(added.stderr, new RegExp(`^kafkaplane: broker ${broker} uncordoned \\(cordoned\\.log\\.dirs removed\\)$`, 'm'))
      assert.match(added.stdout, /^done: [1-9]\d* partitions moved/)
      assert.doesNotMatch(added.stderr, /Kafka refused/)
      assert.equal(await cordonedLogDirs(''), '', `broker ${broker} uncordoned`)
      assert.ok((await onBroker()) > 0, `broker ${broker} holds replicas again`)
    } finally {
      await admin.close()
    }
  })

  test(`kafkaplane's planners read the cordons: with a broker cordoned by hand, status shows it cordoned, rebalance and topics create put nothing new on it and Kafka refuses none of their moves; uncordoned again after, status shows it not cordoned`, async (t) => {
    const { finalized } = await metadataVersion()
    if (!cordoningSupported(finalized)) return t.skip(`Kafka ${NEWEST} finalizes level ${finalized}, below ${CORDONING_MIN_METADATA.name}`)
    const broker = cluster.brokerIds().at(-1)!
    const others = cluster.brokerIds().filter((b) => b !== broker)
    const stateFile = join(scratch, 'cordon-plan.json')
    const cli = (...args: string[]) => runCli([...args, '--bootstrap-server', bootstrap, '--state-file', stateFile, '--poll-ms', '500'], { timeoutMs: 300_000 })
    const admin = createAdmin({ bootstrapServers: cluster.bootstrapServers })
    const made: string[] = []
    /** Every partition's replicas (internal topics too), by "topic-partition". */
    const assignment = async () => new Map((await describeAssignment(admin, await admin.listTopics({ includeInternals: true }))).map((p) => [`${p.topic}-${p.partition}`, p.replicas]))
    /** Partitions of a reassignment JSON whose replicas gain `broker`. */
    const gaining = (json: string, before: Map<string, readonly number[]>) =>
      (JSON.parse(json) as { partitions: { topic: string; partition: number; replicas: number[] }[] }).partitions.filter((p) => p.replicas.includes(broker) && !before.get(`${p.topic}-${p.partition}`)?.includes(broker))
    try {
      // 12 partitions on the other brokers only (one a zone): the broker is left with less than its share.
      await createTopicWithAssignment(admin, { topic: 'cordon-skew', assignment: Array.from({ length: 12 }, (_, partition) => ({ topic: 'cordon-skew', partition, replicas: [others[partition % 3]!, others[(partition + 1) % 3]!, others[(partition + 2) % 3]!] })) })
      made.push('cordon-skew')
      await sleep(1000)
      const uncordoned = await cli('rebalance', '--dry-run')
      assert.equal(uncordoned.code, 0, uncordoned.stdout + uncordoned.stderr)
      assert.ok(gaining(uncordoned.stdout, await assignment()).length > 0, `uncordoned, broker ${broker} would get replicas: ${uncordoned.stdout}`)

      assert.deepEqual(await setCordoned(admin, [broker], true), { kind: 'done', failures: [] })
      // Until the controller has it (the broker's next heartbeat), Kafka would still take an assignment naming it.
      const deadline = Date.now() + 30_000
      for (let n = 0; ; n++) {
        const probe = `cordon-known-${n}`
        const refused = await createTopicWithAssignment(admin, { topic: probe, assignment: [{ topic: probe, partition: 0, replicas: [broker, others[0]!, others[1]!] }] }).then(
          () => false,
          (err: Error) => /INVALID_REPLICA_ASSIGNMENT|cordon/i.test(err.message),
        )
        if (refused) break
        made.push(probe)
        assert.ok(Date.now() < deadline, `Kafka refuses an assignment naming broker ${broker} within 30 s of its cordon`)
        await sleep(1000)
      }
      const cordonedShown = await statusCordons()
      assert.deepEqual(cordonedShown.cordoned, cluster.brokerIds().map((id) => [id, id === broker]), `status --json: broker ${broker} cordoned, no other`)
      assert.match(cordonedShown.human, new RegExp(`^  ${broker} +up +yes `, 'm'), cordonedShown.human)
      assert.match(cordonedShown.human, new RegExp(`^cordoned: broker ${broker} \\(KIP-1066, cordoned\\.log\\.dirs set\\): no new replica goes on it`, 'm'), cordonedShown.human)

      const before = await assignment()
      const dry = await cli('rebalance', '--dry-run')
      assert.equal(dry.code, 0, dry.stdout + dry.stderr)
      assert.deepEqual(gaining(dry.stdout, before), [], `cordoned, broker ${broker} gets nothing: ${dry.stdout}`)
      assert.match(dry.stderr, new RegExp(`^note: broker ${broker} cordoned \\(KIP-1066, cordoned\\.log\\.dirs set\\): no new replica placed on it$`, 'm'))
      const rebalanced = await cli('rebalance')
      assert.equal(rebalanced.code, 0, rebalanced.stdout + rebalanced.stderr)
      assert.doesNotMatch(rebalanced.stderr, /Kafka refused/)
      assert.match(rebalanced.stdout + rebalanced.stderr, /^(done: \d+ partitions moved|nothing to move)/m)
      const after = await assignment()
      const gained = [...after].filter(([key, replicas]) => replicas.includes(broker) && !before.get(key)?.includes(broker)).map(([key]) => key)
      assert.deepEqual(gained, [], `no partition gained a replica on cordoned broker ${broker}`)

      const created = await runCli(['topics', 'create', '--topic', 'cordon-placed', '--partitions', '12', '--replication-factor', '3', '--bootstrap-server', bootstrap])
      assert.equal(created.code, 0, created.stdout + created.stderr)
      made.push('cordon-placed')
      assert.match(created.stderr, new RegExp(`^note: broker ${broker} cordoned `, 'm'))
      const placed = await describeAssignment(admin, ['cordon-placed'])
      assert.equal(placed.length, 12)
      assert.deepEqual(placed.filter((p) => p.replicas.includes(broker)), [], `kafkaplane placed none of cordon-placed's replicas on broker ${broker}`)
      assert.deepEqual(await setCordoned(admin, [broker], false), { kind: 'done', failures: [] })
      const uncordonedShown = await statusCordons()
      assert.deepEqual(uncordonedShown.cordoned, cluster.brokerIds().map((id) => [id, false]), 'status --json: no broker cordoned')
      assert.match(uncordonedShown.human, new RegExp(`^  ${broker} +up +no `, 'm'), uncordonedShown.human)
      assert.doesNotMatch(uncordonedShown.human, /^cordoned:/m)
    } finally {
      // Later tests (a restart of broker 3) start uncordoned (again, harmlessly), without these topics.
      await setCordoned(admin, [broker], false).catch(() => {})
      if (made.length > 0) await admin.deleteTopics({ topics: made }).catch(() => {})
      await admin.close()
    }
  })

  test("the operator's table of release lines (core/upgrade/kafka-releases.ts) says what both releases' own jars say", async () => {
    for (const version of [pinned, NEWEST]) {
      const { distribution, java } = await cluster.distributionOf(version)
      const known = knownReleaseMetadata(version)
      const jars = await releaseMetadata(distribution, java)
      // A line newer than the table (KAFKAPLANE_UPGRADE_TO) is known only by a lower bound.
      if (known?.bound) assert.ok(jars.metadata.level >= known.metadata.level, `Kafka ${version}`)
      else assert.deepEqual(known, jars, `Kafka ${version}`)
    }
  })

  test('the handle that started the cluster restarts a broker on the version the cluster was rolled to', async () => {
    await cluster.restartBroker(3)
    assert.equal((await runningVersions())['3'], NEWEST)
    assert.equal(cluster.kafkaVersion, NEWEST)
  })
})
