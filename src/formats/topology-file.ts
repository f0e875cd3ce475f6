import { readFile } from 'node:fs/promises'
import { Ajv, type ErrorObject } from 'ajv'
import { parse as parseYaml } from 'yaml'
import { KafkaplaneError } from '../core/errors.ts'
import { topologyProblems, type Topology } from '../core/topology/topology.ts'

/**
 * The topology file (docs/architecture.md, "Contracts"): the failure domains of every broker.
 *
 *   dimensions: [cluster, zone]          # order = priority when not every dimension can be even
 *   brokers:
 *     - {id: 0, cluster: k8s-1, zone: a}
 *     - {id: 1, cluster: k8s-1, zone: b, capacity: 2, state: excluded}
 *
 * `capacity` (default 1) weighs a broker's fair share of replicas; `state` is active (default),
 * excluded (keeps its replicas, takes no new ones) or draining (must lose every replica).
 * Read once, validated against one schema (shape) and then `topologyProblems` (meaning); the rest of
 * kafkaplane trusts the Topology it returns.
 */
export const TOPOLOGY_SCHEMA = {
  type: 'object',
  required: ['dimensions', 'brokers'],
  additionalProperties: false,
  properties: {
    dimensions: {
      type: 'array',
      minItems: 1,
      items: { type: 'string', pattern: '^[A-Za-z][A-Za-z0-9_.-]*$' },
    },
    brokers: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        required: ['id'],
        properties: {
          id: { type: 'integer', minimum: 0, maximum: 2147483647 },
          capacity: { type: 'number', exclusiveMinimum: 0 },
          state: { enum: ['active', 'excluded', 'draining'] },
        },
        additionalProperties: { type: 'string', minLength: 1 },
      },
    },
  },
} as const

const EXAMPLE = 'dimensions: [cluster, zone] and brokers: [{id: 0, cluster: k8s-1, zone: a}, ...]'

const validate = new Ajv({ allErrors: true, coerceTypes: true }).compile(TOPOLOGY_SCHEMA)

/** Parses and validates a topology document (YAML or JSON text); `source` names it in errors. */
export function parseTopology(text: string, source: string): Topology {
  let document: unknown
  try {
    document = parseYaml(text)
  } catch (err) {
    throw new KafkaplaneError('BAD_TOPOLOGY', `${source} is not valid YAML: ${(err as Error).message.split('\n')[0]}`, {
      fix: `write the topology as YAML: ${EXAMPLE}`,
    })
  }
  if (!validate(document)) {
    const problems = (validate.errors ?? []).map(describeSchemaError)
    throw new KafkaplaneError('BAD_TOPOLOGY', `${source}: ${problems.join('; ')}`, { fix: `write the topology as ${EXAMPLE}` })
  }
  type RawBroker = { id: number; capacity?: number; state?: 'active' | 'excluded' | 'draining' } & Record<string, unknown>
  const raw = document as { dimensions: string[]; brokers: RawBroker[] }
  const topology: Topology = {
    dimensions: raw.dimensions,
    brokers: raw.brokers.map(({ id, capacity, state, ...labels }) => ({
      id,
      labels: labels as Record<string, string>,
      ...(capacity === undefined ? {} : { capacity }),
      ...(state === undefined ? {} : { state }),
    })),
  }
  const problems = topologyProblems(topology)
  if (problems.length > 0) {
    throw new KafkaplaneError('BAD_TOPOLOGY', `${source}: ${problems.join('; ')}`, { fix: `correct ${source}` })
  }
  return topology
}

export async function readTopologyFile(path: string): Promise<Topology> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    throw new KafkaplaneError('BAD_TOPOLOGY', `cannot read topology file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, {
      fix: 'pass the path of an existing topology file to --topology',
    })
  }
  return parseTopology(text, path)
}

function describeSchemaError(error: ErrorObject): string {
  const where = error.instancePath
    ? error.instancePath.slice(1).replace(/\/(\d+)/g, '[$1]').replace(/\//g, '.')
    : 'the document'
  if (error.keyword === 'additionalProperties') {
    return `${where} has unknown field "${(error.params as { additionalProperty: string }).additionalProperty}"`
  }
  if (error.keyword === 'required') return `${where} needs "${(error.params as { missingProperty: string }).missingProperty}"`
  return `${where} ${error.message ?? 'is invalid'}`
}
