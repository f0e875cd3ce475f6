/**
 * Benchmark: the placement engine at scale. Each scenario runs in its own process so that its peak
 * memory (maxRSS) is its own. Prints time, peak memory and, for rebalances, replica moves against a
 * lower bound computed independently of the optimizer.
 *
 *   bench/run placement [--scenario NAME]
 *
 * Targets (issue 3), on a 2-core machine: each under 2 s (rebalance under 5 s), peak memory under 1 GB,
 * moves within 5% of the lower bound.
 */
import { execFileSync } from 'node:child_process'
import { cpus, totalmem } from 'node:os'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { grid, model } from '../src/core/placement/fixtures.ts'
import { shareBounds, topicShareBounds } from '../src/core/placement/goals.ts'
import { replicaMoves, type PlacementModel, type PlacementPartition } from '../src/core/placement/model.ts'
import { planAssign, planRebalance, type Plan, type PlanOutcome } from '../src/core/placement/operations.ts'
import { PlacementState } from '../src/core/placement/placement-state.ts'

const CLUSTERS = ['k8s-1', 'k8s-2']
const ZONES = ['a', 'b', 'c']
const DIMENSIONS = ['cluster', 'zone']

interface Figures {
  scenario: string
  seconds: number
  moves?: number
  lowerBound?: number
  detail?: string
}

function ok(outcome: PlanOutcome<Plan>): Plan {
  if (!outcome.ok) throw new Error(outcome.problems.join('; '))
  return outcome
}

/** A deterministic pseudo-random layout, as a cluster that grew without care would have. */
function randomPartitions(count: number, rf: number, brokers: number, topics: number): PlacementPartition[] {
  let seed = 42
  // mulberry32: a small, well-mixed PRNG (a plain LCG's low bits would skew broker choice)
  const next = () => {
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0)
  }
  return Array.from({ length: count }, (_, i) => {
    const replicas = new Set<number>()
    while (replicas.size < rf) replicas.add(next() % brokers)
    return { topic: `topic-${i % topics}`, partition: Math.floor(i / topics), replicas: [...replicas], minInsync: Math.min(2, rf - 1) }
  })
}

function assignMany(brokers: number, partitions: number, rf: number): { m: PlacementModel; plan: Plan } {
  const m = model(DIMENSIONS, grid(brokers, CLUSTERS, ZONES))
  // One topic of all the partitions: the whole load goes through one placement pass.
  const plan = ok(planAssign(m, { topic: 'bench', partitions, replicationFactor: rf, minInsync: rf === 6 ? 3 : 2 }))
  return { m, plan }
}

/**
 * Lower bound of the replica moves of a rebalance, computed apart from the optimizer's moves: the
 * larger of (a) the replicas every broker below its band must receive (or above it must give), and (b)
 * summed over the topics, the larger of the topic's replicas that must leave their partition for its
 * spread to be the best possible (RF minus the most replicas any best placement keeps, from the
 * exhaustive cell search) and those its brokers below (above) the topic's band must receive (give).
 */
function lowerBound(m: PlacementModel, tolerance: number): number {
  const state = new PlacementState(m)
  const active = m.brokers.filter((b) => b.state === 'active')
  const total = [...state.replicaLoad.values()].reduce((a, b) => a + b, 0)
  const capacity = active.reduce((n, b) => n + b.capacity, 0)
  let under = 0
  let over = 0
  for (const b of active) {
    const [low, high] = shareBounds((total * b.capacity) / capacity, tolerance)
    const load = state.replicaLoad.get(b.id)!
    under += Math.max(0, low - load)
    over += Math.max(0, load - high)
  }
  // Per topic, its replicas that must move are at least those its partitions' spread forces out, and at
  // least those brokers below (or above) its topic band must receive (or give): the larger, summed.
  let perTopic = 0
  for (const [topic, partitions] of state.topicPartitions) {
    let spread = 0
    for (const i of partitions) spread += state.partitions[i]!.replicas.length - state.bestSpread(i).kept
    const topicTotal = active.reduce((n, b) => n + state.topicLoad(topic, b.id), 0)
    let topicUnder = 0
    let topicOver = 0
    for (const b of active) {
      const [low, high] = topicShareBounds((topicTotal * b.capacity) / capacity, tolerance)
      const load = state.topicLoad(topic, b.id)
      topicUnder += Math.max(0, low - load)
      topicOver += Math.max(0, load - high)
    }
    perTopic += Math.max(spread, topicUnder, topicOver)
  }
  return Math.max(perTopic, under, over)
}

const scenarios: Record<string, () => Figures> = {
  'assign-100k-rf3': () => {
    const start = performance.now()
    const { plan } = assignMany(60, 100_000, 3)
    return { scenario: 'assign 100,000 partitions RF 3 on 60 brokers (2 x 3)', seconds: (performance.now() - start) / 1000, detail: `${plan.proposals.length} partitions placed` }
  },
  'assign-50k-rf6': () => {
    const start = performance.now()
    const { plan } = assignMany(60, 50_000, 6)
    return { scenario: 'assign 50,000 partitions RF 6 on 60 brokers (2 x 3)', seconds: (performance.now() - start) / 1000, detail: `${plan.proposals.length} partitions placed` }
  },
  'rebalance-100k-rf3': () => timedRebalance('rebalance 100,000 partitions RF 3 (random layout) on 60 brokers', model(DIMENSIONS, grid(60, CLUSTERS, ZONES), randomPartitions(100_000, 3, 60, 500))),
  'rebalance-50k-rf6': () => timedRebalance('rebalance 50,000 partitions RF 6 (random layout) on 60 brokers', model(DIMENSIONS, grid(60, CLUSTERS, ZONES), randomPartitions(50_000, 6, 60, 500))),
  'add-6-brokers': () => {
    const { plan: start } = assignMany(60, 100_000, 3)
    return timedRebalance(
      'rebalance after adding 6 brokers to 60 (100,000 partitions RF 3)',
      model(DIMENSIONS, [...grid(60, CLUSTERS, ZONES), ...grid(6, CLUSTERS, ZONES, 60)], start.after),
    )
  },
}

/** Times a rebalance (the lower bound is computed before the clock starts). */
function timedRebalance(scenario: string, m: PlacementModel): Figures {
  const bound = lowerBound(m, 0.05)
  const start = performance.now()
  const plan = ok(planRebalance(m))
  const seconds = (performance.now() - start) / 1000
  const unmet = plan.goalsAfter.filter((g) => !g.satisfied).map((g) => g.name)
  return { scenario, seconds, moves: replicaMoves(plan.proposals), lowerBound: bound, detail: `goals unmet after: ${unmet.join(', ') || 'none'}` }
}

const { values } = parseArgs({ options: { scenario: { type: 'string' } } })
if (values.scenario) {
  const figures = scenarios[values.scenario]!()
  const peakMiB = process.resourceUsage().maxRSS / 1024
  console.log(JSON.stringify({ ...figures, peakMiB }))
} else {
  console.log(`machine: ${cpus().length} cores (${cpus()[0]?.model}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}`)
  console.log('scenario | seconds | peak MiB | moves | lower bound | moves/bound | notes')
  for (const name of Object.keys(scenarios)) {
    const out = execFileSync(process.execPath, ['--disable-warning=ExperimentalWarning', fileURLToPath(import.meta.url), '--scenario', name], { encoding: 'utf8' })
    const f = JSON.parse(out.trim().split('\n').at(-1)!) as Figures & { peakMiB: number }
    const ratio = f.moves !== undefined && f.lowerBound ? (f.moves / f.lowerBound).toFixed(3) : '-'
    console.log(`${f.scenario} | ${f.seconds.toFixed(2)} | ${f.peakMiB.toFixed(0)} | ${f.moves ?? '-'} | ${f.lowerBound ?? '-'} | ${ratio} | ${f.detail ?? ''}`)
  }
}
