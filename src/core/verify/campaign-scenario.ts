import { layoutBrokers, type LayoutDimension } from '../topology/layout.ts'
import type { Topology } from '../topology/topology.ts'

/**
 * One run of the seeded fault campaign (issue 10), drawn entirely from its seed: the cluster, the
 * topics, the operation kafkaplane performs, the faults and the moments they strike. The runner
 * (test/integration/support/campaign.ts) plays it on real processes; the same seed gives the same
 * scenario, so a failing seed replays the same operation, faults and moments (as far as timing allows).
 *
 * The draw, in this order (changing the order changes every seed's scenario):
 *   1. brokers 3-8, failure dimensions 1-3 (zone; cluster x zone; region x cluster x zone);
 *   2. topics: 2-4, 1-6 partitions each, RF among 1, the cluster's min.insync.replicas (2) and 3, at
 *      least one writable (RF >= min ISR) for the writers; placed by Kafka or skewed on a few brokers;
 *      a little data each (written before the operation, so that moves copy something);
 *   3. the operation, among those the cluster can take (drain, add and migrate need 4+ brokers, as
 *      the internal topics keep RF 3);
 *   4. a replication throttle (512 KiB/s - 2 MiB/s, so moves last long enough to be hit);
 *   5. 1-3 faults: kill -9, SIGSTOP (for a while, then SIGCONT) or a graceful restart, of a broker,
 *      of the active controller (whoever leads the quorum when the fault strikes) or of the
 *      kafkaplane process running the operation; at 0.5-20 s after the operation starts (0.2-4 s for
 *      the quick topic verbs), healed 3-15 s later.
 */
export interface CampaignScenario {
  seed: number
  topology: Topology
  topics: CampaignTopic[]
  operation: CampaignOperation
  throttleBytesPerSecond: number
  faults: CampaignFault[]
  /** Records per second of `kafkaplane verify` (over every topic) and of Kafka's VerifiableProducer. */
  writers: { verifyRate: number; producerRate: number; producerTopic: string }
}

/** kafkaplane's safe default (core/broker-properties.ts safeBrokerDefaults), which the campaign never loosens. */
export const CAMPAIGN_MIN_INSYNC = 2

export interface CampaignTopic {
  name: string
  partitions: number
  replicationFactor: number
  /** `kafka`: Kafka's own placement; `skewed`: every replica on the first brokers of one domain. */
  placement: 'kafka' | 'skewed'
  /** Bytes written before the operation (acks=1 where acks=all cannot be, RF below min ISR). */
  fillBytes: number
}

export type CampaignOperation =
  | { kind: 'replication-factor'; target: number; args: string[] }
  | { kind: 'brokers-remove'; broker: number; args: string[] }
  /** `broker` is stopped before the topics are made and started again, empty, before the operation. */
  | { kind: 'brokers-add'; broker: number; args: string[] }
  | { kind: 'migrate'; from: number[]; to: number[]; args: string[] }
  | { kind: 'rebalance'; args: string[] }
  | { kind: 'heal'; replicationFactor: number | undefined; args: string[] }
  | { kind: 'topics-create'; topic: string; partitions: number; replicationFactor: number; args: string[] }
  | { kind: 'topics-alter'; topic: string; partitions: number; args: string[] }

export type FaultTarget = { kind: 'broker'; id: number } | { kind: 'controller' } | { kind: 'operation' }

export interface CampaignFault {
  /** After the operation starts. */
  atMs: number
  /** kill: SIGKILL (a broker is started again after `forMs`; the operation is run again once every fault healed);
   *  pause: SIGSTOP, SIGCONT after `forMs`; restart: SIGTERM, wait for the exit, start again (brokers only). */
  action: 'kill' | 'pause' | 'restart'
  target: FaultTarget
  forMs: number
}

export const OPERATION_KINDS = ['replication-factor', 'brokers-remove', 'brokers-add', 'migrate', 'rebalance', 'heal', 'topics-create', 'topics-alter'] as const

/** mulberry32: a small, fast, well-mixed 32-bit PRNG; the same seed gives the same sequence everywhere. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const DIMENSIONS: readonly LayoutDimension[][] = [
  [{ name: 'zone', values: ['a', 'b', 'c'] }],
  [
    { name: 'cluster', values: ['k8s-1', 'k8s-2'] },
    { name: 'zone', values: ['a', 'b', 'c'] },
  ],
  [
    { name: 'region', values: ['eu', 'us'] },
    { name: 'cluster', values: ['k8s-1', 'k8s-2'] },
    { name: 'zone', values: ['a', 'b', 'c'] },
  ],
]

const KIB = 1024

export function generateScenario(seed: number): CampaignScenario {
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new Error(`seed ${seed} is not a 32-bit unsigned integer`)
  const random = seededRandom(seed)
  const int = (min: number, max: number) => min + Math.floor(random() * (max - min + 1))
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!

  // 1. the cluster
  const brokerCount = int(3, 8)
  const topology = layoutBrokers(brokerCount, pick(DIMENSIONS))
  const ids = topology.brokers.map((b) => b.id)

  // 3 before 2 in meaning, not in draw order: the operation's kind is drawn first so that the topics
  // can leave room for it (an added broker holds nothing, so topics fit on the others).
  const kinds = OPERATION_KINDS.filter((k) => brokerCount >= 4 || !['brokers-remove', 'brokers-add', 'migrate'].includes(k))
  const kind = pick(kinds)
  const addBroker = kind === 'brokers-add' ? pick(ids.filter((id) => id >= 3)) : undefined
  const placeable = ids.filter((id) => id !== addBroker)

  // 2. topics
  const maxRf = Math.min(3, placeable.length)
  const topicCount = int(2, 4)
  const topics: CampaignTopic[] = []
  for (let i = 0; i < topicCount; i++) {
    const replicationFactor = pick([1, CAMPAIGN_MIN_INSYNC, 3].filter((rf) => rf <= maxRf))
    topics.push({ name: `c${i}`, partitions: int(1, 6), replicationFactor, placement: random() < 0.3 ? 'skewed' : 'kafka', fillBytes: int(1, 4) * 512 * KIB })
  }
  if (!topics.some((t) => t.replicationFactor >= CAMPAIGN_MIN_INSYNC)) topics[0]!.replicationFactor = CAMPAIGN_MIN_INSYNC
  const writable = topics.filter((t) => t.replicationFactor >= CAMPAIGN_MIN_INSYNC)

  // 3. the operation
  const operation = drawOperation(kind, { int, pick, random }, ids, topics, addBroker)

  // 4. throttle
  const throttleBytesPerSecond = pick([512, 1024, 2048]) * KIB

  // 5. faults
  const quick = kind === 'topics-create' || kind === 'topics-alter'
  const faults: CampaignFault[] = []
  const faultCount = int(1, 3)
  for (let i = 0; i < faultCount; i++) {
    const targetKind = pick(['broker', 'broker', 'controller', 'operation'] as const)
    const target: FaultTarget = targetKind === 'broker' ? { kind: 'broker', id: pick(ids) } : { kind: targetKind }
    const action = target.kind === 'operation' ? pick(['kill', 'pause'] as const) : pick(['kill', 'pause', 'restart'] as const)
    faults.push({ atMs: quick ? int(200, 4000) : int(500, 20_000), action, target, forMs: int(3000, 15_000) })
  }
  faults.sort((a, b) => a.atMs - b.atMs)

  return {
    seed,
    topology,
    topics,
    operation,
    throttleBytesPerSecond,
    faults,
    writers: { verifyRate: pick([20, 40, 80]), producerRate: pick([20, 40, 80]), producerTopic: pick(writable).name },
  }
}

function drawOperation(
  kind: (typeof OPERATION_KINDS)[number],
  { int, pick, random }: { int: (a: number, b: number) => number; pick: <T>(items: readonly T[]) => T; random: () => number },
  ids: readonly number[],
  topics: readonly CampaignTopic[],
  addBroker: number | undefined,
): CampaignOperation {
  switch (kind) {
    case 'replication-factor': {
      const target = pick([CAMPAIGN_MIN_INSYNC, 3].filter((rf) => rf <= ids.length))
      return { kind, target, args: ['replication-factor', 'fix', '--target', String(target), '--topics', 'c[0-9]+'] }
    }
    case 'brokers-remove': {
      const broker = pick(ids)
      // The campaign drains whichever broker it drew, a zone's last one too: what it tests is the drain under faults.
      return { kind, broker, args: ['brokers', 'remove', String(broker), '--allow-less-survivable'] }
    }
    case 'brokers-add':
      return { kind, broker: addBroker!, args: ['brokers', 'add', String(addBroker)] }
    case 'migrate': {
      // The brokers left must hold RF 3 (the internal topics): at most brokers - 3 move away.
      const shuffled = [...ids]
      for (let i = shuffled.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1))
        ;[shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!]
      }
      const from = shuffled.slice(0, int(1, Math.min(2, ids.length - 3))).sort((a, b) => a - b)
      const to = ids.filter((id) => !from.includes(id))
      return { kind, from, to, args: ['migrate', '--from', from.join(','), '--to', to.join(','), '--max-moves-per-stage', String(int(2, 10))] }
    }
    case 'rebalance':
      return { kind, args: ['rebalance'] }
    case 'heal': {
      const replicationFactor = random() < 0.5 ? CAMPAIGN_MIN_INSYNC : undefined
      return { kind, replicationFactor, args: ['heal', ...(replicationFactor === undefined ? [] : ['--replication-factor', String(replicationFactor), '--topics', 'c[0-9]+'])] }
    }
    case 'topics-create': {
      const partitions = int(1, 6)
      const replicationFactor = int(1, Math.min(3, ids.length))
      return { kind, topic: 'cnew', partitions, replicationFactor, args: ['topics', 'create', '--topic', 'cnew', '--partitions', String(partitions), '--replication-factor', String(replicationFactor)] }
    }
    case 'topics-alter': {
      const topic = pick(topics)
      const partitions = topic.partitions + int(1, 4)
      return { kind, topic: topic.name, partitions, args: ['topics', 'alter', '--topic', topic.name, '--partitions', String(partitions)] }
    }
  }
}

/** One line that names everything a run does, for its log: `seed 42: 5 brokers (cluster x zone); ...`. */
export function describeScenario(s: CampaignScenario): string {
  const topics = s.topics.map((t) => `${t.name}(${t.partitions}p rf${t.replicationFactor}${t.placement === 'skewed' ? ' skewed' : ''})`).join(' ')
  const faults = s.faults.map(describeFault).join(', ')
  return `seed ${s.seed}: ${s.topology.brokers.length} brokers (${s.topology.dimensions.join(' x ')}); topics ${topics}; operation \`${s.operation.args.join(' ')}\` at ${s.throttleBytesPerSecond / KIB} KiB/s; faults ${faults}`
}

export function describeFault(f: CampaignFault): string {
  const target = f.target.kind === 'broker' ? `broker ${f.target.id}` : f.target.kind === 'controller' ? 'the active controller' : 'the kafkaplane process'
  const action = f.action === 'kill' ? 'kill -9' : f.action === 'pause' ? 'SIGSTOP' : 'restart'
  return `${action} ${target} at ${(f.atMs / 1000).toFixed(1)} s${f.action === 'restart' ? '' : ` for ${(f.forMs / 1000).toFixed(1)} s`}`
}
