/**
 * Brokers and their failure domains (docs/architecture.md, "Contracts"). A topology names its dimensions in
 * priority order (`[cluster, zone]`: the Kubernetes cluster first, then the availability zone) and gives
 * every broker one label per dimension. Any number of dimensions is allowed.
 */
export interface TopologyBroker {
  id: number
  /** One value per dimension of the topology, keyed by the dimension's name. */
  labels: Readonly<Record<string, string>>
  /** Relative weight for replica balance (default 1). */
  capacity?: number
  /** active (default), excluded (takes no new replicas) or draining (must lose all replicas). */
  state?: 'active' | 'excluded' | 'draining'
}

export interface Topology {
  /** Dimension names, highest priority first. */
  dimensions: readonly string[]
  brokers: readonly TopologyBroker[]
}

/** The dimension whose value becomes `broker.rack`: the one named `zone`, else the last (finest) one. */
export function rackDimension(topology: Pick<Topology, 'dimensions'>): string | undefined {
  return topology.dimensions.includes('zone') ? 'zone' : topology.dimensions.at(-1)
}

/** `broker.rack` of a broker: its zone, so that Kafka's follower fetching (`client.rack`) keeps working. */
export function rackOf(topology: Pick<Topology, 'dimensions'>, broker: TopologyBroker): string | undefined {
  const dimension = rackDimension(topology)
  return dimension === undefined ? undefined : broker.labels[dimension]
}

/** How many brokers each value of a dimension has, in first-seen order. */
export function domainCounts(topology: Topology, dimension: string): Map<string, number> {
  const counts = new Map<string, number>()
  for (const broker of topology.brokers) {
    const value = broker.labels[dimension]
    if (value !== undefined) counts.set(value, (counts.get(value) ?? 0) + 1)
  }
  return counts
}

/**
 * Problems a well-formed topology can still have, each naming the value and the fix. An empty list
 * means the topology is sound. The shape (types, required fields) is checked by the file's schema.
 */
export function topologyProblems(topology: Topology): string[] {
  const problems: string[] = []
  if (topology.dimensions.length === 0) {
    problems.push('dimensions is empty: name at least one failure dimension, for example [zone]')
  }
  const seenDimensions = new Set<string>()
  for (const dimension of topology.dimensions) {
    if (seenDimensions.has(dimension)) problems.push(`dimension "${dimension}" is listed twice: list each dimension once`)
    seenDimensions.add(dimension)
    if (dimension === 'id') problems.push('"id" cannot be a dimension: it is the broker id; rename the dimension')
  }
  if (topology.brokers.length === 0) problems.push('brokers is empty: list at least one broker')
  const seenIds = new Set<number>()
  for (const broker of topology.brokers) {
    if (seenIds.has(broker.id)) problems.push(`broker id ${broker.id} is listed twice: give every broker its own id`)
    seenIds.add(broker.id)
    for (const dimension of seenDimensions) {
      if (broker.labels[dimension] === undefined) {
        problems.push(`broker ${broker.id} has no "${dimension}": give every broker a value for every dimension`)
      }
    }
    for (const label of Object.keys(broker.labels)) {
      if (!seenDimensions.has(label)) {
        problems.push(
          `broker ${broker.id} has "${label}", which is not a dimension: add "${label}" to dimensions or remove it`,
        )
      }
    }
  }
  return problems
}
