import { KAFKA_CLUSTER_PRINTER_COLUMNS, KAFKA_CLUSTER_RESOURCE_RULES, KAFKA_CLUSTER_SPEC_SCHEMA, KAFKA_CLUSTER_STATUS_SCHEMA } from './kafka-cluster.ts'
import { KAFKA_TOPIC_PRINTER_COLUMNS, KAFKA_TOPIC_SPEC_SCHEMA, KAFKA_TOPIC_STATUS_SCHEMA } from './kafka-topic.ts'
import { toOpenApi, type Rule, type Schema } from './schema.ts'

export const API_GROUP = 'kafkaplane.io'
export const API_VERSION = 'v1alpha1'
export const GROUP_VERSION = `${API_GROUP}/${API_VERSION}`

interface CustomResource {
  kind: string
  plural: string
  singular: string
  shortNames: readonly string[]
  spec: Schema
  status: Schema
  rules?: readonly Rule[]
  printerColumns: readonly { name: string; type: string; jsonPath: string; priority?: number }[]
}

export const KAFKA_CLUSTER: CustomResource = {
  kind: 'KafkaCluster',
  plural: 'kafkaclusters',
  singular: 'kafkacluster',
  shortNames: ['kc'],
  spec: KAFKA_CLUSTER_SPEC_SCHEMA,
  status: KAFKA_CLUSTER_STATUS_SCHEMA,
  rules: KAFKA_CLUSTER_RESOURCE_RULES,
  printerColumns: KAFKA_CLUSTER_PRINTER_COLUMNS,
}

export const KAFKA_TOPIC: CustomResource = {
  kind: 'KafkaTopic',
  plural: 'kafkatopics',
  singular: 'kafkatopic',
  shortNames: ['kt'],
  spec: KAFKA_TOPIC_SPEC_SCHEMA,
  status: KAFKA_TOPIC_STATUS_SCHEMA,
  printerColumns: KAFKA_TOPIC_PRINTER_COLUMNS,
}

/** The whole object's schema: apiVersion, kind, metadata (the API server's ObjectMeta: ajv leaves it open), spec and status. */
export function resourceSchema(resource: CustomResource): Schema {
  return {
    type: 'object',
    required: ['spec'],
    properties: {
      apiVersion: { type: 'string' },
      kind: { type: 'string' },
      // The API server allows only name and generateName here; declaring name makes `.metadata.name` a
      // valid fieldPath for the resource rules (an undeclared field is refused as "must be a valid path").
      metadata: { type: 'object', properties: { name: { type: 'string' } } },
      spec: resource.spec,
      status: resource.status,
    },
    ...(resource.rules ? { 'x-kubernetes-validations': resource.rules } : {}),
  }
}

/**
 * The CustomResourceDefinition (apiextensions.k8s.io/v1) of a resource: namespaced, one served and
 * stored version, the status subresource (so spec changes bump generation and only the operator writes
 * status) and printer columns.
 */
export function customResourceDefinition(resource: CustomResource): Record<string, unknown> {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: {
      name: `${resource.plural}.${API_GROUP}`,
      labels: { 'app.kubernetes.io/name': 'kafkaplane', 'app.kubernetes.io/part-of': 'kafkaplane', 'app.kubernetes.io/component': 'crd' },
    },
    spec: {
      group: API_GROUP,
      scope: 'Namespaced',
      names: { kind: resource.kind, listKind: `${resource.kind}List`, plural: resource.plural, singular: resource.singular, shortNames: [...resource.shortNames], categories: ['kafkaplane'] },
      versions: [
        {
          name: API_VERSION,
          served: true,
          storage: true,
          schema: { openAPIV3Schema: toOpenApi(resourceSchema(resource)) },
          subresources: { status: {} },
          additionalPrinterColumns: resource.printerColumns.map((c) => ({ ...c })),
        },
      ],
    },
  }
}

export function customResourceDefinitions(): Record<string, unknown>[] {
  return [customResourceDefinition(KAFKA_CLUSTER), customResourceDefinition(KAFKA_TOPIC)]
}
