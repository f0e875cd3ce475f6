import type { Topology } from './topology.ts'

/**
 * The topology of a live cluster, from the first of:
 *   1. a topology file (`--topology`, the override): every registered broker must be in it;
 *   2. the failure domains kafkaplane recorded in the cluster (recorded-topology.ts): every registered
 *      broker must be recorded; recorded brokers that are neither registered nor in `alsoKnown`
 *      (brokers replicas still name) are ignored, so a removed broker's record never matters;
 *   3. one dimension, `rack`, from each broker's broker.rack.
 * Returns the problems instead when the file or the record does not cover the cluster.
 */
export function liveTopology(
  brokers: readonly { id: number; rack: string | undefined }[],
  file: Topology | undefined,
  recorded?: Topology,
  alsoKnown: readonly number[] = [],
): { topology: Topology; problems: string[]; source: 'file' | 'recorded' | 'rack' } {
  if (file) {
    const known = new Set(file.brokers.map((b) => b.id))
    const problems = brokers
      .filter((b) => !known.has(b.id))
      .map((b) => `broker ${b.id} is registered in the cluster but not in the topology file: add it with its failure domains`)
    return { topology: file, problems, source: 'file' }
  }
  if (recorded) {
    const byId = new Map(recorded.brokers.map((b) => [b.id, b]))
    const problems = brokers
      .filter((b) => !byId.has(b.id))
      .map((b) => `broker ${b.id} is registered but kafkaplane recorded no failure domains for it in the cluster: pass --topology FILE naming every broker (\`kafkaplane brokers add ${b.id} --topology FILE\` records them)`)
    const wanted = new Set([...brokers.map((b) => b.id), ...alsoKnown])
    return { topology: { dimensions: recorded.dimensions, brokers: recorded.brokers.filter((b) => wanted.has(b.id)) }, problems, source: 'recorded' }
  }
  return { topology: { dimensions: ['rack'], brokers: brokers.map((b) => ({ id: b.id, labels: { rack: b.rack ?? '(none)' } })) }, problems: [], source: 'rack' }
}
