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
