import { test } from 'node:test'
import assert from 'node:assert/strict'
import { MultipleErrors, NetworkError, ProtocolError, ResponseError, TimeoutError } from '@platformatic/kafka'
import { KafkaplaneError } from '../core/errors.ts'
import { isAuthorizationCode, kafkaError, kafkaErrorCode } from './kafka-error.ts'

// The client's own error classes, as its requests throw them.
const fix = 'check the brokers'

test('network errors and timeouts are retriable KAFKA_REQUEST_FAILED', () => {
  const e = kafkaError('Metadata', new MultipleErrors('Cannot connect to any broker.', [new NetworkError('Connection to 127.0.0.1:9092 failed.')]), { fix })
  assert.equal(e.code, 'KAFKA_REQUEST_FAILED')
  assert.equal(e.retriable, true)
  assert.equal(kafkaError('Metadata', new TimeoutError('Request timed out.'), { fix }).retriable, true)
  assert.equal(kafkaError('Metadata', Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), { fix }).retriable, true)
})

test('a retriable protocol error stays retriable; one the client marks not retriable is KAFKA_REQUEST_REFUSED', () => {
  const leader = kafkaError('ElectLeaders', new ProtocolError('NOT_LEADER_OR_FOLLOWER'), { fix })
  assert.equal(leader.code, 'KAFKA_REQUEST_FAILED')
  assert.equal(leader.retriable, true)
  const invalid = kafkaError('IncrementalAlterConfigs of topic t', new ProtocolError('INVALID_CONFIG', 'Invalid value -3 for configuration min.insync.replicas'), { fix, resource: { topic: 't' } })
  assert.equal(invalid.code, 'KAFKA_REQUEST_REFUSED')
  assert.equal(invalid.retriable, false)
  assert.deepEqual(invalid.resource, { topic: 't' })
  assert.match(invalid.message, /IncrementalAlterConfigs of topic t failed: INVALID_CONFIG: Invalid value -3/)
})

test('an authorization failure anywhere makes KAFKA_NOT_AUTHORIZED, never retried', () => {
  const mixed = new MultipleErrors('Incrementally altering configs failed.', [new NetworkError('Connection failed.'), new ProtocolError('CLUSTER_AUTHORIZATION_FAILED')])
  const e = kafkaError('IncrementalAlterConfigs of replication throttles', mixed, { fix, resource: { broker: 3 } })
  assert.equal(e.code, 'KAFKA_NOT_AUTHORIZED')
  assert.equal(e.retriable, false)
  assert.match(e.fix, /ACL/)
  assert.deepEqual(e.resource, { broker: 3 })
  assert.equal(kafkaErrorCode('AlterPartitionReassignments', 31, null, { fix }).code, 'KAFKA_NOT_AUTHORIZED')
  assert.equal(isAuthorizationCode(29), true)
  assert.equal(isAuthorizationCode(6), false)
})

test('a response carrying several errors is retriable only if every one is', () => {
  const response = new ResponseError(44, 1, { '/responses/0': [6, null], '/responses/1': [40, 'bad value'] }, {})
  const e = kafkaError('IncrementalAlterConfigs', response, { fix })
  assert.equal(e.code, 'KAFKA_REQUEST_REFUSED')
  assert.equal(kafkaError('IncrementalAlterConfigs', new ResponseError(44, 1, { '/responses/0': [6, null] }, {}), { fix }).retriable, true)
})

test('an error that is not the client\'s (a bug) is not retried; kafkaplane\'s own errors pass through', () => {
  assert.equal(kafkaError('Metadata', new TypeError('x is undefined'), { fix }).retriable, false)
  const own = new KafkaplaneError('CLUSTER_NOT_READY', 'not yet', { fix: 'wait', retriable: true })
  assert.equal(kafkaError('Metadata', own, { fix }), own)
  assert.equal(kafkaErrorCode('DescribeQuorum', 9999, 'new code', { fix }).code, 'KAFKA_REQUEST_FAILED')
})
