import type { Admin } from '@platformatic/kafka'
import { liveTopology } from '../core/topology/live-topology.ts'
import type { Topology } from '../core/topology/topology.ts'
import { describeRecordedTopology } from '../kafka/describe-recorded-topology.ts'
import { refuse } from './command.ts'

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
  const { topology, problems } = liveTopology(brokers, file, recorded?.topology, alsoKnown)
  const all = [...(recorded?.problems ?? []).map((p) => `the failure domains recorded in the cluster: ${p}; pass --topology FILE`), ...problems]
  if (all.length > 0) refuse(all)
  return topology
}
