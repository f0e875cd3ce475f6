import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { cordonLine } from './brokers.ts'

describe('cordonLine: what brokers remove says of its cordon', () => {
  test('cordoned', () => {
    assert.equal(cordonLine([3], { kind: 'done', failures: [] }), 'broker 3 cordoned (cordoned.log.dirs=*): Kafka places no new partition on it and refuses an assignment naming it')
    assert.match(cordonLine([3, 7], { kind: 'done', failures: [] }), /^broker 3, 7 cordoned .* on them and refuses an assignment naming them$/)
  })

  test('not supported: the reason, nothing else', () => {
    const reason = "the cluster's metadata.version is at level 27; Kafka cordons brokers (KIP-1066) from 4.3-IV0 (level 30) on"
    assert.equal(cordonLine([3], { kind: 'unsupported', reason }), `broker 3 not cordoned: ${reason}; Kafka may still place new partitions on it`)
  })

  test('a broker that did not take it is named, the others said cordoned, and the drain goes on', () => {
    const line = cordonLine([3, 7], { kind: 'done', failures: [{ broker: 7, message: 'timed out' }] })
    assert.equal(line, 'broker 3 cordoned (cordoned.log.dirs=*): Kafka places no new partition on it and refuses an assignment naming it; not cordoned: broker 7 (timed out); the drain goes on, and the same command run again tries again')
    const none = cordonLine([3, 7], { kind: 'done', failures: [{ broker: 3, message: 'a' }, { broker: 7, message: 'b' }] })
    assert.equal(none, 'not cordoned: broker 3 (a), broker 7 (b); the drain goes on, and the same command run again tries again')
  })
})
