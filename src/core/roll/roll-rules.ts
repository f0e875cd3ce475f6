import { canStop, type RestartCheck, type RestartOptions } from '../health/restart-check.ts'
import type { ClusterSnapshot, PartitionState, QuorumMember } from '../health/snapshot.ts'
import { caughtUp, caughtUpSince } from '../health/quorum.ts'
import { replicaBehind } from '../health/readiness.ts'

/**
 * The rules of a rolling restart, pure: which nodes to restart next, in which order and how many at
 * once, when a restarted node is back, and which leaders to give back. The roller
 * (src/operations/roller.ts) asks them again before every step, on a fresh snapshot.
 */

/** Why a node must restart: what it runs differs from what is wanted, or someone asked. */
export type RestartReasonKind = 'config' | 'image' | 'version' | 'certificates' | 'manual'

export interface RestartReason {
  kind: RestartReasonKind
  /** Said to the user (status, Kubernetes Events): e.g. "config hash 3f2a -> 9c1b". */
  detail: string
}

export type NodeRole = 'broker' | 'controller'

/** A node of the cluster as the roller sees it: what it is, where it runs, why it must restart. */
export interface RollNode {
  id: number
  /** KRaft process roles: a broker, a controller, or both (combined mode). */
  roles: readonly NodeRole[]
  /** Failure-domain labels (`{cluster: 'k8s-1', zone: 'a'}`). */
  labels: Readonly<Record<string, string>>
  /** Empty when the node runs what is wanted and nobody asked for its restart. */
  reasons: readonly RestartReason[]
}

export interface BatchOptions extends RestartOptions {
  /** At most this many nodes restart together (default 1: one at a time). */
  maxBatch?: number
  /**
   * The dimensions whose labels every node of a batch shares (default: every dimension of the nodes'
   * labels, so a batch lies within one cell, e.g. one zone of one Kubernetes cluster). `[]` lets a batch
   * span domains; it is still bound by the restart check.
   */
  batchWithin?: readonly string[]
}

/** The largest batch the roller accepts, whatever the restart check says. */
export const MAX_BATCH = 32

/**
 * Is the node up? A broker: registered and unfenced. A controller only: a voter caught up with the
 * quorum leader within `quorumLagMs` (or the leader itself), and, given `since` (when it was started
 * again, ms since epoch), caught up after it (see caughtUpSince).
 */
export function nodeUp(snapshot: ClusterSnapshot, node: Pick<RollNode, 'id' | 'roles'>, options: RestartOptions = {}, since?: number): boolean {
  if (node.roles.includes('broker')) return snapshot.brokers.some((b) => b.id === node.id)
  const quorum = snapshot.quorum
  const voter = quorum?.voters.find((v) => v.id === node.id)
  return quorum !== undefined && (quorum.leaderId === node.id || (voter !== undefined && voterCaughtUp(snapshot, voter, options, since)))
}

function voterCaughtUp(snapshot: ClusterSnapshot, voter: QuorumMember, options: RestartOptions, since: number | undefined): boolean {
  const quorum = snapshot.quorum!
  return since === undefined ? caughtUp(quorum, voter, options.quorumLagMs) : caughtUpSince(quorum, voter, since, options.quorumLagMs)
}

/**
 * The order nodes restart in, after Strimzi's KafkaRoller and Wise's practice:
 *   1. nodes that are down first (restarting them risks nothing and may be the cure);
 *   2. broker-only nodes before controllers (the quorum is disturbed as little and as late as possible);
 *   3. the active controller last (each restart of it is an election);
 *   4. then by id, so that the order is the same on every run and a resumed roll goes on where it was.
 */
export function rollOrder(snapshot: ClusterSnapshot, nodes: readonly RollNode[], options: RestartOptions = {}): RollNode[] {
  const active = snapshot.quorum?.leaderId
  const rank = (n: RollNode) => [nodeUp(snapshot, n, options) ? 1 : 0, n.id === active ? 2 : n.roles.includes('controller') ? 1 : 0, n.id]
  return [...nodes].sort((a, b) => {
    const ra = rank(a)
    const rb = rank(b)
    for (let i = 0; i < ra.length; i++) if (ra[i] !== rb[i]) return ra[i]! - rb[i]!
    return 0
  })
}

export type RollStep =
  /**
   * Restart these nodes together now; the restart check passed for all of them at once. `passedOver`:
   * the nodes before them in roll order that may not stop now, and why (tried again at the next step);
   * `down`: those of them that are down (rule 1 of `rollOrder` put them first).
   */
  | { kind: 'restart'; nodes: RollNode[]; check: RestartCheck; passedOver: { id: number; blockers: string[] }[]; down: number[] }
  /** Nothing may restart now: each waiting node with what keeps it (first in roll order first). */
  | { kind: 'blocked'; waiting: { id: number; blockers: string[] }[] }
  | { kind: 'done' }

/**
 * The next batch of a roll, on the live assignment (never on labels alone):
 *   1. The nodes with a reason to restart, in `rollOrder`.
 *   2. The first of them that may stop now (`canStop`) opens the batch. One that may not is passed
 *      over, and the next is tried, so that a broker held back by one slow partition does not hold
 *      back the whole cluster; the active controller is tried only when it is the last node left.
 *   3. The batch grows, in order, by nodes that share its labels on `batchWithin`, while it is under
 *      `maxBatch` and the restart check passes for the whole batch at once (every partition keeps
 *      min.insync.replicas without all of them; the quorum keeps a caught-up majority). Brokers come
 *      first in that order, so a standby controller joins only when the brokers of its failure domain
 *      that may go are in and there is room left: a batch is then what losing that part of the domain
 *      would take, and the quorum check keeps the controllers left a majority (with three voters, at
 *      most one controller is ever down). The active controller never joins a batch: it restarts
 *      alone, last. With `maxBatch` 1 (the default) every node restarts alone, in `rollOrder`.
 *   4. None may stop: `blocked`, with each node's blockers.
 */
export function nextBatch(snapshot: ClusterSnapshot, nodes: readonly RollNode[], options: BatchOptions = {}): RollStep {
  const pending = rollOrder(
    snapshot,
    nodes.filter((n) => n.reasons.length > 0),
    options,
  )
  if (pending.length === 0) return { kind: 'done' }
  const maxBatch = Math.min(MAX_BATCH, Math.max(1, options.maxBatch ?? 1))
  const active = snapshot.quorum?.leaderId
  const within = options.batchWithin ?? [...new Set(nodes.flatMap((n) => Object.keys(n.labels)))]
  const waiting: { id: number; blockers: string[] }[] = []
  const openers = pending.length > 1 ? pending.filter((n) => n.id !== active) : pending
  for (const first of openers) {
    const alone = canStop(snapshot, [first.id], options)
    if (!alone.ok) {
      waiting.push({ id: first.id, blockers: alone.blockers })
      continue
    }
    const batch = [first]
    let check = alone
    for (const next of pending) {
      if (batch.length >= maxBatch) break
      if (batch.includes(next) || next.id === active || !within.every((d) => next.labels[d] === first.labels[d])) continue
      const together = canStop(snapshot, [...batch, next].map((n) => n.id), options)
      if (together.ok) {
        batch.push(next)
        check = together
      }
    }
    return { kind: 'restart', nodes: batch, check, passedOver: waiting, down: batch.filter((n) => !nodeUp(snapshot, n, options)).map((n) => n.id) }
  }
  if (openers.length < pending.length) waiting.push({ id: active!, blockers: [`controller ${active} is the active controller: it restarts last`] })
  return { kind: 'blocked', waiting }
}

/** Where a restarted node is on its way back. */
export type ReturnState =
  | { kind: 'down'; reason: string }
  /** Up, not yet in the ISR of `behind` partitions (or a controller not caught up with the quorum). */
  | { kind: 'catching-up'; behind: number; reason: string }
  | { kind: 'back' }

/**
 * Is a restarted node back? Up (`nodeUp`), in the ISR of every partition it hosts that is not being
 * reassigned, and as a voter caught up with the quorum leader, after `since` when given (the moment
 * it was started again: a voter's catch-up time from before its restart is the old process's). A
 * partition whose every replica is out of sync (offline) does not wait on this node alone, so it does
 * not count against it.
 */
export function returnState(snapshot: ClusterSnapshot, node: Pick<RollNode, 'id' | 'roles'>, options: RestartOptions = {}, since?: number): ReturnState {
  if (!nodeUp(snapshot, node, options, since)) {
    const fenced = snapshot.fencedBrokers?.some((b) => b.id === node.id)
    return { kind: 'down', reason: node.roles.includes('broker') ? `broker ${node.id} is ${fenced ? 'registered but fenced (catching up on cluster metadata)' : 'not registered yet'}` : `controller ${node.id} has not caught up with the quorum leader` }
  }
  const behind = node.roles.includes('broker') ? partitionsBehind(snapshot, node.id) : []
  if (behind.length > 0) {
    const e = behind[0]!
    return { kind: 'catching-up', behind: behind.length, reason: `broker ${node.id} is not yet in the ISR of ${behind.length} partition${behind.length > 1 ? 's' : ''} (e.g. ${e.topic}-${e.partition})` }
  }
  const quorum = snapshot.quorum
  const voter = quorum?.voters.find((v) => v.id === node.id)
  if (quorum && voter && !voterCaughtUp(snapshot, voter, options, since)) {
    return { kind: 'catching-up', behind: 0, reason: `controller ${node.id} has not caught up with the quorum leader ${quorum.leaderId}` }
  }
  return { kind: 'back' }
}

/** The partitions broker `id` hosts, not being reassigned, with a leader, whose ISR it is not in. */
export function partitionsBehind(snapshot: ClusterSnapshot, id: number): PartitionState[] {
  return snapshot.partitions.filter((p) => p.leader >= 0 && replicaBehind(p, id))
}

/**
 * The partitions whose preferred leader (first replica) is one of `ids`, in sync, and not leading: the
 * leadership a restart took away, to give back before the next batch (so that a roll does not end with
 * the load piled on the brokers restarted first).
 */
export function leadersToRestore(snapshot: ClusterSnapshot, ids: readonly number[]): PartitionState[] {
  const set = new Set(ids)
  return snapshot.partitions.filter((p) => {
    const preferred = p.replicas[0]
    return preferred !== undefined && set.has(preferred) && p.leader !== preferred && p.isr.includes(preferred)
  })
}
