import type { Admin } from '@platformatic/kafka'
import type { ThrottlePlan } from '../core/plan/moves.ts'
import type { ExecutorCluster, PartitionRef } from '../ports/executor-cluster.ts'
import type { LiveClusterReader } from '../ports/live-cluster-reader.ts'
import { alterPartitionReassignments } from './alter-partition-reassignments.ts'
import { clearReplicationThrottles, describeReplicationThrottles, setReplicationThrottles } from './alter-replication-throttles.ts'
import { anyConnection } from './connection.ts'
import { kafkaError } from './kafka-error.ts'
import type { KafkaConnectionOptions } from './connection-options.ts'
import { describeRegisteredBrokers } from './describe-cluster.ts'
import { describeClusterSnapshot } from './describe-cluster-snapshot.ts'
import { describeCordonedBrokers } from './describe-cordoned-brokers.ts'
import { describeRecordedTopology } from './describe-recorded-topology.ts'
import { describeReplicaSizes } from './describe-replica-sizes.ts'
import { electPreferredLeaders } from './elect-leaders.ts'
import { listPartitionReassignments } from './list-partition-reassignments.ts'

/** The executor's port, and the live cluster reader's, over one admin client (which the caller owns and closes). */
export class KafkaExecutorCluster implements ExecutorCluster, LiveClusterReader {
  readonly #admin: Admin
  readonly #connection: KafkaConnectionOptions

  constructor(admin: Admin, connection: KafkaConnectionOptions) {
    this.#admin = admin
    this.#connection = connection
  }

  snapshot() {
    return describeClusterSnapshot(this.#admin, { bootstrapServers: this.#connection.bootstrapServers })
  }

  async inFlight() {
    return listPartitionReassignments(await this.#any())
  }

  async reassign(moves: readonly (PartitionRef & { replicas: readonly number[] | null })[]) {
    return alterPartitionReassignments(await this.#any(), moves)
  }

  setThrottles(plan: ThrottlePlan) {
    return setReplicationThrottles(this.#admin, plan)
  }

  clearThrottles(brokers: readonly number[], topics: readonly string[]) {
    return clearReplicationThrottles(this.#admin, brokers, topics)
  }

  async throttlesSet(brokers: readonly number[], topics: readonly string[] | 'all') {
    const names = topics === 'all' ? await this.#admin.listTopics({ includeInternals: true }).catch((err: unknown) => {
      throw kafkaError('ListTopics', err, { fix: 'check that the brokers are reachable' })
    }) : topics
    const found = { brokers: [] as number[], topics: [] as string[] }
    for (const b of brokers) {
      // One broker at a time, so that one not answering hides no other.
      const one = await describeReplicationThrottles(this.#admin, [b], []).catch(() => undefined)
      if (one && one.brokers.length > 0) found.brokers.push(b)
    }
    found.topics = (await describeReplicationThrottles(this.#admin, [], names)).topics.map((t) => t.topic)
    return found
  }

  async electPreferredLeaders(partitions: readonly PartitionRef[]) {
    const outcome = await electPreferredLeaders(await this.#any(), partitions)
    return outcome.failed
  }

  async replicaBytes(partitions: readonly PartitionRef[]) {
    const sizes = await describeReplicaSizes(this.#admin, partitions)
    const out = new Map<string, Map<number, number>>()
    for (const s of sizes) {
      const key = `${s.topic}-${s.partition}`
      if (!out.has(key)) out.set(key, new Map())
      out.get(key)!.set(s.broker, s.bytes)
    }
    return out
  }

  async clusterId() {
    return (await describeRegisteredBrokers(await this.#any())).clusterId
  }

  recordedTopology() {
    return describeRecordedTopology(this.#admin, this.#connection.bootstrapServers)
  }

  cordonedBrokers(brokers: readonly number[]) {
    return describeCordonedBrokers(this.#admin, brokers)
  }

  #any() {
    return anyConnection(this.#admin, this.#connection.bootstrapServers)
  }
}
