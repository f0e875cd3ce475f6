import { CONDITIONS_SCHEMA, DNS_LABEL_PATTERN, rule, type Schema } from './schema.ts'

/**
 * The `KafkaTopic` custom resource: one topic of a KafkaCluster in the same namespace. The operator
 * creates it with an explicit assignment from the placement engine, applies config changes, adds
 * partitions and changes the replication factor through the executor. Deleting the resource leaves the
 * topic and its data in Kafka unless the resource carries `kafkaplane.io/delete-data: "true"`.
 */
export interface KafkaTopicSpec {
  /** The KafkaCluster (same namespace). */
  cluster: string
  /** The topic's name in Kafka (default: the resource's name; Kafka allows `_` and upper case, Kubernetes does not). */
  topicName?: string
  partitions: number
  /** Default: the cluster's spec.placement (or its recommendation). */
  replicationFactor?: number
  minInsyncReplicas?: number
  config: Record<string, string>
  placement: { requireDomainLossSurvival: boolean }
}

/** The annotation that lets deleting a KafkaTopic delete the topic and its data in Kafka. */
export const DELETE_DATA_ANNOTATION = 'kafkaplane.io/delete-data'

/** True only when the resource explicitly asks for its data to be deleted with it. */
export function deletesTopicData(metadata: { annotations?: Readonly<Record<string, string>> }): boolean {
  return metadata.annotations?.[DELETE_DATA_ANNOTATION] === 'true'
}

/** Configs that have their own field (or are kafkaplane's to set). */
export const TOPIC_CONFIGS_WITH_FIELDS = ['min.insync.replicas'] as const

type Spec = KafkaTopicSpec

export const KAFKA_TOPIC_SPEC_SCHEMA: Schema = {
  type: 'object',
  required: ['cluster', 'partitions'],
  properties: {
    cluster: {
      type: 'string',
      maxLength: 63,
      pattern: DNS_LABEL_PATTERN,
      description: 'the name of the KafkaCluster in the same namespace, e.g. cluster: payments',
      'x-kubernetes-validations': [{ rule: 'self == oldSelf', message: 'spec.cluster cannot change: a topic cannot move between Kafka clusters; create a KafkaTopic for the other cluster' }],
    },
    topicName: {
      type: 'string',
      minLength: 1,
      maxLength: 249,
      pattern: '^[A-Za-z0-9._-]+$',
      description: 'the topic name in Kafka (letters, digits, ., _ and -, at most 249), when it differs from metadata.name, e.g. topicName: payments_v2',
      'x-kubernetes-validations': [{ rule: 'self == oldSelf', message: 'spec.topicName cannot change: Kafka cannot rename a topic; create a new KafkaTopic instead' }],
    },
    partitions: {
      type: 'integer',
      minimum: 1,
      maximum: 100_000,
      description: 'the number of partitions, 1 or more; it can grow but never shrink, e.g. partitions: 12',
      'x-kubernetes-validations': [
        { rule: 'self >= oldSelf', message: 'spec.partitions cannot go down: Kafka cannot remove partitions; keep the old number or create a new topic' },
      ],
    },
    replicationFactor: { type: 'integer', minimum: 1, maximum: 16, description: 'the replication factor (default: the cluster\'s spec.placement), e.g. replicationFactor: 3' },
    minInsyncReplicas: { type: 'integer', minimum: 1, maximum: 16, description: 'min.insync.replicas of the topic (default: the cluster\'s spec.placement), e.g. minInsyncReplicas: 2' },
    config: {
      type: 'object',
      default: {},
      maxProperties: 128,
      description: 'other topic configs, values as strings, e.g. config: {retention.ms: "604800000", cleanup.policy: compact}',
      additionalProperties: { type: 'string', maxLength: 4096, description: 'a topic config value, quoted as a string, e.g. "604800000"' },
      'x-kubernetes-validations': [
        rule<Record<string, string>>({
          rule: "!('min.insync.replicas' in self)",
          message: 'spec.config min.insync.replicas has its own field; move it to spec.minInsyncReplicas',
          holds: (c) => !('min.insync.replicas' in c),
        }),
      ],
    },
    placement: {
      type: 'object',
      default: {},
      description: 'the topic\'s placement policy',
      properties: {
        requireDomainLossSurvival: {
          type: 'boolean',
          default: true,
          description: 'refuse a replicationFactor/minInsyncReplicas that cannot stay writable after losing any one zone or Kubernetes cluster (set false to accept it, e.g. for scratch topics)',
        },
      },
    },
  },
  'x-kubernetes-validations': [
    { rule: 'has(self.topicName) == has(oldSelf.topicName)', message: 'spec.topicName cannot be added or removed: Kafka cannot rename a topic; create a new KafkaTopic instead', fieldPath: '.topicName' },
    rule<Spec>({
      rule: '!has(self.replicationFactor) || !has(self.minInsyncReplicas) || self.minInsyncReplicas <= self.replicationFactor',
      message: 'spec.minInsyncReplicas is above spec.replicationFactor, so no write could ever be acknowledged; lower minInsyncReplicas (replicationFactor - 1 keeps writes going with one replica down)',
      fieldPath: '.minInsyncReplicas',
      holds: (s) => s.replicationFactor === undefined || s.minInsyncReplicas === undefined || s.minInsyncReplicas <= s.replicationFactor,
    }),
  ],
}

export const KAFKA_TOPIC_STATUS_SCHEMA: Schema = {
  type: 'object',
  properties: {
    observedGeneration: { type: 'integer', minimum: 0 },
    conditions: CONDITIONS_SCHEMA,
    topicName: { type: 'string', maxLength: 249 },
    topicId: { type: 'string', maxLength: 64 },
    partitions: { type: 'integer', minimum: 0 },
    replicationFactor: { type: 'integer', minimum: 0 },
    minInsyncReplicas: { type: 'integer', minimum: 0 },
    assignment: {
      type: 'array',
      description: 'the actual replicas of every partition (first = preferred leader), as Kafka reports them',
      maxItems: 100_000,
      items: {
        type: 'object',
        properties: {
          partition: { type: 'integer', minimum: 0 },
          replicas: { type: 'array', maxItems: 16, items: { type: 'integer' } },
        },
      },
    },
    survivability: {
      type: 'object',
      description: 'what the actual assignment survives',
      properties: {
        verdict: { type: 'string', description: 'survives-any-domain-loss, survives-zone-loss, survives-broker-loss or fragile' },
        dimensions: {
          type: 'array',
          maxItems: 8,
          items: {
            type: 'object',
            properties: {
              dimension: { type: 'string' },
              partitions: { type: 'integer' },
              writableAfterDomainLoss: { type: 'integer' },
              readableAfterDomainLoss: { type: 'integer' },
              writableDuringMaintenance: { type: 'integer' },
              durableAfterDomainLoss: { type: 'integer' },
            },
          },
        },
      },
    },
  },
}

export const KAFKA_TOPIC_PRINTER_COLUMNS = [
  { name: 'Cluster', type: 'string', jsonPath: '.spec.cluster' },
  { name: 'Partitions', type: 'integer', jsonPath: '.status.partitions' },
  { name: 'RF', type: 'integer', jsonPath: '.status.replicationFactor' },
  { name: 'Min-ISR', type: 'integer', jsonPath: '.status.minInsyncReplicas' },
  { name: 'Survives', type: 'string', jsonPath: '.status.survivability.verdict' },
  { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
  { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
] as const
