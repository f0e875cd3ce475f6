import { readFile } from 'node:fs/promises'
import { Ajv, type ErrorObject } from 'ajv'
import { parse as parseYaml } from 'yaml'
import { KafkaplaneError } from '../core/errors.ts'
import type { PartitionAssignment } from '../core/placement/model.ts'

/**
 * Kafka's reassignment JSON, the format `kafka-reassign-partitions` reads and writes, so that it and
 * kafkaplane can read each other's files:
 *
 *   {"version":1,"partitions":[{"topic":"t","partition":0,"replicas":[1,2,3]}]}
 *
 * Staged plans (migrations) are `{"version":1,"stages":[<reassignment JSON>, ...]}`.
 */
export const REASSIGNMENT_SCHEMA = {
  type: 'object',
  required: ['version', 'partitions'],
  properties: {
    version: { const: 1 },
    partitions: {
      type: 'array',
      items: {
        type: 'object',
        required: ['topic', 'partition', 'replicas'],
        properties: {
          topic: { type: 'string', minLength: 1 },
          partition: { type: 'integer', minimum: 0 },
          replicas: { type: 'array', minItems: 1, items: { type: 'integer', minimum: 0 } },
          log_dirs: { type: 'array', items: { type: 'string' } },
        },
      },
    },
  },
} as const

/** Per-topic configs that placement needs: `{payments: {min.insync.replicas: 3}}` (YAML or JSON). */
export const TOPIC_CONFIG_SCHEMA = {
  type: 'object',
  additionalProperties: {
    type: 'object',
    required: ['min.insync.replicas'],
    properties: { 'min.insync.replicas': { type: 'integer', minimum: 1 } },
  },
} as const

/** Bytes of one replica of each partition, keyed "topic-partition": {"payments-0": 1073741824}. */
export const PARTITION_SIZES_SCHEMA = {
  type: 'object',
  additionalProperties: { type: 'integer', minimum: 0 },
} as const

const ajv = new Ajv({ allErrors: true })
const validateReassignment = ajv.compile(REASSIGNMENT_SCHEMA)
const validateTopicConfig = ajv.compile(TOPIC_CONFIG_SCHEMA)
const validateSizes = ajv.compile(PARTITION_SIZES_SCHEMA)

export function parseReassignment(text: string, source: string): PartitionAssignment[] {
  let document: unknown
  try {
    document = JSON.parse(text)
  } catch (err) {
    throw new KafkaplaneError('BAD_ARGUMENT', `${source} is not valid JSON: ${(err as Error).message}`, {
      fix: 'give a Kafka reassignment JSON file: {"version":1,"partitions":[{"topic":"t","partition":0,"replicas":[1,2,3]}]}',
    })
  }
  if (!validateReassignment(document)) {
    throw new KafkaplaneError('BAD_ARGUMENT', `${source}: ${(validateReassignment.errors ?? []).map(describe).join('; ')}`, {
      fix: 'give a Kafka reassignment JSON file: {"version":1,"partitions":[{"topic":"t","partition":0,"replicas":[1,2,3]}]}',
    })
  }
  return (document as { partitions: PartitionAssignment[] }).partitions.map((p) => ({ topic: p.topic, partition: p.partition, replicas: p.replicas }))
}

export async function readReassignmentFile(path: string): Promise<PartitionAssignment[]> {
  return parseReassignment(await readInput(path), path)
}

export function parseTopicConfig(text: string, source: string): Map<string, number> {
  let document: unknown
  try {
    document = parseYaml(text)
  } catch (err) {
    throw new KafkaplaneError('BAD_ARGUMENT', `${source} is not valid YAML: ${(err as Error).message.split('\n')[0]}`, {
      fix: 'give topic configs as YAML: {payments: {min.insync.replicas: 3}}',
    })
  }
  if (!validateTopicConfig(document)) {
    throw new KafkaplaneError('BAD_ARGUMENT', `${source}: ${(validateTopicConfig.errors ?? []).map(describe).join('; ')}`, {
      fix: 'give topic configs as YAML: {payments: {min.insync.replicas: 3}}',
    })
  }
  return new Map(Object.entries(document as Record<string, { 'min.insync.replicas': number }>).map(([t, c]) => [t, c['min.insync.replicas']]))
}

export async function readTopicConfigFile(path: string): Promise<Map<string, number>> {
  return parseTopicConfig(await readInput(path), path)
}

export async function readPartitionSizesFile(path: string): Promise<Map<string, number>> {
  const fix = 'give partition sizes as JSON: {"payments-0": 1073741824, ...} (bytes of one replica)'
  let document: unknown
  try {
    document = JSON.parse(await readInput(path))
  } catch (err) {
    if (err instanceof KafkaplaneError) throw err
    throw new KafkaplaneError('BAD_ARGUMENT', `${path} is not valid JSON: ${(err as Error).message}`, { fix })
  }
  if (!validateSizes(document)) {
    throw new KafkaplaneError('BAD_ARGUMENT', `${path}: ${(validateSizes.errors ?? []).map(describe).join('; ')}`, { fix })
  }
  return new Map(Object.entries(document as Record<string, number>))
}

export function renderReassignment(assignments: readonly PartitionAssignment[]): string {
  return JSON.stringify({ version: 1, partitions: assignments.map((p) => ({ topic: p.topic, partition: p.partition, replicas: [...p.replicas] })) })
}

export function renderStages(stages: readonly (readonly PartitionAssignment[])[]): string {
  return `{"version":1,"stages":[${stages.map(renderReassignment).join(',')}]}`
}

async function readInput(path: string): Promise<string> {
  try {
    return await readFile(path === '-' ? '/dev/stdin' : path, 'utf8')
  } catch (err) {
    throw new KafkaplaneError('BAD_ARGUMENT', `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, {
      fix: 'pass the path of an existing file',
    })
  }
}

function describe(error: ErrorObject): string {
  const where = error.instancePath ? error.instancePath.slice(1).replace(/\/(\d+)/g, '[$1]').replace(/\//g, '.') : 'the document'
  if (error.keyword === 'required') return `${where} needs "${(error.params as { missingProperty: string }).missingProperty}"`
  if (error.keyword === 'const') return `${where} must be 1`
  return `${where} ${error.message ?? 'is invalid'}`
}
