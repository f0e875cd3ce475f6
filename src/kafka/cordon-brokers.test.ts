import assert from 'node:assert/strict'
import { test } from 'node:test'
import { isCordoned } from './cordon-brokers.ts'

test('any cordoned.log.dirs value but an empty one cordons the broker for placement', () => {
  assert.equal(isCordoned('*'), true)
  assert.equal(isCordoned('/var/lib/kafka/data-0'), true, 'some of its directories: Kafka may still refuse, so no new replica from a plan')
  assert.equal(isCordoned('/a,/b'), true)
  for (const unset of [undefined, null, '', '  ']) assert.equal(isCordoned(unset), false, String(unset))
})
