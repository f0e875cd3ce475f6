import type { KafkaClusterSpec } from '../crds/kafka-cluster.ts'

/** Brokers of one Kubernetes cluster of a KafkaCluster (its StatefulSet's replicas). */
export interface ClusterCount {
  cluster: string
  brokers: number
}

/**
 * Where a scale of a KafkaCluster is (status.scale, src/kube/operator/scale-workers.ts):
 *   waiting           not started: another change (a rolling restart) runs; looked at again later
 *   starting-brokers  the StatefulSets grew; waiting for the new brokers to register, unfenced
 *   moving            a plan moves replicas onto the new brokers and off the leaving ones
 *   removing-pods     the leaving brokers hold no replica: the StatefulSets shrink, their pods go
 *   unregistering     their pods are gone: their registrations are removed from KRaft
 *   finished          done
 *   refused           not done, and nothing was changed: `message` says why and the fix
 */
export type ScalePhase = 'waiting' | 'starting-brokers' | 'moving' | 'removing-pods' | 'unregistering' | 'finished' | 'refused'

/** The phases of a scale under way: it holds the KafkaCluster (no other scale or roll starts) until it ends. */
export const ACTIVE_PHASES: readonly ScalePhase[] = ['starting-brokers', 'moving', 'removing-pods', 'unregistering']

export interface ScaleStatus {
  scaleId: string
  /** The KafkaCluster's metadata.generation the scale was decided on. */
  generation: number
  startedAt: string
  from: ClusterCount[]
  to: ClusterCount[]
  /** Broker ids joining (the new StatefulSet ordinals). */
  adding: number[]
  /** Broker ids leaving: the highest ordinals of each StatefulSet that shrinks. */
  removing: number[]
  phase: ScalePhase
  /** What it does or waits for now (a refusal: why, and the fix). */
  message: string
  /** Refused: the kind of refusal (ControllerRemoved, BelowReplicationFactor, LessSurvivable, ...). */
  reason?: string
  /** The plan that moves the data (src/operations/plan-runner.ts), once made. */
  planId?: string
  moves?: number
  moved?: number
  /** The last problem met (a request that failed): the scale goes on from its phase on a later reconcile. */
  problem?: string
  /**
   * Whether Kafka's own placement leaves the leaving brokers out (KIP-1066 cordoning, from
   * metadata.version 4.3-IV0 on), or why not; set once their drain starts.
   */
  cordon?: string
  finishedAt?: string
}

/** The change a spec asks for against the StatefulSets as they are. */
export interface ScaleChange {
  from: ClusterCount[]
  to: ClusterCount[]
  adding: number[]
  removing: number[]
}

export function isActive(scale: ScaleStatus | undefined): boolean {
  return scale !== undefined && ACTIVE_PHASES.includes(scale.phase)
}

/**
 * Who joins and who leaves when the spec's broker counts differ from the StatefulSets' replicas
 * (`current`: undefined for a StatefulSet that does not exist). A StatefulSet grows at its end and
 * shrinks from its end, so the brokers joining are the new highest ordinals and the ones leaving are
 * the highest ordinals now. No StatefulSet at all is a new KafkaCluster, not a scale (undefined);
 * a Kubernetes cluster new to the spec brings all its brokers in. Undefined when nothing changes.
 */
export function scaleChange(spec: KafkaClusterSpec, current: ReadonlyMap<string, number | undefined>): ScaleChange | undefined {
  if (![...current.values()].some((n) => n !== undefined)) return undefined
  const from: ClusterCount[] = []
  const to: ClusterCount[] = []
  const adding: number[] = []
  const removing: number[] = []
  for (const c of spec.topology.clusters) {
    const now = current.get(c.name) ?? 0
    const wanted = c.brokerIds.count
    from.push({ cluster: c.name, brokers: now })
    to.push({ cluster: c.name, brokers: wanted })
    for (let i = now; i < wanted; i++) adding.push(c.brokerIds.first + i)
    for (let i = wanted; i < now; i++) removing.push(c.brokerIds.first + i)
  }
  if (adding.length === 0 && removing.length === 0) return undefined
  return { from, to, adding, removing }
}

/**
 * A refusal the spec alone decides: the KRaft controllers form a static quorum
 * (controller.quorum.voters) that cannot change under a running cluster, so a scale that would remove
 * one is refused. Undefined when none is removed.
 */
export function controllerRefusal(change: ScaleChange, controllers: readonly number[]): { message: string; fix: string } | undefined {
  const lost = change.removing.filter((id) => controllers.includes(id))
  if (lost.length === 0) return undefined
  return {
    message: `scaling down would remove broker ${lost.join(', ')}, a KRaft controller (the controllers ${controllers.join(', ')} are a static quorum that cannot change under a running cluster)`,
    fix: `keep spec.topology.clusters[].brokerIds.count high enough to keep broker ${lost.join(', ')} (a StatefulSet shrinks from its highest ordinal), and remove other brokers instead`,
  }
}

/**
 * The replicas each StatefulSet gets now (what the operator renders):
 *   - no scale, or one finished: the spec's counts;
 *   - a scale under way: the larger of its from and to for each Kubernetes cluster (new brokers start
 *     at once, leaving ones stay until drained), and its `to` once the leaving brokers hold no replica
 *     (removing-pods, unregistering);
 *   - a scale waiting or refused: the StatefulSets keep their size (nothing changes);
 * a Kubernetes cluster the scale does not name (the spec changed meanwhile) keeps its size.
 */
export function renderedCounts(spec: KafkaClusterSpec, current: ReadonlyMap<string, number | undefined>, scale: ScaleStatus | undefined): Map<string, number> {
  const counts = new Map<string, number>()
  const held = scale !== undefined && (scale.phase === 'waiting' || scale.phase === 'refused' || isActive(scale))
  for (const c of spec.topology.clusters) {
    const now = current.get(c.name)
    if (!held || scale === undefined) counts.set(c.name, c.brokerIds.count)
    else if (!isActive(scale)) counts.set(c.name, now ?? c.brokerIds.count)
    else {
      const from = scale.from.find((f) => f.cluster === c.name)?.brokers
      const to = scale.to.find((t) => t.cluster === c.name)?.brokers
      if (from === undefined || to === undefined) counts.set(c.name, now ?? c.brokerIds.count)
      else counts.set(c.name, scale.phase === 'removing-pods' || scale.phase === 'unregistering' ? to : Math.max(from, to))
    }
  }
  return counts
}

/** The spec with each Kubernetes cluster's broker count replaced by `counts` (to render and plan with). */
export function withCounts(spec: KafkaClusterSpec, counts: ReadonlyMap<string, number>): KafkaClusterSpec {
  return {
    ...spec,
    topology: { ...spec.topology, clusters: spec.topology.clusters.map((c) => ({ ...c, brokerIds: { ...c.brokerIds, count: counts.get(c.name) ?? c.brokerIds.count } })) },
  }
}

/**
 * Whether the leaving brokers' pods may go: only when no partition has a replica on any of them
 * (a reassignment in flight lists its new replicas too). Else how many partitions still do, and one.
 */
export function mayRemovePods(partitions: readonly { topic: string; partition: number; replicas: readonly number[] }[], removing: readonly number[]): { ok: true } | { ok: false; holding: number; example: string } {
  const holding = partitions.filter((p) => p.replicas.some((id) => removing.includes(id)))
  if (holding.length === 0) return { ok: true }
  const first = holding[0]!
  return { ok: false, holding: holding.length, example: `${first.topic}-${first.partition} [${first.replicas.join(',')}]` }
}

/**
 * The brokers a scale under way takes away. From the moment it starts until they are unregistered they
 * take no new replica from kafkaplane's own placements (the self-healer's, a KafkaTopic's), so that a
 * drained broker stays empty; none when no scale is under way.
 */
export function leavingBrokers(scale: ScaleStatus | undefined): readonly number[] {
  return scale !== undefined && isActive(scale) ? scale.removing : []
}

/** The brokers whose pods a render with `counts` takes away, per Kubernetes cluster (the highest ordinals). */
export function shrinking(spec: KafkaClusterSpec, counts: ReadonlyMap<string, number>, current: ReadonlyMap<string, number | undefined>): Map<string, number[]> {
  const out = new Map<string, number[]>()
  for (const c of spec.topology.clusters) {
    const now = current.get(c.name)
    const wanted = counts.get(c.name)
    if (now === undefined || wanted === undefined || wanted >= now) continue
    out.set(c.name, Array.from({ length: now - wanted }, (_, i) => c.brokerIds.first + wanted + i))
  }
  return out
}

/**
 * The last word before a StatefulSet shrinks, said by whoever shrinks it on the partitions read just
 * then: a pod goes only when its broker holds no replica (a topic may have been created on it since
 * it was drained). `counts` with every shrink that would take a broker still holding a replica kept at
 * the StatefulSet's replicas now, and why; `partitions` undefined (Kafka could not be read) holds every
 * shrink.
 */
export function holdShrinks(
  spec: KafkaClusterSpec,
  counts: ReadonlyMap<string, number>,
  current: ReadonlyMap<string, number | undefined>,
  partitions: readonly { topic: string; partition: number; replicas: readonly number[] }[] | undefined,
): { counts: Map<string, number>; held: { cluster: string; brokers: number[]; reason: string }[] } {
  const out = new Map(counts)
  const held: { cluster: string; brokers: number[]; reason: string }[] = []
  for (const [cluster, brokers] of shrinking(spec, counts, current)) {
    const drained = partitions === undefined ? undefined : mayRemovePods(partitions, brokers)
    if (drained?.ok) continue
    out.set(cluster, current.get(cluster)!)
    held.push({ cluster, brokers, reason: drained ? `${brokersLine(brokers)} still hold${brokers.length > 1 ? '' : 's'} replicas of ${drained.holding} partitions (e.g. ${drained.example})` : `whether ${brokersLine(brokers)} hold${brokers.length > 1 ? '' : 's'} replicas could not be read from Kafka` })
  }
  return { counts: out, held }
}

/** `3, 7` or `broker 3` style lists for messages. */
export function brokersLine(ids: readonly number[]): string {
  return `broker${ids.length > 1 ? 's' : ''} ${ids.join(', ')}`
}
