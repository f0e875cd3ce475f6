/**
 * Benchmark: how often a scale up leaves a topic off its fair share per broker (issue 12's scale proof).
 * The Kubernetes test bed's layout: 2 Kubernetes clusters x 4 zones, 3 brokers of each cluster in 3 of
 * its zones, a new broker of each in its free zone (3 and 103). Its topics: an RF-4 topic of 6 partitions
 * placed by kafkaplane (planAssign, like a KafkaTopic), and an internal topic (50 partitions, RF
 * `--internal-rf`) placed as Kafka places it (distinct brokers, one broker per rack here, with no regard
 * for kafkaplane's spread over clusters and zones), in random layouts (seeded). Each layout gets the
 * plan of a scale up (planRebalance with the new brokers, what the operator runs), and the bench counts
 * the layouts whose plan leaves a broker outside its band of a topic's replicas (goals.ts,
 * topicShareBounds).
 *
 *   bench/run scale-balance [--layouts 300] [--internal-rf 4] [--seed 1]
 *
 * Target: 0 layouts off balance. One bed run (2026-12-03, bench/RESULTS.md) ended its scale up with
 * the RF-4 topic at 1, 5, 3, 3 / 1, 3, 5, 3 replicas per broker; the test expects 3 each.
 */
import { parseArgs } from 'node:util'
import { broker, model } from '../src/core/placement/fixtures.ts'
import { DEFAULT_TOLERANCE, topicShareBounds } from '../src/core/placement/goals.ts'
import type { PlacementPartition } from '../src/core/placement/model.ts'
import { planAssign, planRebalance } from '../src/core/placement/operations.ts'
import { seededRandom } from '../src/core/verify/campaign-scenario.ts'

const { values } = parseArgs({ options: { layouts: { type: 'string', default: '300' }, 'internal-rf': { type: 'string', default: '4' }, seed: { type: 'string', default: '1' } } })
const layouts = Number(values.layouts)
const internalRf = Number(values['internal-rf'])

const random = seededRandom(Number(values.seed))
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!
const shuffled = <T>(xs: readonly T[]): T[] => [...xs].map((x) => [random(), x] as const).sort((a, b) => a[0] - b[0]).map(([, x]) => x)

const ZONES = ['a', 'b', 'c', 'd']
const TOPIC = 'payments.events'
const INTERNAL = '__consumer_offsets'
let off = 0
let refused = 0
const examples: string[] = []
const started = performance.now()
for (let layout = 0; layout < layouts; layout++) {
  const free = [pick(ZONES), pick(ZONES)]
  const zonesOf = free.map((f) => shuffled(ZONES.filter((z) => z !== f)))
  const six = [0, 1, 2].flatMap((i) => [broker(i, { cluster: 'k8s-1', zone: zonesOf[0]![i]! }), broker(100 + i, { cluster: 'k8s-2', zone: zonesOf[1]![i]! })])
  const eight = [...six, broker(3, { cluster: 'k8s-1', zone: free[0]! }), broker(103, { cluster: 'k8s-2', zone: free[1]! })]
  const internal: PlacementPartition[] = Array.from({ length: 50 }, (_, partition) => ({ topic: INTERNAL, partition, replicas: shuffled(six.map((b) => b.id)).slice(0, internalRf), minInsync: 2 }))
  const assigned = planAssign(model(['cluster', 'zone'], six, internal), { topic: TOPIC, partitions: 6, replicationFactor: 4, minInsync: 2 })
  if (!assigned.ok) throw new Error(`layout ${layout}: ${assigned.problems.join('; ')}`)
  const plan = planRebalance(model(['cluster', 'zone'], eight, assigned.after))
  if (!plan.ok) {
    if (refused++ === 0) console.log(`  refused, layout ${layout}: ${plan.problems.join('; ').slice(0, 400)}`)
    continue
  }
  const outside: string[] = []
  for (const [topic, replicas] of [[TOPIC, 24], [INTERNAL, 50 * internalRf]] as const) {
    const [low, high] = topicShareBounds(replicas / eight.length, DEFAULT_TOLERANCE)
    const counts = new Map(eight.map((b) => [b.id, 0]))
    for (const p of plan.after.filter((q) => q.topic === topic)) for (const id of p.replicas) counts.set(id, counts.get(id)! + 1)
    const out = [...counts].filter(([, n]) => n < low || n > high)
    if (out.length > 0) outside.push(`${topic} ${JSON.stringify(Object.fromEntries(counts))} (band ${low}..${high})`)
  }
  if (outside.length > 0) {
    off++
    if (examples.length < 3) examples.push(`layout ${layout} (zones k8s-1 ${zonesOf[0]} + 3 in ${free[0]}, k8s-2 ${zonesOf[1]} + 103 in ${free[1]}): ${outside.join('; ')}`)
  }
}
console.log(`scale up 6 -> 8 brokers, ${layouts} random layouts of a Kafka-placed ${INTERNAL} (RF ${internalRf}) beside a kafkaplane-placed RF-4 topic (seed ${values.seed}), in ${((performance.now() - started) / 1000).toFixed(1)} s`)
for (const e of examples) console.log(`  ${e}`)
console.log(`off balance after the plan: ${off} of ${layouts - refused} layouts (${refused} refused; target 0)`)
