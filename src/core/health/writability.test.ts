import assert from 'node:assert/strict'
import { test } from 'node:test'
import { unwritableTopic, unwritableTopics } from './writability.ts'

test('a replication factor below min.insync.replicas is unwritable; equal or above is not', () => {
  const problem = unwritableTopic('payments', 1, 2)
  assert.ok(problem)
  assert.match(problem.message, /replication factor 1 below min\.insync\.replicas 2/)
  assert.match(problem.fix, /raise the replication factor to 2 or more, or lower min\.insync\.replicas to 1 or less/)
  assert.equal(unwritableTopic('payments', 2, 2), undefined)
  assert.equal(unwritableTopic('payments', 3, 2), undefined)
  assert.equal(unwritableTopic('payments', 1, 1), undefined)
})

test('unwritableTopics names each topic once, by its worst partition, in name order', () => {
  const found = unwritableTopics([
    { topic: 'b', replicationFactor: 3, minInsync: 2 },
    { topic: 'b', replicationFactor: 1, minInsync: 2 },
    { topic: 'a', replicationFactor: 2, minInsync: 3 },
    { topic: 'c', replicationFactor: 2, minInsync: 2 },
  ])
  assert.deepEqual(found.map((p) => [p.topic, p.replicationFactor, p.minInsync]), [['a', 2, 3], ['b', 1, 2]])
})
