import type { PlacementBroker, PlacementModel, PlacementPartition } from './model.ts'

/**
 * Named fixture clusters (after Cruise Control's DeterministicCluster), shared by tests and benchmarks.
 */
export function broker(id: number, labels: Record<string, string>, state: PlacementBroker['state'] = 'active', capacity = 1): PlacementBroker {
  return { id, labels, state, capacity }
}

/** Wise: one cluster over 2 Kubernetes clusters x 3 zones, one broker per cell. */
export function wiseBrokers(): PlacementBroker[] {
  const zones = ['a', 'b', 'c']
  return [0, 1, 2, 3, 4, 5].map((id) => broker(id, { cluster: id < 3 ? 'k8s-1' : 'k8s-2', zone: zones[id % 3]! }))
}

/** Blockport: 5 brokers in zones 2/2/1, the old brokers 1001-1005 they migrated from. */
export function blockportBrokers(ids = [1001, 1002, 1003, 1004, 1005]): PlacementBroker[] {
  const zones = ['a', 'a', 'b', 'b', 'c']
  return ids.map((id, i) => broker(id, { zone: zones[i]! }))
}

/** A 30-broker cluster: 2 Kubernetes clusters x 3 zones, 5 brokers per cell. */
export function thirtyBrokers(): PlacementBroker[] {
  return grid(30, ['k8s-1', 'k8s-2'], ['a', 'b', 'c'])
}

/** `count` brokers, ids from `firstId`, dealt round-robin over the cluster x zone cells. */
export function grid(count: number, clusters: string[], zones: string[], firstId = 0): PlacementBroker[] {
  const cells = clusters.flatMap((cluster) => zones.map((zone) => ({ cluster, zone })))
  return Array.from({ length: count }, (_, i) => broker(firstId + i, cells[i % cells.length]!))
}

/** Partitions of a topic laid out naively: replicas on consecutive brokers (Kafka's rack-unaware layout). */
export function naivePartitions(topic: string, count: number, rf: number, brokerIds: readonly number[], minInsync: number): PlacementPartition[] {
  return Array.from({ length: count }, (_, p) => ({
    topic,
    partition: p,
    replicas: Array.from({ length: rf }, (_, r) => brokerIds[(p + r) % brokerIds.length]!),
    minInsync,
  }))
}

export function model(dimensions: string[], brokers: PlacementBroker[], partitions: PlacementPartition[] = []): PlacementModel {
  return { dimensions, brokers, partitions }
}
