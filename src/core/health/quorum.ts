import type { QuorumMember, QuorumState } from './snapshot.ts'

/** How far behind the quorum leader a voter may have last caught up and still count as caught up. */
export const DEFAULT_QUORUM_LAG_MS = 10_000

/**
 * The one "caught up" rule of the controller quorum (readiness, the restart check, the verdict, the
 * roller): a member is caught up when it leads, or caught up with the leader within `lagMs`.
 */
export function caughtUp(quorum: QuorumState, member: QuorumMember, lagMs = DEFAULT_QUORUM_LAG_MS): boolean {
  return member.id === quorum.leaderId || (member.caughtUpAgoMs !== undefined && member.caughtUpAgoMs <= lagMs)
}

/**
 * Caught up, and after `since` (ms since epoch): a controller
 * restarted at `since` is back only once it caught up after it. The leader keeps a stopped voter's
 * last catch-up time, which stays within `lagMs` for a while after the old process stopped and says
 * nothing of the new one.
 */
export function caughtUpSince(quorum: QuorumState, member: QuorumMember, since: number, lagMs = DEFAULT_QUORUM_LAG_MS): boolean {
  if (member.id === quorum.leaderId) return true
  return caughtUp(quorum, member, lagMs) && member.caughtUpAgoMs !== undefined && quorum.describedAt - member.caughtUpAgoMs >= since
}
