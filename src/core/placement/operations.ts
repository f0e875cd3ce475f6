import { pushTo } from '../collections.ts'
import { DEFAULT_TOLERANCE, goals, type BalanceOptions, type GoalStatus } from './goals.ts'
import { diffAssignments, partitionKey, sameOrder, type PartitionAssignment, type PlacementModel, type PlacementPartition, type Proposal } from './model.ts'
import { balanceDisk, balanceLeaders, balanceReplicas, balanceTopicReplicas, placePartition, repairHardGoals } from './optimizer.ts'
import { PlacementState } from './placement-state.ts'
import { advise, recommend } from './survivability.ts'

/**
 * The placement operations. Each takes a model, works on a copy and returns proposals (or staged
 * proposals); none touches a cluster. Expected failures (an impossible request) come back as
 * `{ok: false, problems}`, each problem naming the value and the fix.
 */
export type PlanOutcome<T> = ({ ok: true } & T) | { ok: false; problems: string[] }

export interface Plan {
  proposals: Proposal[]
  /** The whole assignment after the plan. */
  after: PlacementPartition[]
  /**
   * Changes the plan would make but leaves out because their new replicas name a cordoned broker
   * (Kafka refuses them): their partitions stay as they are in `after` and are not in `proposals`.
   */
  held: Proposal[]
  /** Goal status before and after, in priority order. */
  goalsBefore: NamedStatus[]
  goalsAfter: NamedStatus[]
  notes: string[]
}

export interface NamedStatus extends GoalStatus {
  name: string
  hard: boolean
}

export interface PlanOptions extends BalanceOptions {}

const defaults: PlanOptions = { tolerance: DEFAULT_TOLERANCE }

/** Problems with the model itself: assignments naming brokers the topology lacks, and the like. */
export function modelProblems(model: PlacementModel): string[] {
  const problems: string[] = []
  const known = new Set(model.brokers.map((b) => b.id))
  const seen = new Set<string>()
  const unknown = new Map<number, string>()
  for (const p of model.partitions) {
    const key = partitionKey(p)
    if (seen.has(key)) problems.push(`partition ${key} is listed twice in the assignment: list each partition once`)
    seen.add(key)
    for (const b of p.replicas) if (!known.has(b) && !unknown.has(b)) unknown.set(b, key)
    if (p.replicas.length === 0) problems.push(`partition ${key} has no replicas: give it at least one`)
    if (!Number.isInteger(p.minInsync) || p.minInsync < 1) problems.push(`partition ${key} has min.insync.replicas ${p.minInsync}: it must be 1 or more`)
  }
  for (const [b, key] of unknown) {
    problems.push(`broker ${b} (a replica of ${key}) is not in the topology: add broker ${b} to the topology file, or fix the assignment`)
  }
  return problems
}

function statuses(state: PlacementState, options: PlanOptions): NamedStatus[] {
  return goals(options).map((g) => ({ name: g.name, hard: g.hard, ...g.evaluate(state) }))
}

function finish(model: PlacementModel, state: PlacementState, goalsBefore: NamedStatus[], options: PlanOptions, notes: string[]): Plan {
  const held = holdCordoned(model, state)
  return {
    proposals: diffAssignments(model.partitions, state.partitions),
    after: state.partitions,
    held,
    goalsBefore,
    goalsAfter: statuses(state, options),
    notes: [...notes, ...cordonNotes(model, held), ...searchNotes(state), ...survivalNotes(state)],
  }
}

/**
 * Kafka refuses an assignment or reassignment whose replicas name a cordoned broker (KIP-1066), even
 * one that keeps its replica there: each partition whose new replicas name one is set back to its
 * replicas before the plan, and its change returned. Moving the replica off a cordoned broker is
 * allowed (its new replicas do not name it).
 */
function holdCordoned(model: PlacementModel, state: PlacementState): Proposal[] {
  const cordoned = new Set(model.brokers.filter((b) => b.cordoned).map((b) => b.id))
  if (cordoned.size === 0) return []
  const held: Proposal[] = []
  for (const before of model.partitions) {
    const i = state.indexOf(before.topic, before.partition)!
    const after = state.partitions[i]!.replicas
    if (sameOrder(before.replicas, after) || !after.some((b) => cordoned.has(b))) continue
    held.push({ topic: before.topic, partition: before.partition, oldReplicas: [...before.replicas], newReplicas: [...after] })
    state.setReplicas(i, before.replicas)
  }
  return held
}

/**
 * Which brokers a plan left out because they are cordoned (PlacementBroker.cordoned), and which of
 * its changes it held back for them (`Plan.held`), for people: none when no broker is cordoned.
 */
export function cordonNotes(model: PlacementModel, held: readonly Proposal[]): string[] {
  const cordoned = model.brokers.filter((b) => b.cordoned).map((b) => b.id)
  if (cordoned.length === 0) return []
  return [`broker ${cordoned.join(', ')} cordoned (KIP-1066, cordoned.log.dirs set): no new replica placed on ${them(cordoned)}`, ...heldNotes(model, held)]
}

/** What a plan's held changes (`Plan.held`) wait for, for people: none when nothing was held. */
export function heldNotes(model: PlacementModel, held: readonly Proposal[]): string[] {
  if (held.length === 0) return []
  const cordoned = new Set(model.brokers.filter((b) => b.cordoned).map((b) => b.id))
  const named = [...new Set(held.flatMap((p) => p.newReplicas.filter((b) => cordoned.has(b))))].sort((a, b) => a - b)
  const [first] = held
  return [
    `${held.length} partition(s) left as they are: their new replicas would still name cordoned broker ${named.join(', ')}, and Kafka refuses such a reassignment ` +
      `(e.g. ${partitionKey(first!)} [${first!.oldReplicas.join(',')}] -> [${first!.newReplicas.join(',')}]); uncordon ${them(named)}, or drain ${them(named)} (kafkaplane brokers remove)`,
  ]
}

function them(brokers: readonly unknown[]): string {
  return brokers.length > 1 ? 'them' : 'it'
}

/**
 * Where no placement can keep some partitions writable after the loss of one domain, say so and say
 * what would (the best (RF, min.insync) pair for this topology, from `advise`).
 */
function survivalNotes(state: PlacementState): string[] {
  const flags = state.dimensions.length
  const cannot = new Map<string, number>()
  state.partitions.forEach((p, i) => {
    state.bestSpread(i).score.slice(0, flags).forEach((flag, d) => {
      if (flag === 1) {
        const key = `${state.dimensions[d]}|${p.replicas.length}|${p.minInsync}`
        cannot.set(key, (cannot.get(key) ?? 0) + 1)
      }
    })
  })
  if (cannot.size === 0) return []
  const advice = recommend(advise(state.dimensions, [...state.brokers.values()]))
  const what = advice
    ? `replication factor ${advice.replicationFactor} with min.insync.replicas ${advice.minInsync} would (kafkaplane plan advise)`
    : 'no replication factor up to 6 would on these brokers: add failure domains'
  return [...cannot].map(([key, n]) => {
    const [dimension, rf, minInsync] = key.split('|')
    return `${n} partitions at RF ${rf} with min.insync.replicas ${minInsync} cannot stay writable after losing one ${dimension} under any placement; ${what}`
  })
}

function searchNotes(state: PlacementState): string[] {
  const truncated = state.index.truncatedSearches
  return truncated === 0
    ? []
    : [`${truncated} spread searches hit their budget (very many failure-domain cells): their best pattern found was used, which may not be optimal`]
}

function eligibleBrokers(model: PlacementModel): number {
  return model.brokers.filter((b) => b.state === 'active').length
}

/** Replicas for the new partitions of a topic (all of a new topic, or the ones added to an existing one). */
export function planAssign(
  model: PlacementModel,
  request: { topic: string; partitions: number; replicationFactor: number; minInsync: number },
  options: PlanOptions = defaults,
): PlanOutcome<Plan> {
  const problems = modelProblems(model)
  const existing = model.partitions.filter((p) => p.topic === request.topic)
  if (request.partitions <= existing.length) {
    problems.push(`topic ${request.topic} already has ${existing.length} partitions; --partitions ${request.partitions} adds none: ask for more than ${existing.length}`)
  }
  if (request.replicationFactor > eligibleBrokers(model)) {
    problems.push(`replication factor ${request.replicationFactor} is more than the ${eligibleBrokers(model)} brokers that take new replicas: lower it or add brokers`)
  }
  if (problems.length > 0) return { ok: false, problems }
  const state = new PlacementState(model)
  const goalsBefore = statuses(state, options)
  for (let partition = existing.length; partition < request.partitions; partition++) {
    const i = state.add({ topic: request.topic, partition, replicas: [], minInsync: request.minInsync })
    placePartition(state, i, request.replicationFactor)
    chooseLeader(state, i)
  }
  const notes = request.replicationFactor <= request.minInsync ? [rfAtMinInsyncNote(request.replicationFactor, request.minInsync)] : []
  return { ok: true, ...finish(model, state, goalsBefore, options, notes) }
}

/** Makes the least-leading replica of partition `i` its preferred leader. */
function chooseLeader(state: PlacementState, i: number): void {
  const replicas = state.partitions[i]!.replicas
  const ranked = [...replicas].sort((a, b) => state.leaderLoad.get(a)! / state.brokers.get(a)!.capacity - state.leaderLoad.get(b)! / state.brokers.get(b)!.capacity || replicas.indexOf(a) - replicas.indexOf(b))
  state.setLeader(i, ranked[0]!)
}

function rfAtMinInsyncNote(rf: number, minInsync: number): string {
  return `replication factor ${rf} with min.insync.replicas ${minInsync}: losing any one replica stops acks=all writes; use RF ${minInsync + 1} or more`
}

/**
 * Fixes every hard-goal violation with the fewest moves, then brings replica and leader balance within
 * tolerance. Also the plan after brokers are added (they start empty), excluded or marked draining.
 */
export function planRebalance(model: PlacementModel, options: PlanOptions = defaults): PlanOutcome<Plan> {
  return repairThen(model, options, (state) => {
    const start = state.topicLoads()
    balanceReplicas(state, options)
    balanceTopicReplicas(state, options, start)
    balanceLeaders(state, options)
    balanceDisk(state, options)
  })
}

/**
 * Only the hard goals (distinct brokers, nothing on draining brokers, even spread on every dimension),
 * with the fewest moves and no balancing: the self-healer's minimal fix of what is wrong.
 */
export function planRepair(model: PlacementModel, options: PlanOptions = defaults): PlanOutcome<Plan> {
  return repairThen(model, options, () => {})
}

/** Repairs the hard goals on a copy of the model, then lets `then` improve it further. */
function repairThen(model: PlacementModel, options: PlanOptions, then: (state: PlacementState) => void): PlanOutcome<Plan> {
  const problems = modelProblems(model)
  if (problems.length > 0) return { ok: false, problems }
  const state = new PlacementState(model)
  const goalsBefore = statuses(state, options)
  const impossible = repairHardGoals(state, goals(options).filter((g) => g.hard))
  if (impossible.length > 0) {
    return {
      ok: false,
      problems: impossible.map((i) => {
        const p = state.partitions[i]!
        return `partition ${partitionKey(p)} needs ${p.replicas.length} replicas but only ${eligibleBrokers(model)} brokers may hold them: add brokers, or lower its replication factor`
      }),
    }
  }
  then(state)
  return { ok: true, ...finish(model, state, goalsBefore, options, []) }
}

export interface ReplicationFactorMismatch {
  topic: string
  partitions: number
  replicationFactors: number[]
}

/** Topics (matching `topics`) with any partition whose RF differs from `target`. */
export function checkReplicationFactor(model: PlacementModel, topics: (topic: string) => boolean, target: number): ReplicationFactorMismatch[] {
  const byTopic = new Map<string, PlacementPartition[]>()
  for (const p of model.partitions) if (topics(p.topic)) pushTo(byTopic, p.topic, p)
  const out: ReplicationFactorMismatch[] = []
  for (const [topic, partitions] of [...byTopic].sort(([a], [b]) => a.localeCompare(b))) {
    const rfs = [...new Set(partitions.map((p) => p.replicas.length))].sort((a, b) => a - b)
    if (rfs.some((rf) => rf !== target)) out.push({ topic, partitions: partitions.length, replicationFactors: rfs })
  }
  return out
}

/**
 * Raises or lowers the RF of the selected topics to `target` (Blockport's fixer), keeping every goal:
 * kept replicas stay (the leader first), new ones go where the spread is best and load lowest, and when
 * lowering, the replicas that go are the ones whose loss keeps the best spread.
 */
export function planReplicationFactor(
  model: PlacementModel,
  request: { topics: (topic: string) => boolean; target: number },
  options: PlanOptions = defaults,
): PlanOutcome<Plan> {
  const problems = modelProblems(model)
  if (request.target > eligibleBrokers(model)) {
    problems.push(`replication factor ${request.target} is more than the ${eligibleBrokers(model)} brokers that take new replicas: lower --target or add brokers`)
  }
  if (!Number.isInteger(request.target) || request.target < 1) problems.push(`--target ${request.target} must be a whole number of 1 or more`)
  if (problems.length > 0) return { ok: false, problems }
  const state = new PlacementState(model)
  const goalsBefore = statuses(state, options)
  const selected = new Set<number>()
  state.partitions.forEach((p, i) => {
    if (request.topics(p.topic) && p.replicas.length !== request.target) {
      placePartition(state, i, request.target)
      selected.add(i)
    }
  })
  const lowMinInsync = state.partitions.filter((p, i) => selected.has(i) && request.target <= p.minInsync)
  const notes = lowMinInsync.length > 0 ? [`${lowMinInsync.length} partitions: ${rfAtMinInsyncNote(request.target, lowMinInsync[0]!.minInsync)}`] : []
  balanceLeaders(state, options, selected)
  return { ok: true, ...finish(model, state, goalsBefore, options, notes) }
}

export interface MigrationPlan extends Plan {
  /** Each stage: the partitions it changes, with their replicas at the end of the stage. */
  stages: PartitionAssignment[][]
}

/**
 * Moves all data off the `from` brokers onto the `to` brokers in stages (Blockport: 1001-1005 onto
 * 0-4 in three steps; Wise: EC2 brokers onto Kubernetes brokers).
 *
 * 1. The target: `from` brokers draining, `to` brokers active; a rebalance computes where every
 *    replica ends (so every goal holds at the end).
 * 2. Each partition's changes are pairs (old broker -> new broker), matched in replica order.
 * 3. Stages are filled greedily, partitions with the most pending pairs first. A stage applies at most
 *    RF - min.insync pairs of a partition (so at least min.insync of its replicas stay on brokers that
 *    already held it; when RF <= min.insync, one pair), and moves at most `maxMovesPerStage` replicas
 *    into and out of each broker.
 * 4. A partition's last stage gives it the target's replica order (its balanced preferred leader);
 *    before that a kept replica leads.
 */
export function planMigration(
  model: PlacementModel,
  request: { from: readonly number[]; to: readonly number[]; maxMovesPerStage: number },
  options: PlanOptions = defaults,
): PlanOutcome<MigrationPlan> {
  const problems = modelProblems(model)
  const known = new Set(model.brokers.map((b) => b.id))
  for (const id of [...request.from, ...request.to]) {
    if (!known.has(id)) problems.push(`broker ${id} is not in the topology: add it to the topology file or fix --from/--to`)
  }
  const overlap = request.from.filter((id) => request.to.includes(id))
  if (overlap.length > 0) problems.push(`brokers ${overlap.join(', ')} are in both --from and --to: a broker is either left or joined`)
  if (request.to.length === 0) problems.push('--to names no broker: name the brokers that take the data')
  if (!Number.isInteger(request.maxMovesPerStage) || request.maxMovesPerStage < 1) {
    problems.push(`--max-moves-per-stage ${request.maxMovesPerStage} must be a whole number of 1 or more`)
  }
  if (problems.length > 0) return { ok: false, problems }

  const from = new Set(request.from)
  const to = new Set(request.to)
  const targetModel: PlacementModel = {
    ...model,
    brokers: model.brokers.map((b) => ({ ...b, state: from.has(b.id) ? 'draining' : to.has(b.id) ? 'active' : b.state })),
  }
  const target = planRebalance(targetModel, options)
  if (!target.ok) return target
  // A partition that must leave `from` but keeps a replica on a cordoned broker cannot move at all.
  const stuck = target.held.filter((p) => p.oldReplicas.some((b) => from.has(b)))
  if (stuck.length > 0) {
    const cordoned = [...new Set(stuck.flatMap((p) => p.newReplicas.filter((b) => targetModel.brokers.find((x) => x.id === b)?.cordoned)))].sort((a, b) => a - b)
    return {
      ok: false,
      problems: [
        `${stuck.length} partition(s) on --from brokers also keep a replica on cordoned broker ${cordoned.join(', ')} (e.g. ${partitionKey(stuck[0]!)} [${stuck[0]!.oldReplicas.join(',')}]), and Kafka refuses a reassignment naming a cordoned broker: uncordon broker ${cordoned.join(', ')} first, or add it to --from`,
      ],
    }
  }
  const targetByKey = new Map(target.after.map((p) => [partitionKey(p), p.replicas]))

  interface Pending {
    i: number
    pairs: [number, number][]
  }
  const current = model.partitions.map((p) => [...p.replicas])
  const pending: Pending[] = []
  model.partitions.forEach((p, i) => {
    const goal = targetByKey.get(partitionKey(p))!
    const removed = p.replicas.filter((b) => !goal.includes(b))
    const added = goal.filter((b) => !p.replicas.includes(b))
    if (removed.length > 0 || added.length > 0) pending.push({ i, pairs: removed.map((b, k) => [b, added[k]!]) })
  })
  const stages: PartitionAssignment[][] = []
  while (pending.some((x) => x.pairs.length > 0)) {
    const moves = new Map<number, number>()
    const budget = (b: number) => (moves.get(b) ?? 0) < request.maxMovesPerStage
    const stage: PartitionAssignment[] = []
    pending.sort((a, b) => b.pairs.length - a.pairs.length || a.i - b.i)
    for (const item of pending) {
      if (item.pairs.length === 0) continue
      const p = model.partitions[item.i]!
      const rf = current[item.i]!.length
      let allowed = Math.max(1, rf - p.minInsync)
      const replicas = [...current[item.i]!]
      const before = new Set(replicas)
      let changed = false
      item.pairs = item.pairs.filter(([out, into]) => {
        if (allowed === 0 || !budget(out) || !budget(into)) return true
        allowed--
        moves.set(out, (moves.get(out) ?? 0) + 1)
        moves.set(into, (moves.get(into) ?? 0) + 1)
        replicas[replicas.indexOf(out)] = into
        changed = true
        return false
      })
      if (!changed) continue
      const done = item.pairs.length === 0
      const goal = targetByKey.get(partitionKey(p))!
      // A kept replica leads until the last stage; then the target's (balanced) order.
      const ordered = done ? [...goal] : [...replicas.filter((b) => before.has(b)), ...replicas.filter((b) => !before.has(b))]
      current[item.i] = ordered
      stage.push({ topic: p.topic, partition: p.partition, replicas: ordered })
    }
    stages.push(stage)
  }
  // Partitions whose only change is the order of their replicas go into the last stage.
  const reordered = target.after.filter((p, i) => !sameList(current[i]!, p.replicas))
  if (reordered.length > 0) {
    if (stages.length === 0) stages.push([])
    stages.at(-1)!.push(...reordered.map((p) => ({ topic: p.topic, partition: p.partition, replicas: [...p.replicas] })))
  }
  const notes = [...target.notes]
  const tight = model.partitions.filter((p) => p.replicas.length <= p.minInsync)
  if (tight.length > 0) {
    notes.push(`${tight.length} partitions have RF <= min.insync.replicas: each of their stages replaces one replica, and acks=all writes to them pause while the new replica catches up`)
  }
  return { ...target, ok: true, proposals: diffAssignments(model.partitions, target.after), stages, notes }
}

function sameList(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i])
}
