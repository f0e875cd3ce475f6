import { CAMPAIGN_MIN_INSYNC, type CampaignScenario } from './campaign-scenario.ts'

/** What a campaign run found on the cluster once its faults healed and the operation was run again. */
export interface CampaignEvidence {
  /** Acknowledged records not read back: by `kafkaplane verify`, and by Kafka's VerifiableProducer
   *  (read back by a consumer of its own). */
  lost: { verify: number; producer: number; detail: string[] }
  /** Writers whose records could not be checked (no report, or records not read back in time). */
  unverified: string[]
  /** Faults the runner could not heal (a broker that would not start again): the run proves nothing
   *  about kafkaplane after that, and says so rather than blaming it. */
  harness: string[]
  /** The operation's last run exited 0 and the cluster shows its result. */
  finished: boolean
  /** Why not, when not finished (what the cluster shows, the last exit code). */
  unfinished: string[]
  /** What the operation's last run printed, stdout and stderr (why it did not finish, when it did not). */
  output: string
  /** Replication throttle configs left on brokers or topics. */
  staleThrottles: string[]
  reassignmentsInFlight: string[]
  /** Brokers missing or fenced, no quorum leader, offline or out-of-sync partitions (after a settle time). */
  unhealthy: string[]
  /** Placement invariants (core/placement/verifier.ts) broken by what the operation placed, on the full topology... */
  placement: string[]
  /** ...and on the rack dimension alone (what kafkaplane sees without --topology). */
  placementRackOnly: string[]
  /** Topics the operation created that no acks=all producer can write (RF below min.insync.replicas). */
  unwritableTopics: string[]
}

/** The defects of issue 10 that the campaign can meet, by number. */
export const KNOWN_DEFECTS: Readonly<Record<number, string>> = {
  1: 'the health gate holds back the moves of partitions below min ISR only because their RF is (RF fixer deadlock)',
  2: 'a dead or stopped broker stalls a plan and leaves replication throttles behind',
  3: 'topics are created that no acks=all producer can write (RF below min.insync.replicas)',
  4: 'the cluster forgets its failure domains: placed on broker.rack alone',
  5: 'every Kafka failure is retriable and some waits have no limit',
}

export interface CampaignFailure {
  check: 'harness' | 'lost' | 'unverified' | 'finished' | 'throttles' | 'reassignments' | 'health' | 'placement' | 'writable'
  detail: string
  /** The defect of issue 10 this failure is an instance of, when the evidence says so; none is a new finding. */
  defect?: number
}

/**
 * The failures of a run, each attributed to a known defect of issue 10 where the evidence shows it:
 *   - a fault the runner could not heal, writers that could not be checked: never attributed;
 *   - lost acknowledged records: never attributed (no known defect loses data);
 *   - a created topic below min ISR: defect 3;
 *   - placement broken on the full topology but sound on the rack alone, on a cluster of 2+ dimensions: defect 4;
 *   - an unfinished operation whose output shows moves held back because a partition (its own, or one
 *     on a broker it touches) is under min ISR, where that partition's topic has an RF below min ISR:
 *     defect 1; one whose output shows config changes
 *     (throttles) failing against an unreachable broker: defect 2; a Kafka request failure the
 *     operation gave up on or retried without end (KAFKA_REQUEST_FAILED): defect 5;
 *   - throttles left, reassignments in flight or an unhealthy cluster: the unfinished operation's
 *     defect when it did not finish (they are its leftovers); throttles left after a finished
 *     operation that met a broker fault: defect 2.
 */
export function campaignFailures(scenario: CampaignScenario, e: CampaignEvidence): CampaignFailure[] {
  const failures: CampaignFailure[] = []
  for (const h of e.harness) failures.push({ check: 'harness', detail: h })
  for (const u of e.unverified) failures.push({ check: 'unverified', detail: u })
  const lost = e.lost.verify + e.lost.producer
  if (lost > 0) failures.push({ check: 'lost', detail: `${e.lost.verify} acknowledged records lost by kafkaplane verify, ${e.lost.producer} by VerifiableProducer${e.lost.detail.length ? `: ${e.lost.detail.join('; ')}` : ''}` })
  for (const t of e.unwritableTopics) failures.push({ check: 'writable', detail: t, defect: 3 })
  if (e.placement.length > 0) {
    const rackOnly = scenario.topology.dimensions.length > 1 && e.placementRackOnly.length === 0
    failures.push({ check: 'placement', detail: `${e.placement.length} violations, e.g. ${e.placement.slice(0, 2).join('; ')}${rackOnly ? ' (sound on the rack dimension alone)' : ''}`, ...(rackOnly ? { defect: 4 } : {}) })
  }
  let unfinishedDefect: number | undefined
  if (!e.finished) {
    if (heldBackForLowRf(scenario, e.output)) unfinishedDefect = 1
    else if (/cluster not answering \([^)]*(IncrementalAlterConfigs|AlterConfigs|throttle)/i.test(e.output)) unfinishedDefect = 2
    else if (/KAFKA_REQUEST_FAILED/.test(e.output)) unfinishedDefect = 5
    failures.push({ check: 'finished', detail: e.unfinished.join('; ') || 'the operation did not finish', ...(unfinishedDefect === undefined ? {} : { defect: unfinishedDefect }) })
  }
  const brokerFault = scenario.faults.some((f) => f.target.kind !== 'operation')
  const leftover = (check: CampaignFailure['check'], items: string[], afterFinish?: number) => {
    if (items.length === 0) return
    const defect = e.finished ? afterFinish : unfinishedDefect
    failures.push({ check, detail: items.slice(0, 4).join('; ') + (items.length > 4 ? `; ... (${items.length})` : ''), ...(defect === undefined ? {} : { defect }) })
  }
  leftover('throttles', e.staleThrottles, brokerFault ? 2 : undefined)
  leftover('reassignments', e.reassignmentsInFlight)
  leftover('health', e.unhealthy)
  return failures
}

/**
 * A run's verdict: ok (no failure), the known defects met, the failures no known defect explains, and
 * void when the runner itself could not heal a fault (the rest of that run's findings are unreliable).
 */
export function campaignOutcome(failures: readonly CampaignFailure[]): { ok: boolean; void: boolean; defects: number[]; unexplained: CampaignFailure[] } {
  const defects = [...new Set(failures.flatMap((f) => (f.defect === undefined ? [] : [f.defect])))].sort((a, b) => a - b)
  const isVoid = failures.some((f) => f.check === 'harness')
  return { ok: failures.length === 0, void: isVoid, defects, unexplained: failures.filter((f) => f.defect === undefined && f.check !== 'harness') }
}

/** The executor's "paused: N move(s) held back: ..." lines name under-min-ISR partitions of topics whose RF is below min ISR. */
function heldBackForLowRf(scenario: CampaignScenario, output: string): boolean {
  const low = new Set(scenario.topics.filter((t) => t.replicationFactor < CAMPAIGN_MIN_INSYNC).map((t) => t.name))
  for (const line of output.split('\n').filter((l) => l.includes('held back:'))) {
    for (const m of line.matchAll(/(\S+)-\d+ is under-min-isr|under-min-ISR partition\(s\) \(e\.g\. (\S+)-\d+\)/gi)) {
      if (low.has(m[1] ?? m[2]!)) return true
    }
  }
  return false
}
