/**
 * The one rule for topics no acks=all producer can write: a topic whose replication factor is below
 * its min.insync.replicas never has enough in-sync replicas, so every acks=all write fails with
 * NOT_ENOUGH_REPLICAS, for ever. Every way kafkaplane creates or changes a topic (`topics create` and
 * `alter`, `plan`, `replication-factor`, the operator's KafkaTopic) asks this rule first and refuses
 * such a topic unless the user accepts it explicitly.
 *
 * (RF equal to min.insync.replicas is writable, only fragile: the planners note it.)
 */
export interface UnwritableTopic {
  topic: string
  replicationFactor: number
  minInsync: number
  /** What is wrong, naming both values. */
  message: string
  /** How to make the topic writable (the caller adds how to accept it anyway). */
  fix: string
}

export function unwritableTopic(topic: string, replicationFactor: number, minInsync: number): UnwritableTopic | undefined {
  if (replicationFactor >= minInsync) return undefined
  return {
    topic,
    replicationFactor,
    minInsync,
    message: `topic ${topic} would have replication factor ${replicationFactor} below min.insync.replicas ${minInsync}: no acks=all write could ever be acknowledged (producers get NOT_ENOUGH_REPLICAS)`,
    fix: `raise the replication factor to ${minInsync} or more, or lower min.insync.replicas to ${replicationFactor} or less`,
  }
}

/**
 * The topics among `partitions` that would be unwritable, one entry per topic (its lowest replication
 * factor against its min.insync.replicas), in name order.
 */
export function unwritableTopics(partitions: Iterable<{ topic: string; replicationFactor: number; minInsync: number }>): UnwritableTopic[] {
  const worst = new Map<string, { replicationFactor: number; minInsync: number }>()
  for (const p of partitions) {
    const seen = worst.get(p.topic)
    if (!seen || p.replicationFactor - p.minInsync < seen.replicationFactor - seen.minInsync) worst.set(p.topic, p)
  }
  return [...worst]
    .sort(([a], [b]) => a.localeCompare(b))
    .flatMap(([topic, p]) => unwritableTopic(topic, p.replicationFactor, p.minInsync) ?? [])
}
