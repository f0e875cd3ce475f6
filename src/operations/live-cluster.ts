import type { Admin } from '@platformatic/kafka'
import { refuse } from '../core/errors.ts'
import type { ClusterSnapshot } from '../core/health/snapshot.ts'
import { modelFromTopology, partitionKey, type BrokerState, type PlacementModel } from '../core/placement/model.ts'
import { modelProblems } from '../core/placement/operations.ts'
import { liveTopology } from '../core/topology/live-topology.ts'
import type { Topology } from '../core/topology/topology.ts'
import { anyConnection } from '../kafka/connection.ts'
import type { KafkaConnectionOptions } from '../kafka/connection-options.ts'
import { describeRegisteredBrokers } from '../kafka/describe-cluster.ts'
import { describeClusterSnapshot } from '../kafka/describe-cluster-snapshot.ts'
import { describeRecordedTopology } from '../kafka/describe-recorded-topology.ts'
import { describeReplicaSizes, partitionSizes } from '../kafka/describe-replica-sizes.ts'

/** The live cluster as the planners see it, read once. */
export interface LiveCluster {
  clusterId: string
  topology: Topology
  snapshot: ClusterSnapshot
  /** Brokers registered and unfenced. */
  registered: Set<number>
  sizes: Map<string, number>
  /** The placement model of every non-internal topic; `states` marks brokers draining or excluded. */
  model(states?: ReadonlyMap<number, BrokerState>): PlacementModel
}

/** Reads brokers (fenced ones too), partitions, min.insync and replica sizes. */
export async function readLiveCluster(admin: Admin, connection: KafkaConnectionOptions, file: Topology | undefined): Promise<LiveCluster> {
  const snapshot = await describeClusterSnapshot(admin, { bootstrapServers: connection.bootstrapServers })
  const { clusterId } = await describeRegisteredBrokers(await anyConnection(admin, connection.bootstrapServers))
  // Fenced brokers (a crashed broker stays registered, fenced) keep their labels, and so does a broker
  // that replicas still name and whose failure domains are recorded; any other broker that replicas
  // still name but the cluster no longer knows is labelled "(gone)" on every dimension.
  const replicaBrokers = [...new Set(snapshot.partitions.flatMap((p) => p.replicas))]
  const known = await clusterTopology(admin, connection.bootstrapServers, [...snapshot.brokers, ...(snapshot.fencedBrokers ?? [])], file, replicaBrokers)
  const named = new Set(known.brokers.map((b) => b.id))
  const gone = replicaBrokers.filter((id) => !named.has(id)).sort((a, b) => a - b)
  const topology: Topology = {
    dimensions: known.dimensions,
    brokers: [...known.brokers, ...gone.map((id) => ({ id, labels: Object.fromEntries(known.dimensions.map((d) => [d, '(gone)'])) }))],
  }
  const registered = new Set(snapshot.brokers.map((b) => b.id))
  // Internal topics (__consumer_offsets, __transaction_state) are placed like any other: a drained or
  // migrated broker must not keep their replicas.
  const assignment = snapshot.partitions.map((p) => ({ topic: p.topic, partition: p.partition, replicas: p.replicas }))
  // Sizes weigh disk balance and progress; a broker that does not answer (gone) must not stop a plan
  // that is about it: without sizes, moves are ordered by urgency alone.
  const sizes = partitionSizes(await describeReplicaSizes(admin, assignment).catch(() => []))
  const minInsync = new Map(snapshot.partitions.map((p) => [p.topic, p.minInsync]))
  return {
    clusterId,
    topology,
    snapshot,
    registered,
    sizes,
    model(states = new Map()) {
      // A broker of the topology file that is not registered takes no new replicas.
      const model = modelFromTopology(
        {
          dimensions: topology.dimensions,
          brokers: topology.brokers.map((b) => ({ ...b, state: states.get(b.id) ?? (registered.has(b.id) ? b.state : 'excluded') })),
        },
        assignment,
        (topic) => minInsync.get(topic) ?? 1,
        (p) => sizes.get(partitionKey(p)),
      )
      const problems = modelProblems(model)
      if (problems.length > 0) refuse(problems)
      return model
    },
  }
}

/**
 * The failure domains of a live cluster's brokers for every verb (core/topology/live-topology.ts):
 * a topology file when given (the CLI's --topology FILE, the operator's KafkaCluster), else what
 * kafkaplane recorded in the cluster, else broker.rack.
 * Refuses (BAD_ARGUMENT) when the file or the record leaves a registered broker out.
 */
export async function clusterTopology(
  admin: Admin,
  bootstrapServers: readonly string[],
  brokers: readonly { id: number; rack: string | undefined }[],
  file: Topology | undefined,
  alsoKnown: readonly number[] = [],
): Promise<Topology> {
  const recorded = file ? undefined : await describeRecordedTopology(admin, bootstrapServers)
  const { topology, problems } = liveTopology(brokers, file, recorded?.topology, alsoKnown)
  const all = [...(recorded?.problems ?? []).map((p) => `the failure domains recorded in the cluster: ${p}; pass --topology FILE`), ...problems]
  if (all.length > 0) refuse(all)
  return topology
}
