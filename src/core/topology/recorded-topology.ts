import type { Topology, TopologyBroker } from './topology.ts'

/**
 * The failure domains kafkaplane records in the Kafka cluster itself, so that every verb finds them
 * from the bootstrap address alone (the local runtime's `up` and the operator's KafkaCluster write
 * them; `--topology FILE` stays an override).
 *
 * Where: client-quota entities of type `client-id` whose NAME carries the record, one per line of a
 * topology file, each with one inert quota (`request_percentage` far above anything a client reaches):
 *   kafkaplane.topology/dimensions=cluster,zone
 *   kafkaplane.topology/broker=0/cluster=k8s-1,zone=a
 * Quotas live in the KRaft metadata log (they survive broker restarts), every live broker answers
 * DescribeClientQuotas from its metadata (also about a broker that is dead), and Kafka's own
 * `kafka-configs --describe --entity-type clients` shows them. No client uses such a client id.
 *
 * Why not custom cluster-wide broker configs (`kafkaplane.topology.*` on the BROKER resource ""):
 * Kafka 4.1.1 accepts them, but DescribeConfigs reports every config name it does not know as
 * sensitive and returns its value as null, so they cannot be read back (checked on a real broker).
 *
 * Keys and values are percent-encoded (encodeURIComponent), so labels may hold `/`, `,` or `=`.
 */
export const RECORD_PREFIX = 'kafkaplane.topology/'
export const RECORD_QUOTA_KEY = 'request_percentage'
/** The quota every record carries: a share of request time no client reaches, so it never throttles. */
export const RECORD_QUOTA_VALUE = 1_000_000

const enc = encodeURIComponent

/** The entity names that record a topology, the dimensions first, then each broker by id. */
export function recordNames(topology: Topology): string[] {
  return [
    `${RECORD_PREFIX}dimensions=${topology.dimensions.map(enc).join(',')}`,
    ...[...topology.brokers]
      .sort((a, b) => a.id - b.id)
      .map((b) => `${RECORD_PREFIX}broker=${b.id}/${topology.dimensions.map((d) => `${enc(d)}=${enc(b.labels[d] ?? '')}`).join(',')}`),
  ]
}

export interface RecordedTopology {
  /** Undefined when nothing (or no dimensions line) is recorded. */
  topology: Topology | undefined
  /** Names that start with the prefix but do not parse, or contradict each other. */
  problems: string[]
}

/** Reads a topology back from entity names (others are ignored). */
export function parseRecord(names: Iterable<string>): RecordedTopology {
  const problems: string[] = []
  let dimensions: string[] | undefined
  const brokers = new Map<number, TopologyBroker>()
  for (const name of names) {
    if (!name.startsWith(RECORD_PREFIX)) continue
    const body = name.slice(RECORD_PREFIX.length)
    try {
      if (body.startsWith('dimensions=')) {
        const found = body.slice('dimensions='.length).split(',').map(decodeURIComponent)
        if (dimensions && dimensions.join(',') !== found.join(',')) problems.push(`two dimension lists are recorded (${dimensions.join(',')} and ${found.join(',')})`)
        dimensions ??= found
        continue
      }
      const m = /^broker=(\d+)\/(.*)$/.exec(body)
      if (!m) throw new Error('unknown record')
      const id = Number(m[1])
      const labels: Record<string, string> = {}
      for (const pair of m[2]!.split(',')) {
        const eq = pair.indexOf('=')
        if (eq <= 0) throw new Error('label without =')
        labels[decodeURIComponent(pair.slice(0, eq))] = decodeURIComponent(pair.slice(eq + 1))
      }
      if (brokers.has(id)) problems.push(`broker ${id} has two records`)
      else brokers.set(id, { id, labels })
    } catch {
      problems.push(`cannot read the record "${name}"`)
    }
  }
  if (!dimensions) return { topology: undefined, problems }
  for (const b of brokers.values()) {
    const missing = dimensions.filter((d) => b.labels[d] === undefined)
    if (missing.length > 0) problems.push(`the record of broker ${b.id} lacks ${missing.join(', ')}`)
  }
  return { topology: { dimensions, brokers: [...brokers.values()].sort((a, b) => a.id - b.id) }, problems }
}

/**
 * What to write so that the cluster records `topology`: names to add, and recorded names to remove
 * (a broker's old labels, brokers no longer in the topology, another dimension list).
 */
export function recordChanges(recorded: Iterable<string>, topology: Topology): { add: string[]; remove: string[] } {
  const wanted = new Set(recordNames(topology))
  const have = new Set([...recorded].filter((n) => n.startsWith(RECORD_PREFIX)))
  return { add: [...wanted].filter((n) => !have.has(n)), remove: [...have].filter((n) => !wanted.has(n)) }
}

/**
 * The recorded topology with `update`'s brokers added or relabelled (brokers joining): the
 * dimensions must be the same.
 */
export function mergeRecorded(recorded: Topology | undefined, update: Topology): { topology: Topology } | { problem: string } {
  if (!recorded) return { topology: update }
  if (recorded.dimensions.join(',') !== update.dimensions.join(',')) {
    return { problem: `the cluster records dimensions ${recorded.dimensions.join(',')}, the topology file has ${update.dimensions.join(',')}` }
  }
  const updated = new Map(update.brokers.map((b) => [b.id, b]))
  const brokers = [...recorded.brokers.filter((b) => !updated.has(b.id)), ...update.brokers].sort((a, b) => a.id - b.id)
  return { topology: { dimensions: recorded.dimensions, brokers: brokers.map((b) => ({ id: b.id, labels: b.labels })) } }
}

/**
 * Every broker an operator knows of, for placing replicas: the recorded ones as recorded (the pods'
 * real zones; brokers leaving in a scale keep their records until they are unregistered), and the
 * planned ones not recorded yet (brokers joining in a scale, registered before the reconciler records
 * them) with their planned failure domains. Recorded dimensions other than the plan's: the plan alone.
 */
export function knownTopology(planned: Topology, recorded: Topology | undefined): Topology {
  const merged = mergeRecorded(planned, recorded ?? planned)
  return 'topology' in merged ? merged.topology : planned
}
