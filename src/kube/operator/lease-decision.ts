/**
 * Leader election over one Kubernetes Lease (coordination.k8s.io/v1), the rules client-go's
 * leaderelection follows, as a pure function of what a candidate has seen: src/kube/operator/leader-elector.ts
 * runs it in a loop against the API server.
 *   1. No Lease yet: create it, holding it (a create that finds one made meanwhile fails: try again).
 *   2. The Lease names me: renew it (renewTime now), keeping acquireTime and leaseTransitions.
 *   3. It names another holder, and this candidate saw its record change less than
 *      leaseDurationSeconds ago BY ITS OWN CLOCK: wait. Expiry is never read from renewTime, which the
 *      holder wrote with its clock: clocks of two nodes may disagree, time since a change seen here
 *      may not.
 *   4. It names nobody (released), or its record has not changed for leaseDurationSeconds: take it
 *      over (acquireTime now, leaseTransitions + 1).
 *   5. Every write carries the resourceVersion read: a 409 Conflict means somebody else wrote first,
 *      and nothing is assumed won.
 *   6. A holder that has not renewed for `renewDeadlineMs` (shorter than the lease) stops leading,
 *      so it has stopped before any other candidate may take over.
 *   7. A holder stopping gracefully releases the Lease: holder cleared, a 1 s duration, so the next
 *      candidate takes over at its next try instead of after the whole lease.
 */

/** The Lease's spec as the election reads and writes it; times in milliseconds since the epoch. */
export interface LeaseRecord {
  /** '' when released. */
  holderIdentity: string
  leaseDurationSeconds: number
  acquireTime: number
  renewTime: number
  leaseTransitions: number
}

/** A Lease as read: its record and resourceVersion. */
export interface LeaseView {
  record: LeaseRecord
  version: string
}

/** What one candidate knows of the Lease: the last record it read, and when (its clock) that record first showed. */
export interface LeaseObservation extends LeaseView {
  observedAt: number
}

/** client-go's defaults (LeaseDuration 15 s, RenewDeadline 10 s, RetryPeriod 2 s). */
export interface LeaderElectionTimings {
  /** How long a holder's record must stay unchanged before another candidate takes the Lease over. */
  leaseDurationMs: number
  /** A holder that could not renew for this long stops leading (rule 6); less than leaseDurationMs. */
  renewDeadlineMs: number
  /** How often a candidate tries to acquire, and a holder to renew. */
  retryPeriodMs: number
}

export const DEFAULT_TIMINGS: LeaderElectionTimings = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 }

export type LeaseDecision =
  | { action: 'create'; record: LeaseRecord }
  | { action: 'renew' | 'acquire'; record: LeaseRecord; version: string }
  | { action: 'wait'; holder: string; expiresAt: number }

/** The new observation after reading `current`: `observedAt` moves only when the record changed. */
export function observe(previous: LeaseObservation | undefined, current: LeaseView | undefined, now: number): LeaseObservation | undefined {
  if (current === undefined) return undefined
  const same = previous !== undefined && sameRecord(previous.record, current.record)
  return { ...current, observedAt: same ? previous.observedAt : now }
}

/** Rules 1-4: what candidate `me` does now, having observed `observed` (undefined: no Lease). */
export function decide(observed: LeaseObservation | undefined, me: string, now: number, timings: LeaderElectionTimings = DEFAULT_TIMINGS): LeaseDecision {
  const leaseDurationSeconds = Math.ceil(timings.leaseDurationMs / 1000)
  if (observed === undefined) {
    return { action: 'create', record: { holderIdentity: me, leaseDurationSeconds, acquireTime: now, renewTime: now, leaseTransitions: 0 } }
  }
  const held = observed.record
  if (held.holderIdentity === me) {
    return { action: 'renew', version: observed.version, record: { ...held, leaseDurationSeconds, renewTime: now } }
  }
  const expiresAt = observed.observedAt + held.leaseDurationSeconds * 1000
  if (held.holderIdentity !== '' && now < expiresAt) return { action: 'wait', holder: held.holderIdentity, expiresAt }
  return {
    action: 'acquire',
    version: observed.version,
    record: { holderIdentity: me, leaseDurationSeconds, acquireTime: now, renewTime: now, leaseTransitions: held.leaseTransitions + 1 },
  }
}

/** Rule 6: whether a holder whose last successful renew started at `lastRenewAt` still leads at `now`. */
export function stillLeading(lastRenewAt: number, now: number, timings: LeaderElectionTimings = DEFAULT_TIMINGS): boolean {
  return now - lastRenewAt < timings.renewDeadlineMs
}

/** Rule 7: the record that releases a Lease `me` holds; undefined when another holds it. */
export function released(observed: LeaseView, me: string, now: number): LeaseRecord | undefined {
  if (observed.record.holderIdentity !== me) return undefined
  return { holderIdentity: '', leaseDurationSeconds: 1, acquireTime: now, renewTime: now, leaseTransitions: observed.record.leaseTransitions }
}

function sameRecord(a: LeaseRecord, b: LeaseRecord): boolean {
  return (
    a.holderIdentity === b.holderIdentity &&
    a.leaseDurationSeconds === b.leaseDurationSeconds &&
    a.acquireTime === b.acquireTime &&
    a.renewTime === b.renewTime &&
    a.leaseTransitions === b.leaseTransitions
  )
}
