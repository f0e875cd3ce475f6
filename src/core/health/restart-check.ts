import { pushTo } from '../collections.ts'
import type { ClusterSnapshot, PartitionState } from './snapshot.ts'
import { caughtUp } from './quorum.ts'

/**
 * Can these brokers go down together right now? The rules, after Strimzi's KafkaRoller canRoll and
 * Wise's readiness checks:
 *
 *   1. For every partition that has one of the brokers in its ISR: the ISR left must stay at or above
 *      the topic's min.insync.replicas, or acks=all writes to it would fail. A broker outside a
 *      partition's ISR changes nothing for it (already down, or catching up).
 *   2. A partition whose RF is at or below its min.insync.replicas cannot keep acks=all writes through
 *      any restart: it is reported as a warning, never a blocker (it would block forever).
 *   3. The controller quorum must keep a caught-up majority: voters that are not going down and caught
 *      up with the leader within `quorumLagMs` must be more than half of all voters.
 *
 * Blockers name the topic, how many partitions, what their ISR would drop to and an example, so that a
 * person knows what to fix first.
 */
export interface RestartCheck {
  brokerIds: readonly number[]
  ok: boolean
  blockers: string[]
  warnings: string[]
  /** What the blockers say, by kind: partitions per topic that would drop below min.insync.replicas. */
  blockingPartitions: { topic: string; partitions: number }[]
  /** True when the controller quorum would lose its caught-up majority (a blocker). */
  quorumBlocks: boolean
}

export interface RestartOptions {
  /** A voter caught up within this many milliseconds counts as caught up (default 10 s). */
  quorumLagMs?: number
}

export function canStop(snapshot: ClusterSnapshot, ids: readonly number[], options: RestartOptions = {}): RestartCheck {
  const down = new Set(ids)
  const blockedByTopic = new Map<string, PartitionState[]>()
  const tightByTopic = new Map<string, number>()
  for (const p of snapshot.partitions) {
    let left = 0
    for (const b of p.isr) if (!down.has(b)) left++
    if (left === p.isr.length) continue // none of the brokers is in its ISR
    if (p.replicas.length <= p.minInsync) {
      tightByTopic.set(p.topic, (tightByTopic.get(p.topic) ?? 0) + 1)
      continue
    }
    if (left < p.minInsync) pushTo(blockedByTopic, p.topic, p)
  }
  const who = ids.length === 1 ? `broker ${ids[0]}` : `brokers ${ids.join(', ')}`
  const blockers = [...blockedByTopic].map(([topic, ps]) => {
    const p = ps[0]!
    const left = p.isr.filter((b) => !down.has(b)).length
    return `${ps.length} partition${ps.length > 1 ? 's' : ''} of ${topic} would drop below min.insync.replicas ${p.minInsync} without ${who} (e.g. ${topic}-${p.partition}: ISR ${p.isr.join(',')} -> ${left} replica${left === 1 ? '' : 's'})`
  })
  const warnings = [...tightByTopic].map(
    ([topic, n]) => `${n} partition${n > 1 ? 's' : ''} of ${topic} have RF <= min.insync.replicas: acks=all writes to them pause while ${who} restart${ids.length > 1 ? '' : 's'}`,
  )
  const quorum = snapshot.quorum
  let quorumBlocks = false
  if (quorum === undefined) {
    warnings.push('the controller quorum is unknown (DescribeQuorum failed): its majority was not checked')
  } else if (quorum.voters.some((v) => down.has(v.id))) {
    const staying = quorum.voters.filter((v) => !down.has(v.id) && caughtUp(quorum, v, options.quorumLagMs))
    const majority = Math.floor(quorum.voters.length / 2) + 1
    if (staying.length < majority) {
      quorumBlocks = true
      blockers.push(
        `the controller quorum would keep ${staying.length} caught-up voter${staying.length === 1 ? '' : 's'} of ${quorum.voters.length} without ${who}; a majority needs ${majority}`,
      )
    }
  }
  const blockingPartitions = [...blockedByTopic].map(([topic, ps]) => ({ topic, partitions: ps.length }))
  return { brokerIds: [...ids], ok: blockers.length === 0, blockers, warnings, blockingPartitions, quorumBlocks }
}

/**
 * For every domain of every dimension: could all its brokers go down together right now? (Used to
 * restart brokers a whole zone at a time.) `labels` gives each broker's failure-domain labels.
 */
export function domainsThatCanStop(
  snapshot: ClusterSnapshot,
  dimensions: readonly string[],
  labels: ReadonlyMap<number, Readonly<Record<string, string>>>,
  options: RestartOptions = {},
): { dimension: string; domain: string; check: RestartCheck }[] {
  const out: { dimension: string; domain: string; check: RestartCheck }[] = []
  for (const dimension of dimensions) {
    const domains = new Map<string, number[]>()
    for (const [id, l] of labels) {
      const value = l[dimension]
      if (value !== undefined) pushTo(domains, value, id)
    }
    for (const [domain, ids] of [...domains].sort(([a], [b]) => a.localeCompare(b))) {
      out.push({ dimension, domain, check: canStop(snapshot, ids.sort((a, b) => a - b), options) })
    }
  }
  return out
}
