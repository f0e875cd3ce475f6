import { join } from 'node:path'
import type { Admin } from '@platformatic/kafka'
import type { ClusterSnapshot } from '../../core/health/snapshot.ts'
import { modelFromTopology, partitionKey, withCordon, type PartitionAssignment, type PlacementModel } from '../../core/placement/model.ts'
import { planAssign, planReplicationFactor } from '../../core/placement/operations.ts'
import type { Topology } from '../../core/topology/topology.ts'
import { DEFAULT_THROTTLE_BYTES_PER_SECOND, type PlanState } from '../../executor/plan-state.ts'
import { alterTopicConfigs } from '../../kafka/alter-topic-configs.ts'
import { anyConnection, createAdmin } from '../../kafka/connection.ts'
import type { KafkaConnectionOptions } from '../../kafka/connection-options.ts'
import { createPartitions } from '../../kafka/create-partitions.ts'
import { createTopicWithAssignment } from '../../kafka/create-topic.ts'
import { deleteTopic } from '../../kafka/delete-topic.ts'
import { describeRegisteredBrokers } from '../../kafka/describe-cluster.ts'
import { describeClusterSnapshot } from '../../kafka/describe-cluster-snapshot.ts'
import { describeRecordedTopology } from '../../kafka/describe-recorded-topology.ts'
import { describeTopicOverrides } from '../../kafka/describe-topic-overrides.ts'
import { describeCordonedBrokers } from '../../kafka/describe-cordoned-brokers.ts'
import { KafkaExecutorCluster } from '../../kafka/executor-cluster.ts'
import { PlanRunner } from '../../operations/plan-runner.ts'
import { systemClock } from '../../operations/system-clock.ts'
import { kafkaClusterModel, type KafkaClusterModel, type KafkaClusterResource } from '../model/kafka-cluster-model.ts'
import { kafkaTopicModel, type KafkaTopicModel } from '../model/kafka-topic-model.ts'
import { bootstrapServers } from './bootstrap-servers.ts'
import type { Standing } from './conditions.ts'
import { splitKey } from './controller.ts'
import { applyOwnedMetadata, hasFinalizer, KAFKA_CLUSTERS, KAFKA_TOPICS, readResource, writeStatus, type CustomResource } from './custom-resources.ts'
import { invalidSpec } from './kafka-cluster-reconciler.ts'
import type { KubeClusters } from './kube-clients.ts'
import { describeChanges, diffTopic, type ActualTopic } from './topic-diff.ts'
import { topicStatusFields } from './topic-status.ts'
import type { ReconcileOutcome } from './work-queue.ts'
import { leavingBrokers, type ScaleStatus } from '../model/scale.ts'

export interface KafkaTopicReconcilerOptions {
  clusters: KubeClusters
  /** TLS and SASL of the Kafka clusters; the bootstrap servers come from each KafkaCluster. */
  connection: Omit<KafkaConnectionOptions, 'bootstrapServers'>
  /** Where each topic's replication-factor plan is kept (`<stateDir>/topics/<namespace>.<name>.json`). */
  stateDir: string
  /** Replication throttle while the replication factor changes, bytes/s per broker (default 50 MiB/s). */
  throttleBytesPerSecond?: number
  /** How often the executor looks at the cluster (default 1 s). */
  pollMs?: number
  /** How soon to look again when the KafkaCluster is missing or not reachable (default 30 s). */
  retryMs?: number
  log: (line: string) => void
}

/**
 * Reconciles one KafkaTopic against the Kafka cluster of its KafkaCluster (a flat chain of steps):
 *   1. read it; being deleted: delete the topic only when annotated `kafkaplane.io/delete-data: "true"`
 *      (else the topic and its data stay in Kafka), then remove the finalizer;
 *   2. the finalizer on it;
 *   3. its KafkaCluster (spec.cluster, same namespace) and that cluster's validated model (brokers and
 *      their failure domains: the Kubernetes cluster, the zone) and bootstrap servers (bootstrap-servers.ts);
 *   4. the KafkaTopic's validated model (RF and min.insync.replicas default to the cluster's policy);
 *   5. the topic's replication-factor plan (its state file), through the plan lifecycle of every verb
 *      (src/operations/plan-runner.ts): a throttle rate an ended plan left on a broker that was away is
 *      removed once it is back; an unfinished plan is continued first; a new plan waits while
 *      reassignments of the topic that no plan of ours started are in flight;
 *   6. read the topic (assignment, config overrides) and diff it (topic-diff.ts): a spec that cannot be
 *      carried out (RF above the brokers, fewer partitions than exist) sets Degraded, nothing changes;
 *   7. create it with an explicit assignment from the placement engine (spread on every failure
 *      dimension from the first write), set/remove configs incrementally, add partitions placed by the
 *      engine, change the replication factor through the executor (throttled, resumable: the plan's
 *      state is on disk before any move starts, and a restarted operator adopts the moves in flight);
 *   8. status: the actual assignment, its survivability verdict, and Ready/Reconciling/Degraded.
 */
export class KafkaTopicReconciler {
  readonly #options: KafkaTopicReconcilerOptions

  constructor(options: KafkaTopicReconcilerOptions) {
    this.#options = options
  }

  readonly reconcile = async (key: string, signal: AbortSignal): Promise<ReconcileOutcome> => {
    const { namespace, name } = splitKey(key)
    const home = this.#options.clusters.home
    const retry = { requeueAfterMs: this.#options.retryMs ?? 30_000 }
    const resource = await readResource(home, KAFKA_TOPICS, namespace, name)
    if (!resource) return {}
    const deleting = resource.metadata.deletionTimestamp !== undefined
    if (deleting && !hasFinalizer(resource)) return {}
    if (!deleting) await applyOwnedMetadata(home, resource, { finalizer: true })

    const clusterName = (resource.spec as { cluster?: unknown } | undefined)?.cluster
    const clusterResource = typeof clusterName === 'string' ? await readResource(home, KAFKA_CLUSTERS, namespace, clusterName) : undefined
    const clusterModel = clusterResource ? kafkaClusterModel({ metadata: clusterResource.metadata, spec: clusterResource.spec } as KafkaClusterResource, namespace) : undefined
    if (deleting) return this.#delete(resource, clusterResource, clusterModel?.ok ? clusterModel.model : undefined)
    if (!clusterResource) {
      await this.#status(resource, {}, { state: 'degraded', reason: 'ClusterNotFound', message: `KafkaCluster ${String(clusterName)} does not exist in namespace ${namespace}; create it, or fix spec.cluster` })
      return retry
    }
    if (!clusterModel!.ok) {
      await this.#status(resource, {}, { state: 'degraded', reason: 'ClusterInvalid', message: `KafkaCluster ${clusterResource.metadata.name} has an invalid spec (see its status); fix it first` })
      return retry
    }
    const cluster = clusterModel!.model
    const topicModel = kafkaTopicModel({ metadata: resource.metadata, spec: resource.spec }, cluster)
    if (!topicModel.ok) {
      await this.#status(resource, {}, invalidSpec(topicModel.errors))
      return {}
    }
    const topic = topicModel.model
    const connection: KafkaConnectionOptions = { ...this.#options.connection, bootstrapServers: bootstrapServers(cluster) }
    const admin = createAdmin(connection, 'kafkaplane-operator')
    try {
      return await this.#converge(resource, cluster, topic, admin, connection, signal, leavingBrokers(clusterResource.status?.scale as ScaleStatus | undefined))
    } catch (err) {
      await this.#status(resource, {}, {
        state: 'degraded',
        reason: 'KafkaRequestFailed',
        message: `${(err as Error).message} (bootstrap ${connection.bootstrapServers.join(',')}); check that the Kafka cluster is reachable from the operator (spec.kafka.bootstrapServers of the KafkaCluster says where)`,
      }).catch(() => {})
      throw err
    } finally {
      await admin.close().catch(() => {})
    }
  }

  async #converge(resource: CustomResource, cluster: KafkaClusterModel, topic: KafkaTopicModel, admin: Admin, connection: KafkaConnectionOptions, signal: AbortSignal, leaving: readonly number[]): Promise<ReconcileOutcome> {
    const name = topic.topicName
    const runner = await PlanRunner.open({
      cluster: new KafkaExecutorCluster(admin, connection),
      stateFile: join(this.#options.stateDir, 'topics', `${resource.metadata.namespace}.${resource.metadata.name}.json`),
      clock: systemClock,
    })
    if (runner.ended && runner.ended.throttled.brokers.length > 0) {
      // Its broker was away when the plan ended and kept the throttle rate: removed once it is back.
      const left = await runner.clearThrottlesLeft(await clusterIdOf(admin, connection))
      if (left && left.cleared.length > 0) this.#log(resource, `removed the throttle rate plan ${left.plan.planId} left on broker ${left.cleared.join(', ')}`)
    }
    const unfinished = runner.unfinished
    if (unfinished) {
      const outcome = await this.#execute(resource, runner, unfinished, signal)
      if (outcome) return outcome
    }

    let snapshot = await describeClusterSnapshot(admin, { bootstrapServers: connection.bootstrapServers })
    // The failure domains the KafkaCluster reconciler recorded in the cluster (the pods' real zones),
    // else the ones the KafkaCluster plans.
    const topology = (await describeRecordedTopology(admin, connection.bootstrapServers)).topology ?? cluster.topology
    const actual = await readTopic(admin, snapshot, name)
    const diff = diffTopic(topic, actual, snapshot.brokers.length)
    if (!diff.ok) {
      await this.#status(resource, actual ? topicStatusFields(name, actual.assignment, topic.minInsyncReplicas, topology) : {}, invalidSpec(diff.problems))
      return {}
    }
    const changes = diff.changes
    if (!diff.inSync) this.#options.log(`KafkaTopic ${resource.metadata.namespace}/${resource.metadata.name}: ${describeChanges(name, changes)}`)
    const cordoned = diff.inSync ? [] : await describeCordonedBrokers(admin, snapshot.brokers.map((b) => b.id))
    const placement = () => placementModel(topology, snapshot, topic, leaving, cordoned)
    if (changes.create) {
      const plan = planAssign(placement(), { topic: name, partitions: topic.partitions, replicationFactor: topic.replicationFactor, minInsync: topic.minInsyncReplicas })
      if (!plan.ok) return this.#degraded(resource, 'PlacementFailed', plan.problems)
      await createTopicWithAssignment(admin, { topic: name, assignment: plan.after.filter((p) => p.topic === name), configs: topic.configs })
    } else {
      if (Object.keys(changes.setConfigs).length > 0 || changes.removeConfigs.length > 0) await alterTopicConfigs(admin, name, changes.setConfigs, changes.removeConfigs)
      if (changes.addPartitions) {
        const rf = actual!.assignment[0]!.replicas.length
        const plan = planAssign(placement(), { topic: name, partitions: changes.addPartitions.to, replicationFactor: rf, minInsync: topic.minInsyncReplicas })
        if (!plan.ok) return this.#degraded(resource, 'PlacementFailed', plan.problems)
        await createPartitions(admin, name, changes.addPartitions.to, plan.after.filter((p) => p.topic === name && p.partition >= changes.addPartitions!.from))
      }
      if (changes.replicationFactor) {
        snapshot = await describeClusterSnapshot(admin, { bootstrapServers: connection.bootstrapServers })
        const clusterId = await clusterIdOf(admin, connection)
        let refused: string[] | undefined
        const start = await runner.start(
          {
            operation: `KafkaTopic ${resource.metadata.namespace}/${resource.metadata.name} replication factor ${topic.replicationFactor}`,
            clusterId,
            snapshot,
            throttleBytesPerSecond: this.#options.throttleBytesPerSecond ?? DEFAULT_THROTTLE_BYTES_PER_SECOND,
            concerns: (t) => t === name,
          },
          async () => {
            const plan = planReplicationFactor(placement(), { topics: (t) => t === name, target: topic.replicationFactor })
            if (plan.ok) return plan.proposals
            refused = plan.problems
            return undefined
          },
        )
        if (start.kind === 'declined') return this.#degraded(resource, 'PlacementFailed', refused!)
        if (start.kind === 'foreign') {
          const [first] = start.reassignments
          await this.#status(resource, topicStatusFields(name, actual!.assignment, topic.minInsyncReplicas, topology), {
            state: 'reconciling',
            reason: 'ForeignReassignment',
            message: `${start.reassignments.length} reassignment(s) of ${name} not started by this operator are in progress (e.g. ${partitionKey(first!)}); waiting for them to finish (kafka-reassign-partitions --list)`,
          })
          return { requeueAfterMs: this.#options.retryMs ?? 30_000 }
        }
        if (start.kind === 'new' || start.kind === 'continue') {
          const outcome = await this.#execute(resource, runner, start.state, signal)
          if (outcome) return outcome
        }
      }
    }

    // In sync: the topic read above is the topic now; after changes, read it again.
    const now = diff.inSync ? actual : await readTopic(admin, await describeClusterSnapshot(admin, { bootstrapServers: connection.bootstrapServers }), name)
    const fields = now ? topicStatusFields(name, now.assignment, topic.minInsyncReplicas, topology) : undefined
    const verdict = fields?.survivability.verdict ?? 'unknown'
    await this.#status(resource, fields ?? {}, {
      state: 'ready',
      reason: 'TopicReady',
      message: `${name}: ${topic.partitions} partitions at replication factor ${topic.replicationFactor}, min.insync.replicas ${topic.minInsyncReplicas}; ${verdict}`,
    })
    return {}
  }

  /**
   * Runs (or continues) the topic's replication-factor plan. Returns undefined when it finished, or the
   * outcome to return when the operator is stopping (the plan stays on disk; moves in flight go on).
   */
  async #execute(resource: CustomResource, runner: PlanRunner, state: PlanState, signal: AbortSignal): Promise<ReconcileOutcome | undefined> {
    await this.#status(resource, resource.status ?? {}, {
      state: 'reconciling',
      reason: 'ReplicationFactorChanging',
      message: `plan ${state.planId}: ${state.operation}: ${state.done.length} of ${state.moves.length} partitions moved (throttled at ${Math.round(state.throttleBytesPerSecond / 1024 / 1024)} MiB/s per broker; state in ${runner.stateFile})`,
    })
    const result = await runner.run(state, { pollMs: this.#options.pollMs ?? 1000, signal })
    if (result.status === 'interrupted') return {}
    if (result.status === 'waiting') {
      // The plan stays on disk; the next reconcile continues it once the brokers are back.
      const brokers = `broker${result.waitsFor.length > 1 ? 's' : ''} ${result.waitsFor.join(', ')}`
      await this.#status(resource, resource.status ?? {}, {
        state: 'reconciling',
        reason: 'WaitingForBrokers',
        message: `plan ${state.planId}: ${result.moved} of ${state.moves.length} partitions moved; the rest need ${brokers}, which ${result.waitsFor.length > 1 ? 'are' : 'is'} not registered: start ${result.waitsFor.length > 1 ? 'them' : 'it'} (the plan continues) or replace ${result.waitsFor.length > 1 ? 'them' : 'it'}`,
      })
      return { requeueAfterMs: 30_000 }
    }
    this.#log(resource, `plan ${state.planId} finished, ${result.moved} partitions moved in ${(result.elapsedMs / 1000).toFixed(1)} s`)
    return undefined
  }

  async #delete(resource: CustomResource, clusterResource: CustomResource | undefined, cluster: KafkaClusterModel | undefined): Promise<ReconcileOutcome> {
    const topicName = ((resource.spec as { topicName?: string }).topicName ?? resource.metadata.name)
    if (resource.metadata.annotations?.['kafkaplane.io/delete-data'] === 'true') {
      if (!clusterResource || !cluster) {
        this.#options.log(`KafkaTopic ${resource.metadata.namespace}/${resource.metadata.name}: its KafkaCluster is gone or invalid; topic ${topicName} is not deleted from Kafka`)
      } else {
        const admin = createAdmin({ ...this.#options.connection, bootstrapServers: bootstrapServers(cluster) }, 'kafkaplane-operator')
        try {
          await deleteTopic(admin, topicName)
          this.#options.log(`KafkaTopic ${resource.metadata.namespace}/${resource.metadata.name}: topic ${topicName} deleted with its data (kafkaplane.io/delete-data: "true")`)
        } finally {
          await admin.close().catch(() => {})
        }
      }
    } else {
      this.#options.log(`KafkaTopic ${resource.metadata.namespace}/${resource.metadata.name} deleted; topic ${topicName} and its data stay in Kafka`)
    }
    await applyOwnedMetadata(this.#options.clusters.home, resource, { finalizer: false })
    return {}
  }

  #log(resource: CustomResource, line: string): void {
    this.#options.log(`KafkaTopic ${resource.metadata.namespace}/${resource.metadata.name}: ${line}`)
  }

  async #degraded(resource: CustomResource, reason: string, problems: readonly string[]): Promise<ReconcileOutcome> {
    await this.#status(resource, {}, { state: 'degraded', reason, message: problems.join('; ') })
    return {}
  }

  async #status(resource: CustomResource, fields: object, standing: Standing): Promise<void> {
    await writeStatus(this.#options.clusters.home, KAFKA_TOPICS, resource, fields, standing)
  }
}

async function clusterIdOf(admin: Admin, connection: KafkaConnectionOptions): Promise<string> {
  return (await describeRegisteredBrokers(await anyConnection(admin, connection.bootstrapServers))).clusterId
}

/** The topic as Kafka has it, or undefined when it does not exist. */
async function readTopic(admin: Admin, snapshot: ClusterSnapshot, topic: string): Promise<ActualTopic | undefined> {
  const assignment: PartitionAssignment[] = snapshot.partitions.filter((p) => p.topic === topic).map((p) => ({ topic, partition: p.partition, replicas: [...p.replicas] }))
  if (assignment.length === 0) return undefined
  return { assignment, overrides: await describeTopicOverrides(admin, topic) }
}

/**
 * The placement model: the KafkaCluster's brokers with their failure domains (a broker not registered
 * now, or `leaving` (a scale takes it away), takes no new replicas; one the model lacks is labelled
 * `(unknown)` and takes none either; nor does a `cordoned` one, KIP-1066), and every partition of the
 * cluster, so that new replicas balance with what is there.
 */
export function placementModel(topology: Topology, snapshot: ClusterSnapshot, topic: KafkaTopicModel, leaving: readonly number[] = [], cordoned: readonly number[] = []): PlacementModel {
  const registered = new Set(snapshot.brokers.map((b) => b.id))
  const known = new Set(topology.brokers.map((b) => b.id))
  const unknown = [...new Set(snapshot.partitions.flatMap((p) => p.replicas))].filter((id) => !known.has(id))
  const brokers = [
    ...topology.brokers.map((b) => withCordon({ ...b, state: registered.has(b.id) && !leaving.includes(b.id) ? ('active' as const) : ('excluded' as const) }, cordoned.includes(b.id))),
    ...unknown.map((id) => ({ id, labels: Object.fromEntries(topology.dimensions.map((d) => [d, '(unknown)'])), state: 'excluded' as const })),
  ]
  const minInsync = new Map(snapshot.partitions.map((p) => [p.topic, p.minInsync]))
  minInsync.set(topic.topicName, topic.minInsyncReplicas)
  return modelFromTopology({ dimensions: topology.dimensions, brokers }, snapshot.partitions, (t) => minInsync.get(t) ?? 1)
}

