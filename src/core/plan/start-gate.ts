import { failing, partitionHealth } from '../health/partition-health.ts'
import type { PartitionState } from '../health/snapshot.ts'
import { partitionKey } from '../placement/model.ts'
import { addedReplicas, removedReplicas, touchedBrokers, type Move } from './moves.ts'

/** Why a pending move may not start now. `waitsFor` names the brokers it needs back. */
export interface HeldMove {
  move: Move
  reason: string
  waitsFor: number[]
}

export interface GateResult {
  /** Moves that may start, with their old replicas as the cluster has them now. */
  eligible: Move[]
  held: HeldMove[]
}

/**
 * The executor's start gate (pure): which pending moves may start now. In order, the first rule that
 * holds a move back is its reason:
 *
 *   1. Someone else is moving its partition (a reassignment the plan did not send).
 *   2. Its partition is offline: there is no leader to copy from.
 *   3. Its new replica set names a broker that is not registered (dead, fenced, or not started yet):
 *      Kafka completes a reassignment only when every target replica is in the ISR, so it would wait
 *      for that broker. It waits for the broker (`waitsFor`); moves that do not need it go on.
 *   4. Its partition is failing (offline, or under min.insync.replicas because replicas fell out of its
 *      ISR), or a broker it touches hosts a failing partition, unless the move is a remedy: it adds
 *      replicas and removes none that is registered and in the ISR, so it can only raise the ISR (what
 *      re-replicates off a dead broker, or raises a replication factor). A partition under
 *      min.insync.replicas only because its replication factor is below it is not failing: its move is
 *      what the plan exists for, and it is never held back (see `underMinIsrByReplicationFactor`).
 *
 * `partitions` is the cluster now, by `topic-partition`; `moving` the partitions being reassigned now;
 * `started` the partitions whose move this plan sent (so their reassignment is not someone else's).
 */
export function gateMoves(
  pending: readonly Move[],
  partitions: ReadonlyMap<string, PartitionState>,
  registered: ReadonlySet<number>,
  moving: ReadonlySet<string>,
): GateResult {
  const failingPartitions = [...partitions.values()].filter(failing)
  const strained = new Map<number, PartitionState>()
  for (const p of failingPartitions) for (const b of p.replicas) if (!strained.has(b)) strained.set(b, p)
  const eligible: Move[] = []
  const held: HeldMove[] = []
  for (const m of pending) {
    const key = partitionKey(m)
    const p = partitions.get(key)
    if (p === undefined) continue
    const now = { oldReplicas: p.replicas, newReplicas: m.newReplicas }
    const hold = (reason: string, waitsFor: number[] = []) => held.push({ move: m, reason, waitsFor })
    const absent = m.newReplicas.filter((b) => !registered.has(b))
    const remedy = addedReplicas(now).length > 0 && removedReplicas(now).every((b) => !registered.has(b) || !p.isr.includes(b))
    const strainedBy = touchedBrokers(now).map((b) => strained.get(b)).find((x) => x !== undefined)
    if (moving.has(key)) hold(`${key} is being moved by someone else`)
    else if (partitionHealth(p) === 'offline') hold(`${key} is offline (no leader to copy from)`)
    else if (absent.length > 0) hold(`${key} waits for broker ${absent.join(', ')} (not registered): its new replicas include it`, absent)
    else if (!remedy && failing(p)) hold(`${key} is ${partitionHealth(p)} (out of sync: broker ${p.replicas.filter((b) => !p.isr.includes(b)).join(', ')})`)
    else if (!remedy && strainedBy !== undefined) hold(`a broker it touches hosts ${partitionKey(strainedBy)}, which is ${partitionHealth(strainedBy)}`)
    else eligible.push({ ...m, oldReplicas: [...p.replicas] })
  }
  return { eligible, held }
}

/**
 * The brokers every move left waits for, or undefined while any move may go on: nothing passed the gate,
 * every move held back waits for brokers that are not registered (rule 3 of `gateMoves`), and so does
 * every move in flight (Kafka finishes it only once its new replicas are in the ISR). The executor
 * waits for them within a limit, then stops the plan, to be continued once they are back.
 */
export function waitsOnlyForAbsentBrokers(gate: GateResult, inFlight: readonly Move[], registered: ReadonlySet<number>): number[] | undefined {
  const absent = (m: Move) => m.newReplicas.filter((b) => !registered.has(b))
  if (gate.eligible.length > 0 || !gate.held.every((h) => h.waitsFor.length > 0) || !inFlight.every((m) => absent(m).length > 0)) return undefined
  return [...new Set([...gate.held.flatMap((h) => h.waitsFor), ...inFlight.flatMap(absent)])].sort((a, b) => a - b)
}

/**
 * One line for people about the moves held back: how many, and the reasons, brokers waited for first
 * ("3 move(s) held back: 2 wait for broker 3 (not registered); t-4 is under-min-isr ...").
 */
export function heldLine(held: readonly HeldMove[]): string {
  const waits = new Map<number, number>()
  for (const h of held) for (const b of h.waitsFor) waits.set(b, (waits.get(b) ?? 0) + 1)
  const waiting = [...waits].sort(([a], [b]) => a - b).map(([b, n]) => `${n} wait for broker ${b} (not registered)`)
  const others = [...new Set(held.filter((h) => h.waitsFor.length === 0).map((h) => h.reason))]
  return `${held.length} move(s) held back: ${[...waiting, ...others.slice(0, 3)].join('; ')}${others.length > 3 ? '; ...' : ''}`
}
