/**
 * kafkaplane's placement against Kafka's own, on real clusters laid out 2 Kubernetes clusters x 3
 * zones: once with broker.rack = zone (the default), once with broker.rack = cluster-zone. Kafka's
 * rack-aware placement knows one dimension; kafkaplane spreads on both at once, and Kafka honours the
 * explicit assignment it is given.
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import type { LocalCluster } from '../../src/local/local-cluster.ts'
import { verifyPlan } from '../../src/core/placement/verifier.ts'
import { modelFromTopology } from '../../src/core/placement/model.ts'
import { startTestCluster } from './support/clusters.ts'
import { comparePlacements, WISE_TOPOLOGY, type PlacementComparison } from './support/placement-comparison.ts'

function assertAtLeastAsSurvivable(c: PlacementComparison) {
  c.kafkaplane.survival.forEach((ours, d) => {
    const theirs = c.kafka.survival[d]!
    assert.ok(ours.writableAfterDomainLoss >= theirs.writableAfterDomainLoss, `${ours.dimension} loss: writable ${ours.writableAfterDomainLoss} < Kafka's ${theirs.writableAfterDomainLoss}`)
    assert.ok(ours.readableAfterDomainLoss >= theirs.readableAfterDomainLoss, `${ours.dimension} loss: readable`)
  })
}

for (const rackDimensions of [['zone'], ['cluster', 'zone']]) {
  describe(`broker.rack = ${rackDimensions.join('-')}`, { timeout: 600_000 }, () => {
    let cluster: LocalCluster
    before(async () => {
      cluster = await startTestCluster(WISE_TOPOLOGY, { rackDimensions })
    })
    after(async () => {
      await cluster?.stop()
    })

    test('RF 3: Kafka honours kafkaplane\'s assignment, which spreads on both dimensions', async () => {
      const c = await comparePlacements(cluster, 'rf3', 12, 3, 2)
      assert.deepEqual(c.kafkaplane.assignment, c.kafkaplane.planned, 'the assignment read back is the one planned')
      assert.deepEqual(verifyPlan(modelFromTopology(WISE_TOPOLOGY, [], () => 2), c.kafkaplane.assignment.map((p) => ({ ...p, minInsync: 2 }))), [])
      const [clusterDim, zoneDim] = c.kafkaplane.survival
      assert.equal(zoneDim!.writableAfterDomainLoss, 12, 'every partition survives a zone loss')
      assert.equal(clusterDim!.readableAfterDomainLoss, 12, 'every partition stays readable after a Kubernetes cluster loss')
      assertAtLeastAsSurvivable(c)
      if (rackDimensions.length === 1) {
        // Kafka's rack-aware placement does spread over zones when broker.rack = zone.
        assert.equal(c.kafka.survival[1]!.writableAfterDomainLoss, 12)
      }
    })

    test('RF 4 / min.insync 2: kafkaplane survives the loss of a Kubernetes cluster for every partition', async () => {
      const c = await comparePlacements(cluster, 'rf4', 12, 4, 2)
      assert.deepEqual(c.kafkaplane.assignment, c.kafkaplane.planned)
      for (const row of c.kafkaplane.survival) assert.equal(row.writableAfterDomainLoss, 12, `${row.dimension} loss`)
      assertAtLeastAsSurvivable(c)
    })
  })
}
