import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { CAMPAIGN_MIN_INSYNC, describeScenario, generateScenario, OPERATION_KINDS, seededRandom } from './campaign-scenario.ts'
import { campaignFailures, campaignOutcome, type CampaignEvidence } from './campaign-verdict.ts'

test('the same seed gives the same scenario; other seeds give others', () => {
  assert.deepEqual(generateScenario(42), generateScenario(42))
  const lines = new Set(Array.from({ length: 50 }, (_, seed) => describeScenario(generateScenario(seed))))
  assert.equal(lines.size, 50)
  assert.match(describeScenario(generateScenario(7)), /^seed 7: \d brokers \(/)
  const r = seededRandom(1)
  const a = [r(), r(), r()]
  assert.ok(a.every((x) => x >= 0 && x < 1) && new Set(a).size === 3)
  assert.throws(() => generateScenario(-1), /seed -1/)
})

test('every scenario is one the cluster can take', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 0xffffffff }), (seed) => {
      const s = generateScenario(seed)
      const ids = s.topology.brokers.map((b) => b.id)
      assert.ok(ids.length >= 3 && ids.length <= 8)
      assert.ok(s.topology.dimensions.length >= 1 && s.topology.dimensions.length <= 3)
      assert.ok(s.topics.length >= 2 && s.topics.length <= 4)
      const op = s.operation
      const placeable = op.kind === 'brokers-add' ? ids.length - 1 : ids.length
      for (const t of s.topics) assert.ok(t.replicationFactor >= 1 && t.replicationFactor <= Math.min(3, placeable), JSON.stringify(t))
      const producer = s.topics.find((t) => t.name === s.writers.producerTopic)
      assert.ok(producer && producer.replicationFactor >= CAMPAIGN_MIN_INSYNC, 'the producer writes a writable topic')
      if (op.kind === 'brokers-remove' || op.kind === 'brokers-add' || op.kind === 'migrate') assert.ok(ids.length >= 4, 'RF 3 internal topics need 3 brokers left')
      if (op.kind === 'replication-factor') assert.ok(op.target <= ids.length)
      if (op.kind === 'brokers-add') assert.ok(op.broker >= 3 && ids.includes(op.broker), 'a broker-only node, not a controller')
      if (op.kind === 'migrate') {
        assert.ok(op.to.length >= 3 && op.from.length >= 1)
        assert.deepEqual([...op.from, ...op.to].sort((a, b) => a - b), ids)
      }
      if (op.kind === 'topics-alter') assert.ok(op.partitions > s.topics.find((t) => t.name === op.topic)!.partitions)
      assert.ok(s.faults.length >= 1 && s.faults.length <= 3)
      s.faults.forEach((f, i) => {
        if (i > 0) assert.ok(f.atMs >= s.faults[i - 1]!.atMs)
        if (f.target.kind === 'broker') assert.ok(ids.includes(f.target.id))
        if (f.target.kind === 'operation') assert.notEqual(f.action, 'restart')
      })
    }),
    { numRuns: 500 },
  )
})

test('across seeds the campaign meets every operation, RF 1 and RF = min ISR topics, and every fault', () => {
  const all = Array.from({ length: 400 }, (_, seed) => generateScenario(seed))
  assert.deepEqual(new Set(all.map((s) => s.operation.kind)), new Set(OPERATION_KINDS))
  const rfs = new Set(all.flatMap((s) => s.topics.map((t) => t.replicationFactor)))
  assert.ok(rfs.has(1) && rfs.has(CAMPAIGN_MIN_INSYNC) && rfs.has(3))
  const faults = new Set(all.flatMap((s) => s.faults.map((f) => `${f.action} ${f.target.kind}`)))
  for (const f of ['kill broker', 'pause broker', 'restart broker', 'kill controller', 'pause controller', 'restart controller', 'kill operation', 'pause operation']) assert.ok(faults.has(f), f)
  assert.deepEqual(new Set(all.map((s) => s.topology.brokers.length)), new Set([3, 4, 5, 6, 7, 8]))
  assert.deepEqual(new Set(all.map((s) => s.topology.dimensions.length)), new Set([1, 2, 3]))
})

const clean: CampaignEvidence = { lost: { verify: 0, producer: 0, detail: [] }, unverified: [], harness: [], finished: true, unfinished: [], output: '', staleThrottles: [], reassignmentsInFlight: [], unhealthy: [], placement: [], placementRackOnly: [], unwritableTopics: [] }

/** A seed whose scenario matches `p`, for the attribution tests. */
function seedWhere(p: (s: ReturnType<typeof generateScenario>) => boolean): ReturnType<typeof generateScenario> {
  for (let seed = 0; ; seed++) if (p(generateScenario(seed))) return generateScenario(seed)
}

test('failures are attributed to the defects of issue 10 only where the evidence shows them', () => {
  const rf1 = seedWhere((s) => s.topics.some((t) => t.replicationFactor === 1) && s.topology.dimensions.length === 2 && s.faults.some((f) => f.target.kind === 'broker'))
  assert.deepEqual(campaignFailures(rf1, clean), [])
  assert.ok(campaignOutcome([]).ok)

  const held = campaignFailures(rf1, { ...clean, finished: false, unfinished: ['2 topics below RF 3'], output: `  paused: 4 move(s) held back: ${rf1.topics.find((t) => t.replicationFactor === 1)!.name}-0 is under-min-isr`, staleThrottles: ['broker 1 follower rate'] })
  assert.deepEqual(held.map((f) => [f.check, f.defect]), [['finished', 1], ['throttles', 1]])

  const low = rf1.topics.find((t) => t.replicationFactor === 1)!.name
  const touched = campaignFailures(rf1, { ...clean, finished: false, output: `  paused: 5 move(s) held back: a broker it touches hosts 7 offline or under-min-ISR partition(s) (e.g. ${low}-0)` })
  assert.equal(touched[0]!.defect, 1, 'held back because a touched broker hosts an RF 1 partition')
  const high = rf1.topics.find((t) => t.replicationFactor >= 2)!.name
  assert.equal(campaignFailures(rf1, { ...clean, finished: false, output: `  paused: 1 move(s) held back: ${high}-0 is under-min-isr` })[0]!.defect, undefined, 'a partition under min ISR for another reason is no known defect')

  const dead = campaignFailures(rf1, { ...clean, finished: false, output: 'cluster not answering (IncrementalAlterConfigs of replication throttles failed: x); retrying' })
  assert.equal(dead[0]!.defect, 2)
  assert.equal(campaignFailures(rf1, { ...clean, staleThrottles: ['topic c0 follower replicas'] })[0]!.defect, 2, 'throttles left by a finished plan that met a broker fault')

  const lost = campaignFailures(rf1, { ...clean, lost: { verify: 3, producer: 0, detail: ['c0-1: 3'] } })
  assert.equal(lost[0]!.defect, undefined, 'losing data is never a known defect')
  assert.equal(campaignOutcome(lost).unexplained.length, 1)

  assert.equal(campaignFailures(rf1, { ...clean, placement: ['c0-0: spread'], placementRackOnly: [] })[0]!.defect, 4)
  assert.equal(campaignFailures(rf1, { ...clean, placement: ['c0-0: spread'], placementRackOnly: ['c0-0: spread'] })[0]!.defect, undefined, 'wrong on the rack alone too: not the forgotten topology')
  assert.equal(campaignFailures(rf1, { ...clean, unwritableTopics: ['cnew: RF 1 < min ISR 2'] })[0]!.defect, 3)
  const broken = campaignOutcome(campaignFailures(rf1, { ...clean, harness: ['broker 1 did not start again'], unverified: ['verify gave no report'] }))
  assert.ok(broken.void && !broken.ok)
  assert.deepEqual(broken.unexplained.map((f) => f.check), ['unverified'])
  assert.deepEqual(campaignOutcome(campaignFailures(rf1, { ...clean, unwritableTopics: ['x'], finished: false, output: 'error [KAFKA_REQUEST_FAILED]' })).defects, [3, 5])
})
