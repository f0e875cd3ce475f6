import { test } from 'node:test'
import assert from 'node:assert/strict'
import { failing, partitionHealth, underMinIsrByReplicationFactor } from './partition-health.ts'
import { brokerReadiness, controllerReadiness } from './readiness.ts'
import { canStop, domainsThatCanStop } from './restart-check.ts'
import type { ClusterSnapshot, PartitionState } from './snapshot.ts'
import { clusterVerdict } from './verdict.ts'

function partition(topic: string, n: number, replicas: number[], isr: number[], minInsync = 2, leader = isr[0] ?? -1): PartitionState {
  return { topic, partition: n, leader, replicas, isr, minInsync, reassigning: false }
}

function snapshot(partitions: PartitionState[], registered = [0, 1, 2, 3], leaderId = 0): ClusterSnapshot {
  return {
    brokers: registered.map((id) => ({ id, host: '127.0.0.1', port: 9092 + id, rack: 'abcd'[id] })),
    expectedBrokerIds: [0, 1, 2, 3],
    quorum: {
      leaderId,
      leaderEpoch: 3,
      highWatermark: 100n,
      describedAt: 0,
      voters: [0, 1, 2].map((id) => ({ id, logEndOffset: 100n, caughtUpAgoMs: registered.includes(id) ? 0 : 60_000 })),
      observers: [{ id: 3, logEndOffset: 100n, caughtUpAgoMs: 0 }],
    },
    partitions,
    takenAt: 0,
  }
}

test('partition health, worst first', () => {
  assert.equal(partitionHealth(partition('t', 0, [0, 1, 2], [], 2, -1)), 'offline')
  assert.equal(partitionHealth(partition('t', 0, [0, 1, 2], [0])), 'under-min-isr')
  assert.equal(partitionHealth(partition('t', 0, [0, 1, 2], [0, 1])), 'at-min-isr')
  assert.equal(partitionHealth(partition('t', 0, [0, 1, 2, 3], [0, 1, 2])), 'under-replicated')
  assert.equal(partitionHealth(partition('t', 0, [0, 1], [0, 1], 2)), 'healthy', 'RF = min.insync with a full ISR is healthy')
})

test('a broker may stop only if every partition it is in sync for keeps min.insync', () => {
  const s = snapshot([partition('payments', 0, [0, 1, 2], [0, 1]), partition('payments', 1, [1, 2, 3], [1, 2, 3]), partition('logs', 0, [3, 0], [3, 0], 2)])
  const zero = canStop(s, [0])
  assert.equal(zero.ok, false)
  assert.deepEqual(zero.blockers, ['1 partition of payments would drop below min.insync.replicas 2 without broker 0 (e.g. payments-0: ISR 0,1 -> 1 replica)'])
  assert.deepEqual(zero.warnings, ['1 partition of logs have RF <= min.insync.replicas: acks=all writes to them pause while broker 0 restarts'])
  // Broker 3 is in sync for payments-1 (3 in ISR, 2 would stay): fine; it is no controller voter.
  assert.equal(canStop(s, [3]).ok, true)
  // A broker outside a partition's ISR changes nothing for it.
  const down = snapshot([partition('payments', 0, [0, 1, 2], [0, 1])], [0, 1, 3])
  assert.equal(canStop(down, [2]).ok, true)
})

test('the controller quorum keeps a caught-up majority', () => {
  const s = snapshot([], [0, 1, 3]) // voter 2 is down
  assert.equal(canStop(s, [3]).ok, true)
  const c = canStop(s, [1])
  assert.equal(c.ok, false)
  assert.deepEqual(c.blockers, ['the controller quorum would keep 1 caught-up voter of 3 without broker 1; a majority needs 2'])
})

test('readiness: registered, caught up, and nothing offline or under min.insync', () => {
  const healthy = snapshot([partition('t', 0, [0, 1, 2], [0, 1, 2])])
  assert.deepEqual(brokerReadiness(healthy, 1), { ready: true, reason: 'broker 1 is registered, in sync, and no partition is offline or under min.insync.replicas' })
  const catching = snapshot([partition('t', 0, [0, 1, 2], [0, 2])])
  assert.equal(brokerReadiness(catching, 1).reason, 'broker 1 is catching up: not yet in the ISR of 1 partition (t-0)')
  assert.equal(brokerReadiness(catching, 0).ready, true, 'one broker out of sync leaves the others ready')
  const underMin = snapshot([partition('t', 0, [0, 1, 2], [0])], [0, 3])
  assert.equal(brokerReadiness(underMin, 0).reason, '1 partitions are under min.insync.replicas (t-0)')
  assert.equal(brokerReadiness(underMin, 1).reason, 'broker 1 is not registered or is fenced')
})

test('readiness of a dedicated controller: a voter of a quorum with a leader, caught up, and since its start when that is known', () => {
  const quorum = { leaderId: 7, leaderEpoch: 2, highWatermark: 50n, describedAt: 100_000, voters: [6, 7, 8].map((id) => ({ id, logEndOffset: 50n, caughtUpAgoMs: id === 8 ? 30_000 : 1000 })), observers: [] }
  assert.deepEqual(controllerReadiness(quorum, 7), { ready: true, reason: 'controller 7 leads the quorum' })
  assert.equal(controllerReadiness(quorum, 6).ready, true)
  assert.match(controllerReadiness(quorum, 8).reason, /^controller 8 has not caught up with the quorum leader 7 \(last caught up 30 s ago\)/)
  // Started at 99.5 s: its catch-up at 99 s was the old process's.
  assert.match(controllerReadiness(quorum, 6, { since: 99_500 }).reason, /controller 6 has not caught up with the quorum leader 7 since it started/)
  assert.equal(controllerReadiness(quorum, 6, { since: 98_000 }).ready, true)
  assert.match(controllerReadiness({ ...quorum, leaderId: -1 }, 6).reason, /has no leader/)
  assert.match(controllerReadiness(quorum, 3).reason, /node 3 is not a voter of the controller quorum \(voters: 6, 7, 8\)/)
  assert.equal(controllerReadiness({ ...quorum, voters: quorum.voters.map((v) => ({ ...v, caughtUpAgoMs: undefined })) }, 6).ready, false, 'never caught up')
})

test('readiness while a partition is reassigned: a replica being added need not be in sync; one the partition already had must', () => {
  // Moving t-0 from [0, 1, 2] to [0, 1, 3]: 3 is copying, 1 restarted and is not back in the ISR yet.
  const moving = snapshot([{ ...partition('t', 0, [0, 1, 2, 3], [0, 2]), reassigning: true, adding: [3] }])
  assert.equal(brokerReadiness(moving, 3).ready, true)
  assert.equal(brokerReadiness(moving, 1).reason, 'broker 1 is catching up: not yet in the ISR of 1 partition (t-0)')
  // What the move adds unknown (ListPartitionReassignments did not answer): none of its replicas hold readiness back.
  assert.equal(brokerReadiness(snapshot([{ ...partition('t', 0, [0, 1, 2, 3], [0, 2]), reassigning: true }]), 1).ready, true)
})

test('readiness and verdict tell a fenced broker (DescribeCluster v2) from an absent one', () => {
  const base = snapshot([partition('t', 0, [0, 1, 2], [0, 2])], [0, 2])
  const withFenced = { ...base, fencedBrokers: [{ id: 1, host: '127.0.0.1', port: 9093, rack: 'b' }], expectedBrokerIds: [0, 1, 2, 3] }
  assert.equal(brokerReadiness(withFenced, 1).reason, 'broker 1 is registered but fenced (catching up on cluster metadata, or shutting down)')
  assert.equal(brokerReadiness(withFenced, 3).reason, 'broker 3 is not registered')
  const v = clusterVerdict(withFenced)
  assert.ok(v.reasons.includes('broker 1 registered but fenced'), v.reasons.join('; '))
  assert.ok(v.reasons.includes('broker 3 not registered'), v.reasons.join('; '))
})

test('cluster verdict with reasons a person can act on', () => {
  const v = clusterVerdict(snapshot([partition('payments', 0, [0, 1, 4], [0, 1]), partition('payments', 1, [4, 0, 1], [0, 1]), partition('orders', 0, [0, 1, 2], [0])], [0, 1, 2]))
  assert.equal(v.status, 'unhealthy')
  assert.deepEqual(v.reasons, [
    '1 partition of orders under min.insync.replicas (out of sync: brokers 1, 2)',
    'broker 3 not registered or fenced',
    '2 partitions of payments at min.insync.replicas (out of sync: broker 4)',
  ])
  assert.equal(v.partitions['at-min-isr'], 2)
  assert.equal(clusterVerdict(snapshot([partition('t', 0, [0, 1, 2], [0, 1, 2])])).status, 'healthy')
})

test('which domains can go down together', () => {
  const s = snapshot([partition('t', 0, [0, 1, 2], [0, 1, 2]), partition('t', 1, [1, 2, 3], [1, 2, 3])])
  const labels = new Map([
    [0, { zone: 'a' }],
    [1, { zone: 'b' }],
    [2, { zone: 'b' }],
    [3, { zone: 'c' }],
  ])
  const result = domainsThatCanStop(s, ['zone'], labels)
  assert.deepEqual(result.map((r) => [r.domain, r.check.ok]), [['a', true], ['b', false], ['c', true]])
})

test('a partition under min.insync.replicas only because its RF is below it is not failing', () => {
  const byRf = partition('auto', 0, [1], [1], 2)
  assert.equal(partitionHealth(byRf), 'under-min-isr')
  assert.equal(underMinIsrByReplicationFactor(byRf), true)
  assert.equal(failing(byRf), false)
  // A replica out of sync is a failure, whatever the RF.
  const outOfSync = partition('auto', 1, [1, 2], [1], 3)
  assert.equal(underMinIsrByReplicationFactor(outOfSync), false)
  assert.equal(failing(outOfSync), true)
  assert.equal(failing(partition('t', 0, [0, 1, 2], [0])), true)
  assert.equal(failing(partition('t', 0, [0, 1, 2], [], 2, -1)), true)
  assert.equal(failing(partition('t', 0, [0], [], 2, -1)), true, 'offline is failing even at RF 1')
})

test('readiness and the verdict: an RF-1 topic under min.insync.replicas 2 holds no broker unready; status names it and the fix', () => {
  const s = snapshot([partition('payments', 0, [0, 1, 2], [0, 1, 2]), partition('auto-created', 0, [1], [1], 2), partition('auto-created', 1, [2], [2], 2)])
  assert.equal(brokerReadiness(s, 1).ready, true)
  assert.equal(brokerReadiness(s, 0).ready, true)
  const verdict = clusterVerdict(s)
  assert.equal(verdict.status, 'degraded')
  assert.ok(
    verdict.reasons.some((r) => r.startsWith('2 partitions of auto-created at replication factor 1, below min.insync.replicas 2') && r.includes('kafkaplane replication-factor fix')),
    verdict.reasons.join('\n'),
  )
  // The same partition with its replica out of sync is a failure: unready and unhealthy.
  const failed = snapshot([partition('payments', 0, [0, 1, 2], [0]), partition('auto-created', 0, [1], [1], 2)])
  assert.equal(brokerReadiness(failed, 1).ready, false)
  assert.equal(clusterVerdict(failed).status, 'unhealthy')
})
