import type { Admin } from '@platformatic/kafka'
import type { Topology } from '../core/topology/topology.ts'
import { describeRecordedTopology } from '../kafka/describe-recorded-topology.ts'
import { topologyOrRefuse } from '../operations/live-cluster.ts'

/**
 * The failure domains of a live cluster's brokers for every verb (core/topology/live-topology.ts):
 * `--topology FILE` when given, else what kafkaplane recorded in the cluster, else broker.rack.
 * Refuses (exit 2) when the file or the record leaves a registered broker out.
 */
export async function clusterTopology(
  admin: Admin,
  bootstrapServers: readonly string[],
  brokers: readonly { id: number; rack: string | undefined }[],
  file: Topology | undefined,
  alsoKnown: readonly number[] = [],
): Promise<Topology> {
  const recorded = file ? undefined : await describeRecordedTopology(admin, bootstrapServers)
  return topologyOrRefuse(brokers, file, recorded, alsoKnown)
}
