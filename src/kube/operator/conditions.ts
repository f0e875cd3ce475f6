/** A status condition, the shape of metav1.Condition (the CRDs' CONDITIONS_SCHEMA). */
export interface Condition {
  type: string
  status: 'True' | 'False' | 'Unknown'
  reason: string
  message: string
  observedGeneration?: number
  lastTransitionTime: string
}

/**
 * Where a resource stands after a reconcile, as the three conditions every kafkaplane resource carries:
 *   ready        Ready=True                       (everything in the spec is in place and healthy)
 *   reconciling  Ready=False, Reconciling=True    (work under way or waiting on something that will come:
 *                                                  pods starting, a replication-factor change moving data)
 *   degraded     Ready=False, Degraded=True       (cannot go on without a person: a bad spec, an
 *                                                  unreachable cluster; the message names what to do)
 * `reason` is a CamelCase word (`BrokersNotReady`), `message` a sentence a person can act on.
 */
export interface Standing {
  state: 'ready' | 'reconciling' | 'degraded'
  reason: string
  message: string
}

export const CONDITION_TYPES = ['Ready', 'Reconciling', 'Degraded'] as const

/** The three conditions of a standing, for the resource's `generation`. */
export function standingConditions(standing: Standing, generation: number | undefined): Omit<Condition, 'lastTransitionTime'>[] {
  const { state, reason, message } = standing
  const at = generation === undefined ? {} : { observedGeneration: generation }
  return [
    { type: 'Ready', status: state === 'ready' ? 'True' : 'False', reason, message, ...at },
    { type: 'Reconciling', status: state === 'reconciling' ? 'True' : 'False', reason: state === 'reconciling' ? reason : 'Idle', message: state === 'reconciling' ? message : '', ...at },
    { type: 'Degraded', status: state === 'degraded' ? 'True' : 'False', reason: state === 'degraded' ? reason : 'AsExpected', message: state === 'degraded' ? message : '', ...at },
  ]
}

/**
 * The new condition list: `next` in place of the conditions of the same type, each keeping its previous
 * `lastTransitionTime` when its status did not change (`now` otherwise); conditions of other types kept.
 */
export function mergeConditions(previous: readonly Condition[] | undefined, next: readonly Omit<Condition, 'lastTransitionTime'>[], now: string): Condition[] {
  const old = new Map((previous ?? []).map((c) => [c.type, c]))
  const merged = next.map((c): Condition => {
    const before = old.get(c.type)
    return { ...c, lastTransitionTime: before && before.status === c.status ? before.lastTransitionTime : now }
  })
  const types = new Set(next.map((c) => c.type))
  return [...merged, ...(previous ?? []).filter((c) => !types.has(c.type))]
}

/** True when two statuses differ in anything but the conditions' transition times (skip a no-op write). */
export function statusChanged(before: unknown, after: unknown): boolean {
  return JSON.stringify(withoutTimes(before)) !== JSON.stringify(withoutTimes(after))
}

function withoutTimes(status: unknown): unknown {
  if (status === null || typeof status !== 'object') return status
  const record = status as Record<string, unknown>
  const conditions = Array.isArray(record.conditions)
    ? (record.conditions as Condition[]).map(({ lastTransitionTime: _, ...rest }) => rest).sort((a, b) => a.type.localeCompare(b.type))
    : record.conditions
  return sortKeys({ ...record, conditions })
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys)
  if (value === null || typeof value !== 'object') return value
  return Object.fromEntries(Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, sortKeys(v)]))
}
