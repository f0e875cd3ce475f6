import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { diffTopic, describeChanges, type DesiredTopic } from './topic-diff.ts'

const desired: DesiredTopic = { topicName: 'payments', partitions: 6, replicationFactor: 4, configs: { 'min.insync.replicas': '2', 'retention.ms': '3600000' } }
const assignment = (count: number, rf: number) => Array.from({ length: count }, (_, partition) => ({ topic: 'payments', partition, replicas: Array.from({ length: rf }, (_, i) => (partition + i) % 6) }))

describe('diffTopic: desired KafkaTopic against the topic in Kafka', () => {
  it('creates a topic that does not exist, with every config', () => {
    const diff = diffTopic(desired, undefined, 6)
    assert.ok(diff.ok)
    assert.deepEqual(diff.changes.create, { partitions: 6, replicationFactor: 4 })
    assert.deepEqual(diff.changes.setConfigs, desired.configs)
    assert.equal(diff.inSync, false)
  })

  it('is in sync when partitions, replication factor and overrides match', () => {
    const diff = diffTopic(desired, { assignment: assignment(6, 4), overrides: { ...desired.configs } }, 6)
    assert.ok(diff.ok)
    assert.equal(diff.inSync, true)
    assert.equal(describeChanges('payments', diff.changes), 'payments is as specified')
  })

  it('sets changed configs and removes overrides the spec no longer names, incrementally', () => {
    const diff = diffTopic(desired, { assignment: assignment(6, 4), overrides: { 'min.insync.replicas': '2', 'retention.ms': '1', 'cleanup.policy': 'compact' } }, 6)
    assert.ok(diff.ok)
    assert.deepEqual(diff.changes.setConfigs, { 'retention.ms': '3600000' })
    assert.deepEqual(diff.changes.removeConfigs, ['cleanup.policy'])
    assert.equal(diff.changes.addPartitions, undefined)
  })

  it('adds partitions and changes the replication factor', () => {
    const diff = diffTopic(desired, { assignment: assignment(3, 2), overrides: desired.configs }, 6)
    assert.ok(diff.ok)
    assert.deepEqual(diff.changes.addPartitions, { from: 3, to: 6 })
    assert.deepEqual(diff.changes.replicationFactor, { from: [2], to: 4 })
    assert.equal(describeChanges('payments', diff.changes), 'add partitions 3 -> 6; change RF 2 -> 4')
  })

  it('refuses more replicas than brokers and fewer partitions than exist, naming the field and the fix', () => {
    const diff = diffTopic({ ...desired, partitions: 2, replicationFactor: 7 }, { assignment: assignment(3, 2), overrides: {} }, 6)
    assert.equal(diff.ok, false)
    assert.ok(!diff.ok)
    assert.deepEqual(diff.problems.map((p) => p.path), ['spec.replicationFactor', 'spec.partitions'])
    assert.match(diff.problems[0]!.message, /7 is above the 6 brokers/)
    assert.match(diff.problems[1]!.fix, /spec\.partitions: 3/)
  })
})
