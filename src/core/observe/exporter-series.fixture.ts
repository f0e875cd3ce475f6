/* A collection for the unit tests of the exporter's series (exporter-series.test.ts) and of their rendering (src/observe/metrics-endpoint.test.ts). */
import type { ClusterSnapshot, PartitionState } from '../health/snapshot.ts'
import { groupPartitionKey, partitionKey, type CollectedCluster } from './exporter-series.ts'

const partition = (topic: string, p: number, leader: number, replicas: number[], isr: number[]): PartitionState => ({ topic, partition: p, leader, replicas, isr, minInsync: 2, reassigning: false })

/** Brokers 0-2 up, broker 3 fenced (zones a, b, c, a); `orders` has 3 partitions, one at min ISR, one offline. */
export function collectedCluster(): CollectedCluster {
  const snapshot: ClusterSnapshot = {
    brokers: [0, 1, 2].map((id) => ({ id, host: '127.0.0.1', port: 9092 + id, rack: 'abc'[id] })),
    fencedBrokers: [{ id: 3, host: '127.0.0.1', port: 9095, rack: 'a' }],
    expectedBrokerIds: [0, 1, 2, 3],
    quorum: {
      leaderId: 1,
      leaderEpoch: 7,
      highWatermark: 500n,
      describedAt: 0,
      voters: [
        { id: 0, logEndOffset: 490n, caughtUpAgoMs: 1500 },
        { id: 1, logEndOffset: 500n, caughtUpAgoMs: 0 },
        { id: 2, logEndOffset: 500n, caughtUpAgoMs: undefined },
      ],
      observers: [],
    },
    partitions: [partition('orders', 0, 0, [0, 1, 2], [0, 1, 2]), partition('orders', 1, 2, [1, 2, 3], [2, 1]), partition('orders', 2, -1, [3, 0, 1], []), partition('audit', 0, 1, [1, 2, 0], [1, 2, 0])],
    takenAt: 0,
  }
  return {
    snapshot,
    topology: {
      dimensions: ['k8s.cluster', 'zone'],
      brokers: [0, 1, 2, 3].map((id) => ({ id, labels: { 'k8s.cluster': id < 2 ? 'east' : 'west', zone: 'abca'[id]! } })),
    },
    offsets: new Map([
      [partitionKey('orders', 0), { oldest: 10, newest: 100 }],
      [partitionKey('orders', 1), { oldest: 0, newest: 50 }],
      [partitionKey('orders', 2), { oldest: undefined, newest: undefined }],
      [partitionKey('audit', 0), { oldest: 0, newest: 7 }],
    ]),
    groups: [
      { id: 'billing', members: 2, committed: [{ topic: 'orders', partition: 0, offset: 60 }, { topic: 'orders', partition: 1, offset: 50 }] },
      { id: 'idle', members: 0, committed: [] },
      { id: 'undescribed', members: undefined, committed: [] },
    ],
    lagSeconds: new Map([
      [groupPartitionKey('billing', 'orders', 0), 12.5],
      [groupPartitionKey('billing', 'orders', 1), 0],
    ]),
    partitionStatuses: new Map([
      [groupPartitionKey('billing', 'orders', 0), 'STALL'],
      [groupPartitionKey('billing', 'orders', 1), 'OK'],
    ]),
    groupStatuses: new Map([['billing', 'ERR']]),
  }
}
