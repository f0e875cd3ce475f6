import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { ClusterSnapshot, PartitionState } from '../core/health/snapshot.ts'
import { renderStatus, statusReport } from './status.ts'

function partition(n: number, replicas: number[]): PartitionState {
  return { topic: 'payments', partition: n, leader: replicas[0]!, replicas, isr: replicas, minInsync: 2, reassigning: false }
}

/** Brokers 0-3 expected, one a rack; `up` registered and unfenced; 0, 1 and 2 the controllers. */
function snapshot(up = [0, 1, 2, 3]): ClusterSnapshot {
  return {
    brokers: up.map((id) => ({ id, host: '127.0.0.1', port: 9092 + id, rack: 'abcd'[id] })),
    fencedBrokers: [],
    expectedBrokerIds: [0, 1, 2, 3],
    quorum: {
      leaderId: 0,
      leaderEpoch: 3,
      highWatermark: 100n,
      describedAt: 0,
      voters: [0, 1, 2].map((id) => ({ id, logEndOffset: 100n, caughtUpAgoMs: 0 })),
      observers: [{ id: 3, logEndOffset: 100n, caughtUpAgoMs: 0 }],
    },
    partitions: [partition(0, [0, 1, 2]), partition(1, [1, 2, 3]), partition(2, [2, 3, 0])],
    takenAt: 0,
  }
}

/** The rows of the brokers table, by broker id, split on its column gaps. */
function brokerRows(text: string): string[][] {
  const lines = text.split('\n')
  const start = lines.indexOf('brokers (may restart now?):') + 1
  const rows: string[][] = []
  for (const line of lines.slice(start)) {
    if (!line.startsWith('  ')) break
    rows.push(line.trim().split(/ {2,}/))
  }
  return rows
}

test('status below metadata.version 4.3-IV0 (cordons not read): no cordoned field, column nor line; the JSON fields as before', () => {
  const report = statusReport(snapshot(), undefined)
  assert.deepEqual(Object.keys(report.brokers[0]!), ['id', 'registered', 'state', 'logDirs', 'labels', 'roles', 'restart'])
  assert.ok(report.brokers.every((b) => !('cordoned' in b)))
  const text = renderStatus(report)
  assert.doesNotMatch(text, /cordon/)
  assert.deepEqual(brokerRows(text)[0], ['broker', 'state', 'data', 'disk free', 'restart', 'why not'])
})

test('status with cordons read: cordoned true or false on each broker (a broker down counts as not cordoned), the other fields unchanged', () => {
  const s = snapshot([0, 1, 3])
  const without = statusReport(s, undefined)
  const report = statusReport(s, undefined, [], [3])
  assert.deepEqual(
    report.brokers.map((b) => [b.id, b.state, b.cordoned]),
    [
      [0, 'up', false],
      [1, 'up', false],
      [2, 'down', false],
      [3, 'up', true],
    ],
  )
  assert.deepEqual(Object.keys(report.brokers[3]!), ['id', 'registered', 'state', 'cordoned', 'logDirs', 'labels', 'roles', 'restart'])
  assert.deepEqual(
    report.brokers.map(({ cordoned: _, ...rest }) => rest),
    without.brokers,
  )
  assert.deepEqual({ ...report, brokers: [] }, { ...without, brokers: [] })
})

test('status shows a cordoned column where cordons were read, and one line saying what a cordon means when a broker has one', () => {
  const one = renderStatus(statusReport(snapshot(), undefined, [], [3]))
  const rows = brokerRows(one)
  assert.deepEqual(rows[0], ['broker', 'state', 'cordoned', 'data', 'disk free', 'restart', 'why not'])
  assert.deepEqual(
    rows.slice(1).map((r) => [r[0], r[2]]),
    [
      ['0', 'no'],
      ['1', 'no'],
      ['2', 'no'],
      ['3', 'yes'],
    ],
  )
  assert.match(
    one,
    /\n {2}3 .*\ncordoned: broker 3 \(KIP-1066, cordoned\.log\.dirs set\): no new replica goes on it \(Kafka refuses any assignment naming it, kafkaplane's plans leave it out\); the replicas it has stay and are served; kafkaplane brokers add 3 lifts the cordon \(and moves replicas onto it\)\n\nwhole domains/,
  )

  const two = renderStatus(statusReport(snapshot(), undefined, [], [1, 3]))
  assert.match(two, /^cordoned: broker 1, 3 \(KIP-1066, cordoned\.log\.dirs set\): no new replica goes on them \(Kafka refuses any assignment naming them, kafkaplane's plans leave them out\); the replicas they have stay and are served; kafkaplane brokers add 1,3 lifts the cordon \(and moves replicas onto them\)$/m)

  const none = renderStatus(statusReport(snapshot(), undefined, [], []))
  assert.deepEqual(brokerRows(none)[0], ['broker', 'state', 'cordoned', 'data', 'disk free', 'restart', 'why not'])
  assert.ok(brokerRows(none).slice(1).every((r) => r[2] === 'no'))
  assert.doesNotMatch(none, /^cordoned:/m, 'no line when no broker is cordoned')
})
