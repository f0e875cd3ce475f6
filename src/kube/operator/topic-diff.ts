import type { PartitionAssignment } from '../../core/placement/model.ts'

/** What a KafkaTopic asks for, after its model resolved the defaults (KafkaTopicModel's fields). */
export interface DesiredTopic {
  topicName: string
  partitions: number
  replicationFactor: number
  /** Every config the topic should carry as an override, min.insync.replicas included. */
  configs: Readonly<Record<string, string>>
}

/** The topic as Kafka has it: its partitions' replicas and its topic-level config overrides. */
export interface ActualTopic {
  assignment: readonly PartitionAssignment[]
  /** Configs set on the topic itself (source DYNAMIC_TOPIC_CONFIG), not the broker defaults. */
  overrides: Readonly<Record<string, string>>
}

/** A spec that cannot be carried out: the field, what is wrong and the fix. Nothing is changed then. */
export interface SpecProblem {
  path: string
  message: string
  fix: string
}

export interface TopicChanges {
  /** The topic does not exist: create it with this many partitions and this replication factor. */
  create?: { partitions: number; replicationFactor: number }
  /** Configs to set (changed or new), and overrides to remove (back to the broker default). */
  setConfigs: Record<string, string>
  removeConfigs: string[]
  /** Partitions to add (placed by the engine): from the current count to the wanted one. */
  addPartitions?: { from: number; to: number }
  /** The replication factor differs on some partitions: change it through the executor. */
  replicationFactor?: { from: number[]; to: number }
}

export type TopicDiff = { ok: true; changes: TopicChanges; inSync: boolean } | { ok: false; problems: SpecProblem[] }

/**
 * The changes that turn the actual topic into the desired one, or the problems that forbid any change:
 *   - more replicas than brokers registered in the cluster (`brokers`);
 *   - fewer partitions than the topic has (Kafka cannot remove partitions).
 * Configs are incremental: only the differing overrides are set, and overrides the spec no longer names
 * are removed (the KafkaTopic owns the topic's overrides). `inSync` says there is nothing to do.
 */
export function diffTopic(desired: DesiredTopic, actual: ActualTopic | undefined, brokers: number): TopicDiff {
  const problems: SpecProblem[] = []
  if (desired.replicationFactor > brokers) {
    problems.push({
      path: 'spec.replicationFactor',
      message: `spec.replicationFactor ${desired.replicationFactor} is above the ${brokers} brokers registered in the Kafka cluster`,
      fix: `set spec.replicationFactor to ${brokers} or fewer, or add brokers`,
    })
  }
  const current = actual?.assignment.length ?? 0
  if (actual && desired.partitions < current) {
    problems.push({
      path: 'spec.partitions',
      message: `spec.partitions ${desired.partitions} is below the ${current} partitions topic ${desired.topicName} has, and Kafka cannot remove partitions`,
      fix: `set spec.partitions: ${current} (or more), or create a new topic`,
    })
  }
  if (problems.length > 0) return { ok: false, problems }
  if (!actual) {
    const changes: TopicChanges = { create: { partitions: desired.partitions, replicationFactor: desired.replicationFactor }, setConfigs: { ...desired.configs }, removeConfigs: [] }
    return { ok: true, changes, inSync: false }
  }
  const setConfigs = Object.fromEntries(Object.entries(desired.configs).filter(([k, v]) => actual.overrides[k] !== v))
  const removeConfigs = Object.keys(actual.overrides).filter((k) => !(k in desired.configs)).sort()
  const factors = [...new Set(actual.assignment.map((p) => p.replicas.length))].sort((a, b) => a - b)
  const changes: TopicChanges = {
    setConfigs,
    removeConfigs,
    ...(desired.partitions > current ? { addPartitions: { from: current, to: desired.partitions } } : {}),
    ...(factors.some((f) => f !== desired.replicationFactor) ? { replicationFactor: { from: factors, to: desired.replicationFactor } } : {}),
  }
  const inSync = Object.keys(setConfigs).length === 0 && removeConfigs.length === 0 && !changes.addPartitions && !changes.replicationFactor
  return { ok: true, changes, inSync }
}

/** The changes in a line for status messages and logs. */
export function describeChanges(topic: string, changes: TopicChanges): string {
  const parts: string[] = []
  if (changes.create) parts.push(`create ${topic} with ${changes.create.partitions} partitions at RF ${changes.create.replicationFactor}`)
  const set = Object.keys(changes.create ? {} : changes.setConfigs)
  if (set.length > 0) parts.push(`set ${set.join(', ')}`)
  if (changes.removeConfigs.length > 0) parts.push(`remove ${changes.removeConfigs.join(', ')}`)
  if (changes.addPartitions) parts.push(`add partitions ${changes.addPartitions.from} -> ${changes.addPartitions.to}`)
  if (changes.replicationFactor) parts.push(`change RF ${changes.replicationFactor.from.join('/')} -> ${changes.replicationFactor.to}`)
  return parts.length === 0 ? `${topic} is as specified` : parts.join('; ')
}
