/**
 * The seeded fault campaign (issue 10) on a short fixed set of seeds: each a real cluster, topics,
 * an operation and faults drawn from its seed, played by support/campaign.ts under two writers
 * (`kafkaplane verify` and Kafka's VerifiableProducer), then checked: nothing acknowledged lost, the
 * operation finished, no throttle left, no reassignment in flight, the cluster whole, placement sound.
 * `bench/run campaign --runs N` runs many more; `bench/run campaign --seed S` replays one.
 *
 * The seed: for topics create, the first seed from 1 whose cluster has at most 4 brokers (small enough for
 * CI), not chosen for passing; it met a defect before it was fixed, so it guards that fix. Other seeds
 * run in `bench/run campaign`, among them two that were here until the suite had to fit its 50 minutes:
 * seed 8 (rebalance with kafkaplane stopped and a broker killed; rebalances under faults stay proven by
 * executor.test.ts) and seed 9 (brokers remove with a broker frozen twice and the active controller
 * killed, 100 s; drains under faults stay proven by faults.test.ts and executor.test.ts): run both with
 * `bench/run campaign --seeds 8,9` after a change to the executor. Seeds that fail only because of a
 * known defect are marked `todo` naming the defect, to be switched on once it is fixed.
 */
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { describeScenario, generateScenario } from '../../src/core/verify/campaign-scenario.ts'
import { campaignLine, runCampaign } from './support/campaign.ts'

const SEEDS: { seed: number; todo?: string }[] = [
  { seed: 35 }, // topics create --replication-factor 1 where min.insync.replicas is 2; kill -9 of kafkaplane (met defect 3 before it was fixed)
]

describe('seeded fault campaign', { timeout: 1_800_000 }, () => {
  for (const { seed, todo } of SEEDS) {
    test(describeScenario(generateScenario(seed)), { ...(todo ? { todo } : {}), timeout: 900_000 }, async (t) => {
      const run = await runCampaign(seed, { log: (line) => t.diagnostic(line) })
      t.diagnostic(campaignLine(run))
      assert.deepEqual(run.failures, [], `seed ${seed} failed (replay: bench/run campaign --seed ${seed}):\n${run.events.join('\n')}`)
    })
  }
})
