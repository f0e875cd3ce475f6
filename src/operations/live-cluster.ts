import { refuse } from '../core/errors.ts'
import type { ClusterSnapshot } from '../core/health/snapshot.ts'
import { modelFromTopology, partitionKey, withCordon, type BrokerState, type PlacementModel } from '../core/placement/model.ts'
import { modelProblems } from '../core/placement/operations.ts'
import { liveTopology } from '../core/topology/live-topology.ts'
import type { RecordedTopology } from '../core/topology/recorded-topology.ts'
import type { Topology } from '../core/topology/topology.ts'
import type { LiveClusterReader } from '../ports/live-cluster-reader.ts'

/** The live cluster as the planners see it, read once. */
export interface LiveCluster {
  clusterId: string
  topology: Topology
  snapshot: ClusterSnapshot
  /** Brokers registered and unfenced. */
  registered: Set<number>
  /** Registered brokers that are cordoned (KIP-1066, `cordoned.log.dirs` set): they take no new replica. */
  cordoned: ReadonlySet<number>
  sizes: Map<string, number>
  /**
   * The placement model of every topic (internal ones too); `states` marks brokers draining or
   * excluded. A cordoned broker is excluded and marked cordoned (PlacementBroker.cordoned: a plan
   * keeps no changed partition on it), unless `states` makes it active: the caller lifts its cordon
   * before any move (`brokers add`, a scale's joining brokers), so the plan may give it replicas.
   */
  model(states?: ReadonlyMap<number, BrokerState>): PlacementModel
}

/**
 * Reads a live cluster for the planners, for every caller (the CLI's verbs through src/cli/execution.ts,
 * the operator's self-healer): brokers (fenced ones too), partitions, min.insync.replicas, replica
 * sizes, the brokers cordoned (KIP-1066), and the failure domains of `file` when given (a topology
 * file, or the KafkaCluster's plan), else the ones recorded in the cluster, else broker.rack. Refuses (BAD_ARGUMENT) when the topology
 * leaves a registered broker out.
 */
export async function readLiveCluster(reader: LiveClusterReader, file: Topology | undefined): Promise<LiveCluster> {
  const snapshot = await reader.snapshot()
  const clusterId = await reader.clusterId()
  // Fenced brokers (a crashed broker stays registered, fenced) keep their labels, and so does a broker
  // that replicas still name and whose failure domains are recorded; any other broker that replicas
  // still name but the cluster no longer knows is labelled "(gone)" on every dimension.
  const replicaBrokers = [...new Set(snapshot.partitions.flatMap((p) => p.replicas))]
  const recorded = file ? undefined : await reader.recordedTopology()
  const known = topologyOrRefuse([...snapshot.brokers, ...(snapshot.fencedBrokers ?? [])], file, recorded, replicaBrokers)
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
  const sizes = largestReplicas(await reader.replicaBytes(assignment).catch(() => new Map<string, Map<number, number>>()))
  const minInsync = new Map(snapshot.partitions.map((p) => [p.topic, p.minInsync]))
  const cordoned = new Set(await reader.cordonedBrokers([...registered].sort((a, b) => a - b)))
  return {
    clusterId,
    topology,
    snapshot,
    registered,
    cordoned,
    sizes,
    model(states = new Map()) {
      // A broker of the topology file that is not registered takes no new replicas, nor does a
      // cordoned one (the file's draining kept).
      const model = modelFromTopology(
        {
          dimensions: topology.dimensions,
          brokers: topology.brokers.map((b) => {
            const state = states.get(b.id)
            const broker = { ...b, state: state ?? (registered.has(b.id) ? b.state : 'excluded') }
            // A state the caller makes active stands: it lifts the cordon before any move.
            return state === 'active' ? broker : withCordon(broker, cordoned.has(b.id))
          }),
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
 * The failure domains of a live cluster's brokers (core/topology/live-topology.ts): `file` when given,
 * else `recorded`, else broker.rack. Refuses (BAD_ARGUMENT) when the file or the record leaves a
 * registered broker out.
 */
export function topologyOrRefuse(
  brokers: readonly { id: number; rack: string | undefined }[],
  file: Topology | undefined,
  recorded: RecordedTopology | undefined,
  alsoKnown: readonly number[] = [],
): Topology {
  const { topology, problems } = liveTopology(brokers, file, recorded?.topology, alsoKnown)
  const all = [...(recorded?.problems ?? []).map((p) => `the failure domains recorded in the cluster: ${p}; pass --topology FILE`), ...problems]
  if (all.length > 0) refuse(all)
  return topology
}

/** Bytes of a partition: its largest replica (a new replica catching up holds less). */
function largestReplicas(bytes: ReadonlyMap<string, ReadonlyMap<number, number>>): Map<string, number> {
  return new Map([...bytes].map(([key, byBroker]) => [key, Math.max(0, ...byBroker.values())]))
}
