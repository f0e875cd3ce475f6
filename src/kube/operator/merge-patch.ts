/**
 * A JSON merge patch (RFC 7386) that turns `current` into exactly `wanted`: a merge patch merges nested
 * objects key by key, so a key `wanted` no longer has, at any depth, must be sent as null or it stays
 * (status.roll's `current` batch lingered after the roll had dropped it). Arrays and scalars replace.
 * Only what differs is sent: a field another writer owns (status.roll, written by the roll workers) and
 * carried unchanged is left out, so that a patch made from an older read never puts it back.
 */
export function mergePatchTo(current: unknown, wanted: Record<string, unknown>): Record<string, unknown> {
  const patch: Record<string, unknown> = {}
  const old = isObject(current) ? current : {}
  for (const key of Object.keys(old)) if (!(key in wanted)) patch[key] = null
  for (const [key, value] of Object.entries(wanted)) {
    if (isObject(value) && isObject(old[key])) {
      const nested = mergePatchTo(old[key], value)
      if (Object.keys(nested).length > 0) patch[key] = nested
    } else if (!(key in old) || JSON.stringify(old[key]) !== JSON.stringify(value)) {
      patch[key] = value
    }
  }
  return patch
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
