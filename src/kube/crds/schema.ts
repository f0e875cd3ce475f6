/**
 * The subset of Kubernetes' structural OpenAPI v3 schema (apiextensions v1 `JSONSchemaProps`) that
 * kafkaplane's custom resources use, written once and used twice (docs/architecture.md, principle 8):
 *   - as the CRD's `openAPIV3Schema`, where the API server applies `default`s and checks everything,
 *     the `x-kubernetes-validations` CEL rules included;
 *   - by `compileSpecValidator` (validate.ts) with ajv, so that `kafkaplane render` and the operator's
 *     model refuse the same specs without an API server.
 *
 * A cross-field rule is CEL for the API server plus `holds`, the same rule in TypeScript for ajv; the two
 * sit side by side so they are read and changed together. Transition rules (with `oldSelf`) have no
 * `holds`: only the API server sees the old object.
 */
export interface Schema {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean'
  /**
   * Says what the field is and doubles as the fix in error messages, so it is written to be read
   * after "fix:" (what to write, with an example).
   */
  description?: string
  properties?: Readonly<Record<string, Schema>>
  additionalProperties?: Schema
  items?: Schema
  required?: readonly string[]
  enum?: readonly (string | number | boolean)[]
  default?: unknown
  minimum?: number
  maximum?: number
  minLength?: number
  maxLength?: number
  minItems?: number
  maxItems?: number
  minProperties?: number
  maxProperties?: number
  pattern?: string
  'x-kubernetes-validations'?: readonly Rule[]
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map'
  'x-kubernetes-list-map-keys'?: readonly string[]
  /** Kept as it is by the API server (pruning stops here); ajv then checks only the type. */
  'x-kubernetes-preserve-unknown-fields'?: boolean
  'x-kubernetes-embedded-resource'?: boolean
}

/** One `x-kubernetes-validations` rule. */
export interface Rule {
  /** CEL, evaluated by the API server with `self` = the value the rule sits on. */
  rule: string
  /** Names the field, the problem and the fix; shown by kubectl and by kafkaplane alike. */
  message: string
  /** Where the error points, relative to the value the rule sits on (`.interBrokerListener`). */
  fieldPath?: string
  reason?: 'FieldValueInvalid' | 'FieldValueForbidden' | 'FieldValueRequired' | 'FieldValueDuplicate'
  /** The rule in TypeScript; absent on transition rules (they need `oldSelf`). */
  holds?: (self: never) => boolean
}

/** A rule whose TypeScript twin is typed by the value it sits on. */
export function rule<T>(r: Omit<Rule, 'holds'> & { holds?: (self: T) => boolean }): Rule {
  return r as Rule
}

/** The schema as the API server takes it: the rules without their TypeScript twins. */
export function toOpenApi(schema: Schema): unknown {
  return JSON.parse(JSON.stringify(schema, (key, value: unknown) => (key === 'holds' ? undefined : value)))
}

/** Every node of a schema with its path (`spec.topology.clusters[]`), depth first. */
export function* schemaNodes(schema: Schema, path = ''): Generator<{ path: string; node: Schema }> {
  yield { path, node: schema }
  for (const [name, child] of Object.entries(schema.properties ?? {})) yield* schemaNodes(child, path ? `${path}.${name}` : name)
  if (schema.items) yield* schemaNodes(schema.items, `${path}[]`)
  if (schema.additionalProperties) yield* schemaNodes(schema.additionalProperties, `${path}.*`)
}

/** A Kubernetes resource quantity (`8Gi`, `500m`, `1.5`), as the API server parses it. */
export const QUANTITY_PATTERN = '^[+]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)([eE][+-]?[0-9]+|[KMGTPE]i|[mkMGTPE])?$'
/** A DNS-1123 label (names of Kubernetes clusters here: they end up in object names). */
export const DNS_LABEL_PATTERN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$'
/** A Kubernetes object name of most kinds (Secrets, ConfigMaps): a DNS subdomain, RFC 1123. */
export const DNS_SUBDOMAIN_PATTERN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$'

/** The condition list every status carries (the metav1.Condition shape). */
export const CONDITIONS_SCHEMA: Schema = {
  type: 'array',
  description: 'Ready, Reconciling and Degraded, each with a reason a person can act on.',
  maxItems: 16,
  'x-kubernetes-list-type': 'map',
  'x-kubernetes-list-map-keys': ['type'],
  items: {
    type: 'object',
    required: ['type', 'status'],
    properties: {
      type: { type: 'string', maxLength: 64 },
      status: { type: 'string', enum: ['True', 'False', 'Unknown'] },
      reason: { type: 'string', maxLength: 1024 },
      message: { type: 'string', maxLength: 32768 },
      observedGeneration: { type: 'integer', minimum: 0 },
      lastTransitionTime: { type: 'string' },
    },
  },
}
