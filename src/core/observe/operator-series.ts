import type { Sample, SeriesFamily } from './exporter-series.ts'

/**
 * The operator's own series (`kafkaplane operator --metrics-port`), built with no I/O from the
 * KafkaClusters it watches (their status as its informer holds it) and from each one's last collection:
 *   - kafkaplane_operator_leader: 1 on the operator that holds the Lease and does the work, 0 on a
 *     standby (which serves nothing else: only the leader reads the Kafka clusters);
 *   - per KafkaCluster (labels namespace, kafkacluster): its conditions; the roll (status.roll: its
 *     phase, brokers restarted, ETA); the scale (status.scale: phase, moves planned and done); the
 *     self-healer (status.selfHealing: phase, its plan's moves). A phase is a series per phase, 1 for
 *     the one it is in, so that an alert can say `phase="stalled"`;
 *   - every family of each KafkaCluster's collection (src/observe/collector.ts: kafka_exporter's names
 *     and kafkaplane's), its labels led by namespace and kafkacluster, so that one operator's endpoint
 *     serves any number of Kafka clusters without their series colliding.
 */

/** What the operator knows of one KafkaCluster. Status fields are read loosely: an older operator may have written them. */
export interface WatchedKafkaCluster {
  namespace: string
  name: string
  status?: {
    conditions?: readonly { type: string; status: string }[]
    roll?: { rollId?: string; phase?: string; status?: string; done?: readonly { ids: readonly number[] }[]; current?: { ids: readonly number[] }; etaSeconds?: number }
    scale?: { scaleId?: string; phase?: string; moves?: number; moved?: number }
    selfHealing?: { phase?: string; lastPlan?: { moves?: number; result?: string } }
  }
}

export const CLUSTER_LABELS = ['namespace', 'kafkacluster'] as const

const ROLL_PHASES = ['restarting', 'waiting', 'blocked', 'stalled', 'finished', 'failed'] as const
const SCALE_PHASES = ['starting-brokers', 'moving', 'removing-pods', 'unregistering', 'waiting', 'finished', 'refused'] as const
const HEAL_PHASES = ['watching', 'waiting', 'healing', 'rate-limited', 'blocked', 'failed', 'disabled'] as const

export function operatorSeries(clusters: readonly WatchedKafkaCluster[], leader: boolean): SeriesFamily[] {
  const of = (c: WatchedKafkaCluster) => ({ namespace: c.namespace, kafkacluster: c.name })
  const families: SeriesFamily[] = [
    { name: 'kafkaplane_operator_leader', help: '1 if this operator holds the Lease and does the work (it alone serves the Kafka clusters\' series), 0 on a standby', labelNames: [], samples: [{ labels: {}, value: leader ? 1 : 0 }] },
  ]
  if (!leader) return families
  const family = (name: string, help: string, extra: readonly string[], samples: Sample[]) =>
    families.push({ name, help, labelNames: [...CLUSTER_LABELS, ...extra], samples })
  const phases = (known: readonly string[], c: WatchedKafkaCluster, phase: string | undefined): Sample[] =>
    phase === undefined ? [] : [...new Set([...known, phase])].map((p) => ({ labels: { ...of(c), phase: p }, value: p === phase ? 1 : 0 }))

  family('kafkaplane_kafkacluster_condition', 'The KafkaCluster\'s status conditions: 1 when the condition is True', ['type'],
    clusters.flatMap((c) => (c.status?.conditions ?? []).map((x) => ({ labels: { ...of(c), type: x.type }, value: x.status === 'True' ? 1 : 0 }))))

  const rolls = clusters.filter((c) => c.status?.roll?.phase !== undefined)
  family('kafkaplane_roll_phase', 'The KafkaCluster\'s last rolling restart (status.roll): 1 for the phase it is in', ['phase'], rolls.flatMap((c) => phases(ROLL_PHASES, c, c.status!.roll!.phase)))
  family('kafkaplane_roll_in_progress', '1 while a rolling restart of the KafkaCluster is under way (not finished, failed or stalled)', [],
    clusters.map((c) => ({ labels: of(c), value: ['restarting', 'waiting', 'blocked'].includes(c.status?.roll?.phase ?? '') ? 1 : 0 })))
  family('kafkaplane_roll_brokers_restarted', 'Brokers the last rolling restart restarted so far', [], rolls.map((c) => ({ labels: of(c), value: (c.status!.roll!.done ?? []).reduce((n, b) => n + b.ids.length, 0) })))
  family('kafkaplane_roll_eta_seconds', 'The running rolling restart\'s estimate of the time left', [],
    rolls.filter((c) => c.status!.roll!.etaSeconds !== undefined && c.status!.roll!.phase !== 'finished').map((c) => ({ labels: of(c), value: c.status!.roll!.etaSeconds! })))

  const scales = clusters.filter((c) => c.status?.scale?.phase !== undefined)
  family('kafkaplane_scale_phase', 'The KafkaCluster\'s last scale (status.scale): 1 for the phase it is in', ['phase'], scales.flatMap((c) => phases(SCALE_PHASES, c, c.status!.scale!.phase)))
  family('kafkaplane_scale_moves', 'Partition moves of the last scale\'s plan', [], scales.filter((c) => c.status!.scale!.moves !== undefined).map((c) => ({ labels: of(c), value: c.status!.scale!.moves! })))
  family('kafkaplane_scale_moves_done', 'Partition moves of the last scale\'s plan done so far', [], scales.filter((c) => c.status!.scale!.moves !== undefined).map((c) => ({ labels: of(c), value: c.status!.scale!.moved ?? 0 })))

  const heals = clusters.filter((c) => c.status?.selfHealing?.phase !== undefined)
  family('kafkaplane_self_healing_phase', 'The self-healer of the KafkaCluster (status.selfHealing): 1 for the phase it is in', ['phase'], heals.flatMap((c) => phases(HEAL_PHASES, c, c.status!.selfHealing!.phase)))
  family('kafkaplane_self_healing_plan_moves', 'Partition moves of the self-healer\'s last plan', ['result'],
    heals.filter((c) => c.status!.selfHealing!.lastPlan?.moves !== undefined).map((c) => ({ labels: { ...of(c), result: c.status!.selfHealing!.lastPlan!.result ?? 'unknown' }, value: c.status!.selfHealing!.lastPlan!.moves! })))
  return families
}

/** The families of one KafkaCluster's collection, each sample labelled with its namespace and name first. */
export function labelledByCluster(families: readonly SeriesFamily[], namespace: string, name: string): SeriesFamily[] {
  return families.map((f) => ({
    ...f,
    labelNames: [...CLUSTER_LABELS, ...f.labelNames],
    samples: f.samples.map((s) => ({ labels: { namespace, kafkacluster: name, ...s.labels }, value: s.value })),
  }))
}

/**
 * Families of the same name from several sources as one (their samples together), in first-seen order.
 * Sources are built by the same code, so a name always comes with the same label names; a family whose
 * label names differ from the first one's is a bug, and thrown as such.
 */
export function mergeFamilies(lists: readonly (readonly SeriesFamily[])[]): SeriesFamily[] {
  const byName = new Map<string, { family: SeriesFamily; samples: Sample[] }>()
  for (const list of lists) {
    for (const f of list) {
      const seen = byName.get(f.name)
      if (!seen) byName.set(f.name, { family: f, samples: [...f.samples] })
      else if (seen.family.labelNames.join() !== f.labelNames.join()) throw new Error(`series ${f.name}: label names ${f.labelNames} and ${seen.family.labelNames}`)
      else seen.samples.push(...f.samples)
    }
  }
  return [...byName.values()].map(({ family, samples }) => ({ ...family, samples }))
}
