import { Ajv, type ErrorObject, type SchemaValidateFunction } from 'ajv'
import type { Rule, Schema } from './schema.ts'

/** One thing wrong with a resource: where, the value found, what is wrong and what to write instead. */
export interface FieldProblem {
  /** Dotted path from the resource's root, `spec.topology.clusters[1].brokerIds.first`. */
  path: string
  /** The offending value as found (absent for a missing field). */
  value?: unknown
  message: string
  fix: string
}

export type Validated<T> = { ok: true; value: T } | { ok: false; problems: FieldProblem[] }

/**
 * Compiles a CRD schema into a validator that behaves like the API server would on create:
 *   - `default`s are applied (to a copy; the input is left alone);
 *   - unknown fields are refused (the API server prunes them, and kubectl's strict field validation,
 *     its default, refuses them), except under `x-kubernetes-preserve-unknown-fields`;
 *   - `x-kubernetes-list-type` set and map lists refuse duplicates;
 *   - `x-kubernetes-validations` rules run through their TypeScript twin (`Rule.holds`) once the shape
 *     is right, on the defaulted value; transition rules (no twin) are the API server's alone.
 * `root` is the path the schema sits at (`spec`), used in problem paths.
 */
export function compileSpecValidator<T>(schema: Schema, root: string): (input: unknown) => Validated<T> {
  const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: true, verbose: true })
  ajv.addKeyword({ keyword: 'x-kubernetes-preserve-unknown-fields' })
  ajv.addKeyword({ keyword: 'x-kubernetes-embedded-resource' })
  ajv.addKeyword({ keyword: 'x-kubernetes-list-map-keys' })
  const listType: SchemaValidateFunction = (kind: string, data: unknown[], parentSchema?: object) => {
    const parent = parentSchema as Schema | undefined
    if (kind === 'atomic') return true
    const mapKeys = parent?.['x-kubernetes-list-map-keys'] ?? []
    const key = (item: unknown) => JSON.stringify(kind === 'map' ? mapKeys.map((k) => (item as Record<string, unknown>)[k]) : item)
    const seen = new Set<string>()
    for (const item of data) {
      const k = key(item)
      if (seen.has(k)) {
        listType.errors = [{ keyword: 'x-kubernetes-list-type', message: `lists ${kind === 'map' ? `${mapKeys.join(', ')} ` : ''}${k} twice`, params: { duplicate: k } }]
        return false
      }
      seen.add(k)
    }
    return true
  }
  ajv.addKeyword({ keyword: 'x-kubernetes-list-type', type: 'array', errors: true, validate: listType })
  ajv.addKeyword({ keyword: 'x-kubernetes-validations' })
  const validate = ajv.compile(forAjv(schema))
  return (input) => {
    const value = structuredClone(input)
    if (!validate(value)) return { ok: false, problems: (validate.errors ?? []).map((e) => describe(e, root, value)) }
    // Rules run on the defaulted value once its shape is right, as the API server runs CEL.
    const problems = ruleProblems(schema, value, root)
    return problems.length === 0 ? { ok: true, value: value as T } : { ok: false, problems }
  }
}

/** The cross-field rules that fail, walking the schema and the (well-shaped, defaulted) value together. */
function ruleProblems(schema: Schema, value: unknown, path: string): FieldProblem[] {
  if (value === undefined || value === null) return []
  const problems: FieldProblem[] = []
  for (const r of schema['x-kubernetes-validations'] ?? []) {
    if (r.holds === undefined || (r.holds as (self: unknown) => boolean)(value)) continue
    const [message, ...fix] = r.message.split('; ')
    const where = `${path}${r.fieldPath ?? ''}`.replace(/^\./, '')
    problems.push({ path: where, value: valueAt(value, (r.fieldPath ?? '').split('.').filter(Boolean)), message: message!, fix: fix.join('; ') || (schema.description ?? '') })
  }
  if (typeof value !== 'object') return problems
  const record = value as Record<string, unknown>
  for (const [name, child] of Object.entries(schema.properties ?? {})) problems.push(...ruleProblems(child, record[name], `${path}.${name}`))
  if (schema.items && Array.isArray(value)) value.forEach((item, i) => problems.push(...ruleProblems(schema.items!, item, `${path}[${i}]`)))
  if (schema.additionalProperties && !Array.isArray(value)) {
    for (const [name, child] of Object.entries(record)) {
      if (!(name in (schema.properties ?? {}))) problems.push(...ruleProblems(schema.additionalProperties, child, `${path}["${name}"]`))
    }
  }
  return problems
}

/**
 * The schema as ajv should check it: objects with `properties` refuse unknown fields, except the
 * resource's own `metadata` (the API server's ObjectMeta, whose schema names only `name`).
 */
function forAjv(schema: Schema, root = true): Schema {
  const copy: Schema = { ...schema }
  if (schema.properties) {
    copy.properties = Object.fromEntries(Object.entries(schema.properties).map(([k, v]) => [k, root && k === 'metadata' && schema.properties!.spec ? v : forAjv(v, false)]))
    if (!schema.additionalProperties && !schema['x-kubernetes-preserve-unknown-fields']) (copy as Record<string, unknown>).additionalProperties = false
  }
  if (schema.items) copy.items = forAjv(schema.items, false)
  if (schema.additionalProperties) copy.additionalProperties = forAjv(schema.additionalProperties, false)
  return copy
}

function describe(error: ErrorObject, root: string, data: unknown): FieldProblem {
  const segments = error.instancePath.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
  const path = [root, ...segments.map((s) => (/^\d+$/.test(s) ? `[${s}]` : /^[A-Za-z_][A-Za-z0-9_]*$/.test(s) ? `.${s}` : `["${s}"]`))].join('').replace(/^\./, '')
  const value = error.data
  const schema = (error.parentSchema ?? {}) as Schema
  const fix = schema.description ?? 'see `kubectl explain` for the field'
  const params = error.params as Record<string, unknown>
  switch (error.keyword) {
    case 'required': {
      const missing = String(params.missingProperty)
      return { path: `${path}.${missing}`, message: `${path}.${missing} is required`, fix: schema.properties?.[missing]?.description ?? `give ${missing}` }
    }
    case 'additionalProperties': {
      const field = String(params.additionalProperty)
      const known = Object.keys(schema.properties ?? {})
      return {
        path: `${path}.${field}`,
        value: (value as Record<string, unknown>)[field],
        message: `${path} has unknown field "${field}"`,
        fix: `remove it or use one of: ${known.join(', ')}${closest(field, known) ? ` (did you mean "${closest(field, known)}"?)` : ''}`,
      }
    }
    case 'x-kubernetes-list-type':
      return { path, value, message: `${path} ${error.message}`, fix: 'list each entry once' }
    case 'enum':
      return { path, value, message: `${path} is ${show(value)}, not one of ${(params.allowedValues as unknown[]).map(show).join(', ')}`, fix }
    case 'pattern':
      return { path, value, message: `${path} is ${show(value)}, which is not allowed here`, fix }
    default:
      return { path, value, message: `${path} is ${show(value)}, but ${error.message ?? 'is invalid'}`, fix }
  }
}

function valueAt(data: unknown, segments: readonly string[]): unknown {
  let v = data
  for (const s of segments) v = v === null || typeof v !== 'object' ? undefined : (v as Record<string, unknown>)[s]
  return v
}

export function show(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : JSON.stringify(value) ?? String(value)
}

/** The known name closest to a misspelt one (at most two edits away). */
function closest(name: string, known: readonly string[]): string | undefined {
  let best: string | undefined
  let bestDistance = 3
  for (const k of known) {
    const d = editDistance(name.toLowerCase(), k.toLowerCase())
    if (d < bestDistance) [best, bestDistance] = [k, d]
  }
  return best
}

function editDistance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const next = [i]
    for (let j = 1; j <= b.length; j++) next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1))
    row = next
  }
  return row[b.length]!
}
