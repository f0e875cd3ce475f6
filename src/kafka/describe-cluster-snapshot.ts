import type { Admin } from '@platformatic/kafka'
import type { ClusterSnapshot, PartitionState, QuorumState, SnapshotBroker } from '../core/health/snapshot.ts'
import { anyConnection } from './connection.ts'
import { describeRegisteredBrokers } from './describe-cluster.ts'
import { describeEligibleLeaders } from './describe-eligible-leaders.ts'
import { describeMetadata, type MetadataResponse } from './describe-metadata.ts'
import { describeMinInsync } from './describe-min-insync.ts'
import { describeQuorum } from './describe-quorum.ts'
import { listPartitionReassignments } from './list-partition-reassignments.ts'
import { kafkaError } from './kafka-error.ts'

export interface SnapshotOptions {
  bootstrapServers: readonly string[]
  /** Broker ids the cluster should have; default: the registered ones, fenced included (and the controller voters where fenced brokers cannot be listed). */
  expectedBrokerIds?: readonly number[]
  /**
   * Effective min.insync.replicas by topic, kept between snapshots by a long-lived caller (`probe serve`):
   * topics found in it are not described again. The caller decides how long it trusts it.
   */
  minInsyncCache?: Map<string, number>
}

/**
 * One snapshot of a cluster for the health model, in as few round trips as the protocol allows:
 *   1. at once: Metadata of every topic (one raw request, internal topics included), DescribeCluster v2
 *      (registered brokers, fenced ones too), ListPartitionReassignments;
 *   2. DescribeConfigs for each topic's effective min.insync.replicas (topics not in the cache);
 *   3. DescribeTopicPartitions for the Eligible Leader Replicas, only of topics with a partition below
 *      min.insync.replicas (ELR only fills then);
 *   4. DescribeQuorum last: without a quorum it fails and can take the connection down with it, and the
 *      snapshot then says "unknown" (undefined) rather than failing whole.
 * A cluster older than Kafka 4.0 (no DescribeCluster v2) gives the unfenced brokers from Metadata and
 * `fencedBrokers` undefined.
 */
export async function describeClusterSnapshot(admin: Admin, options: SnapshotOptions): Promise<ClusterSnapshot> {
  let metadata: MetadataResponse
  let connection
  let registered
  let reassignments
  try {
    connection = await anyConnection(admin, options.bootstrapServers)
    ;[metadata, registered, reassignments] = await Promise.all([
      describeMetadata(connection, null),
      describeRegisteredBrokers(connection).catch(() => undefined),
      listPartitionReassignments(connection).catch(() => []),
    ])
  } catch (err) {
    throw kafkaError('Metadata request', err, { fix: `check that ${options.bootstrapServers.join(',')} is reachable` })
  }
  const topics = metadata.topics.filter((t): t is typeof t & { name: string } => t.name !== null && t.partitions.length > 0)
  const cache = options.minInsyncCache
  const unknown = topics.map((t) => t.name).filter((name) => !cache?.has(name))
  const described = await describeMinInsync(admin, unknown)
  const minInsync = (topic: string) => described.get(topic) ?? cache?.get(topic) ?? 1
  if (cache) for (const [topic, value] of described) cache.set(topic, value)

  const belowMin = topics.filter((t) => t.partitions.some((p) => p.isrNodes.length < minInsync(t.name))).map((t) => t.name)
  let elr = new Map<string, number[]>()
  if (belowMin.length > 0) {
    try {
      elr = await describeEligibleLeaders(connection, belowMin)
    } catch {
      // best effort: the health model works without ELR
    }
  }
  const quorum = await describeQuorum(connection).catch((): QuorumState | undefined => undefined)

  const moving = new Map(reassignments.map((r) => [`${r.topic}-${r.partition}`, r.adding]))
  const brokers: SnapshotBroker[] =
    registered?.unfenced ?? metadata.brokers.map((b) => ({ id: b.nodeId, host: b.host, port: b.port, rack: b.rack ?? undefined })).sort((a, b) => a.id - b.id)
  const partitions: PartitionState[] = []
  for (const t of topics) {
    const min = minInsync(t.name)
    for (const p of [...t.partitions].sort((a, b) => a.partitionIndex - b.partitionIndex)) {
      const key = `${t.name}-${p.partitionIndex}`
      partitions.push({
        topic: t.name,
        partition: p.partitionIndex,
        leader: p.leaderId,
        replicas: p.replicaNodes,
        isr: p.isrNodes,
        offlineReplicas: p.offlineReplicas,
        minInsync: min,
        reassigning: moving.has(key),
        ...(moving.has(key) ? { adding: moving.get(key) } : {}),
        elr: elr.get(key) ?? [],
      })
    }
  }
  const known = [...brokers, ...(registered?.fenced ?? [])].map((b) => b.id)
  return {
    brokers,
    ...(registered === undefined ? {} : { fencedBrokers: registered.fenced }),
    expectedBrokerIds: options.expectedBrokerIds ?? expectedBrokers(known, registered !== undefined, quorum),
    quorum,
    partitions,
    takenAt: Date.now(),
  }
}

/**
 * The brokers a snapshot expects without a topology to say so: the registered ones, fenced included
 * (a broker that stopped stays registered, fenced). Where fenced brokers cannot be listed (Kafka before
 * 4.0: DescribeCluster v2, KIP-1073) a stopped broker may be missing from `known`, so the quorum's voters
 * are expected too (combined nodes are brokers). With the fenced list, a voter that never registered is
 * a dedicated controller (process.roles=controller), not a missing broker.
 */
function expectedBrokers(known: readonly number[], fencedListed: boolean, quorum: QuorumState | undefined): number[] {
  const voters = fencedListed ? [] : (quorum?.voters.map((v) => v.id) ?? [])
  return [...new Set([...known, ...voters])].sort((a, b) => a - b)
}
