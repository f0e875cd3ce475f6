import type { Topology } from './topology.ts'

/**
 * The topology of a live cluster: the labels of a topology file where one is given (every registered
 * broker must be in it), else one dimension, `rack`, from each broker's broker.rack.
 * Returns the problems instead when the file does not cover the cluster.
 */
export function liveTopology(
  brokers: readonly { id: number; rack: string | undefined }[],
  file: Topology | undefined,
): { topology: Topology; problems: string[] } {
  if (!file) {
    return { topology: { dimensions: ['rack'], brokers: brokers.map((b) => ({ id: b.id, labels: { rack: b.rack ?? '(none)' } })) }, problems: [] }
  }
  const known = new Set(file.brokers.map((b) => b.id))
  const problems = brokers
    .filter((b) => !known.has(b.id))
    .map((b) => `broker ${b.id} is registered in the cluster but not in the topology file: add it with its failure domains`)
  return { topology: file, problems }
}
