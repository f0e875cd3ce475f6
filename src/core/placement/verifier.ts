import { partitionKey, type PartitionAssignment, type PlacementModel, type PlacementPartition } from './model.ts'
import { compareScores, SpreadIndex, type SpreadScore } from './spread.ts'

/**
 * The one invariant checker for every placement plan (after Cruise Control's OptimizationVerifier),
 * used by the unit and property tests. It checks a plan's result independently of how the optimizer
 * found it: the best spread is found here by brute force over broker subsets, not over cells.
 * Returns the violations found, each a sentence; empty means the plan is sound.
 */
export interface VerifyOptions {
  /** Expected RF per partition after the plan (default: unchanged). */
  replicationFactor?: (p: PlacementPartition) => number
  /** Also require that partitions were fixed with the fewest replica moves (no balancing ran). */
  minimalMoves?: boolean
}

export function verifyPlan(model: PlacementModel, after: readonly PlacementPartition[], options: VerifyOptions = {}): string[] {
  const violations: string[] = []
  const brokers = new Map(model.brokers.map((b) => [b.id, b]))
  const index = new SpreadIndex(model.dimensions, model.brokers)
  const before = new Map(model.partitions.map((p) => [partitionKey(p), p]))
  /** Replicas of well-placed partitions each broker gained and lost, by topic. */
  const churnIn = new Map<string, number>()
  const churnOut = new Map<string, number>()
  const churnKey = (b: number, topic: string) => `${b}\u0000${topic}`

  for (const p of after) {
    const key = partitionKey(p)
    const old = before.get(key)
    const oldReplicas = old?.replicas ?? []
    const rf = old ? (options.replicationFactor?.(old) ?? old.replicas.length) : p.replicas.length
    if (p.replicas.length !== rf) violations.push(`${key}: has ${p.replicas.length} replicas, expected ${rf}`)
    if (new Set(p.replicas).size !== p.replicas.length) violations.push(`${key}: a broker holds two replicas (${p.replicas})`)
    for (const b of p.replicas) {
      const state = brokers.get(b)?.state
      if (state === undefined) violations.push(`${key}: replica on unknown broker ${b}`)
      else if (state === 'draining') violations.push(`${key}: replica on draining broker ${b}`)
      else if (state === 'excluded' && !oldReplicas.includes(b)) violations.push(`${key}: new replica on excluded broker ${b}`)
    }
    const allowed = model.brokers.filter((b) => b.state === 'active' || (b.state === 'excluded' && oldReplicas.includes(b.id))).map((b) => b.id)
    const keepable = oldReplicas.filter((b, i) => brokers.get(b) && brokers.get(b)!.state !== 'draining' && oldReplicas.indexOf(b) === i)
    const best = bruteForceBest(index, allowed, rf, p.minInsync, keepable)
    if (best && compareScores(index.score(p.replicas, p.minInsync), best.score) !== 0) {
      violations.push(`${key}: spread ${index.score(p.replicas, p.minInsync)} of ${p.replicas} is worse than ${best.score} (e.g. ${best.example})`)
    }
    const oldValid =
      old !== undefined &&
      rf === oldReplicas.length &&
      keepable.length === oldReplicas.length &&
      best !== undefined &&
      compareScores(index.score(oldReplicas, p.minInsync), best.score) === 0
    const kept = p.replicas.filter((b) => oldReplicas.includes(b)).length
    if (options.minimalMoves && best && kept < best.maxKept) {
      violations.push(`${key}: keeps ${kept} of its replicas where ${best.maxKept} could stay (${oldReplicas} -> ${p.replicas})`)
    }
    if (oldValid) {
      for (const b of p.replicas) if (!oldReplicas.includes(b)) churnIn.set(churnKey(b, p.topic), (churnIn.get(churnKey(b, p.topic)) ?? 0) + 1)
      for (const b of oldReplicas) if (!p.replicas.includes(b)) churnOut.set(churnKey(b, p.topic), (churnOut.get(churnKey(b, p.topic)) ?? 0) + 1)
    }
  }
  // Moves made only for balance go from brokers with too much to brokers with too little: a broker that
  // both gains and loses replicas of one topic's well-placed partitions had data moved for nothing.
  // (Across topics it may: topic balance trades one topic's replica for another's. Disk balance swaps
  // replicas by design, so the check holds only where no sizes are known.)
  const sized = model.partitions.some((p) => (p.sizeBytes ?? 0) > 0)
  for (const [key, n] of sized ? [] : churnIn) {
    const [b, topic] = key.split('\u0000')
    if ((churnOut.get(key) ?? 0) > 0) violations.push(`broker ${b} both gains ${n} and loses ${churnOut.get(key)} replicas of ${topic}'s well-placed partitions: wasted moves`)
  }
  return violations
}

/** The stage rule of a migration: each stage keeps >= min(min.insync, RF - 1) replicas of every partition
 *  on brokers that held it in the stage before, and moves at most `maxMoves` replicas in and out of a broker. */
export function verifyStages(model: PlacementModel, stages: readonly (readonly PartitionAssignment[])[], maxMoves: number, target: readonly PlacementPartition[]): string[] {
  const violations: string[] = []
  const current = new Map(model.partitions.map((p) => [partitionKey(p), { replicas: p.replicas, minInsync: p.minInsync }]))
  stages.forEach((stage, s) => {
    const moves = new Map<number, number>()
    for (const change of stage) {
      const key = partitionKey(change)
      const prev = current.get(key)!
      const stayed = change.replicas.filter((b) => prev.replicas.includes(b)).length
      const need = Math.min(prev.minInsync, prev.replicas.length - 1)
      if (stayed < need) violations.push(`stage ${s + 1}, ${key}: only ${stayed} replicas stay on brokers that held it (${prev.replicas} -> ${change.replicas}), need ${need}`)
      for (const b of change.replicas) if (!prev.replicas.includes(b)) moves.set(b, (moves.get(b) ?? 0) + 1)
      for (const b of prev.replicas) if (!change.replicas.includes(b)) moves.set(b, (moves.get(b) ?? 0) + 1)
      current.set(key, { replicas: change.replicas, minInsync: prev.minInsync })
    }
    for (const [b, n] of moves) if (n > maxMoves) violations.push(`stage ${s + 1}: broker ${b} moves ${n} replicas, more than ${maxMoves}`)
  })
  for (const p of target) {
    const end = current.get(partitionKey(p))!.replicas
    if (end.length !== p.replicas.length || end.some((b, i) => b !== p.replicas[i])) {
      violations.push(`${partitionKey(p)}: the last stage leaves ${end}, not the target ${p.replicas}`)
    }
  }
  return violations
}

/** Best spread over all `rf`-subsets of `allowed` (small clusters only), and the most `keepable` replicas a best subset keeps. */
function bruteForceBest(
  index: SpreadIndex,
  allowed: readonly number[],
  rf: number,
  minInsync: number,
  keepable: readonly number[],
): { score: SpreadScore; example: number[]; maxKept: number } | undefined {
  if (rf > allowed.length || binomial(allowed.length, rf) > 200_000) return undefined
  let best: SpreadScore | undefined
  let example: number[] = []
  let maxKept = -1
  const pick: number[] = []
  const visit = (start: number) => {
    if (pick.length === rf) {
      const score = index.score(pick, minInsync)
      const kept = pick.filter((b) => keepable.includes(b)).length
      const order = best === undefined ? -1 : compareScores(score, best)
      if (order < 0 || (order === 0 && kept > maxKept)) {
        best = score
        example = [...pick]
        maxKept = kept
      }
      return
    }
    for (let i = start; i <= allowed.length - (rf - pick.length); i++) {
      pick.push(allowed[i]!)
      visit(i + 1)
      pick.pop()
    }
  }
  visit(0)
  return best === undefined ? undefined : { score: best, example, maxKept }
}

function binomial(n: number, k: number): number {
  let result = 1
  for (let i = 1; i <= k; i++) result = (result * (n - k + i)) / i
  return result
}
